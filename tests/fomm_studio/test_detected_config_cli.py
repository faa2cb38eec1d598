"""`fomm reconstruct` and `fomm train --init-from` without --config: the checkpoint's own tensors pick
the packaged config, said on stderr as `fomm animate` says it; a checkpoint that fits none is refused
with what it looks like. And the checkpoint is read once when its config is detected."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from engine import checkpoint as engine_checkpoint
from fomm_studio import config_catalog
from fomm_studio.cli import main
from fomm_studio.config_catalog import load_with_detected_config, packaged_configs
from tests.fomm_studio.media_samples import make_video
from tests.fomm_studio.original_checkpoints import original_checkpoint

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def taichi_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random weights in the layout of the authors' taichi-256 (60M parameters, one shared storage)."""
    folder = tmp_path_factory.mktemp("taichi")
    return original_checkpoint(folder / "taichi-cpk.pth.tar", "taichi-256", random=True)


def test_reconstruct_without_config_detects_it_and_reports_l1(
    taichi_checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = make_video(tmp_path / "clip.mp4", frames=2, audio=None)
    summary = tmp_path / "summary.json"
    argv = ["reconstruct", "--checkpoint", str(taichi_checkpoint), "--data", str(video)]
    code = main([*argv, "--device", "cpu", "--backend", "torch", "--no-akd", "--json", str(summary)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "config: taichi-256 (detected from the checkpoint)" in err
    data = json.loads(summary.read_text())
    assert data["num_videos"] == 1 and data["videos"][0]["frames"] == 2
    assert math.isfinite(data["mean"]["l1"]) and 0.0 < data["mean"]["l1"] < 1.0


def test_reconstruct_refuses_a_checkpoint_of_no_packaged_config(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = make_video(tmp_path / "clip.mp4", frames=2, audio=None)
    small = golden_dir / "small" / "checkpoint.pth.tar"
    assert main(["reconstruct", "--checkpoint", str(small), "--data", str(video), "--no-akd"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    assert "fits none of the packaged configs (10 keypoints" in err and "--config" in err


def test_train_init_from_without_config_takes_the_detected_config(
    taichi_checkpoint: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the trainer is started with (the training itself is covered by the trainer's tests)."""
    started: list = []
    monkeypatch.setattr("trainer.loop.train", lambda options: started.append(options) or 0)
    argv = ["train", "--data", str(tmp_path), "--run-dir", str(tmp_path / "run")]
    assert main([*argv, "--init-from", str(taichi_checkpoint)]) == 0
    assert "config: taichi-256 (detected from the checkpoint)" in capsys.readouterr().err
    assert started[0].config_path == packaged_configs()["taichi-256"]
    assert started[0].init_from == taichi_checkpoint


def test_train_init_from_a_checkpoint_of_no_config_is_refused_before_training(
    golden_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list = []
    monkeypatch.setattr("trainer.loop.train", lambda options: started.append(options) or 0)
    small = golden_dir / "small" / "checkpoint.pth.tar"
    argv = ["train", "--data", str(tmp_path), "--run-dir", str(tmp_path / "run"), "--init-from", str(small)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "10 keypoints, Jacobians" in err and "its own YAML config" in err
    assert not started and not (tmp_path / "run").exists()


def test_a_detected_config_reads_the_checkpoint_once(
    taichi_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Path] = []
    real = engine_checkpoint.load_checkpoint

    def counting(path, *args, **kwargs):
        reads.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(config_catalog, "load_checkpoint", counting)
    monkeypatch.setattr("engine.models.load_checkpoint", counting)
    models, note = load_with_detected_config(taichi_checkpoint, None, "cpu")
    assert reads == [taichi_checkpoint]
    assert note is not None and note.startswith("config: taichi-256 (detected from the checkpoint)")
    assert models.config.model_params.common_params.num_kp == 10
    assert float(models.kp_detector.jacobian.bias[0].detach()) == 1.0  # the checkpoint's tensors, loaded
