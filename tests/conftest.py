"""Shared fixtures: golden data (tests/data/golden), tiny models, per-test torch threading, and the test
order (FOMM_TEST_ORDER)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).resolve().parent / "data"
TINY_CONFIG = TEST_DATA / "tiny-64.yaml"
GOLDEN_DIR = Path(os.environ.get("FOMM_GOLDEN_DIR", TEST_DATA / "golden"))
# Every file of the golden set (see tests/data/golden/README.md); one missing is an error, not a skip.
GOLDEN_FILES = (
    "state_dict_manifest.json",
    "small/config.yaml",
    "small/checkpoint.pth.tar",
    "small/inputs.npz",
    "small/outputs.npz",
    "small/tps.npz",
)

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def requested_order() -> str:
    """FOMM_TEST_ORDER: "given" (the default), "reverse", or "shuffle:SEED" (SEED an integer), to catch
    tests that pass only after, or only before, some other test."""
    return os.environ.get("FOMM_TEST_ORDER", "").strip() or "given"


def reorder(items: list[pytest.Item], order: str) -> None:
    """Reorder the collected tests in place as `order` says (see `requested_order`)."""
    kind, _, seed = order.partition(":")
    if order == "given":
        return
    if order == "reverse":
        items.reverse()
    elif kind == "shuffle" and seed.lstrip("-").isdigit():
        random.Random(int(seed)).shuffle(items)
    else:
        raise pytest.UsageError(f"FOMM_TEST_ORDER={order!r}: expected 'given', 'reverse' or 'shuffle:SEED'")


def pytest_report_header(config: pytest.Config) -> str:
    return f"test order: {requested_order()} (FOMM_TEST_ORDER)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reorder(items, requested_order())
    if torch.cuda.is_available():
        return
    skip_gpu = pytest.mark.skip(reason="needs CUDA; none on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip_gpu)


def missing_golden_files(folder: Path) -> list[str]:
    return [name for name in GOLDEN_FILES if not (folder / name).is_file()]


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """The original code's reference data; fails (never skips) when any file is missing."""
    missing = missing_golden_files(GOLDEN_DIR)
    if missing:
        pytest.fail(
            f"golden data incomplete in {GOLDEN_DIR}: missing {', '.join(missing)} "
            "(it ships in tests/data/golden; FOMM_GOLDEN_DIR overrides the folder)",
            pytrace=False,
        )
    return GOLDEN_DIR


@pytest.fixture(scope="session")
def tiny_config_path() -> Path:
    return TINY_CONFIG


@pytest.fixture()
def tiny_models():
    from engine import build_models, load_config

    torch.manual_seed(0)
    return build_models(load_config(TINY_CONFIG)).eval()


@pytest.fixture()
def tiny_checkpoint(tmp_path: Path, tiny_models) -> Path:
    """A checkpoint in the original layout for the tiny config, with random weights."""
    from engine import save_checkpoint

    path = tmp_path / "tiny.pth.tar"
    save_checkpoint(
        path,
        {
            "generator": tiny_models.generator.state_dict(),
            "kp_detector": tiny_models.kp_detector.state_dict(),
            "epoch": 0,
        },
    )
    return path
