"""Trainer fixtures: one small synthetic dataset (and its frame cache) shared by a test module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.trainer.distill_fixtures import make_student, make_teacher
from tests.trainer.videos import make_dataset


@pytest.fixture(scope="module")
def video_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """train/ (one .mp4 + three frame folders) and test/ (one frame folder) of 12 frames at 64x64."""
    return make_dataset(tmp_path_factory.mktemp("videos") / "data")


@pytest.fixture(scope="module")
def frame_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("frame_cache")


@pytest.fixture(scope="module")
def teacher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A distillation teacher: the tiny config with random weights."""
    return make_teacher(tmp_path_factory.mktemp("teacher"))


@pytest.fixture(scope="module")
def student_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A distillation student: a narrower tiny config."""
    return make_student(tmp_path_factory.mktemp("student"))


def read_events(run_dir: Path) -> list[dict]:
    """Every complete event of a run folder."""
    lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def step_losses(run_dir: Path) -> dict[int, dict[str, float]]:
    return {e["step"]: e["losses"] for e in read_events(run_dir) if e["type"] == "step"}
