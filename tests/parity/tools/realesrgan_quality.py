#!/usr/bin/env python3
"""Real-image quality of the upscaling engines (docs/realesrgan.md, "Quality").

For each photograph: HR = a centre crop (after a 2x area downscale, which removes the JPEG
noise of the original); LR = HR downscaled 4x (bicubic, antialiased); then LR is upscaled 4x by
`flashvsr upscale` with each engine (one-frame FFV1 clips: the product's own pipeline) and
compared with HR: PSNR on RGB, SSIM on luma (BT.601, 11x11 Gaussian, sigma 1.5).

usage: realesrgan_quality.py FLASHVSR_EXE OUT_DIR [IMAGE ...]
Default images: photographs of the Debian packages lomiri-wallpapers-16.04 / -20.04
(apt-get install lomiri-wallpapers; not part of setup-deps.sh). Writes OUT_DIR/quality.md
(the table; FlashVSR joins it when `flashvsr models check` finds its weights) and
OUT_DIR/crops-*.png (side-by-side crops: HR, Lanczos, each Real-ESRGAN model).
"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

DEFAULT_IMAGES = [
    "/usr/share/backgrounds/Dragonfly_by_Bolly.jpg",
    "/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg",
    "/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg",
    "/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg",
]
ENGINES = [
    ("Lanczos", ["--engine", "lanczos"]),
    ("bicubic", ["--engine", "bicubic"]),
    ("Real-ESRGAN animevideov3", ["--engine", "realesrgan", "--model", "animevideov3"]),
    ("Real-ESRGAN x4plus", ["--engine", "realesrgan", "--model", "x4plus"]),
    ("Real-ESRGAN x4plus-anime", ["--engine", "realesrgan", "--model", "x4plus-anime"]),
]
HR_W, HR_H = 480, 320


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def decode(path, w, h):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1", "-f",
                          "rawvideo", "-pix_fmt", "rgb24", "-"], check=True,
                         capture_output=True).stdout
    return np.frombuffer(raw, np.uint8)[: w * h * 3].reshape(h, w, 3)


def encode(img, path):
    h, w, _ = img.shape
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
                    f"{w}x{h}", "-r", "25", "-i", "-", "-c:v", "ffv1", "-pix_fmt", "bgr0",
                    str(path)], input=img.tobytes(), check=True)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / mse)


def ssim_y(a, b):
    def luma(x):
        x = torch.from_numpy(x.astype(np.float64))
        return (0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2])[None, None]
    x, y = luma(a), luma(b)
    g = torch.exp(-((torch.arange(11, dtype=torch.float64) - 5) ** 2) / (2 * 1.5 ** 2))
    g = g / g.sum()
    win = (g[:, None] * g[None, :])[None, None]
    blur = lambda t: F.conv2d(t, win)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx ** 2, blur(y * y) - my ** 2, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return float(s.mean())


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    exe, out = sys.argv[1], pathlib.Path(sys.argv[2])
    images = sys.argv[3:] or DEFAULT_IMAGES
    out.mkdir(parents=True, exist_ok=True)
    if subprocess.run([exe, "models", "check"], capture_output=True).returncode == 0:
        ENGINES.append(("FlashVSR", ["--engine", "flashvsr"]))  # its weights are installed
    scores = {name: [] for name, _ in ENGINES}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for n, src in enumerate(images):
            probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                                    "-show_entries", "stream=width,height", "-of", "csv=p=0", src],
                                   check=True, capture_output=True, text=True).stdout
            w, h = (int(v) for v in probe.strip().split(","))
            full = decode(src, w, h)
            half = F.interpolate(torch.from_numpy(full.copy()).permute(2, 0, 1)[None].float(),
                                 scale_factor=0.5, mode="area")
            _, _, hh, hw = half.shape
            y0, x0 = (hh - HR_H) // 2, (hw - HR_W) // 2
            hr_t = half[..., y0:y0 + HR_H, x0:x0 + HR_W]
            lr_t = F.interpolate(hr_t, size=(HR_H // 4, HR_W // 4), mode="bicubic",
                                 antialias=True, align_corners=False)
            hr = hr_t[0].permute(1, 2, 0).round().clamp(0, 255).byte().numpy()
            lr = lr_t[0].permute(1, 2, 0).round().clamp(0, 255).byte().numpy()
            lr_clip = tmp / f"lr{n}.mkv"
            encode(lr, lr_clip)
            outputs = {}
            for name, args in ENGINES:
                dst = tmp / f"up{n}-{len(outputs)}.mkv"
                run([exe, "upscale", str(lr_clip), "-o", str(dst), "--scale", "4", "--codec",
                     "ffv1", "--overwrite", "--progress", "none", *args])
                up = decode(dst, HR_W, HR_H)
                outputs[name] = up
                scores[name].append((psnr(up, hr), ssim_y(up, hr)))
            rows.append(pathlib.Path(src).name)
            # side-by-side crops (a 120x120 patch of each, shown at 2x): HR | Lanczos | models
            cy, cx = HR_H // 2 - 60, HR_W // 2 - 60
            tiles = [hr] + [outputs[k] for k in ("Lanczos", "Real-ESRGAN animevideov3",
                                                   "Real-ESRGAN x4plus")]
            strip = np.concatenate([t[cy:cy + 120, cx:cx + 120] for t in tiles], axis=1)
            strip = np.kron(strip, np.ones((2, 2, 1), np.uint8))
            encode_png = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-s", f"{strip.shape[1]}x{strip.shape[0]}", "-i", "-",
                          str(out / f"crops-{n}.png")]
            subprocess.run(encode_png, input=strip.tobytes(), check=True)
    lines = ["| engine | " + " | ".join(rows) + " | mean |", "|---" * (len(rows) + 2) + "|"]
    for name, vals in scores.items():
        cells = [f"{p:.2f} / {s:.4f}" for p, s in vals]
        mp, ms = np.mean([v[0] for v in vals]), np.mean([v[1] for v in vals])
        lines.append(f"| {name} | " + " | ".join(cells) + f" | **{mp:.2f} / {ms:.4f}** |")
    (out / "quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
