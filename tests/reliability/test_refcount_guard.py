"""PySide6 6.12.0 on Python < 3.12 drops a reference to None on every call of a method that returns
nothing and one to True/False on every signal delivered to a Python slot; without `ui.refcount_guard`
minutes of live video abort the interpreter. Other releases do not, and there the guard does nothing.
Each test asserts what holds for the PySide6 and Python that run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import PySide6

from tests.conftest import REPO_ROOT
from ui.refcount_guard import RESERVE, guard_needed

CALLS = 200_000  # about three times the references None has in a running app
STABLE = 1_000  # a count that moves by less than this over CALLS calls is not being leaked

SCRIPT = f"""
import json, sys
if sys.argv[1] == "with-ui":
    import ui  # what every GUI entry point imports first
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
widget = QWidget()
received = []
widget.windowTitleChanged.connect(received.append)  # a Python slot
singletons = (None, True, False)
before = [sys.getrefcount(obj) for obj in singletons]
for i in range({CALLS}):
    widget.update()  # returns nothing
    widget.windowTitleChanged.emit("x")
after = [sys.getrefcount(obj) for obj in singletons]
print(json.dumps({{"survived": len(received), "before": before, "after": after}}))
"""


def run(mode: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def counts(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["survived"] == CALLS
    return result


def test_the_guard_is_wanted_for_the_leaking_release_only() -> None:
    assert not guard_needed("6.11.3") and not guard_needed("6.8.3")
    assert guard_needed("6.12.0") == (sys.version_info < (3, 12) and sys.implementation.name == "cpython")


def test_importing_ui_survives_many_calls_that_return_nothing() -> None:
    done = run("with-ui")
    result = counts(done)
    raised = [count >= RESERVE for count in result["before"]]
    warned = "drops references to None, True and False" in done.stderr
    if guard_needed():
        assert raised == [True, True, True] and warned, done.stderr
    else:  # a no-op: the counts are the interpreter's own, and nothing drains them
        assert raised == [False, False, False] and not warned, done.stderr
        for before, after in zip(result["before"], result["after"], strict=True):
            assert abs(after - before) < STABLE, result


def test_without_the_guard_pyside_aborts_exactly_where_the_guard_is_applied() -> None:
    """Control: the version check matches what this PySide6 does to None, True and False."""
    done = run("without-ui")
    if guard_needed():
        assert done.returncode != 0 and "deallocating" in done.stderr, (PySide6.__version__, done.stderr)
    else:
        result = counts(done)
        for before, after in zip(result["before"], result["after"], strict=True):
            assert abs(after - before) < STABLE, (PySide6.__version__, result)
