"""`fomm bench`: prints per-model frame time, fps and the vox/lite ratio (parsed, never time-asserted)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from engine import load_config
from fomm_studio.bench.live_frame import fidelity, measure_live, resolve_config
from fomm_studio.cli import main

FPS_LINE = re.compile(
    r"^(?P<name>[\w.-]+): frame (?P<ms>[\d.]+) ms .*, (?P<fps>[\d.]+) fps, (?P<params>[\d.]+) M"
)
RATIO_LINE = re.compile(r"^ratio vox-256/lite-256: (?P<ratio>[\d.]+)x faster$", re.MULTILINE)


def test_bench_lite_against_vox_prints_fps_and_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--config", "lite", "--frames", "3", "--warmup", "1", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    rows = {m["name"]: m for m in map(FPS_LINE.match, out.splitlines()) if m}
    assert set(rows) == {"lite-256", "vox-256"}
    for row in rows.values():
        assert float(row["fps"]) == pytest.approx(1000.0 / float(row["ms"]), rel=0.02, abs=0.051)  # 1 decimal
    assert float(rows["vox-256"]["params"]) == pytest.approx(59.79, abs=0.01)  # the published architecture
    assert float(rows["lite-256"]["params"]) < 1.0
    ratio = RATIO_LINE.search(out)
    assert ratio is not None
    expected = float(rows["vox-256"]["ms"]) / float(rows["lite-256"]["ms"])
    assert float(ratio["ratio"]) == pytest.approx(expected, rel=0.05)


def test_packaged_configs_resolve_and_lite_has_the_promised_shape() -> None:
    lite = load_config(resolve_config("lite"))
    assert lite.frame_size == 256
    assert lite.model_params.common_params.num_kp == 10 and lite.model_params.common_params.estimate_jacobian
    assert lite.model_params.generator_params.estimate_occlusion_map
    assert lite.train_params.perceptual_backend == "pyramid_l1_ssim"
    assert lite.train_params.loss_weights.generator_gan == 0
    vox = load_config(resolve_config("vox-256"))
    assert vox.model_params.generator_params.num_bottleneck_blocks == 6


def test_any_config_path_works_without_reference(tiny_config_path: Path) -> None:
    (timing,) = measure_live([("tiny", tiny_config_path)], frames=2, warmup=0)
    assert timing.name == "tiny" and timing.frames == 2 and timing.frame_ms > 0


def test_missing_config_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--config", str(tmp_path / "nope.yaml"), "--reference", "none"]) == 2
    assert re.search(r"nope\.yaml: config not found", capsys.readouterr().err)


def test_half_mode_is_timed_with_its_fidelity_and_a_json_summary(
    tiny_config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--config", str(tiny_config_path), "--reference", "none", "--half"]
    assert main([*argv, "--frames", "2", "--warmup", "1", "--threads", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("device cpu,")
    assert re.match(r"^tiny-64\+bf16: frame [\d.]+ ms .*; vs fp32: max diff \d+, PSNR [\d.]+ dB$", out[2])
    summary = json.loads(out[-1])
    assert summary["device"] == "cpu" and summary["gpu"] is None
    plain, half = summary["results"]
    assert plain["mode"] == "fp32" and plain["psnr_vs_fp32"] is None
    assert half["mode"] == "bf16" and half["psnr_vs_fp32"] > 25 and half["max_abs_diff_vs_fp32"] > 0


def test_fidelity_of_identical_frames_is_infinite() -> None:
    frames = [np.full((4, 4, 3), 7, np.uint8)] * 2
    assert fidelity(frames, frames) == (0, math.inf)
    assert fidelity([frames[0] + 1], [frames[0]])[1] == pytest.approx(48.13, abs=0.01)


def test_cuda_requested_without_cuda_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["bench", "--device", "cuda", "--reference", "none"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


def test_backend_all_times_each_backend_against_the_torch_live_path(
    tiny_config_path: Path, tiny_export: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--config", str(tiny_config_path), "--backend", "all"]
    assert main([*argv, "--frames", "2", "--warmup", "1", "--threads", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    summary = json.loads(out[-1])
    assert summary["config"] == "tiny-64" and summary["threads"] == 1
    rows = {row["backend"]: row for row in summary["results"]}
    assert list(rows) == ["torch", "openvino", "openvino-bf16-decoder", "openvino-mixed", "openvino-bf16"]
    torch_row, openvino = rows["torch"], rows["openvino"]
    assert torch_row["psnr_vs_torch"] is None and torch_row["frame_ms"] > 0
    assert openvino["not_run"] is None and openvino["frame_ms"] > 0
    assert openvino["psnr_vs_torch"] == "inf" or openvino["psnr_vs_torch"] > 60  # float32 both ways
    for name in ("openvino-bf16-decoder", "openvino-mixed", "openvino-bf16"):
        # runs only on a CPU with native bf16, and then within reach of torch
        assert rows[name]["not_run"] is not None or rows[name]["psnr_vs_torch"] > 30
    openvino_line = r"^tiny-64\+openvino: frame [\d.]+ ms .*; vs torch: max diff \d+, PSNR \w+"
    assert any(re.match(openvino_line, line) for line in out)
    assert out[-2].startswith("fastest within 40 dB: ")


def test_unknown_backend_is_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--backend", "torch,onnx"]) == 2
    assert (
        "--backend: unknown onnx (use 'all' or torch, openvino, openvino-bf16-decoder, openvino-mixed, openvino-bf16)"
        in capsys.readouterr().err
    )


def test_checkpoint_weights_are_timed_instead_of_random_ones(
    tiny_config_path: Path, tiny_checkpoint: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "bench",
        "--config",
        str(tiny_config_path),
        "--checkpoint",
        str(tiny_checkpoint),
        "--backend",
        "torch",
    ]
    assert main([*argv, "--frames", "1", "--warmup", "0", "--threads", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(str(tiny_checkpoint))
    summary = json.loads(out[-1])
    assert summary["weights"] == str(tiny_checkpoint) and [r["backend"] for r in summary["results"]] == [
        "torch"
    ]
