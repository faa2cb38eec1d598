"""Thread policy: every entry point has passive OpenMP waiting in its environment before torch loads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from trainer.cpu_threads import apply_thread_policy, training_environment, training_threads

# Records OMP_WAIT_POLICY at the moment `torch` is first imported, then imports the entry module.
PROBE = """
import importlib, os, sys
seen = []
class Probe:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not seen:
            seen.append(os.environ.get("OMP_WAIT_POLICY"))
        return None
sys.meta_path.insert(0, Probe())
importlib.import_module(sys.argv[1])
print(seen[0] if seen else "torch never imported")
"""


@pytest.mark.parametrize("entry", ["fomm_studio.cli", "trainer.train", "ui.app", "main"])
def test_entry_points_set_passive_waiting_before_torch_loads(entry: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env |= {"PYTHONPATH": str(REPO_ROOT), "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, entry],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "PASSIVE"


def test_a_users_own_policy_is_kept() -> None:
    env = {"OMP_WAIT_POLICY": "ACTIVE"}
    apply_thread_policy(env)
    assert env == {"OMP_WAIT_POLICY": "ACTIVE"}
    apply_thread_policy(empty := {})
    assert empty == {"OMP_WAIT_POLICY": "PASSIVE"}


def test_training_beside_the_live_view_gets_the_cores_it_leaves() -> None:
    assert training_threads(live_threads=2, cores=8) == 6
    assert training_threads(live_threads=2, cores=2) == 1  # never zero
    env: dict[str, str] = {}
    training_environment(env, live_threads=2, cores=4)
    assert env == {"OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "2"}
    mine = {"OMP_NUM_THREADS": "3"}
    training_environment(mine, live_threads=2, cores=4)
    assert mine["OMP_NUM_THREADS"] == "3"
