"""fomm_studio.training.run_folders: tolerant event reading, STOP file."""

from __future__ import annotations

import json
from pathlib import Path

from fomm_studio.training.run_folders import EventTail, read_events, request_stop


def write_run(run_dir: Path, events: list[dict], partial: str = "") -> None:
    run_dir.mkdir(parents=True)
    (run_dir / "config.yaml").write_text("model_params: {}\n")
    text = "".join(json.dumps(e) + "\n" for e in events) + partial
    (run_dir / "events.jsonl").write_text(text)


def test_partial_last_line_is_left_for_later(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_run(run, [{"type": "start"}, {"type": "step", "step": 1}], partial='{"type": "step", "st')
    assert [e["type"] for e in read_events(run)] == ["start", "step"]
    tail = EventTail(run / "events.jsonl")
    assert len(tail.read_new()) == 2
    assert tail.read_new() == []
    with open(run / "events.jsonl", "a") as handle:
        handle.write('ep": 2}\n')
    assert tail.read_new() == [{"type": "step", "step": 2}]


def test_torn_line_in_the_middle_is_skipped(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_run(run, [{"type": "start"}])
    with open(run / "events.jsonl", "a") as handle:
        handle.write('{"type": "st\n{"type": "end", "step": 3}\n')
    assert [e["type"] for e in read_events(run)] == ["start", "end"]


def test_stop_request_writes_the_file_the_loop_polls(tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_run(run, [])
    assert request_stop(run) == run / "STOP" and (run / "STOP").is_file()
