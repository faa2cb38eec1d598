"""`fomm bench`: time one live frame of a config against the vox-256 reference, in the same run, and
optionally its fast modes (reduced precision, compiled) with their fidelity to float32; or, with
`--backend`, the config's live frame on each inference backend against the torch live path."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

from engine import resolve_device
from engine.backends.base import BACKENDS
from engine.backends.choice import MIN_PSNR_DB
from engine.errors import FommError
from fomm_studio.bench.live_frame import LiveTiming, Variant, measure_variants, resolve_config, timing_line
from fomm_studio.media.images import read_image


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time one live frame of a config against the vox-256 reference",
        description="Build random-weight models from --config and --reference, time AnimationSession.animate "
        "(source cached, no extras) on synthetic frames, print ms, fps, the speed ratio and, for --half and "
        "--compile, each fast mode's fidelity to float32; last, one JSON line with every figure.",
    )
    parser.add_argument("--config", default="lite", help="config path, or 'lite' / 'vox-256' (default lite)")
    parser.add_argument(
        "--reference", default="vox-256", help="reference config (default vox-256; 'none' to skip)"
    )
    parser.add_argument(
        "--checkpoint",
        type=Path,
        help="trained weights for --config (default: random ones; speed does not depend on them, but a "
        "random generator's output is nearly flat, so its fidelity figures say little)",
    )
    parser.add_argument("--frames", type=int, default=20, help="timed frames per model (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed frames first (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument(
        "--device", default="auto", help="cpu, cuda, cuda:N or auto (default: the GPU when torch sees one)"
    )
    parser.add_argument(
        "--channels-last", action="store_true", help="run the networks in channels_last layout"
    )
    parser.add_argument(
        "--half", action="store_true", help="also time reduced precision: fp16 on CUDA, bf16 on the CPU"
    )
    parser.add_argument("--compile", action="store_true", help="also time torch.compile'd networks")
    parser.add_argument(
        "--backend",
        help=f"'all' or a comma list of {', '.join(BACKENDS)}: time --config's live frame on each "
        "inference backend (torch = the live path, channels_last) with its PSNR vs torch; no --reference",
    )
    parser.add_argument(
        "--source",
        type=Path,
        help="with --backend: the picture to animate (e.g. your avatar; default a synthetic head), since a "
        "backend's fidelity depends on the content: a photo loses more in bf16 than a drawing",
    )
    parser.set_defaults(func=run)


def bench_variants(args: argparse.Namespace, device: torch.device) -> list[Variant]:
    """Each config in plain float32, followed by the fast modes asked for (measured against it)."""
    names = [args.config] + ([] if args.reference == "none" else [args.reference])
    half = "fp16" if device.type == "cuda" else "bf16"
    modes: list[tuple[str, bool]] = [("fp32", False)]
    modes += [(half, False)] if args.half else []
    modes += [("fp32", True)] + ([(half, True)] if args.half else []) if args.compile else []
    variants = []
    for name in names:
        path = resolve_config(name)
        checkpoint = args.checkpoint if name == args.config else None
        for precision, compiled in modes:
            suffix = "".join(
                [f"+{precision}" if precision != "fp32" else "", "+compiled" if compiled else ""]
            )
            variants.append(
                Variant(
                    path.stem + suffix,
                    path,
                    str(device),
                    precision,  # type: ignore[arg-type]
                    compiled,
                    args.channels_last,
                    reference=path.stem if suffix else None,
                    checkpoint=checkpoint,
                )
            )
    return variants


def backend_names(spec: str) -> list[str]:
    """'all' or a comma list -> backend names, torch first (it is what the others are measured against)."""
    names = list(BACKENDS) if spec.strip() == "all" else [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in BACKENDS]
    if unknown or not names:
        raise FommError(
            f"--backend: unknown {', '.join(unknown) or 'empty list'} (use 'all' or {', '.join(BACKENDS)})"
        )
    return ["torch"] + [n for n in dict.fromkeys(names) if n != "torch"]


def backend_variants(
    config: str, names: list[str], device: torch.device, checkpoint: Path | None = None
) -> list[Variant]:
    """The live path (torch, channels_last, fp32) of `config` on each backend, measured against torch."""
    path = resolve_config(config)
    return [
        Variant(
            path.stem if name == "torch" else f"{path.stem}+{name}",
            path,
            str(device),
            channels_last=True,
            reference=None if name == "torch" else path.stem,
            backend=name,
            checkpoint=checkpoint,
        )
        for name in names
    ]


def backend_summary(timings: list[LiveTiming], variants: list[Variant]) -> dict[str, object]:
    """The machine-readable line of a --backend run: one row per backend."""
    rows = [
        {
            "backend": v.backend,
            "frame_ms": None if t.unavailable else round(t.frame_ms, 3),
            "fps": None if t.unavailable else round(t.fps, 1),
            "keypoints_ms": None if t.unavailable else round(t.keypoints_ms, 3),
            "generator_ms": None if t.unavailable else round(t.generator_ms, 3),
            "psnr_vs_torch": _json_psnr(t.psnr),
            "max_abs_diff_vs_torch": t.max_abs_diff,
            "not_run": t.unavailable,
        }
        for t, v in zip(timings, variants, strict=True)
    ]
    return {
        "config": variants[0].config_path.stem,
        "weights": str(variants[0].checkpoint) if variants[0].checkpoint else "random",
        "device": variants[0].device,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "results": rows,
    }


def fastest_line(timings: list[LiveTiming]) -> str:
    """Which backend within the fidelity bar is fastest, as a ratio to torch (the first timing)."""
    base, others = timings[0], timings[1:]
    fit = [t for t in others if t.unavailable is None and t.psnr is not None and t.psnr >= MIN_PSNR_DB]
    if not fit:
        return f"fastest within {MIN_PSNR_DB:.0f} dB: {base.name} (no other backend ran within the bar)"
    best = min(fit, key=lambda t: t.frame_ms)
    return f"fastest within {MIN_PSNR_DB:.0f} dB: {best.name}, {base.frame_ms / best.frame_ms:.2f}x the torch live path"


def summary(timings: list[LiveTiming], variants: list[Variant], device: torch.device) -> dict[str, object]:
    """The machine-readable line: every figure of the run."""
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else None
    rows = [
        {
            "name": t.name,
            "config": v.config_path.stem,
            "mode": v.mode,
            "frame_ms": round(t.frame_ms, 3),
            "fps": round(t.fps, 1),
            "keypoints_ms": round(t.keypoints_ms, 3),
            "generator_ms": round(t.generator_ms, 3),
            "max_abs_diff_vs_fp32": t.max_abs_diff,
            "psnr_vs_fp32": _json_psnr(t.psnr),
        }
        for t, v in zip(timings, variants, strict=True)
    ]
    return {"device": str(device), "gpu": gpu, "torch": torch.__version__, "results": rows}


def _json_psnr(psnr: float | None) -> float | str | None:
    """JSON has no infinity: identical frames are reported as the string 'inf'."""
    if psnr is None:
        return None
    return round(psnr, 2) if math.isfinite(psnr) else "inf"


def run(args: argparse.Namespace) -> int:
    if args.frames < 1 or args.warmup < 0:
        raise FommError(f"--frames must be >= 1 and --warmup >= 0, got {args.frames} and {args.warmup}")
    if args.threads is not None:
        if args.threads < 1:
            raise FommError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed frame shapes: pick the fastest kernels once
    if args.backend is not None:
        return run_backends(args, device)
    variants = bench_variants(args, device)
    print(
        f"device {device}, threads {torch.get_num_threads()}, "
        f"channels_last {'on' if args.channels_last else 'off'}, torch {torch.__version__}"
    )
    timings = measure_variants(variants, args.frames, args.warmup)
    for timing in timings:
        print(timing_line(timing))
    plain = [t for t, v in zip(timings, variants, strict=True) if v.reference is None]
    if len(plain) == 2:
        lite, ref = plain
        print(f"ratio {ref.name}/{lite.name}: {ref.frame_ms / lite.frame_ms:.1f}x faster")
    print(json.dumps(summary(timings, variants, device)))
    return 0


def run_backends(args: argparse.Namespace, device: torch.device) -> int:
    """`--backend`: the live frame of --config on each backend, interleaved, PSNR vs torch."""
    if args.half or args.compile:
        raise FommError("--backend times each backend's own float32 path: leave out --half and --compile")
    variants = backend_variants(args.config, backend_names(args.backend), device, args.checkpoint)
    weights = args.checkpoint or "random weights"
    animated = f", animating {args.source}" if args.source else ""
    print(
        f"device {device}, threads {torch.get_num_threads()}, torch {torch.__version__}, {weights}{animated}",
        flush=True,
    )
    source = None if args.source is None else read_image(args.source)
    timings = measure_variants(variants, args.frames, args.warmup, source)
    for timing in timings:
        print(timing_line(timing, reference="torch"))
    print(fastest_line(timings))
    print(json.dumps(backend_summary(timings, variants)))
    return 0
