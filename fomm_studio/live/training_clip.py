"""Recording the user's own training data from the live view: the driving crops, as the keypoint
detector sees them (square, at the model's frame size), not the animated output.

Each camera frame is offered where it is cropped (the capture thread when the pipeline is pipelined,
else the pipeline's thread), so a clip holds every camera frame, not only the ones the model had time
for. Frames are written once each, at the feed's own frame rate: a held (repeated) frame would be a
training pair with no motion in it. Encoding runs on the `Recorder`'s thread, never on the caller's;
the file appears complete or not at all (`VideoWriter` commits it atomically).

Layout: the clips go to `<dataset>/train/clip-YYYYmmdd-HHMMSS.mp4`, a dataset folder `fomm train`
and `fomm distill` read as they are (`--data <dataset>`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from engine import AnimationSession
from engine.errors import FommError
from engine.imaging import FitMode, fit_square
from fomm_studio.live.feeds import FrameFeed
from fomm_studio.live.messages import Notice
from fomm_studio.live.overlays import resize_to
from fomm_studio.live.recorder import Recorder, WriterFactory
from trainer.video_cache import VIDEO_SUFFIXES

TRAIN_SPLIT = "train"


def clips_folder(dataset: Path) -> Path:
    """Where the clips of a dataset folder go: its `train` split."""
    return dataset / TRAIN_SPLIT


def recorded_clips(dataset: Path) -> list[Path]:
    """The video files in the dataset's train split (sorted; none when the folder does not exist)."""
    folder = clips_folder(dataset)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)


def new_clip_path(dataset: Path, now: float | None = None) -> Path:
    """`clip-YYYYmmdd-HHMMSS.mp4` in the dataset's train split, suffixed when that name is taken."""
    folder = clips_folder(dataset)
    stem = time.strftime("clip-%Y%m%d-%H%M%S", time.localtime(now))
    candidate, number = folder / f"{stem}.mp4", 2
    while candidate.exists():
        candidate, number = folder / f"{stem}-{number}.mp4", number + 1
    return candidate


class TrainingClip:
    """One clip being recorded. `offer` from the thread that crops (thread-safe), `finish` once."""

    def __init__(
        self,
        path: Path,
        frame_size: int,
        fps: float,
        fit: FitMode = "crop",
        writer: WriterFactory | None = None,
    ):
        self.path = path
        self.frame_size = frame_size
        self.fps = fps if fps > 0 else 25.0
        self.fit: FitMode = fit
        self.frames = 0  # frames accepted by the encoder's queue
        self.skipped = 0  # frames left out: no face found while face tracking is on
        self._lock = threading.Lock()
        self._recorder = Recorder(path, self.fps, writer)

    @property
    def seconds(self) -> float:
        """Seconds of video in the clip so far (frames at the feed's rate)."""
        return self.frames / self.fps

    def offer(self, crop: np.ndarray, face_found: bool, need_face: bool) -> None:
        """Queue one driving crop (uint8 RGB); left out when `need_face` and no face was found."""
        if need_face and not face_found:
            self.skipped += 1
            return
        square = resize_to(np.ascontiguousarray(fit_square(crop, self.fit)), self.frame_size)
        with self._lock:
            # frame i is shown at i / fps: each accepted frame fills exactly one frame of the file
            if self._recorder.write(square, self.frames / self.fps):
                self.frames += 1

    def finish(self) -> Notice:
        """Close the file; a notice saying where it went, or why nothing was saved."""
        with self._lock:
            try:
                self._recorder.close(timestamp=self.frames / self.fps)
            except FommError as exc:
                if self.frames == 0 and self.skipped:
                    why = f"no face was found in any of its {self.skipped} frames (turn Follow face off?)"
                    return Notice("error", f"Training clip not saved: {why}")
                return Notice("error", f"Training clip not saved: {exc}")
        return Notice(
            "info", f"Training clip saved: {self.path} ({self.seconds:.1f} s, {self.frames} frames)"
        )


class ClipTap:
    """The pipeline's hook for training clips: at most one clip at a time."""

    def __init__(self) -> None:
        self.clip: TrainingClip | None = None

    @property
    def seconds(self) -> float | None:
        """Seconds recorded in the current clip; None when none is being recorded."""
        clip = self.clip
        return None if clip is None else clip.seconds

    def start(self, dataset: Path, frame_size: int, fps: float, fit: FitMode = "crop") -> Notice:
        """Begin a new clip in `dataset` (finishing a running one first, its notice dropped)."""
        self.stop()
        path = new_clip_path(dataset)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return Notice("error", f"Training clip not started: {path.parent}: {exc.strerror or exc}")
        self.clip = TrainingClip(path, frame_size, fps, fit)
        return Notice("info", f"Recording a training clip to {path}")

    def apply(self, dataset: Path | None, session: AnimationSession, feed: FrameFeed | None) -> list[Notice]:
        """The `RecordTrainingClip` command: start a clip of `session`'s driving frames (its frame size
        and fit, the feed's frame rate) in `dataset`, or stop with None; the notices to show."""
        if dataset is None:
            notice = self.stop()
            return [] if notice is None else [notice]
        fps = (feed.fps if feed is not None else None) or 25.0
        return [self.start(dataset, session.frame_size, fps, session.driving_fit)]

    def offer(self, crop: np.ndarray, face_found: bool, need_face: bool) -> None:
        clip = self.clip
        if clip is not None:
            clip.offer(crop, face_found, need_face)

    def stop(self) -> Notice | None:
        """Finish the current clip (None when there was none)."""
        clip, self.clip = self.clip, None
        return None if clip is None else clip.finish()
