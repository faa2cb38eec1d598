"""Offline animation: one source image driven by a video file, written as H.264 with the driving audio.

Shared by `fomm animate` and the GUI's Animate tab. The driving video is streamed (never held in
memory) through an `AnimationSession`; the output appears atomically and only when complete.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engine import AnimationResult, AnimationSession, MotionOptions
from engine.backends.choice import prepare_backend
from engine.errors import FommError
from fomm_studio.config_catalog import load_with_detected_config
from fomm_studio.live.detail_transfer import DETAIL_EXTRAS
from fomm_studio.live.paste_back import PasteBack, prepare_paste_back, set_paste_source
from fomm_studio.media import VideoReader, VideoWriter, read_image
from fomm_studio.offline.landmarks import LandmarkDetector, check_landmark_weights, normalised_landmarks

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (frames done, frames in total; the total may be an estimate)
Report = Callable[[str], None]  # one line for the user (which backend runs the frames, and why)
OUTPUT_SUFFIXES = (".mp4", ".m4v", ".mov")
LANDMARK_SIZE = 256  # frames are downscaled to this for the landmark search (speed; faces stay large)


class AnimationCancelledError(FommError):
    """The user cancelled the job; no output file was written."""


@dataclass(frozen=True)
class AnimationJob:
    """Everything one offline animation needs; `run()` does it.

    relative: relative motion transfer (Sec. 3.4) w.r.t. a reference driving frame; else absolute.
    find_best_frame: the reference is the driving frame whose face landmarks best match the source's
    (needs the face-alignment weights), instead of the first frame.
    side_by_side: write source | driving | result side by side instead of the result alone.
    paste_back: animate only the head of an avatar larger than the model's frame and paste it back at
    the avatar's own resolution (None: whenever the avatar is larger and a face is found).
    detail: with paste-back, add the avatar's own fine detail moved by the model's flow to the upscaled
    head (`fomm_studio.live.detail_transfer`), so the face keeps the portrait's sharpness.
    config_path None: the config is detected from the checkpoint's tensors (`config_catalog`).
    backend: 'torch', 'openvino' or 'auto' (see `engine.backends.choice.prepare_backend`).
    """

    config_path: str | Path | None
    checkpoint_path: str | Path
    source_path: str | Path
    driving_path: str | Path
    output_path: str | Path
    relative: bool = True
    adapt_scale: bool = False
    find_best_frame: bool = False
    device: str = "cpu"
    side_by_side: bool = False
    paste_back: bool | None = None
    backend: str = "torch"
    detail: bool = True

    def run(
        self,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        report: Report | None = None,
    ) -> Path:
        """Animate and write `output_path`; raises AnimationCancelledError when `cancel` is set.
        `report` hears which backend runs the frames and why."""
        self._check_output()
        reader = VideoReader(self.driving_path)  # inputs are checked before the slow model load
        source = read_image(self.source_path)
        if self.find_best_frame:
            check_landmark_weights()
        session, paste = self._session(source, report or log.info)
        steps = _Steps(progress, cancel, reader.frame_count * (2 if self.find_best_frame else 1))
        if self.find_best_frame:
            reference = best_reference_frame(source, reader, LandmarkDetector(self.device), steps)
            session.calibrate(reference)
        return self._write(session, paste, reader, steps)

    def _check_output(self) -> None:
        output = Path(self.output_path)
        if output.suffix.lower() not in OUTPUT_SUFFIXES:
            raise FommError(f"{output}: the output must be an .mp4 file (H.264), got '{output.suffix}'")
        if output.is_dir():
            raise FommError(f"{output}: is a folder; give the output file name")
        for name, path in (("driving video", self.driving_path), ("source image", self.source_path)):
            if output.resolve() == Path(path).resolve():
                raise FommError(f"{output}: the output would overwrite the {name}")

    def _session(self, source: np.ndarray, report: Report) -> tuple[AnimationSession, PasteBack | None]:
        models, note = load_with_detected_config(self.checkpoint_path, self.config_path, self.device)
        if note is not None:
            report(note)
        options = MotionOptions(relative=self.relative, adapt_movement_scale=self.adapt_scale)
        session = AnimationSession(models, options)
        choice = prepare_backend(models, self.backend, picture=source)
        report(choice.describe())
        session.set_backend(choice.backend)
        paste = None
        if self.paste_back is not False:
            paste = prepare_paste_back(source, models.config.frame_size)
            if paste is None and self.paste_back:
                report("paste-back not used: the avatar is no larger than the model's frame or has no face")
        set_paste_source(session, source, paste)
        return session, paste

    def _write(
        self, session: AnimationSession, paste: PasteBack | None, reader: VideoReader, steps: _Steps
    ) -> Path:
        """Each output frame depends only on its driving frame and the reference frame, so streaming
        in order gives what animating forward and backward from the reference and joining would."""
        with VideoWriter(self.output_path, reader.fps_fraction) as writer:
            if reader.has_audio:
                writer.mux_audio_from(self.driving_path)
            extras = self._extras(paste)
            for frame in reader:
                steps.check_cancel()
                result = session.animate(frame, with_extras=extras)
                writer.write(even_sized(self._compose(session, paste, result)))
                steps.advance()
        return Path(self.output_path)

    def _extras(self, paste: PasteBack | None) -> frozenset[str]:
        """What each frame must hand back besides the image (the motion stays on any backend)."""
        extras = frozenset({"driving"}) if self.side_by_side else frozenset()
        return extras | DETAIL_EXTRAS if paste is not None and self.detail else extras

    def _compose(
        self, session: AnimationSession, paste: PasteBack | None, result: AnimationResult
    ) -> np.ndarray:
        image = paste.compose(result, self.detail) if paste is not None else result.image
        if not self.side_by_side or result.driving is None:
            return image
        if paste is not None:  # the avatar's own size: driving scaled to its height, then the result
            h = image.shape[0]
            return np.concatenate([cv2.resize(result.driving, (h, h)), image], axis=1)
        assert session.source_image is not None  # set by _session
        return np.concatenate([session.source_image, result.driving, image], axis=1)


def even_sized(image: np.ndarray) -> np.ndarray:
    """H.264 in yuv420p needs even width and height: drop a last odd row or column."""
    h, w = image.shape[:2]
    return image[: h - h % 2, : w - w % 2]


class _Steps:
    """Progress reporting and the cancellation point, ticked once per frame."""

    def __init__(self, progress: Progress | None, cancel: threading.Event | None, total: int):
        self.progress, self.cancel = progress, cancel
        self.done, self.total = 0, max(1, total)

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise AnimationCancelledError("animation cancelled; no output was written")

    def advance(self) -> None:
        self.done += 1
        self.total = max(self.total, self.done)  # frame_count may have been an estimate
        if self.progress is not None:
            self.progress(self.done, self.total)


def _downscaled(image: np.ndarray, longest: int = LANDMARK_SIZE) -> np.ndarray:
    h, w = image.shape[:2]
    scale = longest / max(h, w)
    if scale >= 1.0:
        return image
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def _landmarks(detector: LandmarkDetector, image: np.ndarray) -> np.ndarray | None:
    points = detector.landmarks(_downscaled(image))
    return None if points is None else normalised_landmarks(points)


def best_reference_frame(
    source: np.ndarray, reader: VideoReader, detector: LandmarkDetector, steps: _Steps
) -> np.ndarray:
    """The driving frame whose normalised 68 landmarks are closest (sum of squares) to the source's.

    Frames without a detected face are skipped; with no face anywhere, the first frame is used.
    """
    target = _landmarks(detector, source)
    if target is None:
        raise FommError("--find-best-frame: no face found in the source image")
    best, best_distance, best_index = None, np.inf, -1
    for index, frame in enumerate(_ticking(reader, steps)):
        points = _landmarks(detector, frame)
        if points is None:
            continue
        distance = float(((points - target) ** 2).sum())
        if distance < best_distance:
            best, best_distance, best_index = frame, distance, index
    if best is None:
        log.warning("%s: no face found in any driving frame; using the first frame", reader.path)
        return next(iter(reader))
    log.info("best reference frame: %d (landmark distance %.4f)", best_index, best_distance)
    return best


def _ticking(reader: VideoReader, steps: _Steps) -> Iterator[np.ndarray]:
    for frame in reader:
        steps.check_cancel()
        yield frame
        steps.advance()
