"""fomm_studio.training.supervisor: the wrapper process records the training's exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fomm_studio.training.supervisor import is_running, read_status


def test_supervisor_records_the_exit_code(tmp_path: Path) -> None:
    status = tmp_path / "process.json"
    command = [sys.executable, "-m", "fomm_studio.training.supervisor", "--status", str(status), "--",
               sys.executable, "-c", "import sys; print('hello'); sys.exit(3)"]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert out.returncode == 3 and "hello" in out.stdout
    recorded = read_status(tmp_path)
    assert recorded is not None and recorded.state == "exited" and recorded.exit_code == 3
    assert not is_running(recorded)
