"""Helpers shared by the golden generators: seeded initialisation, safetensors writing, size limits."""

from __future__ import annotations

import json
import math
import os

import torch
from safetensors.torch import save_file

MAX_FILE_BYTES = 1_000_000  # project rule: every golden file < 1 MB
MAX_TOTAL_BYTES = 11_000_000  # and all of them together < 11 MB (10 MB until block_taps)
GENERATOR = "tests/parity/tools/make_goldens.py"


def seeded_init(module: torch.nn.Module, seed: int, gain: float = 1.0, norm_jitter: float = 0.2,
                bias_std: float = 0.1) -> None:
    """Deterministic random init that keeps activations O(1).

    Matrices and kernels: N(0, gain^2 / fan_in), fan_in = prod(shape[1:]). 1-D norm weights and
    `gamma` tensors: 1 + N(0, norm_jitter^2) (so a port that ignores them fails). Biases:
    N(0, bias_std^2). `modulation` tensors: N(0, 1/dim) as the reference's own init. Parameters are
    visited in state_dict order, one generator for the whole module.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if leaf == "modulation":
                val = torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[-1])
            elif leaf == "gamma" or (leaf == "weight" and p.ndim == 1):
                val = 1.0 + norm_jitter * torch.randn(p.shape, generator=gen)
            elif leaf == "bias":
                val = bias_std * torch.randn(p.shape, generator=gen)
            elif p.ndim >= 2:
                fan_in = math.prod(p.shape[1:])
                val = torch.randn(p.shape, generator=gen) * (gain / math.sqrt(fan_in))
            else:
                val = torch.randn(p.shape, generator=gen)
            p.copy_(val.to(p.dtype))


def round_to_bf16(module: torch.nn.Module) -> None:
    """Round every parameter to a bf16-representable value (kept in fp32), so a bf16 file is exact."""
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(p.to(torch.bfloat16).to(p.dtype))


def weights(state_dict, prefix: str = "weight.", dtype=torch.float32) -> dict:
    return {prefix + k: v.detach().to(dtype).contiguous().clone() for k, v in state_dict.items()}


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    a = a.double()
    b = b.double()
    return float((a - b).norm() / max(b.norm().item(), 1e-300))


def psnr_pm1(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR between two [-1,1] images, peak-to-peak 2 (i.e. PSNR of the [0,1]-mapped images)."""
    mse = float(((a.double() - b.double()) ** 2).mean())
    return float("inf") if mse == 0 else 10.0 * math.log10(4.0 / mse)


class GoldenWriter:
    def __init__(self, root: str, reference: str):
        self.root = root
        self.reference = reference
        self.written = []

    def save(self, relpath: str, tensors: dict, description: str, config: dict,
             extra_meta: dict | None = None) -> str:
        """`extra_meta`: more top-level metadata strings (e.g. the keys a tap file reader wants)."""
        path = os.path.join(self.root, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tensors = {k: v.detach().contiguous() for k, v in tensors.items()}
        meta = {
            "description": description,
            "config": json.dumps(config, sort_keys=True),
            "generator": GENERATOR,
            "reference": self.reference,
        }
        meta.update({k: str(v) for k, v in (extra_meta or {}).items()})
        save_file(tensors, path, metadata=meta)
        self.add_file(path)
        return path

    def add_file(self, path: str) -> None:
        size = os.path.getsize(path)
        if size >= MAX_FILE_BYTES:
            raise RuntimeError(f"{path}: {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
        self.written.append((path, size))
        print(f"  wrote {os.path.relpath(path, self.root)} ({size} bytes)")
