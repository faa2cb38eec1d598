"""Inspection of an offline animation: run the model on any single frame of a driving video and draw
the overlays (keypoints, heatmaps, occlusion, part masks, deformed source) for it.

Relative motion needs the initial driving frame D_1 (Eq. 10-11), so the session is calibrated on the
video's first frame once; every inspected frame is then animated exactly as the full video would be.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine import AnimationSession, FommModels, MotionOptions
from engine.errors import FommError
from engine.imaging import fit_square
from fomm_studio.live.overlays import OverlayOptions, Panes, compose_panes, resize_to
from fomm_studio.media import VideoReader, read_image

MAX_CACHED_FRAMES = 3000
CACHE_SIZE = 256  # driving frames are kept at this size (the model sees at most this much anyway)


class FrameInspector:
    """Animate single frames of a driving video for the scrubber. Use from one (worker) thread."""

    def __init__(
        self,
        models: FommModels,
        source_path: Path,
        driving_path: Path,
        options: MotionOptions | None = None,
        display_size: int = 320,
    ):
        self.session = AnimationSession(models, options or MotionOptions())
        self.display_size = display_size
        source = read_image(source_path)
        self.session.set_source(source)
        assert self.session.source_image is not None  # set_source just made it
        self._avatar = resize_to(self.session.source_image, display_size)
        self.reader = VideoReader(driving_path)
        self.frames = self._decode_frames(self.reader)
        if not self.frames:
            raise FommError(f"{driving_path}: no frames could be decoded")
        self.session.calibrate(self.frames[0])

    @property
    def frame_count(self) -> int:
        return len(self.frames)

    @staticmethod
    def _decode_frames(reader: VideoReader) -> list[np.ndarray]:
        """Decode once, centre-cropped and shrunk, so scrubbing never re-reads the file."""
        frames = []
        for frame in reader.frames(MAX_CACHED_FRAMES):
            frames.append(resize_to(np.ascontiguousarray(fit_square(frame, "crop")), CACHE_SIZE))
        return frames

    def set_options(self, options: MotionOptions) -> None:
        self.session.set_options(options)
        self.session.calibrate(self.frames[0])

    def inspect(self, index: int, overlays: OverlayOptions) -> Panes:
        """Driving frame `index` (clamped) with overlays on the driving, avatar and output panes."""
        index = min(max(index, 0), len(self.frames) - 1)
        frame = self.frames[index]
        result = self.session.animate(frame, with_extras=True)
        return compose_panes(result, frame, self._avatar, overlays, self.display_size)
