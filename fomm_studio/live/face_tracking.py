"""Following the face in camera frames so the model always sees a head-sized square crop.

FOMM was trained on face-centred crops (VoxCeleb); a webcam frame is wider and the head moves. The
tracker finds the face with OpenCV's Haar frontal-face cascade, enlarges the face box so the whole
head fits, smooths the box over time so the crop does not jitter, and keeps the last box through a
few frames without a detection. Once a face is known, the next detection searches only around it
and only at nearby sizes (a few times faster than a whole-frame search, see
benchmarks/bench_face_tracking.py); a whole-frame search runs when that finds nothing. Manual zoom and
offset apply on top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from engine.errors import MissingWeightsError

CASCADE_NAME = "haarcascade_frontalface_default.xml"
FaceRect = tuple[int, int, int, int]  # (x, y, width, height) in frame pixels
Detector = Callable[[np.ndarray], "FaceRect | None"]


@runtime_checkable
class TrackingDetector(Protocol):
    """A detector that can also look for a face near where it was last seen (cheaper)."""

    def __call__(self, frame: np.ndarray) -> FaceRect | None: ...

    def near(self, frame: np.ndarray, last: FaceRect) -> FaceRect | None: ...


@dataclass(frozen=True)
class CropBox:
    """A square in frame pixels: centre (cx, cy) and side length; may reach past the borders."""

    cx: float
    cy: float
    size: float

    def adjusted(self, zoom: float = 1.0, offset: tuple[float, float] = (0.0, 0.0)) -> CropBox:
        """Zoom > 1 shows less (tighter crop); offset moves the centre by fractions of the box."""
        zoom = min(max(zoom, 0.25), 8.0)
        return CropBox(self.cx + offset[0] * self.size, self.cy + offset[1] * self.size, self.size / zoom)

    def pixels(self) -> tuple[int, int, int]:
        """(left, top, side) rounded to whole pixels."""
        side = max(2, round(self.size))
        return round(self.cx - side / 2), round(self.cy - side / 2), side


def centre_box(frame_shape: tuple[int, ...]) -> CropBox:
    """The largest centred square of a frame: the box used while no face is known."""
    h, w = frame_shape[:2]
    return CropBox(w / 2, h / 2, float(min(h, w)))


def crop(frame: np.ndarray, box: CropBox, out_size: int | None = None) -> np.ndarray:
    """Square crop of `frame` (H, W, C) at `box`; outside the frame it repeats the edge pixels."""
    h, w = frame.shape[:2]
    left, top, side = box.pixels()
    inside = frame[max(top, 0) : min(top + side, h), max(left, 0) : min(left + side, w)]
    if inside.size == 0:  # box entirely outside: repeat the nearest edge pixel
        y, x = min(max(top, 0), h - 1), min(max(left, 0), w - 1)
        inside = frame[y : y + 1, x : x + 1]
    ih, iw = inside.shape[:2]
    pad_top, pad_left = min(max(-top, 0), side - ih), min(max(-left, 0), side - iw)
    pads = [(pad_top, side - ih - pad_top), (pad_left, side - iw - pad_left)] + [(0, 0)] * (frame.ndim - 2)
    square = np.pad(inside, pads, mode="edge") if (ih, iw) != (side, side) else inside
    if out_size is not None and out_size != side:
        interpolation = cv2.INTER_AREA if out_size < side else cv2.INTER_LINEAR
        square = cv2.resize(square, (out_size, out_size), interpolation=interpolation)
    return np.ascontiguousarray(square)


def cascade_path() -> Path:
    """Where opencv-python keeps its Haar cascade for frontal faces."""
    return Path(cv2.data.haarcascades) / CASCADE_NAME  # type: ignore[attr-defined]


class HaarFaceDetector:
    """The largest frontal face in a frame, found on a copy downscaled to `detect_size` pixels."""

    def __init__(self, path: str | Path | None = None, detect_size: int = 320, min_face: float = 0.08):
        self.path = Path(path) if path is not None else cascade_path()
        if not self.path.is_file():
            raise MissingWeightsError(
                f"{self.path}: face detector file {self.path.name} not found; "
                f"reinstall opencv-python 4.x (it ships the Haar cascades)"
            )
        self._cascade = cv2.CascadeClassifier(str(self.path))
        if self._cascade.empty():
            raise MissingWeightsError(f"{self.path}: not a valid OpenCV cascade file")
        self.detect_size = detect_size
        self.min_face = min_face

    def __call__(self, frame: np.ndarray) -> FaceRect | None:
        h, w = frame.shape[:2]
        scale = min(1.0, self.detect_size / max(h, w))
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY) if frame.ndim == 3 else frame
        if scale < 1.0:
            gray = cv2.resize(gray, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        smallest = max(12, round(self.min_face * min(gray.shape[:2])))
        faces = self._cascade.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest)
        )
        if len(faces) == 0:
            return None
        x, y, fw, fh = max(faces, key=lambda f: int(f[2]) * int(f[3]))
        return round(x / scale), round(y / scale), round(fw / scale), round(fh / scale)

    def near(self, frame: np.ndarray, last: FaceRect) -> FaceRect | None:
        """The face closest to `last`, searched in a window 2.5x its size at 0.6x-1.6x its size, with
        the face scaled to about 80 pixels; a whole-frame search when none is found there."""
        h, w = frame.shape[:2]
        x, y, fw, fh = last
        side = max(fw, fh, 1)
        cx, cy, half = x + fw / 2, y + fh / 2, 1.25 * side
        left, top = max(0, round(cx - half)), max(0, round(cy - half))
        right, bottom = min(w, round(cx + half)), min(h, round(cy + half))
        if right - left < 0.6 * side or bottom - top < 0.6 * side:
            return self(frame)
        window = frame[top:bottom, left:right]
        gray = cv2.cvtColor(window, cv2.COLOR_RGB2GRAY) if window.ndim == 3 else window
        scale = min(1.0, 80.0 / side)
        if scale < 1.0:
            size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
        smallest, largest = max(12, round(0.6 * side * scale)), round(1.6 * side * scale)
        faces = self._cascade.detectMultiScale(
            gray, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest), maxSize=(largest, largest)
        )
        if len(faces) == 0:
            return self(frame)
        target = ((cx - left) * scale, (cy - top) * scale)
        fx, fy, fw2, fh2 = min(
            faces, key=lambda f: (f[0] + f[2] / 2 - target[0]) ** 2 + (f[1] + f[3] / 2 - target[1]) ** 2
        )
        return (
            round(left + fx / scale),
            round(top + fy / scale),
            round(fw2 / scale),
            round(fh2 / scale),
        )


@dataclass(frozen=True)
class TrackingOptions:
    """How the head box follows the face.

    `enlarge`: box side over face side. `smoothing` in [0, 1): weight of the previous box in the
    exponential moving average of centre and size (0 = follow every detection). Detection runs every
    `detect_every` frames; after `keep_frames` frames without a face the tracker gives up and falls
    back to the centre square. `raise_head`: the box moves up by this fraction of its side (a face
    detector's box sits low on the head)."""

    enlarge: float = 1.8
    smoothing: float = 0.7
    detect_every: int = 1
    keep_frames: int = 15
    raise_head: float = 0.15


class FaceTracker:
    """Smoothed head crop box over a stream of frames (one `update` per frame, from one thread)."""

    def __init__(self, detector: Detector | None = None, options: TrackingOptions | None = None):
        options = options or TrackingOptions()
        self.detector: Detector = detector if detector is not None else HaarFaceDetector()
        self.enlarge, self.raise_head = options.enlarge, options.raise_head
        self.smoothing = min(max(options.smoothing, 0.0), 0.99)
        self.detect_every, self.keep_frames = max(1, options.detect_every), options.keep_frames
        self.reset()

    def reset(self) -> None:
        self._box: CropBox | None = None
        self._last_face: FaceRect | None = None
        self._frame_index = 0
        self._misses = 0

    @property
    def face_found(self) -> bool:
        return self._box is not None

    def head_box(self, face: FaceRect) -> CropBox:
        """The square around the whole head for a detected face rectangle."""
        x, y, w, h = face
        side = self.enlarge * max(w, h)
        return CropBox(x + w / 2, y + h / 2 - self.raise_head * h, side)

    def update(self, frame: np.ndarray) -> CropBox | None:
        """Track one frame; the smoothed head box, or None when no face is known."""
        due = self._frame_index % self.detect_every == 0
        self._frame_index += 1
        if not due and self._box is not None:
            return self._box
        face = self._detect(frame)
        self._last_face = face
        if face is None:
            self._misses += 1
            if self._misses > self.keep_frames:
                self._box = None
            return self._box
        self._misses = 0
        self._box = self._smoothed(self.head_box(face))
        return self._box

    def _detect(self, frame: np.ndarray) -> FaceRect | None:
        if self._last_face is not None and isinstance(self.detector, TrackingDetector):
            return self.detector.near(frame, self._last_face)
        return self.detector(frame)

    def _smoothed(self, target: CropBox) -> CropBox:
        if self._box is None:
            return target
        a = self.smoothing
        old = self._box
        return CropBox(
            a * old.cx + (1 - a) * target.cx,
            a * old.cy + (1 - a) * target.cy,
            a * old.size + (1 - a) * target.size,
        )

    def box(
        self, frame: np.ndarray, zoom: float = 1.0, offset: tuple[float, float] = (0.0, 0.0)
    ) -> tuple[CropBox, bool]:
        """Tracked box (or the centre square) with manual zoom/offset; and whether a face is known."""
        tracked = self.update(frame)
        base = tracked if tracked is not None else centre_box(frame.shape)
        return base.adjusted(zoom, offset), tracked is not None


class FaceCropper:
    """The live loop's cropper: `(frame, face_crop, zoom, offset) -> (square crop, face found)`."""

    def __init__(self, tracker: FaceTracker | None = None, out_size: int | None = None):
        self.tracker = tracker if tracker is not None else FaceTracker()
        self.out_size = out_size

    def __call__(
        self, frame: np.ndarray, face_crop: bool, zoom: float, offset: tuple[float, float]
    ) -> tuple[np.ndarray, bool]:
        if face_crop:
            box, found = self.tracker.box(frame, zoom, offset)
        else:
            box, found = centre_box(frame.shape).adjusted(zoom, offset), False
        return crop(frame, box, self.out_size), found
