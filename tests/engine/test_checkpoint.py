"""Checkpoint loading: original layout accepted; corrupt, hostile and mismatched files refused clearly."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import engine
from engine import CheckpointError, CheckpointMismatchError, load_checkpoint, load_models, save_checkpoint

MARKER_ENV = "FOMM_TEST_PICKLE_MARKER"


class _RunsCode:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker,))


def test_golden_checkpoint_has_original_layout(golden_dir: Path) -> None:
    data = load_checkpoint(golden_dir / "small" / "checkpoint.pth.tar")
    assert {"generator", "kp_detector", "discriminator", "epoch"} <= set(data)


def test_tiny_checkpoint_round_trips(tiny_config_path: Path, tiny_checkpoint: Path, tiny_models) -> None:
    models = load_models(tiny_config_path, tiny_checkpoint)
    assert models.epoch == 0
    for key, value in tiny_models.generator.state_dict().items():
        assert torch.equal(models.generator.state_dict()[key], value), key
    assert not models.generator.training and not models.kp_detector.training


def test_random_bytes_are_refused_as_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "random.pth.tar"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    expected = (
        r"random\.pth\.tar: not a readable checkpoint \(corrupt, truncated, or not a \.pth\.tar file\)$"
    )
    with pytest.raises(CheckpointError, match=expected):
        load_checkpoint(path)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pth.tar"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty.pth.tar: checkpoint file is empty"):
        load_checkpoint(empty)
    with pytest.raises(CheckpointError, match="missing.pth.tar: checkpoint file not found"):
        load_checkpoint(tmp_path / "missing.pth.tar")


def test_truncated_checkpoint_is_refused(tmp_path: Path, tiny_checkpoint: Path) -> None:
    data = tiny_checkpoint.read_bytes()
    cut = tmp_path / "cut.pth.tar"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="cut.pth.tar: not a readable checkpoint"):
        load_checkpoint(cut)


def evil_checkpoint(folder: Path, style: str) -> tuple[Path, Path]:
    """A checkpoint whose unpickling would create a marker file; (the checkpoint, the marker)."""
    marker, path = folder / "code-ran", folder / "evil.pth.tar"
    payload = {"generator": _RunsCode(str(marker)), "kp_detector": {}}
    if style == "torch_save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    return path, marker


@pytest.mark.parametrize("style", ["torch_save", "plain_pickle"])
def test_pickle_with_code_is_refused_and_never_executed(tmp_path: Path, style: str) -> None:
    path, marker = evil_checkpoint(tmp_path, style)
    with pytest.raises(CheckpointError, match=r"evil\.pth\.tar: not a "):
        load_checkpoint(path)
    assert not marker.exists(), "unpickling ran code from the checkpoint"


@pytest.mark.parametrize(
    "style",
    ["torch_save", "plain_pickle"],  # a plain protocol-4 pickle stops the unpickler before the code
)
def test_pickle_with_code_is_reported_as_unsafe(tmp_path: Path, style: str) -> None:
    path, _marker = evil_checkpoint(tmp_path, style)
    with pytest.raises(
        CheckpointError,
        match=r"evil\.pth\.tar: not a safe checkpoint: it contains Python objects or code that a weights-only",
    ):
        load_checkpoint(path)


def test_checkpoint_for_another_config_lists_keys(
    tmp_path: Path, golden_dir: Path, tiny_config_path: Path
) -> None:
    with pytest.raises(
        CheckpointMismatchError,
        match=r"'kp_detector' does not fit the config \(.*unexpected: .*mis-shaped: .*another config",
    ) as info:
        load_models(tiny_config_path, golden_dir / "small" / "checkpoint.pth.tar")
    assert info.value.unexpected and info.value.mis_shaped
    assert "checkpoint.pth.tar" in str(info.value)


def test_mis_shaped_tensor_is_reported(tmp_path: Path, tiny_models, tiny_config_path: Path) -> None:
    kp = tiny_models.kp_detector.state_dict()
    kp["kp.bias"] = torch.zeros(7)
    path = tmp_path / "bad.pth.tar"
    save_checkpoint(path, {"generator": tiny_models.generator.state_dict(), "kp_detector": kp})
    with pytest.raises(CheckpointMismatchError, match=r"mis-shaped: kp\.bias \(7,\) != \(5,\)"):
        load_models(tiny_config_path, path)


def test_checkpoint_without_model_entries(tmp_path: Path, tiny_config_path: Path) -> None:
    path = tmp_path / "other.pth.tar"
    torch.save({"model": {}}, path)
    with pytest.raises(
        CheckpointError, match=r"other\.pth\.tar: not a FOMM checkpoint: no 'generator' or 'kp_detector'"
    ):
        load_models(tiny_config_path, path)


def test_save_is_atomic_when_writing_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckpt.pth.tar"
    save_checkpoint(path, {"epoch": 1})
    before = path.read_bytes()

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        save_checkpoint(path, {"epoch": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pth.tar"]


def test_only_one_torch_load_in_the_tree() -> None:
    root = Path(engine.__file__).resolve().parents[1]
    hits = []
    for package in ("engine", "trainer", "fomm_studio", "ui"):
        for file in (root / package).rglob("*.py"):
            text = file.read_text(encoding="utf-8")
            if "torch.load(" in text or "pickle.load" in text or "pickle.loads" in text:
                hits.append(str(file.relative_to(root)))
    assert hits == ["engine/checkpoint.py"]


def test_atomic_files_get_normal_permissions(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.pth.tar"
    save_checkpoint(path, {"epoch": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
