#!/usr/bin/env python3
"""Tiled vs whole-frame FlashVSR output (issue 11 §2): PSNR in the tile interiors and in the
seam bands (the overlaps between neighbouring tiles), and the seam gradient-energy ratio (mean
squared step between neighbouring pixels inside the bands / elsewhere) of both outputs.

Usage: seam_psnr.py WHOLE.mkv TILED.mkv PLAN.json [--json OUT]
PLAN.json is one line of `flashvsr upscale --plan --progress json` for the tiled run (its
"tiles" give the bands). Frames are decoded with ffmpeg to RGB24."""
import argparse
import json
import subprocess

import numpy as np


def decode(path, width, height, ffmpeg):
    raw = subprocess.run([ffmpeg, "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, stdout=subprocess.PIPE).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3).astype(np.float64)


def psnr(a, b):
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("whole")
    p.add_argument("tiled")
    p.add_argument("plan")
    p.add_argument("--json")
    p.add_argument("--ffmpeg", default="ffmpeg")
    a = p.parse_args()
    plan = json.loads(open(a.plan).read().strip().splitlines()[-1])
    w, h = plan["width"], plan["height"]
    whole = decode(a.whole, w, h, a.ffmpeg)
    tiled = decode(a.tiled, w, h, a.ffmpeg)
    assert whole.shape == tiled.shape, (whole.shape, tiled.shape)
    # Pixels covered by more than one tile: the seam bands.
    cover = np.zeros((h, w), np.int32)
    for t in plan["tiles"]:
        cover[t["y"]:t["y"] + t["height"], t["x"]:t["x"] + t["width"]] += 1
    band = cover > 1
    # Steps between horizontal / vertical neighbours, split by whether they touch a band.
    def energy(v):
        dx = ((v[:, :, 1:] - v[:, :, :-1]) ** 2).mean(axis=(0, 3))
        dy = ((v[:, 1:, :] - v[:, :-1, :]) ** 2).mean(axis=(0, 3))
        bx = band[:, 1:] | band[:, :-1]
        by = band[1:, :] | band[:-1, :]
        seam = (dx[bx].sum() + dy[by].sum()) / max(1, bx.sum() + by.sum())
        rest = (dx[~bx].sum() + dy[~by].sum()) / max(1, (~bx).sum() + (~by).sum())
        return float(seam / rest)
    out = {
        "overlap": plan["overlap"],
        "tiles": f'{plan["columns"]}x{plan["rows"]}',
        "frames": int(whole.shape[0]),
        "psnr_all": psnr(whole, tiled),
        "psnr_interior": psnr(whole[:, ~band], tiled[:, ~band]),
        "psnr_seams": psnr(whole[:, band], tiled[:, band]) if band.any() else None,
        "seam_energy_ratio_tiled": energy(tiled),
        "seam_energy_ratio_whole": energy(whole),
    }
    print(json.dumps(out))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f)


if __name__ == "__main__":
    main()
