"""trainer.run_folder: the layout of a run folder and what its events mean."""

from __future__ import annotations

import json
from pathlib import Path

from trainer import run_folder as rf


def test_checkpoint_and_sample_files_in_step_order(tmp_path: Path) -> None:
    checkpoints, samples = tmp_path / "checkpoints", tmp_path / "samples"
    checkpoints.mkdir()
    samples.mkdir()
    for name in ("step-00000010.pth.tar", "step-00000002.pth.tar", "best.pth.tar", ".tmp-x.tmp"):
        (checkpoints / name).write_bytes(b"x")
    for step in (12, 1):
        (samples / rf.sample_name(step)).write_bytes(b"x")
    assert [p.name for p in rf.checkpoint_files(tmp_path)] == [
        "step-00000002.pth.tar",
        "step-00000010.pth.tar",
        "best.pth.tar",
    ]
    assert [p.name for p in rf.step_checkpoints(tmp_path)] == [
        "step-00000002.pth.tar",
        "step-00000010.pth.tar",
    ]
    assert [rf.step_of(p) for p in rf.checkpoint_files(tmp_path)] == [2, 10, None]
    assert [rf.step_of(p) for p in rf.sample_files(tmp_path)] == [1, 12]
    assert rf.checkpoint_files(tmp_path / "empty") == [] and rf.sample_files(tmp_path / "empty") == []


def test_a_folder_holds_a_run_once_it_has_a_step_or_a_checkpoint(tmp_path: Path) -> None:
    assert not rf.holds_run(tmp_path)
    (tmp_path / rf.EVENTS_NAME).write_text(json.dumps({"type": "start"}) + "\n")
    assert not rf.holds_run(tmp_path)
    rf.EventLog(tmp_path / rf.EVENTS_NAME).write("step", step=1, losses={"total": float("nan")})
    assert rf.holds_run(tmp_path)
    other = tmp_path / "other"
    (other / rf.CHECKPOINT_DIR).mkdir(parents=True)
    (other / rf.CHECKPOINT_DIR / rf.checkpoint_name(3)).write_bytes(b"x")
    assert rf.holds_run(other)


def test_leftovers_of_a_killed_run_are_cleared(tmp_path: Path) -> None:
    (tmp_path / rf.CHECKPOINT_DIR).mkdir()
    partial = tmp_path / rf.CHECKPOINT_DIR / ".step-00000002.pth.tar.abc.tmp"
    kept = tmp_path / rf.CHECKPOINT_DIR / rf.checkpoint_name(1)
    for path in (partial, kept, tmp_path / rf.STOP_NAME):
        path.write_bytes(b"x")
    rf.clear_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [kept.name]


def test_every_ending_event_has_an_outcome() -> None:
    assert rf.OUTCOMES == {"end": "finished", "stopped": "stopped", "error": "failed"}
