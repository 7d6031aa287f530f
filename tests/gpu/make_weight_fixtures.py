"""Writes small weight files with the real torch/safetensors writers, for the loader tests.

Usage: make_weight_fixtures.py OUTDIR

For every file F it also writes F.expected/ with, per tensor key K, `K.bin` (the values as contiguous
little-endian bytes) and `index.json` ({K: {"dtype": ..., "shape": [...]}}), so the C++ tests compare
against data that does not go through either loader.
"""
import collections
import json
import os
import sys
import zipfile

import torch
from safetensors.torch import save_file

DTYPE_NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
               torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
               torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def raw_bytes(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_expected(path, tensors):
    folder = path + ".expected"
    os.makedirs(folder, exist_ok=True)
    index = {}
    for i, (key, t) in enumerate(tensors.items()):
        name = "%d.bin" % i
        with open(os.path.join(folder, name), "wb") as f:
            f.write(raw_bytes(t))
        index[key] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "file": name}
    with open(os.path.join(folder, "index.json"), "w") as f:
        json.dump(index, f)


class SmallNet(torch.nn.Module):
    """Parameters and buffers of the kinds the release files hold (conv, linear, norm, int64 buffer)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv3d(3, 4, (2, 3, 3))
        self.blocks = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.SiLU(), torch.nn.Linear(5, 2, bias=False))
        self.norm = torch.nn.BatchNorm1d(2)
        self.gamma = torch.nn.Parameter(torch.randn(2, 1, 1))


class Evil:
    """Pickles as a call of os.system: a safe loader must refuse it without running anything."""

    def __reduce__(self):
        return (os.system, ("echo this-must-never-run > pwned.txt",))


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(1234)
    p = lambda name: os.path.join(out, name)

    # safetensors with every dtype the loader supports, a 0-d scalar and an empty tensor.
    st = collections.OrderedDict(
        f32=torch.randn(3, 4), f16=torch.randn(5).half(), bf16=torch.randn(2, 3).bfloat16(),
        f64=torch.randn(2).double(), i64=torch.arange(-3, 3, dtype=torch.int64),
        i32=torch.tensor([7, -8], dtype=torch.int32), u8=torch.tensor([0, 255, 9], dtype=torch.uint8),
        flag=torch.tensor([True, False, True]), scalar=torch.tensor(2.5), empty=torch.zeros(0, 3))
    save_file(dict(st), p("basic.safetensors"))
    write_expected(p("basic.safetensors"), st)

    net = SmallNet()
    net.norm.running_mean.uniform_()
    net.norm.num_batches_tracked.fill_(17)
    sd = net.state_dict()
    save_file({k: v.contiguous() for k, v in sd.items()}, p("net.safetensors"))
    write_expected(p("net.safetensors"), sd)

    # torch.save archives in the shapes the release files and common re-saves take.
    torch.save(sd, p("net.ckpt"))  # OrderedDict with _metadata, like LQ_proj_in.ckpt / TCDecoder.ckpt
    write_expected(p("net.ckpt"), sd)
    torch.save({"model_state": sd}, p("net_model_state.pth"))
    torch.save({"state_dict": sd}, p("net_state_dict.pth"))
    write_expected(p("net_model_state.pth"), sd)
    write_expected(p("net_state_dict.pth"), sd)

    base = torch.randn(100)
    views = collections.OrderedDict(
        a=base[10:20], b=base[20:44].view(4, 6), bt=base[20:44].view(4, 6).t(), every3=base[::3],
        whole=base)
    torch.save(views, p("views.pth"))
    write_expected(p("views.pth"), views)

    mixed = {"w_bf16": torch.randn(3, 2).bfloat16(), "w_f16": torch.randn(4).half(),
             "w_f32": torch.randn(2, 2, 2), "steps": torch.tensor([1, 2, 3 ** 30], dtype=torch.int64),
             "mask": torch.tensor([True, False]), "big_stride": torch.randn(6, 8).bfloat16()[:, 1::3]}
    torch.save(mixed, p("mixed.pth"))
    write_expected(p("mixed.pth"), mixed)

    prompt = torch.randn(1, 8, 16).bfloat16()  # posi_prompt.pth is a single bf16 (1, 512, 4096) tensor
    torch.save(prompt, p("prompt.pth"))
    write_expected(p("prompt.pth"), collections.OrderedDict([("", prompt)]))

    torch.save({"x": Evil()}, p("evil.pth"))
    torch.save({"w": torch.randn(2), "n": 3}, p("non_tensor.pth"))
    with zipfile.ZipFile(p("big_endian.pth"), "w", zipfile.ZIP_STORED) as z:
        with zipfile.ZipFile(p("prompt.pth")) as src:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename.endswith("/byteorder"):
                    data = b"big"
                z.writestr(info.filename, data)

    # Re-zipped variants of net.ckpt: deflated (still valid), a storage record missing, one cut short.
    with zipfile.ZipFile(p("net.ckpt")) as src:
        records = [(i.filename, src.read(i.filename)) for i in src.infolist()]
    with open(p("net.data.pkl"), "wb") as f:
        f.write(dict(records)["net/data.pkl"])
    variants = {"deflated.pth": lambda n, d: d, "missing_record.pth": lambda n, d: None if n == "net/data/3" else d,
                "short_record.pth": lambda n, d: d[:-4] if n == "net/data/1" else d}
    for name, edit in variants.items():
        method = zipfile.ZIP_DEFLATED if name == "deflated.pth" else zipfile.ZIP_STORED
        with zipfile.ZipFile(p(name), "w", method) as z:
            for n, d in records:
                if edit(n, d) is not None:
                    z.writestr(n, edit(n, d))
    write_expected(p("deflated.pth"), sd)


if __name__ == "__main__":
    main(sys.argv[1])
