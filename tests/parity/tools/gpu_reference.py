#!/usr/bin/env python3
"""Full-size FlashVSR reference run on the GPU machine (random weights, release file formats).

    python3 gpu_reference.py REFERENCE_CHECKOUT --out DIR [--frames 61] [--attention flex|dense]
                             [--taps] [--taps-chunk K] [--skip-weights] [--tiny]
                             [--decoder tiny|full] [--dtype bf16|fp32]

Writes DIR/model/ (the five release files, written by the reference modules' own state_dict()),
DIR/inputs.safetensors (LR uint8, frame index, noise), DIR/output.safetensors (frames uint8, and fp16
with --save-fp16), DIR/nudge_output.safetensors is not kept (only its PSNR), DIR/taps.safetensors
(--taps), DIR/summary.json. `--tiny` runs the same steps on the CPU with a reduced model so the script
can be checked without a GPU. `--decoder full` runs the official Full pipeline (Wan VAE decoder,
tiled=False as the official v1.1 script) instead of Tiny-Long. See README.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import OrderedDict

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from goldens_common import psnr_pm1  # noqa: E402
from make_goldens import build_lq_proj, lr_to_lq  # noqa: E402
from refharness import Reference, reference_commit  # noqa: E402

FULL_DIT = dict(dim=1536, in_dim=16, ffn_dim=8960, out_dim=16, text_dim=4096, freq_dim=256, eps=1e-6,
                patch_size=(1, 2, 2), num_heads=12, num_layers=30)
TINY_DIT = dict(FULL_DIT, dim=96, ffn_dim=192, text_dim=32, num_heads=2, num_layers=2)
FULL_TC = [512, 256, 128, 128]
TINY_TC = [8, 8, 8, 8]


def log(msg):
    print(f"[gpu_reference {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@torch.no_grad()
def init_params(module, seed, device, linear_std=0.02, conv_gain=2 ** 0.5, conv_std=None):
    """Seeded random init that keeps activations O(1) (documented in README.md):
    Linear weights N(0, linear_std^2); conv kernels N(0, conv_gain^2/fan_in) or N(0, conv_std^2);
    1-D norm weights / gamma 1 + N(0, 0.1^2); biases N(0, 0.02^2); modulation N(0, 1/dim)."""
    gen = torch.Generator(device=device).manual_seed(seed)
    for name, p in module.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        shape = p.shape
        if leaf == "modulation":
            v = torch.randn(shape, generator=gen, device=device) / math.sqrt(shape[-1])
        elif leaf == "gamma" or (leaf == "weight" and p.ndim == 1):
            v = 1.0 + 0.1 * torch.randn(shape, generator=gen, device=device)
        elif leaf == "bias":
            v = 0.02 * torch.randn(shape, generator=gen, device=device)
        elif p.ndim == 2:
            v = linear_std * torch.randn(shape, generator=gen, device=device)
        else:
            std = conv_std if conv_std is not None else conv_gain / math.sqrt(math.prod(shape[1:]))
            v = std * torch.randn(shape, generator=gen, device=device)
        p.copy_(v.to(p.dtype))


def save_pickled_state_dict(module, path, dtype=None):
    """torch.save(module.state_dict()) of the module on the CPU (an OrderedDict, like the release)."""
    dev = next(module.parameters()).device
    module.cpu()
    if dtype is not None:
        module.to(dtype)
    torch.save(module.state_dict(), path)
    module.to(dev)


def build_models(ref, args, device, model_dir):
    from safetensors.torch import load_file, save_file
    os.makedirs(model_dir, exist_ok=True)
    dit_cfg = TINY_DIT if args.tiny else FULL_DIT
    small = args.tiny and not args.full_modules  # reduced LQ projector, TC decoder and VAE
    paths = {n: os.path.join(model_dir, n) for n in (
        "diffusion_pytorch_model_streaming_dmd.safetensors", "LQ_proj_in.ckpt", "TCDecoder.ckpt",
        "Wan2.1_VAE.pth", "posi_prompt.pth")}
    if not args.skip_weights:
        t0 = time.time()
        with torch.device(device):
            dit = ref.dit.WanModel(**dit_cfg)
        init_params(dit, args.seed + 1, device)
        save_file({k: v.detach().float().cpu().contiguous() for k, v in dit.state_dict().items()},
                  paths["diffusion_pytorch_model_streaming_dmd.safetensors"])
        del dit
        if small:
            lq = build_lq_proj(ref, "Causal_LQ4x_Proj", dit_cfg["dim"], 8, 16, seed=args.seed + 2)
        else:
            with torch.device(device):
                lq = ref.lq.Causal_LQ4x_Proj(in_dim=3, out_dim=dit_cfg["dim"], layer_num=1)
            init_params(lq, args.seed + 2, device, conv_std=0.02)
        save_pickled_state_dict(lq, paths["LQ_proj_in.ckpt"], dtype=torch.bfloat16)
        del lq
        tc = ref.tcd.build_tcdecoder(new_channels=TINY_TC if small else FULL_TC, device=device,
                                     dtype=torch.float32, new_latent_channels=16 + 768)
        init_params(tc, args.seed + 3, device)
        save_pickled_state_dict(tc, paths["TCDecoder.ckpt"])
        del tc
        vae = ref.vae.WanVideoVAE(z_dim=16, dim=4 if small else 96)
        init_params(vae.model, args.seed + 4, "cpu")
        torch.save(vae.model.state_dict(), paths["Wan2.1_VAE.pth"])
        del vae
        gen = torch.Generator().manual_seed(args.seed + 5)
        prompt = torch.randn((1, 16 if args.tiny else 512, dit_cfg["text_dim"]), generator=gen)
        torch.save(prompt.to(torch.bfloat16), paths["posi_prompt.pth"])
        log(f"weights written in {time.time() - t0:.1f}s")
    sizes = {n: os.path.getsize(p) for n, p in paths.items()}

    # Load back the way the official scripts do (strict), then cast to the run dtype.
    t0 = time.time()
    dtype = args.torch_dtype
    # Modules are constructed on the run device (their default init is cheap there), then loaded.
    with torch.device(device):
        dit = ref.dit.WanModel(**dit_cfg)
    sd = load_file(paths["diffusion_pytorch_model_streaming_dmd.safetensors"])
    res = dit.load_state_dict(sd, strict=True)
    dit = dit.to(dtype=dtype).eval()
    if small:
        lq = build_lq_proj(ref, "Causal_LQ4x_Proj", dit_cfg["dim"], 8, 16, seed=0).to(device)
    else:
        with torch.device(device):
            lq = ref.lq.Causal_LQ4x_Proj(in_dim=3, out_dim=dit_cfg["dim"], layer_num=1)
    lq.load_state_dict(torch.load(paths["LQ_proj_in.ckpt"], map_location="cpu"), strict=True)
    lq = lq.to(dtype=dtype)
    tc = ref.tcd.build_tcdecoder(new_channels=TINY_TC if small else FULL_TC, device=device,
                                 dtype=torch.float32, new_latent_channels=16 + 768)
    tc.load_state_dict(torch.load(paths["TCDecoder.ckpt"], map_location="cpu"), strict=True)
    tc = tc.to(dtype=dtype)
    vae = ref.vae.WanVideoVAE(z_dim=16, dim=4 if small else 96)
    vae_sd = torch.load(paths["Wan2.1_VAE.pth"], map_location="cpu", weights_only=True)
    vae.load_state_dict({"model." + k: v for k, v in vae_sd.items()}, strict=True)
    del vae_sd
    if args.decoder == "full":
        vae = vae.to(device=device, dtype=dtype).eval()
    else:
        del vae
        vae = None
    prompt = torch.load(paths["posi_prompt.pth"], map_location="cpu")
    if args.tiny:
        # Reduced folders describe themselves to our loader (docs/models.md): heads and version.
        with open(os.path.join(model_dir, "flashvsr_config.json"), "w") as fh:
            json.dump({"version": "v1.1", "num_heads": dit_cfg["num_heads"]}, fh)
    log(f"weights loaded strictly in {time.time() - t0:.1f}s ({len(sd)} DiT tensors)")
    info = {"files": sizes, "dit_tensors": len(sd), "dit_missing": list(res.missing_keys),
            "dit_unexpected": list(res.unexpected_keys),
            "dit_params": sum(v.numel() for v in sd.values()),
            "lq_params": sum(p.numel() for p in lq.parameters()),
            "tc_tensors": len(tc.state_dict())}
    return dit, lq, tc, vae, prompt, info


def make_inputs(args):
    n, (lr_h, lr_w) = args.frames, args.lr_size
    gen = torch.Generator().manual_seed(args.seed + 6)
    # Smooth moving pattern: a random low-res field panned over time, plus fine noise.
    field = torch.rand((1, 3, lr_h // 4 + 8, lr_w // 4 + 8 + n // 4), generator=gen)
    field = F.interpolate(field, scale_factor=4, mode="bicubic", align_corners=False)
    frames = torch.stack([field[0, :, 16:16 + lr_h, t:t + lr_w] for t in range(n)])  # (N,3,h,w)
    frames = frames + 0.05 * torch.randn(frames.shape, generator=gen)
    lr_u8 = (frames.clamp(0, 1) * 255).round().to(torch.uint8).permute(0, 2, 3, 1).contiguous()
    idx = list(range(n)) + [n - 1] * 4
    f = ((len(idx) - 1) // 8) * 8 + 1
    idx = idx[:f]
    H, W = lr_h * args.scale, lr_w * args.scale
    assert H % 128 == 0 and W % 128 == 0, f"HR {H}x{W} must be multiples of 128"
    noise = torch.randn((1, 16, (f - 1) // 4, H // 8, W // 8), generator=gen).to(torch.bfloat16)
    return lr_u8, torch.tensor(idx, dtype=torch.int64), noise, H, W, f


def run_pipeline(ref, models, prompt, lq_video, noise, args, device, settings, tap_spec=None):
    dit, lq, tc, vae = models
    full = args.decoder == "full"
    mod = ref.full if full else ref.tiny_long
    if full:
        pipe = ref.full.FlashVSRFullPipeline(device=str(device), torch_dtype=args.torch_dtype)
        pipe.vae = vae
    else:
        pipe = ref.tiny_long.FlashVSRTinyLongPipeline(device=str(device),
                                                      torch_dtype=args.torch_dtype)
        pipe.TCDecoder = tc
    pipe.dit = dit
    dit.LQ_proj_in = lq
    pipe.init_cross_kv(context_tensor=prompt.to(device))
    pipe.generate_noise = lambda *a, **k: noise.to(device=device, dtype=args.torch_dtype)
    taps = {}
    tap_meta = {}
    if tap_spec:  # the per-run constants a block check needs besides the block's own inputs
        taps["tap.t_mod"] = pipe.t_mod.detach().cpu()
        taps["tap.t"] = pipe.t.detach().cpu()
    timings = {"dit_ms": [], "decode_ms": [], "chunk_end": []}
    orig_model_fn = mod.model_fn_wan_video
    # Tiny-Long decodes per chunk through the TC decoder; Full decodes the whole clip once.
    dec_owner = pipe if full else tc
    orig_decode = dec_owner.decode_video
    masks = []
    state = {"chunk": -1, "block": -1}

    def model_fn(*a, **k):
        sync(device)
        t = time.perf_counter()
        state["chunk"] += 1
        r = orig_model_fn(*a, **k)
        sync(device)
        timings["dit_ms"].append((time.perf_counter() - t) * 1e3)
        return r

    def decode(*a, **k):
        sync(device)
        t = time.perf_counter()
        r = orig_decode(*a, **k)
        sync(device)
        now = time.perf_counter()
        timings["decode_ms"].append((now - t) * 1e3)
        timings["chunk_end"].append(now)
        return r

    def on_call(q, k, v, m, o):
        masks.append(m.cpu())
        if tap_spec and state["chunk"] == tap_spec["chunk"] and state["block"] in tap_spec["blocks"]:
            taps[f"tap.block{state['block']}.mask"] = m[0].cpu()

    hooks = []
    for b, blk in enumerate(dit.blocks):
        def pre(mod, a, kw, b=b):
            state["block"] = b
            if tap_spec and state["chunk"] == tap_spec["chunk"] and b in tap_spec["blocks"]:
                taps[f"tap.block{b}.x_in"] = a[0].detach().cpu()
                # block(x, context, t_mod, freqs, f, h, w, local_num, topk, ...): what this
                # chunk's block saw, so `flashvsr debug block` rebuilds the same call
                tap_meta.update(f=int(a[4]), h=int(a[5]), w=int(a[6]), topk=int(a[8]),
                                kv_len=int(kw["kv_len"]), local_range=int(kw["local_range"]))
                if kw.get("pre_cache_k") is not None:
                    taps[f"tap.block{b}.cache_k_in"] = kw["pre_cache_k"].cpu()
                    taps[f"tap.block{b}.cache_v_in"] = kw["pre_cache_v"].cpu()

        def post(mod, a, kw, out, b=b):
            if tap_spec and state["chunk"] == tap_spec["chunk"] and b in tap_spec["blocks"]:
                taps[f"tap.block{b}.x_out"] = out[0].detach().cpu()
                taps[f"tap.block{b}.cache_k_out"] = out[1].detach().cpu()
                taps[f"tap.block{b}.cache_v_out"] = out[2].detach().cpu()
        hooks.append(blk.register_forward_pre_hook(pre, with_kwargs=True))
        hooks.append(blk.register_forward_hook(post, with_kwargs=True))
    mod.model_fn_wan_video = model_fn
    dec_owner.decode_video = decode
    ref.bsa.on_call = on_call
    orig_sync = torch.cuda.synchronize
    if device.type != "cuda":  # the Full pipeline synchronises CUDA unconditionally
        torch.cuda.synchronize = lambda *a, **k: None
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    sync(device)
    t_start = time.perf_counter()
    try:
        H, W = lq_video.shape[3], lq_video.shape[4]
        extra = {"tiled": False} if full else {}  # the official v1.1 Full script's setting
        frames = pipe(prompt="", negative_prompt="", cfg_scale=1.0, num_inference_steps=1, seed=0,
                      # the Full pipeline does not move LQ_video itself (its script passes it on the device)
                      LQ_video=lq_video.to(device) if full else lq_video,
                      num_frames=lq_video.shape[2], height=H, width=W,
                      is_full_block=False, if_buffer=True,
                      topk_ratio=settings["sparse_ratio"] * 768 * 1280 / (H * W),
                      kv_ratio=settings["kv_ratio"], local_range=settings["local_range"],
                      color_fix=True, **extra)
    finally:
        torch.cuda.synchronize = orig_sync
        mod.model_fn_wan_video = orig_model_fn
        dec_owner.decode_video = orig_decode
        ref.bsa.on_call = None
        for h in hooks:
            h.remove()
    sync(device)
    total = time.perf_counter() - t_start
    ends = [t_start] + timings["chunk_end"]
    loop_ms = [(b - a) * 1e3 for a, b in zip(ends[:-1], ends[1:])]
    stats = {"total_s": total, "dit_ms": timings["dit_ms"], "decode_ms": timings["decode_ms"],
             "loop_ms_per_chunk": loop_ms,
             "peak_mem_gib": (torch.cuda.max_memory_allocated(device) / 2 ** 30
                              if device.type == "cuda" else None),
             "empty_query_blocks": sum(int((~m[0].any(-1)).sum()) for m in masks),
             "mask_density": (sum(int(m.sum()) for m in masks) / max(1, sum(m.numel() for m in masks)))}
    if taps:
        taps["__meta__"] = tap_meta
    return frames.float(), masks, stats, taps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("reference")
    ap.add_argument("--out", required=True)
    ap.add_argument("--frames", type=int, default=61, help="LR input frames N (outputs = N)")
    ap.add_argument("--lr-size", type=int, nargs=2, default=(192, 352), metavar=("H", "W"))
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--attention", choices=("flex", "dense"), default="flex")
    ap.add_argument("--nudge-attention", action="store_true",
                    help="also run with the other exact stand-in (flex <-> dense) and report PSNR")
    ap.add_argument("--sparse-ratio", type=float, default=2.0)
    ap.add_argument("--kv-ratio", type=float, default=3.0)
    ap.add_argument("--local-range", type=int, default=11)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--dtype", choices=("bf16", "fp32"), default="bf16")
    ap.add_argument("--decoder", choices=("tiny", "full"), default="tiny",
                    help="tiny: Tiny-Long pipeline (TC decoder); full: Full pipeline (Wan VAE)")
    ap.add_argument("--taps", action="store_true", help="dump block taps for one chunk")
    ap.add_argument("--taps-chunk", type=int, default=1)
    ap.add_argument("--skip-weights", action="store_true", help="reuse OUT/model/ files")
    ap.add_argument("--save-fp16", action="store_true", help="also save output frames in fp16")
    ap.add_argument("--no-repeat", action="store_true",
                    help="skip the timing repeat (run 2): parity numbers only, one run less")
    ap.add_argument("--tiny", action="store_true", help="CPU check: reduced model, 32x64 LR, 37 frames")
    ap.add_argument("--full-modules", action="store_true",
                    help="with --tiny: full-size LQ projector, TC decoder and VAE (checks the "
                         "full-size code paths on the CPU; the DiT stays reduced)")
    args = ap.parse_args()
    if args.tiny:
        args.lr_size = (32, 64)
        args.frames = 37 if args.frames == 61 else args.frames
        args.attention = "dense"
        args.sparse_ratio = 0.03125  # see make_goldens.py: exercises empty query blocks at 128x256
        args.local_range = 3
        device = torch.device("cpu")
    else:
        device = torch.device("cuda")
    args.torch_dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    summary = {"reference": reference_commit(args.reference), "torch": torch.__version__,
               "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
               "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "args": {k: (v if not isinstance(v, torch.dtype) else str(v))
                        for k, v in vars(args).items()}}
    ref = Reference(args.reference, attention=args.attention)
    try:
        with torch.no_grad():
            dit, lq, tc, vae, prompt, info = build_models(ref, args, device,
                                                          os.path.join(args.out, "model"))
            models = (dit, lq, tc, vae)
            summary["weights"] = info
            lr_u8, idx, noise, H, W, f = make_inputs(args)
            from safetensors.torch import save_file
            save_file({"input.lr_uint8": lr_u8, "input.frame_index": idx, "input.noise": noise},
                      os.path.join(args.out, "inputs.safetensors"),
                      metadata={"lq": "lr_uint8[frame_index] -> /255*2-1 -> bicubic x%d "
                                      "(F.interpolate, align_corners=False) -> (1,3,F,H,W)" % args.scale})
            lq_video = lr_to_lq(lr_u8[idx], args.scale).to(args.torch_dtype)  # stays on the CPU
            settings = {"sparse_ratio": args.sparse_ratio, "kv_ratio": args.kv_ratio,
                        "local_range": args.local_range}
            summary.update(H=H, W=W, F=f, chunks=(f - 1) // 8 - 2, output_frames=f - 4,
                           settings=settings)
            tap_spec = ({"chunk": args.taps_chunk, "blocks": [0, len(dit.blocks) - 1]}
                        if args.taps else None)
            log(f"run 1: {args.attention} stand-in, {H}x{W}, F={f}")
            frames, masks, stats, taps = run_pipeline(ref, models, prompt, lq_video, noise,
                                                      args, device, settings, tap_spec)
            # The first chunks include one-off costs (FlexAttention compilation, allocator warm-up):
            # run again for steady timings.
            if args.no_repeat:  # parity only: the first run's timings include one-off costs
                stats2 = stats
            else:
                log("run 2: timing repeat")
                frames2, _, stats2, _ = run_pipeline(ref, models, prompt, lq_video, noise, args,
                                                     device, settings)
                summary["repeat_identical"] = bool(torch.equal(frames, frames2))
                summary["repeat_psnr_db"] = psnr_pm1(frames2, frames)
            summary["run"] = stats2
            summary["run_first"] = stats
            out = {"output.frames_uint8": ((frames + 1) * 127.5).clamp(0, 255).to(torch.uint8)
                   .permute(1, 2, 3, 0).contiguous()}  # (T,H,W,3), truncation like the scripts
            if args.save_fp16:
                out["output.frames_fp16"] = frames.to(torch.float16).contiguous()  # (3,T,H,W)
            if args.dtype == "fp32":  # CPU checks compare in full precision
                out["output.frames_fp32"] = frames.contiguous()  # (3,T,H,W)
            save_file(out, os.path.join(args.out, "output.safetensors"))
            if taps:
                meta = {k: str(v) for k, v in taps.pop("__meta__").items()}
                meta.update(chunk=str(args.taps_chunk),
                            rope_t0=str(0 if args.taps_chunk == 0 else 4 + 2 * args.taps_chunk),
                            sparse_ratio=repr(args.sparse_ratio), kv_ratio=repr(args.kv_ratio),
                            height=str(H), width=str(W), dtype=args.dtype)
                save_file({k: v.contiguous().clone() for k, v in taps.items()},
                          os.path.join(args.out, "taps.safetensors"), metadata=meta)
            # Nudge floor: LQ perturbed by one bf16 ulp (fp32: 1e-6) on every 997th element — a plain
            # +1e-6 vanishes in bf16.
            nudged = lq_video.clone()
            flat = nudged.view(-1)
            if args.torch_dtype == torch.bfloat16:
                bits = flat[::997].view(torch.int16)
                flat[::997] = (bits ^ 1).view(torch.bfloat16)
                how = "bf16 LSB flipped on every 997th LQ element"
            else:
                nudged += 1e-6
                how = "LQ + 1e-6"
            log(f"run 3: nudge ({how})")
            frames_n, masks_n, stats_n, _ = run_pipeline(ref, models, prompt, nudged, noise,
                                                         args, device, settings)
            summary["nudge"] = {"how": how, "psnr_db": psnr_pm1(frames_n, frames),
                                "max_abs": float((frames_n - frames).abs().max()),
                                "mask_flips": sum(int((a != b).sum()) for a, b in zip(masks, masks_n))}
            if args.nudge_attention:
                other = "dense" if args.attention == "flex" else "flex"
                ref.bsa.mode = other
                log(f"run 4: {other} stand-in")
                frames_a, masks_a, stats_a, _ = run_pipeline(ref, models, prompt, lq_video,
                                                             noise, args, device, settings)
                ref.bsa.mode = args.attention
                summary["other_attention"] = {
                    "mode": other, "psnr_db": psnr_pm1(frames_a, frames),
                    "max_abs": float((frames_a - frames).abs().max()),
                    "mask_flips": sum(int((a != b).sum()) for a, b in zip(masks, masks_a)),
                    "total_s": stats_a["total_s"]}
            steady = stats2["loop_ms_per_chunk"][1:] or stats2["loop_ms_per_chunk"]
            steady_dit = stats2["dit_ms"][1:] or stats2["dit_ms"]
            summary["steady"] = {"loop_ms_median": sorted(steady)[len(steady) // 2],
                                 "dit_ms_median": sorted(steady_dit)[len(steady_dit) // 2],
                                 "fps_loop": 8000.0 / sorted(steady)[len(steady) // 2]}
    finally:
        ref.cleanup()
    with open(os.path.join(args.out, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
