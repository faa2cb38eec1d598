"""fomm_studio.training.dataset_report: the Train tab's dataset scan, its progress, cancel and text."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine.errors import FommError
from fomm_studio.training.dataset_report import report_text, scan_dataset_report
from tests.trainer.videos import make_frames, write_mp4
from trainer.video_cache import ScanCancelledError


@pytest.fixture()
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


def test_dataset_report_lists_unreadable_files_and_cancels(tmp_path: Path, data_dir: Path) -> None:
    for i in range(2):
        write_mp4(data_dir / f"clip{i}.mp4", make_frames(i, 8, 48))
    (data_dir / "broken.mp4").write_bytes(b"not a video")
    seen: list[tuple[int, int]] = []
    report = scan_dataset_report(data_dir, (64, 64, 3), tmp_path / "cache", lambda d, t: seen.append((d, t)),
                                 threading.Event())  # fmt: skip
    assert len(report.train) + len(report.test) == 2
    assert [p.name for p, _ in report.unreadable] == ["broken.mp4"]
    assert seen[-1] == (3, 3)
    text = report_text(report)
    assert "skipped unreadable" in text and "broken.mp4" in text and "48x48" in text
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ScanCancelledError, match="scan cancelled"):
        scan_dataset_report(data_dir, (64, 64, 3), tmp_path / "cache", lambda d, t: None, cancel)


def test_a_folder_without_videos_is_an_error_a_folder_of_bad_ones_a_report(
    tmp_path: Path, data_dir: Path
) -> None:
    with pytest.raises(FommError, match=r"data: no videos found"):
        scan_dataset_report(data_dir, (64, 64, 3), tmp_path / "cache", lambda d, t: None, threading.Event())
    (data_dir / "broken.mp4").write_bytes(b"not a video")
    report = scan_dataset_report(
        data_dir, (64, 64, 3), tmp_path / "cache", lambda d, t: None, threading.Event()
    )
    assert not report.train and "training cannot start" in report_text(report)
