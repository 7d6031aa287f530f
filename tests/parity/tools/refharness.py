"""Loads the official FlashVSR reference code from a checkout, without its package machinery.

Our own code (FlashVSR Studio). The reference files are never copied into this repository: at run time
they are copied from the checkout given on the command line into a temporary scratch package, next to
an exact stand-in for the `block_sparse_attn` CUDA extension. Shared by make_goldens.py (CPU, fp32,
reduced configurations) and gpu_reference.py (CUDA, bf16, full size).
"""

from __future__ import annotations

import importlib
import math
import os
import shutil
import sys
import tempfile
import types

import torch
import torch.nn.functional as F

# Scratch-package path -> path inside the reference checkout (spec section 7.3).
REFERENCE_FILES = {
    "models/utils.py": "diffsynth/models/utils.py",
    "models/wan_video_dit.py": "diffsynth/models/wan_video_dit.py",
    "models/wan_video_vae.py": "diffsynth/models/wan_video_vae.py",
    "schedulers/flow_match.py": "diffsynth/schedulers/flow_match.py",
    "pipelines/base.py": "diffsynth/pipelines/base.py",
    "pipelines/flashvsr_tiny_long.py": "diffsynth/pipelines/flashvsr_tiny_long.py",
    "pipelines/flashvsr_full.py": "diffsynth/pipelines/flashvsr_full.py",
    "wanvsr/utils.py": "examples/WanVSR/utils/utils.py",
    "wanvsr/TCDecoder.py": "examples/WanVSR/utils/TCDecoder.py",
}

PACKAGE = "fvsref"
BLOCK = 128


class BlockSparseStandIn:
    """Exact emulation of `block_sparse_attn_func` (spec section 3.4).

    Per head, the 128x128 block mask is expanded to tokens and dense attention is run under it with
    scale 1/sqrt(head_dim); query rows whose block selects no key block are written as zeros, as the
    kernel does. `mode` = "dense" (masked SDPA, rows processed in groups to bound memory) or "flex"
    (FlexAttention with a 128-token BlockMask; CUDA only). `on_call`, if set, receives every call's
    (q, k, v, base_blockmask, out) so callers can record taps.
    """

    def __init__(self, mode: str = "dense", rows_per_step: int = 4096):
        self.mode = mode
        self.rows_per_step = rows_per_step
        self.on_call = None
        self.calls = 0
        self._flex = None

    def __call__(self, q, k, v, cu_seqlens_q, cu_seqlens_k, head_mask_type, streaming_info,
                 base_blockmask, max_seqlen_q, max_seqlen_k, p_dropout, deterministic=False,
                 softmax_scale=None, is_causal=False, exact_streaming=False,
                 return_attn_probs=False):
        assert p_dropout == 0.0 and not is_causal and streaming_info is None
        assert not exact_streaming and not return_attn_probs
        lq, heads, head_dim = q.shape
        lk = k.shape[0]
        assert lq % BLOCK == 0 and lk % BLOCK == 0, f"q {tuple(q.shape)} k {tuple(k.shape)}"
        assert base_blockmask.shape == (1, heads, lq // BLOCK, lk // BLOCK), \
            f"mask {tuple(base_blockmask.shape)} for q {tuple(q.shape)} k {tuple(k.shape)}"
        assert torch.all(head_mask_type == 1)
        scale = softmax_scale if softmax_scale is not None else 1.0 / math.sqrt(head_dim)
        if self.mode == "flex":
            out = self._flex_attention(q, k, v, base_blockmask[0], scale)
        else:
            out = self._dense(q, k, v, base_blockmask[0], scale)
        self.calls += 1
        if self.on_call is not None:
            self.on_call(q, k, v, base_blockmask, out)
        return out

    def _dense(self, q, k, v, block_mask, scale):
        lq, heads, _ = q.shape
        out = torch.empty_like(q)
        step = max(BLOCK, (self.rows_per_step // BLOCK) * BLOCK)
        for h in range(heads):
            kh = k[:, h][None, None]  # (1, 1, Lk, D): 4-D so CUDA can use a fused masked kernel
            vh = v[:, h][None, None]
            for r0 in range(0, lq, step):
                r1 = min(lq, r0 + step)
                bm = block_mask[h, r0 // BLOCK:r1 // BLOCK]  # (rows/128, Lk/128)
                tok = bm.repeat_interleave(BLOCK, 0).repeat_interleave(BLOCK, 1)
                o = F.scaled_dot_product_attention(q[r0:r1, h][None, None], kh, vh,
                                                   attn_mask=tok[None, None], scale=scale)[0, 0]
                empty = (~bm.any(dim=1)).repeat_interleave(BLOCK)  # query rows with no key block
                out[r0:r1, h] = o.masked_fill(empty.unsqueeze(1), 0.0)
        return out

    def _flex_attention(self, q, k, v, block_mask, scale):
        from torch.nn.attention.flex_attention import BlockMask, flex_attention
        if self._flex is None:
            self._flex = torch.compile(flex_attention, dynamic=False)
        heads, nq, nk = block_mask.shape
        bm = block_mask.to(torch.int32)
        kv_num = bm.sum(-1).to(torch.int32)[None]  # (1, H, nq)
        kv_idx = torch.argsort(bm, dim=-1, descending=True, stable=True).to(torch.int32)[None]
        mask = BlockMask.from_kv_blocks(kv_num, kv_idx, BLOCK_SIZE=BLOCK,
                                        seq_lengths=(nq * BLOCK, nk * BLOCK))
        qh, kh, vh = (t.permute(1, 0, 2).unsqueeze(0) for t in (q, k, v))  # (1, H, L, D)
        out = self._flex(qh, kh, vh, block_mask=mask, scale=scale)
        # FlexAttention already returns 0 for rows with no unmasked key; keep the kernel's contract
        # explicit anyway.
        empty = (kv_num[0] == 0).repeat_interleave(BLOCK, dim=1)  # (H, Lq)
        out = out[0].masked_fill(empty.unsqueeze(-1), 0.0)
        return out.permute(1, 0, 2).contiguous()


class Reference:
    """The imported reference modules plus the active block-sparse stand-in."""

    def __init__(self, root: str, attention: str = "dense"):
        self.root = os.path.abspath(root)
        self.bsa = BlockSparseStandIn(attention)
        self._tmp = tempfile.mkdtemp(prefix="fvsref-")
        self._build_package()
        self._install_stubs()
        sys.path.insert(0, self._tmp)
        self.dit = importlib.import_module(f"{PACKAGE}.models.wan_video_dit")
        self.vae = importlib.import_module(f"{PACKAGE}.models.wan_video_vae")
        self.tiny_long = importlib.import_module(f"{PACKAGE}.pipelines.flashvsr_tiny_long")
        self.full = importlib.import_module(f"{PACKAGE}.pipelines.flashvsr_full")
        self.lq = importlib.import_module(f"{PACKAGE}.wanvsr.utils")
        self.tcd = importlib.import_module(f"{PACKAGE}.wanvsr.TCDecoder")
        # Cross-attention must take the SDPA branch (spec 7.3 item 4).
        for name in ("FLASH_ATTN_3_AVAILABLE", "FLASH_ATTN_2_AVAILABLE", "SAGE_ATTN_AVAILABLE"):
            assert getattr(self.dit, name) is False, f"{name} is set: {name} must not be importable"

    def _build_package(self):
        pkg = os.path.join(self._tmp, PACKAGE)
        for sub in ("", "models", "schedulers", "pipelines", "wanvsr"):
            os.makedirs(os.path.join(pkg, sub), exist_ok=True)
            init = os.path.join(pkg, sub, "__init__.py")
            with open(init, "w") as f:
                # The real models/__init__ imports every model of DiffSynth; the pipelines only need
                # the name ModelManager to exist.
                f.write("ModelManager = None\n" if sub == "models" else "")
        for dst, src in REFERENCE_FILES.items():
            path = os.path.join(self.root, src)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"reference file missing: {path}")
            shutil.copyfile(path, os.path.join(pkg, dst))

    def _install_stubs(self):
        for name in ("flash_attn", "flash_attn_interface", "sageattention"):
            sys.modules[name] = None  # makes `import name` raise ModuleNotFoundError
        bsa = types.ModuleType("block_sparse_attn")
        bsa.block_sparse_attn_func = self.bsa
        sys.modules["block_sparse_attn"] = bsa
        try:
            import torchvision.transforms  # noqa: F401  (base.py imports GaussianBlur only)
        except Exception:
            tv = types.ModuleType("torchvision")
            tvt = types.ModuleType("torchvision.transforms")

            class GaussianBlur:  # never called by the FlashVSR pipelines
                def __init__(self, *a, **k):
                    raise RuntimeError("GaussianBlur stub called")

            tvt.GaussianBlur = GaussianBlur
            tv.transforms = tvt
            sys.modules["torchvision"] = tv
            sys.modules["torchvision.transforms"] = tvt

    def cleanup(self):
        shutil.rmtree(self._tmp, ignore_errors=True)


def reference_commit(root: str) -> str:
    """Best-effort description of the checkout (commit id if it is a git work tree)."""
    head = os.path.join(root, ".git", "HEAD")
    if os.path.isfile(head):
        return open(head).read().strip()
    marker = os.path.join(root, "REFERENCE_COMMIT")
    if os.path.isfile(marker):
        return open(marker).read().strip()
    return "unknown"


def _selftest() -> None:
    """Checks both stand-ins against a float64 brute force (masked softmax, empty rows -> 0)."""
    gen = torch.Generator().manual_seed(0)
    q = torch.randn(512, 3, 32, generator=gen)
    k = torch.randn(768, 3, 32, generator=gen)
    v = torch.randn(768, 3, 32, generator=gen)
    mask = torch.rand(1, 3, 4, 6, generator=gen) < 0.4
    mask[0, 1, 2] = False  # an empty query block
    scores = torch.einsum("qhd,khd->hqk", q.double(), k.double()) / math.sqrt(32)
    tok = mask[0].repeat_interleave(BLOCK, 1).repeat_interleave(BLOCK, 2)
    p = torch.softmax(scores.masked_fill(~tok, -float("inf")), -1).nan_to_num(0.0)
    expected = torch.einsum("hqk,khd->qhd", p, v.double())
    modes = ["dense", "flex"] if len(sys.argv) > 2 and sys.argv[2] == "--flex" else ["dense"]
    for mode in modes:
        out = BlockSparseStandIn(mode)(q, k, v, None, None, torch.ones(3, dtype=torch.int32), None,
                                       mask, 512, 768, 0.0)
        err = float((out.double() - expected).norm() / expected.norm())
        assert err < 1e-6 and float(out[256:384, 1].abs().max()) == 0.0, (mode, err)
        print(f"{mode} stand-in: rel error {err:.2e} against float64, empty block zeroed")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--selftest":
        _selftest()
    else:
        print("usage: refharness.py --selftest [--flex]")
