"""The dataset report the Train tab shows when a folder is picked: the trainer's own scan, run in a
worker thread with progress and cancellation, and its text."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from trainer.video_cache import DatasetError, DatasetReport, scan_videos


def scan_dataset_report(
    root: str | Path,
    frame_shape: tuple[int, ...],
    cache_dir: Path | None,
    progress: Callable[[int, int], None],
    cancel: threading.Event,
) -> DatasetReport:
    """The trainer's dataset scan (decoding into the same frame cache training reads), reporting progress
    and cancellable. Unlike training it also returns a report with no usable video, so the unreadable
    files can be listed; only a folder without a single video is an error."""
    report = scan_videos(root, frame_shape, cache_dir, progress, cancel)
    if not (report.train or report.test or report.unreadable):
        raise DatasetError(f"{report.root}: no videos found (video files or folders of frames)")
    return report


def report_text(report: DatasetReport) -> str:
    """The trainer's summary, plus a warning when training could not start on this folder."""
    text = report.summary()
    if not report.train:
        text += "\nNo usable training video: training cannot start on this folder."
    return text
