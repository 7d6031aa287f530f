#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus, tests/fuzz/corpus/<target>/, a few KB per file.

Run with the project's .venv Python (torch, safetensors) and ffmpeg on PATH:
    .venv/bin/python tests/fuzz/make_corpus.py
The files are committed; re-running rewrites them (torch.save output can differ between torch
versions, which is fine for seeds) and keeps the regress_* files, inputs that once crashed a reader.
"""
import collections
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import zipfile

import torch
from safetensors.torch import save as safetensors_bytes

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def target_dir(name):
    """Empties corpus/<name>, keeping regress_* (inputs that once crashed a reader; tests use them)."""
    path = os.path.join(CORPUS, name)
    os.makedirs(path, exist_ok=True)
    for f in os.listdir(path):
        if not f.startswith("regress_"):
            os.remove(os.path.join(path, f))
    return path


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def state_dicts():
    """Small state dicts covering the dtypes, views and wrappers the readers accept."""
    g = torch.Generator().manual_seed(8)
    base = torch.randn(4, 6, generator=g)
    yield "plain", {"w": base, "b": torch.arange(3, dtype=torch.float32)}
    yield "dtypes", {
        "f64": torch.ones(2, dtype=torch.float64), "f16": torch.ones(3, dtype=torch.float16),
        "bf16": torch.ones(2, 2, dtype=torch.bfloat16), "i64": torch.arange(4),
        "i32": torch.arange(2, dtype=torch.int32), "i16": torch.arange(2, dtype=torch.int16),
        "i8": torch.arange(2, dtype=torch.int8), "u8": torch.arange(5, dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
    }
    yield "scalar_empty", {"scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3)}
    # Views: an offset, a stride, two keys on one storage.
    yield "views", {"row": base[1], "col": base[:, 2], "sub": base[1:3, ::2], "all": base}


def make_safetensors():
    out = target_dir("safetensors")
    for name, sd in state_dicts():
        sd = {k: v.contiguous().clone() for k, v in sd.items()}
        write(out, name + ".safetensors", safetensors_bytes(sd, metadata={"format": "pt"}))
    header = json.dumps({"__metadata__": {"a": "b"}}).encode()
    write(out, "metadata_only.safetensors", len(header).to_bytes(8, "little") + header)


def torch_save(obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def make_torch_archives():
    out = target_dir("torch_archive")
    pickles = target_dir("pickle")
    for name, sd in state_dicts():
        ordered = collections.OrderedDict(sd)
        blobs = {
            name + ".pth": torch_save(ordered),
            name + "_wrapped.ckpt": torch_save({"state_dict": ordered, "epoch": 3}),
        }
        for file, data in blobs.items():
            write(out, file, data)
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                pkl = next(n for n in z.namelist() if n.endswith("/data.pkl"))
                write(pickles, file.rsplit(".", 1)[0] + ".pkl", z.read(pkl))
    write(out, "tensor.pth", torch_save(torch.arange(6, dtype=torch.float32).reshape(2, 3)))
    write(out, "parameter.pth", torch_save({"p": torch.nn.Parameter(torch.ones(2, 2))}))
    write(out, "nested.pth", torch_save({"enc": {"conv": {"weight": torch.ones(1, 1, 3, 3)}}}))
    write(out, "legacy.pt", torch_save({"w": torch.ones(2)}, _use_new_zipfile_serialization=False))
    # Plain pickles (no tensors) with the opcodes of protocols 2 and 4.
    value = {"a": [1, -2, 300, 70000, 2**40, -(2**62)], "b": (1.5, None, True, False),
             "c": {"nested": ("x", b"bytes")}, "d": collections.OrderedDict(k=1)}
    for proto in (2, 4):
        write(pickles, f"plain_p{proto}.pkl", pickle.dumps(value, protocol=proto))
    shared = [1, 2]
    write(pickles, "memo.pkl", pickle.dumps({"x": shared, "y": shared, "z": (shared,)}, protocol=2))


def make_queues():
    out = target_dir("queue_json")
    job = {
        "id": 1, "input": "/videos/in.mp4", "output": "/videos/in.flashvsr-x2.mp4",
        "state": "queued", "reason": "", "pid": 0,
        "engine": {"engine": "lanczos", "scale": {"factor": 2.0, "width": 0, "height": 0,
                                                   "fit": "fit"},
                   "modelsDir": "", "modelVersion": "", "decoder": "tcdecoder",
                   "sparseRatio": 2.0, "kvRatio": 3.0, "localRange": 11, "colorFix": True,
                   "seed": 0, "dtype": "", "device": ""},
        "encode": {"codec": "libx264", "container": "", "crf": 18, "bitrate": 0,
                   "preset": "medium", "pixelFormat": "", "proresProfile": "",
                   "overwrite": False},
        "trim": {"startFrame": -1, "endFrame": -1, "startUs": -1, "endUs": -1},
        "crop": {"x": 0, "y": 0, "width": 0, "height": 0},
        "segmentFrames": 250, "workDir": "", "segments": [], "framesDone": 0,
        "framesTotal": 300, "createdAt": "2026-12-01T12:00:00Z",
        "updatedAt": "2026-12-01T12:00:00Z",
    }
    running = dict(job, id=2, state="running", pid=999999,
                   workDir="/videos/.in.flashvsr-x2.mp4.work",
                   segments=[{"file": "seg-000000.mkv", "firstFrame": 0, "frameCount": 250}],
                   framesDone=250)
    states = [dict(job, id=10 + i, state=s, reason="why" if s == "failed" else "")
              for i, s in enumerate(["paused", "done", "failed", "cancelled", "interrupted"])]
    trimmed = dict(job, id=3, trim={"startFrame": 10, "endFrame": 20, "startUs": -1, "endUs": -1},
                   crop={"x": 2, "y": 2, "width": 100, "height": 50},
                   engine=dict(job["engine"], scale={"factor": 0, "width": 1920, "height": 1080,
                                                     "fit": "fill"}))
    docs = {
        "one_job.json": {"version": 1, "nextId": 2, "jobs": [job]},
        "running.json": {"version": 1, "nextId": 3, "jobs": [job, running]},
        "states.json": {"version": 1, "nextId": 20, "jobs": states},
        "trim_crop.json": {"version": 1, "nextId": 4, "jobs": [trimmed]},
        "empty.json": {"version": 1, "nextId": 1, "jobs": []},
    }
    for name, doc in docs.items():
        write(out, name, (json.dumps(doc, indent=2) + "\n").encode())


def make_media():
    out = target_dir("media_probe")
    src = ["-f", "lavfi", "-i", "testsrc2=size=32x24:rate=10:duration=0.3"]
    audio = ["-f", "lavfi", "-i", "sine=frequency=440:duration=0.3:sample_rate=8000"]
    variants = {
        "h264.mp4": src + ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"],
        "h264_bframes.mkv": src + audio + ["-c:v", "libx264", "-bf", "2", "-g", "3",
                                           "-pix_fmt", "yuv420p", "-c:a", "flac", "-shortest"],
        "h264.h264": src + ["-c:v", "libx264", "-preset", "ultrafast", "-f", "h264"],
        "rotated.mov": src + ["-c:v", "mjpeg", "-q:v", "20", "-metadata:s:v", "rotate=90"],
        "ffv1.mkv": src + ["-c:v", "ffv1", "-pix_fmt", "yuv420p10le"],
        "vp9.webm": src + audio + ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-b:v", "20k",
                                   "-c:a", "libopus", "-shortest"],
        "mpeg2.ts": src + ["-c:v", "mpeg2video", "-q:v", "20", "-output_ts_offset", "1.5"],
        "mjpeg.avi": src + ["-c:v", "mjpeg", "-q:v", "25"],
        "raw.y4m": ["-f", "lavfi", "-i", "testsrc2=size=16x8:rate=10:duration=0.3"],
        "hevc.mp4": src + ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params",
                           "log-level=none", "-pix_fmt", "yuv420p"],
        "vfr.mkv": ["-f", "lavfi", "-i", "testsrc2=size=32x24:rate=10:duration=0.5",
                    "-vf", "select='not(eq(n\\,2))'", "-fps_mode", "vfr", "-c:v", "ffv1"],
        "still.png": ["-f", "lavfi", "-i", "testsrc2=size=16x16", "-frames:v", "1",
                      "-f", "image2pipe", "-c:v", "png"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, args in variants.items():
            path = os.path.join(tmp, name)
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, path],
                           check=True)
            shutil.copy(path, os.path.join(out, name))


def main():
    make_safetensors()
    make_torch_archives()
    make_queues()
    make_media()
    for name in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, name))
        size = sum(os.path.getsize(os.path.join(CORPUS, name, f)) for f in files)
        print(f"{name}: {len(files)} files, {size} bytes")


if __name__ == "__main__":
    sys.exit(main())
