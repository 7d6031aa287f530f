"""Writes a model folder with the release file names, keys and shapes (flashvsr-spec.md §1), cheaply.

Usage: make_model_folder.py OUTDIR [--random]

With --random every tensor holds real random values at full size (≈6.5 GB written, for the GPU
machine: a full-size folder in the official formats to load with our loader).

The DiT safetensors gets the full 825-key header and a sparse data section (no disk used); the
torch.save archives hold each tensor as a stride-0 view of a one-element storage, so their pickles
carry the full shapes while the files stay a few kB. Good for folder checks, not for inference.
"""
import collections
import json
import os
import sys

import torch


def dit_shapes():
    d = 1536
    s = collections.OrderedDict()
    s["patch_embedding.weight"] = (d, 16, 1, 2, 2)
    s["patch_embedding.bias"] = (d,)
    for name, fan_in in (("text_embedding", 4096), ("time_embedding", 256)):
        s[name + ".0.weight"] = (d, fan_in)
        s[name + ".0.bias"] = (d,)
        s[name + ".2.weight"] = (d, d)
        s[name + ".2.bias"] = (d,)
    s["time_projection.1.weight"] = (6 * d, d)
    s["time_projection.1.bias"] = (6 * d,)
    s["head.head.weight"] = (64, d)
    s["head.head.bias"] = (64,)
    s["head.modulation"] = (1, 2, d)
    for i in range(30):
        b = "blocks.%d." % i
        for attn in ("self_attn", "cross_attn"):
            for p in "qkvo":
                s[b + attn + "." + p + ".weight"] = (d, d)
                s[b + attn + "." + p + ".bias"] = (d,)
            s[b + attn + ".norm_q.weight"] = (d,)
            s[b + attn + ".norm_k.weight"] = (d,)
        s[b + "norm3.weight"] = (d,)
        s[b + "norm3.bias"] = (d,)
        s[b + "ffn.0.weight"] = (8960, d)
        s[b + "ffn.0.bias"] = (8960,)
        s[b + "ffn.2.weight"] = (d, 8960)
        s[b + "ffn.2.bias"] = (d,)
        s[b + "modulation"] = (1, 6, d)
    return s


def lq_shapes():
    return collections.OrderedDict([
        ("conv1.weight", (2048, 768, 4, 3, 3)), ("conv1.bias", (2048,)), ("norm1.gamma", (2048, 1, 1, 1)),
        ("conv2.weight", (3072, 2048, 4, 3, 3)), ("conv2.bias", (3072,)), ("norm2.gamma", (3072, 1, 1, 1)),
        ("linear_layers.0.weight", (1536, 3072)), ("linear_layers.0.bias", (1536,))])


def tc_shapes():
    s = collections.OrderedDict()
    s["decoder.1.weight"], s["decoder.1.bias"] = (512, 784, 3, 3), (512,)
    s["decoder.3.weight"] = (512, 512, 3, 3)
    for first, c, grow, stride, nxt in ((5, 512, 9, 1, (10, 256)), (11, 256, 15, 2, (16, 128)),
                                        (17, 128, 21, 2, (22, 128))):
        for n in range(first, first + 3):
            for k, cin in ((0, 2 * c), (2, c), (4, c)):
                s["decoder.%d.conv.%d.weight" % (n, k)] = (c, cin, 3, 3)
                s["decoder.%d.conv.%d.bias" % (n, k)] = (c,)
        s["decoder.%d.conv.weight" % grow] = (c * stride, c, 1, 1)
        s["decoder.%d.weight" % nxt[0]] = (nxt[1], c, 3, 3)
    s["decoder.24.weight"] = (128, 128, 3, 3)
    s["decoder.26.weight"], s["decoder.26.bias"] = (3, 128, 3, 3), (3,)
    return s


def vae_shapes():
    s = collections.OrderedDict()

    def rb(p, cin, cout):
        s[p + "residual.0.gamma"] = (cin, 1, 1, 1)
        s[p + "residual.2.weight"], s[p + "residual.2.bias"] = (cout, cin, 3, 3, 3), (cout,)
        s[p + "residual.3.gamma"] = (cout, 1, 1, 1)
        s[p + "residual.6.weight"], s[p + "residual.6.bias"] = (cout, cout, 3, 3, 3), (cout,)
        if cin != cout:
            s[p + "shortcut.weight"], s[p + "shortcut.bias"] = (cout, cin, 1, 1, 1), (cout,)

    def up(p, c, temporal):
        s[p + "resample.1.weight"], s[p + "resample.1.bias"] = (c // 2, c, 3, 3), (c // 2,)
        if temporal:
            s[p + "time_conv.weight"], s[p + "time_conv.bias"] = (2 * c, c, 3, 1, 1), (2 * c,)

    # Encoder-side keys the real file also holds; the checker must ignore them.
    s["conv1.weight"], s["conv1.bias"] = (32, 32, 1, 1, 1), (32,)
    s["encoder.conv1.weight"] = (96, 3, 3, 3, 3)
    s["conv2.weight"], s["conv2.bias"] = (16, 16, 1, 1, 1), (16,)
    s["decoder.conv1.weight"], s["decoder.conv1.bias"] = (384, 16, 3, 3, 3), (384,)
    rb("decoder.middle.0.", 384, 384)
    s["decoder.middle.1.norm.gamma"] = (384, 1, 1)
    s["decoder.middle.1.to_qkv.weight"], s["decoder.middle.1.to_qkv.bias"] = (1152, 384, 1, 1), (1152,)
    s["decoder.middle.1.proj.weight"], s["decoder.middle.1.proj.bias"] = (384, 384, 1, 1), (384,)
    rb("decoder.middle.2.", 384, 384)
    u = "decoder.upsamples.%d."
    for i in (0, 1, 2):
        rb(u % i, 384, 384)
    up(u % 3, 384, True)
    rb(u % 4, 192, 384)
    for i in (5, 6):
        rb(u % i, 384, 384)
    up(u % 7, 384, True)
    for i in (8, 9, 10):
        rb(u % i, 192, 192)
    up(u % 11, 192, False)
    for i in (12, 13, 14):
        rb(u % i, 96, 96)
    s["decoder.head.0.gamma"] = (96, 1, 1, 1)
    s["decoder.head.2.weight"], s["decoder.head.2.bias"] = (3, 96, 3, 3, 3), (3,)
    return s


def expanded(shapes, dtype):
    one = torch.zeros(1, dtype=dtype)
    return collections.OrderedDict((k, one.expand(*v)) for k, v in shapes.items())


def write_sparse_safetensors(path, shapes):
    header, offset = {}, 0
    for k, shape in shapes.items():
        n = 4
        for x in shape:
            n *= x
        header[k] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        f.truncate(8 + len(text) + offset)


def random_tensors(shapes, dtype):
    return collections.OrderedDict((k, (torch.randn(*v) * 0.02).to(dtype)) for k, v in shapes.items())


def main(out, random=False):
    os.makedirs(out, exist_ok=True)
    if random:
        from safetensors.torch import save_file
        torch.manual_seed(0)
        save_file(dict(random_tensors(dit_shapes(), torch.float32)),
                  os.path.join(out, "diffusion_pytorch_model_streaming_dmd.safetensors"))
        torch.save(random_tensors(lq_shapes(), torch.bfloat16), os.path.join(out, "LQ_proj_in.ckpt"))
        torch.save(random_tensors(tc_shapes(), torch.float32), os.path.join(out, "TCDecoder.ckpt"))
        torch.save(random_tensors(vae_shapes(), torch.float32), os.path.join(out, "Wan2.1_VAE.pth"))
        torch.save(torch.randn(1, 512, 4096).bfloat16(), os.path.join(out, "posi_prompt.pth"))
        return
    write_sparse_safetensors(os.path.join(out, "diffusion_pytorch_model_streaming_dmd.safetensors"), dit_shapes())
    torch.save(expanded(lq_shapes(), torch.bfloat16), os.path.join(out, "LQ_proj_in.ckpt"))
    torch.save(expanded(tc_shapes(), torch.float32), os.path.join(out, "TCDecoder.ckpt"))
    torch.save(expanded(vae_shapes(), torch.float32), os.path.join(out, "Wan2.1_VAE.pth"))
    torch.save(torch.zeros(1, dtype=torch.bfloat16).expand(1, 512, 4096), os.path.join(out, "posi_prompt.pth"))
    # Wrong variants for the tests: an LQ projector with one wrong shape, a DiT missing a block key.
    bad = lq_shapes()
    bad["conv1.weight"] = (2048, 768, 3, 3, 3)
    torch.save(expanded(bad, torch.bfloat16), os.path.join(out, "bad_LQ_proj_in.ckpt"))
    dit = dit_shapes()
    del dit["blocks.29.ffn.2.bias"]
    dit["blocks.30.extra"] = (4,)
    write_sparse_safetensors(os.path.join(out, "bad_dit.safetensors"), dit)
    counts = {"dit": len(dit_shapes()), "lq": len(lq_shapes()), "tc": len(tc_shapes())}
    print(json.dumps(counts))


if __name__ == "__main__":
    main(sys.argv[1], random="--random" in sys.argv[2:])
