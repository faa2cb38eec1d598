"""Model registry: default entry reports missing weights, user files, run folders, loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import FommError, MissingWeightsError
from fomm_studio.model_registry import (
    DEFAULT_CONFIG,
    DEFAULT_MODEL_ID,
    ModelNotFoundError,
    ModelRegistry,
    check_model_files,
)


def test_default_model_without_weights_says_so(tmp_path: Path, tiny_config_path: Path) -> None:
    registry = ModelRegistry(default_config=tiny_config_path, default_checkpoint=tmp_path / "w.pth.tar")
    entry = registry.get(DEFAULT_MODEL_ID)
    assert entry.status == "weights missing" and not entry.is_ready
    assert entry.label.endswith("(weights missing)")
    with pytest.raises(MissingWeightsError, match=r"w\.pth\.tar: weights of model .* are missing"):
        entry.load()


def test_user_files_load_and_survive_a_restart(tiny_config_path: Path, tiny_checkpoint: Path) -> None:
    registry = ModelRegistry()
    entry = registry.add_files(tiny_config_path, tiny_checkpoint)
    assert entry.is_ready and entry.kind == "custom"
    models = entry.load()
    assert models.config.model_params.common_params.num_kp == 5
    again = ModelRegistry()
    again.restore(registry.to_settings())
    assert again.get(entry.model_id).checkpoint_path == tiny_checkpoint


def test_missing_files_and_unknown_ids_are_errors(tmp_path: Path, tiny_config_path: Path) -> None:
    registry = ModelRegistry()
    with pytest.raises(FommError, match="nope.pth.tar: checkpoint file not found"):
        registry.add_files(tiny_config_path, tmp_path / "nope.pth.tar")
    with pytest.raises(ModelNotFoundError, match="model 'zzz' is not known"):
        registry.get("zzz")


def test_register_run_checkpoints(tmp_path: Path, tiny_config_path: Path, tiny_checkpoint: Path) -> None:
    run = tmp_path / "run-1"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(tiny_config_path.read_text())
    for name in ("00001.pth.tar", "00002.pth.tar"):
        (run / "checkpoints" / name).write_bytes(tiny_checkpoint.read_bytes())
    added = ModelRegistry().register_run_checkpoints(run)
    assert [e.name for e in added] == ["run-1 / 00001.pth.tar", "run-1 / 00002.pth.tar"]
    assert all(e.kind == "run" and e.is_ready for e in added)
    with pytest.raises(FommError, match="no config.yaml"):
        ModelRegistry().register_run_checkpoints(tmp_path)


def test_a_run_checkpoint_used_live_survives_a_restart(
    tmp_path: Path, tiny_config_path: Path, tiny_checkpoint: Path
) -> None:
    run = tmp_path / "run-1"
    run.mkdir()
    (run / "config.yaml").write_text(tiny_config_path.read_text())
    for name in ("00001.pth.tar", "00002.pth.tar"):
        (run / name).write_bytes(tiny_checkpoint.read_bytes())
    registry = ModelRegistry()
    first, used = registry.register_run_checkpoints(run)
    assert registry.to_settings() == []  # listed while the run is open, not remembered
    registry.remember(used.model_id)
    again = ModelRegistry()
    again.restore(registry.to_settings())
    assert used.model_id in again and first.model_id not in again
    restored = again.get(used.model_id)
    assert restored.kind == "run" and restored.name == used.name and restored.is_ready
    assert again.to_settings() == registry.to_settings()  # still remembered after the next save


def test_a_text_file_is_no_checkpoint(tmp_path: Path, tiny_config_path: Path) -> None:
    text = tmp_path / "notes.pth.tar"
    text.write_text("these are my notes, not weights\n" * 20)
    with pytest.raises(FommError, match=r"notes\.pth\.tar: not a readable checkpoint"):
        check_model_files(tiny_config_path, text)


def test_a_checkpoint_is_no_config(tiny_checkpoint: Path) -> None:
    with pytest.raises(FommError, match=r"tiny\.pth\.tar: not a FOMM config"):
        check_model_files(tiny_checkpoint, tiny_checkpoint)


def test_a_checkpoint_of_another_config_does_not_fit(tiny_checkpoint: Path) -> None:
    with pytest.raises(FommError, match=r"tiny\.pth\.tar: 'kp_detector' does not fit the config"):
        check_model_files(DEFAULT_CONFIG, tiny_checkpoint)


def test_failed_entries_are_marked_until_they_pass_and_can_be_removed(
    tmp_path: Path, tiny_config_path: Path, tiny_checkpoint: Path
) -> None:
    registry = ModelRegistry()
    text = tmp_path / "notes.pth.tar"
    text.write_text("not weights\n")
    bad = registry.add_files(tiny_config_path, text)
    assert registry.status(bad.model_id) == "ready"  # both files exist: only a check can tell
    with pytest.raises(FommError, match="not a readable checkpoint"):
        registry.check(bad.model_id)
    assert registry.status(bad.model_id) == "failed"
    assert "not a readable checkpoint" in (registry.problem(bad.model_id) or "")
    text.write_bytes(tiny_checkpoint.read_bytes())  # the user replaced the file
    registry.check(bad.model_id)
    assert registry.status(bad.model_id) == "ready" and registry.problem(bad.model_id) is None
    registry.mark_failed(bad.model_id, "could not load")
    registry.remove(bad.model_id)
    assert bad.model_id not in registry and registry.to_settings() == []
    with pytest.raises(FommError, match="built in and cannot be removed"):
        registry.remove(DEFAULT_MODEL_ID)


def test_the_embedded_default_passes_its_check() -> None:
    ModelRegistry().check(DEFAULT_MODEL_ID)


def test_a_checkpoint_alone_is_checked_into_its_detected_config_and_survives_a_restart(
    tmp_path: Path, golden_dir: Path
) -> None:
    import shutil

    from fomm_studio.model_registry import DEFAULT_CHECKPOINT

    mine = Path(shutil.copy(DEFAULT_CHECKPOINT, tmp_path / "mine.pth.tar"))
    registry = ModelRegistry()
    entry = registry.add_checkpoint(mine)
    assert entry.config_path is None and entry.is_ready and registry.label(entry.model_id) == "mine.pth.tar"
    registry.check(entry.model_id)
    detected = registry.detected_config(entry.model_id)
    assert detected is not None and detected.name == "lite-256"
    assert registry.label(entry.model_id) == "mine.pth.tar [lite-256]"
    again = ModelRegistry()
    again.restore(registry.to_settings())
    restored = again.get(entry.model_id)  # the same id: a remembered choice still finds it
    assert restored.config_path is None and restored.load().config.model_params.common_params.num_kp == 10
    alien = again.add_checkpoint(golden_dir / "small" / "checkpoint.pth.tar")
    with pytest.raises(FommError, match="fits none of the packaged configs"):
        again.check(alien.model_id)
    assert (
        "10 keypoints" in (again.problem(alien.model_id) or "") and again.status(alien.model_id) == "failed"
    )
    with pytest.raises(FommError, match="checkpoint file not found"):
        again.add_checkpoint(tmp_path / "nowhere.pth.tar")
