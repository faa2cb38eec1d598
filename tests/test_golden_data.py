"""The golden data ships with the tests, and a golden test without its data fails instead of skipping."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import GOLDEN_FILES, REPO_ROOT, TEST_DATA, missing_golden_files


def test_every_golden_file_ships_in_tests_data() -> None:
    assert missing_golden_files(TEST_DATA / "golden") == []
    readme = (TEST_DATA / "golden" / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in GOLDEN_FILES), "README.md lists every file"


def test_golden_test_without_its_data_is_an_error_not_a_skip(tmp_path: Path) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "small" / "config.yaml").write_text("{}\n")  # one file present, the rest missing
    env = {**os.environ, "FOMM_GOLDEN_DIR": str(tmp_path)}
    test = "tests/engine/test_config.py::test_original_small_config_loads"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", test],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout and "skipped" not in done.stdout, done.stdout
    assert f"golden data incomplete in {tmp_path}: missing state_dict_manifest.json" in done.stdout
