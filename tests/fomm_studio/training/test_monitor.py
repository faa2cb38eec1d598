"""fomm_studio.training.monitor: the Train tab's view of a run, fed by tailing events.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

from fomm_studio.training.monitor import RunMonitor


def test_monitor_tails_events_and_tolerates_a_partial_line(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"

    def step(n: int) -> str:
        return json.dumps({"type": "step", "step": n, "epoch": 0, "losses": {"total": 10.0 / n, "bad": "nan"},
                           "lr": {"generator": 2e-4}}) + "\n"  # fmt: skip

    events.write_text(json.dumps({"type": "start", "max_steps": 4}) + "\n" + step(1) + step(2) + step(3)[:20])
    monitor = RunMonitor(tmp_path)
    assert monitor.poll()
    assert monitor.losses["total"].values == [10.0, 5.0] and "bad" not in monitor.losses
    assert monitor.max_steps == 4 and monitor.outcome is None
    with open(events, "a") as handle:
        handle.write(step(3)[20:] + json.dumps({"type": "resumed", "step": 2}) + "\n" + step(3))
        handle.write(json.dumps({"type": "checkpoint", "path": "x/step-00000003.pth.tar", "step": 3, "best": True,
                                 "time": 5.0}) + "\n" + json.dumps({"type": "stopped", "step": 3}) + "\n")  # fmt: skip
    assert monitor.poll()
    assert monitor.losses["total"].steps == [1.0, 2.0, 3.0]  # the resumed step 3 replaced the first one
    assert monitor.learning_rates["generator"].values == [2e-4] * 3
    assert monitor.outcome == "stopped" and monitor.best_step == 3
    assert not monitor.poll()
