#!/usr/bin/env python3
"""Generates the CPU parity goldens under tests/data/parity/ from the official FlashVSR code.

Usage (see README.md next to this file):
    python make_goldens.py REFERENCE_CHECKOUT [--out tests/data/parity] [--only NAME ...]

Everything runs on the CPU in fp32 with seeded random weights and REDUCED configurations. The
reference's own modules and pipeline do the work; this file only builds inputs, wires the modules
and records their outputs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from goldens_common import (MAX_TOTAL_BYTES, GoldenWriter, psnr_pm1, rel_err,  # noqa: E402
                            round_to_bf16, seeded_init, weights)
from refharness import Reference, reference_commit  # noqa: E402

# The reduced DiT shared by `constants` and `e2e_v11` (head_dim 48 -> RoPE split 16/16/16).
E2E_DIT = dict(dim=96, in_dim=16, ffn_dim=192, out_dim=16, text_dim=32, freq_dim=256, eps=1e-6,
               patch_size=(1, 2, 2), num_heads=2, num_layers=2)
E2E_PROMPT_LEN = 16
E2E_LQ = dict(conv1=8, conv2=16)
E2E_TC = [8, 8, 8, 8]
POOL = 8  # e2e output frames are stored average-pooled 8x8 (all) + one full frame per chunk


# ----------------------------------------------------------------------------------------------
# Builders of reduced reference modules
# ----------------------------------------------------------------------------------------------
def build_lq_proj(ref: Reference, cls_name: str, out_dim: int, c1: int, c2: int, seed: int):
    """A reference LQ projector class with reduced hidden widths.

    The classes hard-code 2048/3072; they are constructed on the meta device (no memory) and their
    four layers replaced by the reference's own CausalConv3d / RMS_norm / Linear at reduced width.
    forward/stream_forward never read the hidden sizes, so the code path is the reference's.
    """
    cls = getattr(ref.lq, cls_name)
    with torch.device("meta"):
        m = cls(in_dim=3, out_dim=out_dim, layer_num=1)
    unshuffled = 3 * m.ff * m.hh * m.ww
    m.conv1 = ref.lq.CausalConv3d(unshuffled, c1, (4, 3, 3), stride=(2, 1, 1), padding=(1, 1, 1))
    m.norm1 = ref.lq.RMS_norm(c1, images=False)
    m.conv2 = ref.lq.CausalConv3d(c1, c2, (4, 3, 3), stride=(2, 1, 1), padding=(1, 1, 1))
    m.norm2 = ref.lq.RMS_norm(c2, images=False)
    m.linear_layers = torch.nn.ModuleList([torch.nn.Linear(c2, out_dim)])
    m.hidden_dim1, m.hidden_dim2 = c1, c2
    for p in m.parameters():
        assert p.device.type == "cpu", "a meta parameter was left in the LQ projector"
    seeded_init(m, seed)
    round_to_bf16(m)  # the release stores LQ_proj_in.ckpt in bf16; keep ours exact in bf16
    return m.float().eval()


def build_tc_decoder(ref: Reference, channels, seed: int):
    m = ref.tcd.build_tcdecoder(new_channels=channels, device="cpu", dtype=torch.float32,
                                new_latent_channels=16 + 768)
    # He gain keeps the ReLU stack O(1); IdentityConv2d layers become random too (a port that
    # skipped them would otherwise pass).
    seeded_init(m, seed, gain=2 ** 0.5)
    m.clean_mem()
    return m


def build_dit(ref: Reference, cfg: dict, seed: int):
    m = ref.dit.WanModel(**cfg)
    seeded_init(m, seed)
    round_to_bf16(m)  # the e2e model folder stores the DiT in bf16; keep every copy exact
    return m.eval()


def lq_schedule(num_chunks: int):
    """LR frame slices of every LQ-projector call (spec 2.5), grouped by chunk."""
    chunks = [[(max(0, i * 4 - 3), (i + 1) * 4 - 3) for i in range(7)]]
    for k in range(1, num_chunks):
        chunks.append([(k * 8 + 17 + j * 4, k * 8 + 21 + j * 4) for j in range(2)])
    return chunks


# ----------------------------------------------------------------------------------------------
# Components
# ----------------------------------------------------------------------------------------------
def gen_color_fix(ref: Reference, out: GoldenWriter):
    gen = torch.Generator().manual_seed(101)
    shape = (1, 3, 2, 32, 48)  # (B, C, f, H, W)
    hr = 0.7 * torch.randn(shape, generator=gen) + 0.05  # some values beyond [-1,1]: clamp matters
    lr = 0.4 * torch.randn(shape, generator=gen) - 0.1
    cc = ref.tiny_long.TorchColorCorrectorWavelet(levels=5)
    adain = cc(hr, lr, clip_range=(-1, 1), chunk_size=None, method="adain")
    wavelet = cc(hr, lr, clip_range=(-1, 1), chunk_size=None, method="wavelet")
    hr4, b, f = cc._flatten_time(hr)
    lr4, _, _ = cc._flatten_time(lr)
    adain_raw = cc._unflatten_time(ref.tiny_long._adain(hr4, lr4), b, f)
    wavelet_raw = cc._unflatten_time(ref.tiny_long._wavelet_reconstruct(hr4, lr4, levels=5), b, f)
    assert torch.equal(adain, adain_raw.clamp(-1, 1)) and torch.equal(wavelet, wavelet_raw.clamp(-1, 1))
    out.save("color_fix.safetensors", {
        "input.hr": hr, "input.lr": lr,
        "output.adain": adain, "output.wavelet": wavelet,
        "tap.adain_unclamped": adain_raw, "tap.wavelet_unclamped": wavelet_raw,
    }, "TorchColorCorrectorWavelet(levels=5) in fp32: AdaIN and wavelet, clamp to [-1,1]",
        {"levels": 5, "clip_range": [-1, 1], "eps": 1e-5, "layout": "B,C,f,H,W"})


def gen_tc_decoder(ref: Reference, out: GoldenWriter):
    channels = [16, 16, 8, 8]
    H, W = 24, 40  # non-square, small: latent 3x5
    tc = build_tc_decoder(ref, channels, seed=201)
    round_to_bf16(tc)  # stored in bf16 (exact) to fit the size budget
    mem_idx = [i for i, b in enumerate(tc.decoder) if isinstance(b, ref.tcd.MemBlock)]
    assert mem_idx == [5, 6, 7, 11, 12, 13, 17, 18, 19], mem_idx
    cfg = {"channels": channels, "latent_channels": 16, "cond_channels": 768,
           "decoder_layers": len(tc.decoder), "memblock_layers": mem_idx, "frames_to_trim": 3,
           "H": H, "W": W}
    out.save("tc_decoder/weights.safetensors", weights(tc.state_dict(), dtype=torch.bfloat16),
             "Reduced TC decoder weights (bf16, exact; cast to fp32); keys = TCDecoder.ckpt keys "
             "prefixed with 'weight.'", cfg)
    gen = torch.Generator().manual_seed(202)
    plan = [(6, 21), (2, 8), (2, 8)]  # (latent frames, cond frames) per chunk
    lat_all, cond_all, out_all = [], [], []
    for k, (nl, nc) in enumerate(plan):
        # bf16-exact inputs (both are bf16 in the reference pipeline), stored as bf16
        lat = torch.randn((1, 16, nl, H // 8, W // 8), generator=gen).bfloat16().float()
        cond = (torch.rand((1, 3, nc, H, W), generator=gen) * 2 - 1).bfloat16().float()
        # What FlashVSRTinyLongPipeline does per chunk: NTCHW in, then .transpose(1,2)*2-1.
        y = tc.decode_video(lat.transpose(1, 2), parallel=False, show_progress_bar=False,
                            cond=cond).transpose(1, 2).mul_(2).sub_(1)
        tensors = {"input.latents": lat.bfloat16(), "input.cond": cond.bfloat16(),
                   "output.frames": y}
        for i in mem_idx:
            tensors[f"tap.mem.{i}"] = tc.mem[i].clone()
        out.save(f"tc_decoder/chunk{k}.safetensors", tensors,
                 f"TC decoder chunk {k}: decode_video(latents, cond) with state carried from the "
                 f"previous chunks; output mapped x*2-1, before colour fix",
                 dict(cfg, chunk=k, latent_frames=nl, cond_frames=nc, output_frames=y.shape[2]))
        lat_all.append(lat)
        cond_all.append(cond)
        out_all.append(y)
    # Stream-vs-whole-clip equivalence (spec 7.2): a fresh decoder over the whole clip.
    tc.clean_mem()
    whole = tc.decode_video(torch.cat(lat_all, 2).transpose(1, 2), parallel=False,
                            cond=torch.cat(cond_all, 2)).transpose(1, 2).mul_(2).sub_(1)
    diff = float((whole - torch.cat(out_all, 2)).abs().max())
    print(f"  tc_decoder: whole-clip vs per-chunk max abs diff {diff:.3e}")


def gen_lq_proj(ref: Reference, out: GoldenWriter):
    out_dim, c1, c2 = 96, E2E_LQ["conv1"], E2E_LQ["conv2"]
    H, W, frames = 32, 32, 41
    gen = torch.Generator().manual_seed(302)
    # HR-sized LQ frames in [-1,1], bf16-exact (the pipeline feeds bf16), stored as bf16
    video = (torch.rand((1, 3, frames, H, W), generator=gen) * 2 - 1).bfloat16().float()
    sched = lq_schedule(3)
    calls = [s for chunk in sched for s in chunk]
    cfg_base = {"out_dim": out_dim, "hidden_dim1": c1, "hidden_dim2": c2, "layer_num": 1,
                "H": H, "W": W, "frames": frames, "calls": calls,
                "chunks": [[i for i in range(len(calls)) if calls[i] in ch] for ch in sched]}
    first = None
    for version, cls_name in (("v1", "Buffer_LQ4x_Proj"), ("v11", "Causal_LQ4x_Proj")):
        m = build_lq_proj(ref, cls_name, out_dim, c1, c2, seed=301)  # same weights for both
        if first is None:
            first = m
            shared = weights(m.state_dict(), dtype=torch.bfloat16)
            shared["input.video"] = video.bfloat16()
            out.save("lq_proj/weights.safetensors", shared,
                     "Reduced LQ projector weights (bf16, exact; cast to fp32), keys = "
                     "LQ_proj_in.ckpt keys prefixed with 'weight.'; shared by v1 and v11; and the "
                     "input video (1,3,F,H,W) bf16 (cast to fp32)", cfg_base)
        else:
            for (ka, va), (kb, vb) in zip(first.state_dict().items(), m.state_dict().items()):
                assert ka == kb and torch.equal(va, vb)
        m.clear_cache()
        tensors = {}
        for i, (a, b) in enumerate(calls):
            y = m.stream_forward(video[:, :, a:b])
            if i == 0:
                assert y is None  # priming call
                continue
            tensors[f"output.call{i:02d}"] = y[0]
        tensors["tap.cache_conv1"] = m.cache["conv1"]
        tensors["tap.cache_conv2"] = m.cache["conv2"]
        out.save(f"lq_proj/{version}.safetensors", tensors,
                 f"{cls_name}.stream_forward over the chunk schedule (3 chunks, fp32)",
                 dict(cfg_base, version=version, cls=cls_name))


def gen_constants(ref: Reference, out: GoldenWriter):
    dit = build_dit(ref, E2E_DIT, seed=401)
    gen = torch.Generator().manual_seed(402)
    ctx = torch.randn((1, E2E_PROMPT_LEN, E2E_DIT["text_dim"]), generator=gen).bfloat16().float()
    pipe = ref.tiny_long.FlashVSRTinyLongPipeline(device="cpu", torch_dtype=torch.float32)
    pipe.dit = dit
    pipe.init_cross_kv(context_tensor=ctx)
    sinus = ref.dit.sinusoidal_embedding_1d(dit.freq_dim, pipe.timestep)
    keys = [k for k in dit.state_dict() if k.startswith(("text_embedding.", "time_embedding.",
                                                         "time_projection."))
            or ".cross_attn.k." in k or ".cross_attn.v." in k or ".cross_attn.norm_k." in k]
    sd = dit.state_dict()
    tensors = weights({k: sd[k] for k in keys}, dtype=torch.bfloat16)
    tensors.update({
        "input.context": ctx, "input.timestep": pipe.timestep,
        "output.ctx_txt": dit.text_embedding(ctx), "output.sinusoid": sinus,
        "output.t": pipe.t, "output.t_mod": pipe.t_mod,
    })
    for b, blk in enumerate(dit.blocks):
        tensors[f"output.cross_k.{b}"] = blk.cross_attn.cache_k
        tensors[f"output.cross_v.{b}"] = blk.cross_attn.cache_v
    out.save("constants.safetensors", tensors,
             "init_cross_kv of the reduced e2e DiT in fp32: ctx_txt, sinusoid(1000) (float64 then "
             "fp32), t, t_mod, per-block cross K (RMSNorm k applied) and V",
             dict(E2E_DIT, patch_size=list(E2E_DIT["patch_size"]), prompt_len=E2E_PROMPT_LEN))


def window_inputs(gen, windows: int, dim: int):
    """q/k in window order with a strong per-window component, so block means are well separated
    (mask selection must not hinge on summation order)."""
    # 0.5: peaked enough for clear margins, flat enough that some query blocks select nothing
    per_window = 0.5 * torch.randn((windows, 1, dim), generator=gen)
    x = per_window + 0.5 * torch.randn((windows, 128, dim), generator=gen)
    return x.bfloat16().float()  # bf16-exact like the reference's q/k; stored as bf16


def slab_margin(ref: Reference, q_w, k_w, heads, seqlen, topk, local):
    """Smallest relative gap around the top-k threshold over all (head, query-group) slabs."""
    from einops import rearrange
    qm = rearrange(q_w.mean(1), "s (h d) -> h s d", h=heads)
    km = rearrange(k_w.mean(1), "s (h d) -> h s d", h=heads)
    scores = torch.einsum("hld,hmd->hlm", qm, km) / qm.shape[-1] ** 0.5
    lm = local.unsqueeze(1).unsqueeze(0).repeat(scores.shape[1] // local.shape[0], 1,
                                                scores.shape[2] // local.shape[1], 1)
    lm = rearrange(lm, "x a y b -> (x a) (y b)")
    scores = scores.masked_fill(~lm, -float("inf"))
    p = torch.softmax(scores, -1)
    flat = rearrange(p, "h (it s1) s2 -> (h it) (s1 s2)", it=seqlen)
    kk = min(flat.shape[1] - 1, topk)
    vals = flat.sort(dim=1, descending=True).values
    thr = vals[:, kk]
    above = vals[:, kk - 1] if kk >= 1 else vals[:, 0]
    gaps = []
    for r in range(vals.shape[0]):
        t = thr[r]
        if t == 0:  # ties at an exact 0 (locally masked) are exact in any implementation
            gaps.append(float((above[r] - t) / max(float(above[r]), 1e-30)) if above[r] > 0 else 1.0)
            continue
        below = vals[r, kk + 1] if kk + 1 < vals.shape[1] else torch.tensor(0.0)
        gaps.append(float(min(above[r] - t, t - below) / t) if above[r] != t else 0.0)
    return min(gaps), p


def gen_lcsa_mask(ref: Reference, out: GoldenWriter):
    cases = [
        # name, h, w, f, cached groups, heads, head_dim, topk_ratio, local_range, seed
        ("sparse_chunk0", 32, 24, 6, 0, 2, 8, 0.8, 3, 501),
        ("sparse_chunkk", 32, 24, 2, 3, 2, 8, 0.8, 3, 502),
        ("dense_chunk0", 16, 16, 6, 0, 2, 8, 30.0, 11, 503),
    ]
    for name, h, w, f, cached, heads, hd, ratio, R, seed in cases:
        dim = heads * hd
        ws = 2 * h * w // 128
        seqlen = f // 2
        topk = int(ws * ws * ratio) - 1
        gen = torch.Generator().manual_seed(seed)
        for attempt in range(20):
            q_w = window_inputs(gen, seqlen * ws, dim)
            k_w = window_inputs(gen, (seqlen + cached) * ws, dim)
            local = ref.dit.build_local_block_mask_shifted_vec_normal_slide(
                h // 8, w // 8, R, R, include_self=True)
            mask = ref.dit.generate_draft_block_mask(1, heads, seqlen, q_w, k_w, topk=topk,
                                                     local_attn_mask=local)
            margin, p = slab_margin(ref, q_w, k_w, heads, seqlen, topk, local)
            empty = int((~mask[0].any(-1)).sum())
            if margin > 1e-4 and (empty > 0 or name.startswith("dense")):
                break
        else:
            raise RuntimeError(f"lcsa_mask {name}: no well-separated input with empty blocks")
        cfg = {"h": h, "w": w, "f": f, "seqlen": seqlen, "cached_groups": cached, "heads": heads,
               "head_dim": hd, "window_size_ws": ws, "topk_ratio": ratio, "topk": topk,
               "local_range": R, "empty_query_blocks": empty,
               "selected_blocks": int(mask.sum()), "total_blocks": mask.numel(),
               "min_relative_threshold_margin": margin}
        out.save(f"lcsa_mask/{name}.safetensors", {
            "input.q_w": q_w.bfloat16(), "input.k_w": k_w.bfloat16(), "output.local_mask": local,
            "output.block_mask": mask, "tap.attn_map": p,
        }, "generate_draft_block_mask on window-order q/k (k includes any cached groups)", cfg)
        print(f"  lcsa_mask {name}: empty query blocks {empty}, selected "
              f"{int(mask.sum())}/{mask.numel()}, margin {margin:.2e}")


def gen_dit_block(ref: Reference, out: GoldenWriter):
    dim, heads, ffn, hd = 48, 2, 96, 24
    h, w = 8, 16
    ws = 2 * h * w // 128
    kv_ratio = 3.0
    blk = ref.dit.DiTBlock(dim, heads, ffn, 1e-6)
    seeded_init(blk, 601)
    blk.eval()
    gen = torch.Generator().manual_seed(602)
    ctx_txt = torch.randn((1, 16, dim), generator=gen)
    t_mod = 0.3 * torch.randn((1, 6, dim), generator=gen)
    blk.cross_attn.init_cache(ctx_txt)
    f_t, h_t, w_t = ref.dit.precompute_freqs_cis_3d(hd)
    rows = 64
    cfg_base = {"dim": dim, "num_heads": heads, "head_dim": hd, "ffn_dim": ffn, "eps": 1e-6,
                "h": h, "w": w, "window_size_ws": ws, "kv_ratio": kv_ratio,
                "kv_len": int(kv_ratio),
                "rope_split": [f_t.shape[1] * 2, h_t.shape[1] * 2, w_t.shape[1] * 2]}
    shared = weights({"blocks.0." + k: v for k, v in blk.state_dict().items()})
    shared.update({
        "input.ctx_txt": ctx_txt, "input.t_mod": t_mod,
        "input.cross_k": blk.cross_attn.cache_k, "input.cross_v": blk.cross_attn.cache_v,
        "input.rope_t": torch.view_as_real(f_t[:rows]).contiguous(),
        "input.rope_h": torch.view_as_real(h_t[:rows]).contiguous(),
        "input.rope_w": torch.view_as_real(w_t[:rows]).contiguous(),
    })
    out.save("dit_block/block.safetensors", shared,
             "One reduced DiT block (keys as in the DiT file, block 0), its inputs shared by all "
             "chunks, and the first 64 rows of the RoPE tables (complex128 as (rows, pairs, 2) "
             "float64, from precompute_freqs_cis_3d(head_dim))", cfg_base)

    injected = {}
    orig_mask_fn = ref.dit.generate_draft_block_mask

    def inject(batch_size, nheads, seqlen, q_w, k_w, topk=10, local_attn_mask=None):
        m = injected["mask"]
        assert m.shape == (1, nheads, q_w.shape[0], k_w.shape[0]), (m.shape, q_w.shape, k_w.shape)
        return m

    taps = {}

    def on_call(q, k, v, mask, o):
        taps.update(q=q.clone(), k=k.clone(), v=v.clone(), attn=o.clone())

    sa_out = {}
    hook = blk.self_attn.register_forward_hook(lambda mod, inp, outp: sa_out.update(y=outp[0]))
    ref.dit.generate_draft_block_mask = inject
    ref.bsa.on_call = on_call
    try:
        cache_k = cache_v = None
        for k in range(2):
            f = 6 if k == 0 else 2
            t0 = 0 if k == 0 else 4 + 2 * k
            freqs = torch.cat([
                f_t[t0:t0 + f].view(f, 1, 1, -1).expand(f, h, w, -1),
                h_t[:h].view(1, h, 1, -1).expand(f, h, w, -1),
                w_t[:w].view(1, 1, w, -1).expand(f, h, w, -1)], dim=-1).reshape(f * h * w, 1, -1)
            x = torch.randn((1, f * h * w, dim), generator=gen)
            lq_win = f // 2 * ws
            lk_win = lq_win + (0 if cache_k is None else cache_k.shape[0])
            mask = torch.rand((1, heads, lq_win, lk_win), generator=gen) < 0.55
            mask[0, 0, 1] = False  # an empty query block (head 0, block 1) in every chunk
            mask[0, 1, 0] = True
            injected["mask"] = mask
            y, ck, cv = blk(x, None, t_mod, freqs, f, h, w, f // 2, 0, block_id=0,
                            kv_len=int(kv_ratio), is_full_block=False, is_stream=True,
                            pre_cache_k=cache_k, pre_cache_v=cache_v, local_range=11)
            cfg = dict(cfg_base, chunk=k, f=f, rope_t0=t0, lq_windows=lq_win, lk_windows=lk_win,
                       cache_groups_in=0 if cache_k is None else cache_k.shape[0] // ws,
                       cache_groups_out=ck.shape[0] // ws)
            io = {"input.x": x, "input.block_mask": mask, "output.x": y,
                  "output.cache_k": ck, "output.cache_v": cv}
            # k as passed to the kernel is cat(input cache, new k); only the new part is stored.
            tp = {"tap.q": taps["q"], "tap.k_new": taps["k"][-taps["q"].shape[0]:],
                  "tap.attn": taps["attn"], "tap.self_attn_out": sa_out["y"]}
            desc = (f"DiTBlock chunk {k} (is_stream, injected block mask; input KV cache = output "
                    f"cache of chunk {k - 1} if k > 0); taps: q and the new k after RoPE in window "
                    f"order as passed to block_sparse_attn, attention output in window order, "
                    f"self-attention output after o")
            if k == 0:
                out.save("dit_block/chunk0.safetensors", io, desc, cfg)
                out.save("dit_block/chunk0_taps.safetensors", tp, desc, cfg)
            else:
                io.update(tp)
                out.save(f"dit_block/chunk{k}.safetensors", io, desc, cfg)
            cache_k, cache_v = ck, cv
    finally:
        ref.dit.generate_draft_block_mask = orig_mask_fn
        ref.bsa.on_call = None
        hook.remove()


# ----------------------------------------------------------------------------------------------
# End to end (Tiny-Long pipeline), model folder in the official formats
# ----------------------------------------------------------------------------------------------
def lr_to_lq(lr_u8: torch.Tensor, scale: int) -> torch.Tensor:
    """(F, h, w, 3) uint8 -> (1, 3, F, h*scale, w*scale) fp32 in [-1,1]; documented in README."""
    x = lr_u8.permute(0, 3, 1, 2).to(torch.float32) / 255.0 * 2.0 - 1.0  # (F,3,h,w)
    x = F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)  # (F,3,H,W)
    return x.permute(1, 0, 2, 3).unsqueeze(0).contiguous()  # (1,3,F,H,W)


def run_tiny_long(ref, dit, lq_proj, tc, ctx, lq, noise, cfgp, record=None):
    pipe = ref.tiny_long.FlashVSRTinyLongPipeline(device="cpu", torch_dtype=torch.float32)
    pipe.dit = dit
    dit.LQ_proj_in = lq_proj
    pipe.TCDecoder = tc
    pipe.init_cross_kv(context_tensor=ctx)
    pipe.generate_noise = lambda *a, **k: noise.clone()
    F_, H, W = lq.shape[2], lq.shape[3], lq.shape[4]
    orig_decode = tc.decode_video
    z0s, masks = [], []

    def decode(x, *a, **k):
        z0s.append(x.transpose(1, 2).clone())
        return orig_decode(x, *a, **k)

    tc.decode_video = decode
    ref.bsa.on_call = lambda q, k, v, m, o: masks.append(m.clone())
    try:
        frames = pipe(prompt="", negative_prompt="", cfg_scale=1.0, num_inference_steps=1, seed=0,
                      LQ_video=lq, num_frames=F_, height=H, width=W, is_full_block=False,
                      if_buffer=True, topk_ratio=cfgp["topk_ratio"], kv_ratio=cfgp["kv_ratio"],
                      local_range=cfgp["local_range"], color_fix=True)
    finally:
        tc.decode_video = orig_decode
        ref.bsa.on_call = None
    return frames, z0s, masks


def gen_e2e_v11(ref: Reference, out: GoldenWriter):
    folder = "e2e_v11"
    root = os.path.join(out.root, folder)
    os.makedirs(root, exist_ok=True)
    scale, lr_h, lr_w, n_in = 4, 32, 64, 37
    H, W = lr_h * scale, lr_w * scale
    # topk_ratio = 0.03125*768*1280/(128*256) = 0.9375 exactly -> topk = int(4*0.9375)-1 = 2:
    # 2 of the 12 (chunk 0) or 16 (chunk k) block pairs of a (head, query group) slab are kept,
    # so a query block often selects nothing (empty query blocks are exercised)
    sparse_ratio = 0.03125
    cfgp = {"sparse_ratio": sparse_ratio, "topk_ratio": sparse_ratio * 768 * 1280 / (H * W),
            "kv_ratio": 3.0, "local_range": 3}
    dit = build_dit(ref, E2E_DIT, seed=401)  # same weights as constants.safetensors
    lq_proj = build_lq_proj(ref, "Causal_LQ4x_Proj", E2E_DIT["dim"], E2E_LQ["conv1"],
                            E2E_LQ["conv2"], seed=701)
    tc = build_tc_decoder(ref, E2E_TC, seed=702)
    gen = torch.Generator().manual_seed(402)
    ctx = torch.randn((1, E2E_PROMPT_LEN, E2E_DIT["text_dim"]), generator=gen).bfloat16().float()

    # Model folder in the release formats and names.
    from safetensors.torch import save_file
    dit_sd = {k: v.to(torch.bfloat16).contiguous() for k, v in dit.state_dict().items()}
    save_file(dit_sd, os.path.join(root, "diffusion_pytorch_model_streaming_dmd.safetensors"))
    lq_bf16 = lq_proj.to(torch.bfloat16)
    torch.save(lq_bf16.state_dict(), os.path.join(root, "LQ_proj_in.ckpt"))
    lq_proj = lq_bf16.float()
    torch.save(tc.state_dict(), os.path.join(root, "TCDecoder.ckpt"))
    torch.save(ctx.to(torch.bfloat16), os.path.join(root, "posi_prompt.pth"))
    config = {"version": "v1.1", "lq_proj_class": "Causal_LQ4x_Proj",
              "num_heads": E2E_DIT["num_heads"], "num_layers": E2E_DIT["num_layers"],
              "dim": E2E_DIT["dim"], "ffn_dim": E2E_DIT["ffn_dim"],
              "text_dim": E2E_DIT["text_dim"], "freq_dim": E2E_DIT["freq_dim"],
              "eps": E2E_DIT["eps"], "patch_size": list(E2E_DIT["patch_size"]),
              "lq_hidden_dims": [E2E_LQ["conv1"], E2E_LQ["conv2"]], "tc_channels": E2E_TC,
              "prompt_len": E2E_PROMPT_LEN, "scale": scale, **cfgp}
    with open(os.path.join(root, "flashvsr_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    for name in ("diffusion_pytorch_model_streaming_dmd.safetensors", "LQ_proj_in.ckpt",
                 "TCDecoder.ckpt", "posi_prompt.pth", "flashvsr_config.json"):
        out.add_file(os.path.join(root, name))

    # Inputs: smooth-ish LR video (random low-res pattern upsampled + noise), frame bookkeeping of
    # the official scripts (append 4 copies of the last frame, keep the largest 8n+1).
    base = torch.rand((n_in, 3, lr_h // 4, lr_w // 4), generator=gen)
    base = F.interpolate(base, size=(lr_h, lr_w), mode="bilinear", align_corners=False)
    drift = torch.linspace(0, 1, n_in).view(n_in, 1, 1, 1)
    lr = (base * 0.7 + 0.3 * torch.rand((n_in, 3, lr_h, lr_w), generator=gen) * drift)
    lr_u8 = (lr.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()
    idx = list(range(n_in)) + [n_in - 1] * 4
    F_ = ((len(idx) - 1) // 8) * 8 + 1
    idx = idx[:F_]
    lq = lr_to_lq(lr_u8[idx], scale)
    noise = torch.randn((1, 16, (F_ - 1) // 4, H // 8, W // 8), generator=gen).bfloat16().float()
    chunks = (F_ - 1) // 8 - 2

    t0 = time.time()
    frames, z0s, masks = run_tiny_long(ref, dit, lq_proj, tc, ctx, lq, noise, cfgp)
    elapsed = time.time() - t0
    empty = sum(int((~m[0].any(-1)).sum()) for m in masks)
    # Nudge floor (spec 7.2): the same reference on the LQ input perturbed by 1e-6.
    frames_n, _, masks_n = run_tiny_long(ref, dit, lq_proj, tc, ctx, lq + 1e-6, noise, cfgp)
    flips = sum(int((a != b).sum()) for a, b in zip(masks, masks_n))
    floor_psnr = psnr_pm1(frames_n, frames)
    floor_max = float((frames_n - frames).abs().max())
    print(f"  e2e_v11: {frames.shape[1]} frames in {elapsed:.1f}s, empty query blocks {empty}, "
          f"nudge floor {floor_psnr:.1f} dB (max abs {floor_max:.2e}, mask flips {flips})")
    assert frames.shape[1] == F_ - 4 and len(z0s) == chunks
    assert empty > 0, "the e2e settings no longer produce empty query blocks"

    run_cfg = dict(config, lr_height=lr_h, lr_width=lr_w, input_frames=n_in, F=F_, H=H, W=W,
                   chunks=chunks, output_frames=F_ - 4, empty_query_blocks_total=empty,
                   dit_calls_with_masks=len(masks), nudge_epsilon=1e-6,
                   nudge_floor_psnr_db=floor_psnr, nudge_floor_max_abs=floor_max,
                   nudge_mask_flips=flips, seed_noise="stored (bf16-exact)")
    out.save(f"{folder}/io.safetensors", {
        "input.lr_uint8": lr_u8, "input.frame_index": torch.tensor(idx, dtype=torch.int64),
        "input.noise": noise.to(torch.bfloat16),
    }, "E2E inputs: the N original LR frames (F,h,w,3) uint8, the frame index list of the official "
       "bookkeeping (N frames + 4 copies of the last, truncated to 8n+1), and the noise (bf16, "
       "exact; the reference draws it in bf16)", run_cfg)
    # Output frame ranges per chunk: chunk 0 -> [0, 21), chunk k -> [8k+13, 8k+21).
    start = 0
    for k in range(chunks):
        n = 21 if k == 0 else 8
        seg = frames[:, start:start + n]  # (3, n, H, W)
        pooled = F.avg_pool2d(seg.permute(1, 0, 2, 3), POOL).permute(1, 0, 2, 3)  # (3,n,H/8,W/8)
        full = start + n - 1  # the last frame of the chunk, full resolution
        kcfg = dict(run_cfg, chunk=k, first_frame=start, frame_count=n, full_frame=full,
                    pool=POOL)
        out.save(f"{folder}/chunk{k}.safetensors",
                 {"output.z0": z0s[k], "output.frames_pooled": pooled.contiguous()},
                 f"E2E chunk {k}: DiT latents z0 = noise - v (1,16,f,H/8,W/8) and output frames "
                 f"[{start},{start + n}) (after colour fix and clamp, [-1,1]) average-pooled "
                 f"{POOL}x{POOL} (F.avg_pool2d)", kcfg)
        out.save(f"{folder}/chunk{k}_frame.safetensors",
                 {"output.frame": frames[:, full].contiguous()},
                 f"E2E chunk {k}: output frame {full} at full resolution (3,H,W), [-1,1]", kcfg)
        start += n
    check_e2e_folder(ref, root, frames, z0s)


def check_e2e_folder(ref: Reference, root: str, frames, z0s):
    """Reload the model folder the way the official scripts do (strict) and re-run from io.safetensors:
    the result must be bit-identical to the goldens, so the folder alone reproduces them."""
    cfg, dit, lq, tc, ctx, lq_video, noise = load_e2e_folder(ref, root, "Causal_LQ4x_Proj")
    again, z0_again, _ = run_tiny_long(ref, dit, lq, tc, ctx, lq_video, noise, cfg)
    assert torch.equal(again, frames), "model folder does not reproduce the e2e goldens"
    assert all(torch.equal(a, b) for a, b in zip(z0_again, z0s))
    print("  e2e_v11: model folder reloaded strictly reproduces the goldens bit for bit")


def load_e2e_dit(ref: Reference, root: str):
    """The e2e model folder's config and its DiT, loaded strictly (fp32)."""
    from safetensors.torch import load_file
    with open(os.path.join(root, "flashvsr_config.json")) as f:
        cfg = json.load(f)
    dit = ref.dit.WanModel(dim=cfg["dim"], in_dim=16, ffn_dim=cfg["ffn_dim"], out_dim=16,
                           text_dim=cfg["text_dim"], freq_dim=cfg["freq_dim"], eps=cfg["eps"],
                           patch_size=tuple(cfg["patch_size"]), num_heads=cfg["num_heads"],
                           num_layers=cfg["num_layers"])
    sd = load_file(os.path.join(root, "diffusion_pytorch_model_streaming_dmd.safetensors"))
    dit.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
    return cfg, dit


def load_e2e_folder(ref: Reference, root: str, lq_class: str):
    from safetensors.torch import load_file
    cfg, dit = load_e2e_dit(ref, root)
    lq = build_lq_proj(ref, lq_class, cfg["dim"], *cfg["lq_hidden_dims"], seed=0)
    lq.load_state_dict(torch.load(os.path.join(root, "LQ_proj_in.ckpt"), map_location="cpu"),
                       strict=True)
    tc = ref.tcd.build_tcdecoder(new_channels=cfg["tc_channels"], device="cpu",
                                 dtype=torch.float32, new_latent_channels=16 + 768)
    tc.load_state_dict(torch.load(os.path.join(root, "TCDecoder.ckpt"), map_location="cpu"),
                       strict=True)
    ctx = torch.load(os.path.join(root, "posi_prompt.pth"), map_location="cpu").float()
    io = load_file(os.path.join(root, "io.safetensors"))
    lq_video = lr_to_lq(io["input.lr_uint8"][io["input.frame_index"]], cfg["scale"])
    return cfg, dit.eval(), lq.float(), tc, ctx, lq_video, io["input.noise"].float()


def gen_block_taps(ref: Reference, out: GoldenWriter):
    """A tap file in the format of gpu_reference.py --taps, for `flashvsr debug block` on the CPU:
    the last block of the e2e_v11 model as the streaming DiT calls it for chunk 1 (f=2, RoPE from
    latent 6, grid 8x16 tokens = 128x256 pixels, the e2e sparse settings), fed seeded inputs.
    To stay under the 1 MB file limit the inputs are bf16-exact (stored as bf16) and the KV cache
    keeps 2 groups (kv_ratio 2); outputs are fp32."""
    root = os.path.join(out.root, "e2e_v11")
    cfg, dit = load_e2e_dit(ref, root)
    dit.eval()
    # The pipeline's own constants: cross-attention K/V of every block, t and t_mod.
    pipe = ref.tiny_long.FlashVSRTinyLongPipeline(device="cpu", torch_dtype=torch.float32)
    pipe.dit = dit
    ctx = torch.load(os.path.join(root, "posi_prompt.pth"), map_location="cpu").float()
    pipe.init_cross_kv(context_tensor=ctx)
    dim, heads = cfg["dim"], cfg["num_heads"]
    hd = dim // heads
    b = cfg["num_layers"] - 1
    blk = dit.blocks[b]
    chunk, f, h, w = 1, 2, 8, 16
    t0 = 4 + 2 * chunk
    ws = 2 * h * w // 128
    kv_ratio, local_range, sparse_ratio = 2.0, cfg["local_range"], cfg["sparse_ratio"]
    H, W = 16 * h, 16 * w
    topk = int(ws * ws * (sparse_ratio * 768 * 1280 / (H * W))) - 1  # model_fn_wan_video
    f_t, h_t, w_t = dit.freqs
    freqs = torch.cat([
        f_t[t0:t0 + f].view(f, 1, 1, -1).expand(f, h, w, -1),
        h_t[:h].view(1, h, 1, -1).expand(f, h, w, -1),
        w_t[:w].view(1, 1, w, -1).expand(f, h, w, -1)], dim=-1).reshape(f * h * w, 1, -1)
    local = ref.dit.build_local_block_mask_shifted_vec_normal_slide(
        h // 8, w // 8, local_range, local_range, include_self=True, device="cpu")
    calls = []
    ref.bsa.on_call = lambda q, k, v, m, o: calls.append((q.clone(), k.clone(), m.clone()))
    try:
        for seed in range(801, 821):  # the first seed whose mask selection has clear margins
            gen = torch.Generator().manual_seed(seed)
            x = torch.randn((1, f * h * w, dim), generator=gen).bfloat16().float()
            groups_in = int(kv_ratio)
            ck = window_inputs(gen, groups_in * ws, dim)
            cv = torch.randn((groups_in * ws, 128, dim), generator=gen).bfloat16().float()
            calls.clear()
            y, ck_out, cv_out = blk(x, None, pipe.t_mod, freqs, f, h, w, f // 2, topk, block_id=b,
                                    kv_len=int(kv_ratio), is_full_block=False, is_stream=True,
                                    pre_cache_k=ck, pre_cache_v=cv, local_range=local_range)
            q, k, mask = calls[-1]
            margin, _ = slab_margin(ref, q.reshape(-1, 128, dim), k.reshape(-1, 128, dim), heads,
                                    f // 2, topk, local)
            empty = int((~mask[0].any(-1)).sum())
            print(f"  block_taps seed {seed}: margin {margin:.2e}, empty query blocks {empty}")
            if margin > 1e-4 and empty > 0:
                break
        else:
            raise RuntimeError("no seed gave a block mask with clear margins and an empty block")
    finally:
        ref.bsa.on_call = None
    assert ck_out.shape[0] == groups_in * ws, ck_out.shape  # the oldest group was dropped
    p = f"tap.block{b}."
    tensors = {"tap.t_mod": pipe.t_mod, "tap.t": pipe.t,
               p + "x_in": x.bfloat16(), p + "mask": mask[0],
               p + "cache_k_in": ck.bfloat16(), p + "cache_v_in": cv.bfloat16(),
               p + "x_out": y, p + "cache_k_out": ck_out, p + "cache_v_out": cv_out}
    meta = dict(chunk=chunk, rope_t0=t0, f=f, h=h, w=w, topk=topk, kv_len=int(kv_ratio),
                local_range=local_range, sparse_ratio=repr(sparse_ratio), kv_ratio=repr(kv_ratio),
                height=H, width=W, dtype="fp32")
    out.save("block_taps/taps.safetensors", tensors,
             f"Taps of DiT block {b} of the e2e_v11 model (gpu_reference.py --taps format): one "
             f"streaming call for chunk {chunk} with seeded bf16-exact inputs and an input KV cache "
             f"of {groups_in} groups; the reference's own block mask; outputs in fp32",
             dict(meta, seed=seed, slab_margin=margin, empty_query_blocks=empty), meta)


def gen_e2e_v1(ref: Reference, out: GoldenWriter):
    """v1 end to end, slim: the e2e_v11 folder's files and inputs, with its LQ_proj_in.ckpt run by the
    v1 class (Buffer_LQ4x_Proj). Only the DiT latents are stored (decoding does not depend on the
    version and is covered by e2e_v11)."""
    root = os.path.join(out.root, "e2e_v11")
    cfg, dit, lq, tc, ctx, lq_video, noise = load_e2e_folder(ref, root, "Buffer_LQ4x_Proj")
    frames, z0s, masks = run_tiny_long(ref, dit, lq, tc, ctx, lq_video, noise, cfg)
    frames_n, _, masks_n = run_tiny_long(ref, dit, lq, tc, ctx, lq_video + 1e-6, noise, cfg)
    _, z0_v11, _ = run_tiny_long(ref, *load_e2e_folder(ref, root, "Causal_LQ4x_Proj")[1:], cfg)
    diff_v11 = max(rel_err(a, b) for a, b in zip(z0s, z0_v11))
    empty = sum(int((~m[0].any(-1)).sum()) for m in masks)
    flips = sum(int((a != b).sum()) for a, b in zip(masks, masks_n))
    floor = psnr_pm1(frames_n, frames)
    print(f"  e2e_v1: empty query blocks {empty}, nudge floor {floor:.1f} dB, mask flips {flips}, "
          f"z0 rel difference to v1.1 {diff_v11:.3f}")
    assert diff_v11 > 1e-2, "v1 and v1.1 gave the same latents: the test could not tell them apart"
    run_cfg = dict(cfg, version="v1", lq_proj_class="Buffer_LQ4x_Proj", model_folder="e2e_v11",
                   empty_query_blocks_total=empty, nudge_epsilon=1e-6, nudge_floor_psnr_db=floor,
                   nudge_floor_max_abs=float((frames_n - frames).abs().max()),
                   nudge_mask_flips=flips, z0_max_rel_diff_to_v11=diff_v11)
    out.save("e2e_v1.safetensors", {f"output.z0.chunk{k}": z for k, z in enumerate(z0s)},
             "E2E v1: the e2e_v11 model folder and io.safetensors, LQ_proj_in.ckpt run by "
             "Buffer_LQ4x_Proj (v1 code); DiT latents z0 = noise - v of chunks 0..2", run_cfg)


def gen_vae_decoder(ref: Reference, out: GoldenWriter):
    dim, H, W = 4, 24, 40  # latent 3x5
    vae = ref.vae.WanVideoVAE(z_dim=16, dim=dim)
    seeded_init(vae.model.decoder, 801, gain=2 ** 0.5)
    seeded_init(vae.model.conv2, 802)
    round_to_bf16(vae.model)  # stored in bf16 (exact) to fit the size budget
    model = vae.model
    sd = {k: v for k, v in model.state_dict().items() if k.startswith(("decoder.", "conv2."))}
    cfg = {"dim": dim, "z_dim": 16, "dim_mult": [1, 2, 4, 4], "num_res_blocks": 2,
           "attn_scales": [], "temperal_upsample": [True, True, False], "H": H, "W": W,
           "mean": vae.mean.tolist(), "std": vae.std.tolist()}
    out.save("vae_decoder/weights.safetensors", weights(sd, dtype=torch.bfloat16),
             "Reduced Wan VAE decoder + conv2 weights (bf16, exact; cast to fp32); keys as in "
             "Wan2.1_VAE.pth (no 'model.' prefix) prefixed with 'weight.'", cfg)
    gen = torch.Generator().manual_seed(803)
    plan = [6, 2, 2]
    lat = torch.randn((1, 16, sum(plan), H // 8, W // 8), generator=gen).bfloat16().float()
    with torch.no_grad():
        whole = vae.decode([lat[0]], device="cpu", tiled=False)  # (1,3,T',H,W), clamped
        model.clear_cache()
        parts, s = [], 0
        for n in plan:  # streaming with feat_cache carried across chunks
            parts.append(model.stream_decode(lat[:, :, s:s + n], vae.scale).clamp(-1, 1))
            s += n
    stream = torch.cat(parts, 2)
    diff = float((stream - whole).abs().max())
    print(f"  vae_decoder: streaming vs whole decode max abs diff {diff:.3e}")
    s = f0 = 0
    for k, n in enumerate(plan):
        nf = parts[k].shape[2]
        out.save(f"vae_decoder/chunk{k}.safetensors", {
            "input.latents": lat[:, :, s:s + n].bfloat16(), "output.frames": whole[:, :, f0:f0 + nf],
        }, f"WanVideoVAE decode (tiled=False, clamp) of all {sum(plan)} latents at once, split "
           f"per chunk: latents [{s},{s + n}) -> frames [{f0},{f0 + nf})",
            dict(cfg, chunk=k, latent_range=[s, s + n], frame_range=[f0, f0 + nf],
                 stream_vs_whole_max_abs=diff))
        s += n
        f0 += nf


COMPONENTS = {
    "color_fix": gen_color_fix, "tc_decoder": gen_tc_decoder, "lq_proj": gen_lq_proj,
    "constants": gen_constants, "lcsa_mask": gen_lcsa_mask, "dit_block": gen_dit_block,
    "e2e_v11": gen_e2e_v11, "e2e_v1": gen_e2e_v1, "vae_decoder": gen_vae_decoder,
    "block_taps": gen_block_taps,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("reference", help="path of an OpenImagingLab/FlashVSR checkout")
    ap.add_argument("--out", default=os.path.normpath(os.path.join(HERE, "..", "..", "data",
                                                                    "parity")))
    ap.add_argument("--only", nargs="*", choices=sorted(COMPONENTS), help="components to make")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    ref = Reference(args.reference, attention="dense")
    writer = GoldenWriter(args.out, reference_commit(args.reference))
    try:
        for name in args.only or list(COMPONENTS):
            print(f"[{name}]")
            with torch.no_grad():
                COMPONENTS[name](ref, writer)
    finally:
        ref.cleanup()
    total = 0
    for dirpath, _, files in os.walk(args.out):
        for f in files:
            p = os.path.join(dirpath, f)
            if not f.endswith(".md"):
                total += os.path.getsize(p)
    print(f"total size of {args.out}: {total} bytes")
    if total >= MAX_TOTAL_BYTES:
        raise SystemExit(f"goldens total {total} bytes is over the {MAX_TOTAL_BYTES}-byte limit")


if __name__ == "__main__":
    main()
