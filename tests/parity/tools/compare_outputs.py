#!/usr/bin/env python3
"""Compares two sets of output frames (ours vs the reference): PSNR overall and per frame, max abs.

    python3 compare_outputs.py A.safetensors[:tensor] B.safetensors[:tensor] [--json OUT.json]

A tensor may be uint8 (T,H,W,3) (mapped x/127.5 - 1), or float (3,T,H,W) / (1,3,T,H,W) / (T,3,H,W)
in [-1,1]. Without ':tensor' the first 4-D or 5-D tensor of the file is used. PSNR uses peak-to-peak
2 on [-1,1] (= PSNR of the [0,1]-mapped frames); rel_a_vs_b = ||A - B|| / ||B||. Note: comparing uint8 frames of a rounding and a
truncating converter costs up to half a level per pixel; compare float outputs where possible.
"""

import argparse
import json
import math

import torch
from safetensors import safe_open


def load(spec: str) -> torch.Tensor:
    path, _, name = spec.partition(":")
    with safe_open(path, "pt") as f:
        keys = list(f.keys())
        if not name:
            name = next(k for k in keys if len(f.get_slice(k).get_shape()) in (4, 5))
        x = f.get_tensor(name)
    if x.ndim == 5:
        x = x[0]
    if x.dtype == torch.uint8:
        x = x.float() / 127.5 - 1.0
    x = x.float()
    if x.shape[-1] == 3:  # (T,H,W,3)
        x = x.permute(0, 3, 1, 2)
    elif x.shape[0] == 3 and x.shape[1] != 3:  # (3,T,H,W)
        x = x.permute(1, 0, 2, 3)
    return x.contiguous()  # (T,3,H,W)


def psnr(mse: float) -> float:
    return float("inf") if mse == 0 else 10.0 * math.log10(4.0 / mse)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--json")
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    result = {"frames_a": a.shape[0], "frames_b": b.shape[0], "shape_a": list(a.shape),
              "shape_b": list(b.shape)}
    if a.shape != b.shape:
        result["error"] = "shapes differ"
    else:
        d = (a.double() - b.double())
        per = [psnr(float((d[t] ** 2).mean())) for t in range(d.shape[0])]
        result.update(psnr_db=psnr(float((d ** 2).mean())), psnr_min_frame_db=min(per),
                      psnr_mean_frame_db=sum(per) / len(per), max_abs=float(d.abs().max()),
                      worst_frame=per.index(min(per)),
                      rel_a_vs_b=float(d.norm() / max(float(b.double().norm()), 1e-300)))
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)
    raise SystemExit(1 if "error" in result else 0)


if __name__ == "__main__":
    main()
