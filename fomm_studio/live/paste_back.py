"""Animating a large portrait at its own resolution: the face is cropped to the model's frame size,
animated, and pasted back into the full-resolution avatar.

The model works at 256 x 256. Shrinking a 1024-pixel portrait whole into 256 pixels and showing the
result blows a quarter-resolution face up four times. Instead only a square around the head (the
face tracker's head box, `margin` times the face) is animated; the animated square is scaled back to
the box and blended in with a feathered border (a raised-cosine ramp over `feather` of the side), so
everything outside the head keeps the avatar's own pixels. The model's colours drift a little from
the source; the drift measured on the border ring is removed before blending, so the seam does not
show as a colour step. With the frame's dense motion (`FrameMotion`), the avatar's own fine detail,
moved as the model moved the face, is added to the upscaled crop (`detail_transfer`), so the face
keeps the portrait's sharpness instead of the model's 256 pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine import AnimationResult, AnimationSession
from fomm_studio.live.detail_transfer import DetailTransfer, FrameMotion, effective_resolution
from fomm_studio.live.face_tracking import CropBox, Detector, HaarFaceDetector


@dataclass(frozen=True)
class PasteBackOptions:
    """`margin`: head box side over face side; `feather`: blended border as a fraction of the side."""

    margin: float = 2.0
    feather: float = 0.12
    raise_head: float = 0.1


@dataclass(frozen=True)
class PasteRegion:
    """The square of the avatar that is animated: left, top, side in avatar pixels (inside the image)."""

    left: int
    top: int
    side: int


def plan_region(
    avatar: np.ndarray, model_size: int, options: PasteBackOptions, detector: Detector | None = None
) -> PasteRegion | None:
    """The head square to animate, or None when paste-back buys nothing (the avatar is no larger than
    the model's frame) or no face is found (then the whole avatar is animated as before)."""
    h, w = avatar.shape[:2]
    if max(h, w) <= model_size:
        return None
    face = (detector or HaarFaceDetector())(avatar)
    if face is None:
        return None
    x, y, fw, fh = face
    box = CropBox(x + fw / 2, y + fh / 2 - options.raise_head * fh, options.margin * max(fw, fh))
    side = int(min(round(box.size), h, w))
    left = int(np.clip(round(box.cx - side / 2), 0, w - side))
    top = int(np.clip(round(box.cy - side / 2), 0, h - side))
    return PasteRegion(left, top, side)


def feather_mask(side: int, feather: float) -> np.ndarray:
    """1 inside, falling to 0 at the square's edges along a raised cosine. Shapes: -> (side, side, 1)."""
    ramp = max(1, round(side * feather))
    edge = np.minimum(np.arange(side), np.arange(side)[::-1]).astype(np.float32)  # distance to the edge
    profile = np.clip(edge / ramp, 0.0, 1.0)
    profile = 0.5 - 0.5 * np.cos(np.pi * profile)
    return (np.minimum(profile[:, None], profile[None, :]))[:, :, None].astype(np.float32)


class PasteBack:
    """One avatar's paste-back: the crop the model animates and the full-resolution composite.

    Everything that depends only on the avatar (the original square, the feather weights) is made once;
    a frame costs one upscale, one per-channel offset and one weighted blend, all in OpenCV."""

    def __init__(self, avatar: np.ndarray, region: PasteRegion, model_size: int, feather: float):
        self.avatar = np.ascontiguousarray(avatar)
        self.region = region
        self.model_size = model_size
        s = region.side
        self._original = np.ascontiguousarray(
            self.avatar[region.top : region.top + s, region.left : region.left + s]
        )
        self._weight = feather_mask(s, feather)[:, :, 0]
        self._weight_rest = 1.0 - self._weight
        # the head square at the model's frame size: what the engine animates. Shapes: (S, S, 3)
        self.source_crop = cv2.resize(self._original, (model_size, model_size), interpolation=cv2.INTER_AREA)
        self._source_small = self.source_crop.astype(np.float32)
        small = feather_mask(model_size, feather)[:, :, 0]
        self._ring_small = (small > 0.05) & (small < 0.95)  # the blended border, at the model's size
        self._detail: DetailTransfer | None = None  # made at the first frame that asks for it
        self.detail_resolution = model_size  # what the model's output really keeps (`measure_detail`)

    def colour_offset(self, animated: np.ndarray) -> tuple[float, float, float, float]:
        """Per-channel shift that removes the model's colour drift where the crop meets the avatar
        (measured on the border ring at the model's size: cheap, and the same mean as at full size)."""
        if not self._ring_small.any():
            return (0.0, 0.0, 0.0, 0.0)
        drift = self._source_small[self._ring_small].mean(axis=0) - animated[self._ring_small].mean(axis=0)
        return (float(drift[0]), float(drift[1]), float(drift[2]), 0.0)

    def paste(self, animated: np.ndarray, motion: FrameMotion | None = None) -> np.ndarray:
        """The avatar at full resolution with the animated head blended in; with `motion` (the frame's
        deformation and occlusion), the avatar's detail moved with it is added. Shapes: (S, S, 3) ->
        the avatar's (H, W, 3) uint8."""
        r = self.region
        up = cv2.resize(animated, (r.side, r.side), interpolation=cv2.INTER_LINEAR)
        up = cv2.add(up, self.colour_offset(animated))  # type: ignore[call-overload]  # a scalar (B, G, R, A) is valid; saturating, either sign
        if motion is not None:
            if self._detail is None:
                self._detail = DetailTransfer(self._original, self.detail_resolution)
            up = self._detail.add_to(up, motion)
        blended = cv2.blendLinear(up, self._original, self._weight, self._weight_rest)
        out = self.avatar.copy()
        out[r.top : r.top + r.side, r.left : r.left + r.side] = blended
        return out

    def measure_detail(self, reconstruction: np.ndarray) -> None:
        """Set the resolution detail transfer tops up from: what the model keeps of the head square,
        judged on its `reconstruction` of it (see `effective_resolution`). Shapes: uint8 (S, S, 3)."""
        self.set_detail_resolution(effective_resolution(self.source_crop, reconstruction))

    def set_detail_resolution(self, resolution: int) -> None:
        """Top the head up with the avatar's detail above `resolution` pixels (of the model's frame)."""
        if resolution != self.detail_resolution:
            self.detail_resolution, self._detail = resolution, None

    def compose(self, result: AnimationResult, detail: bool = True) -> np.ndarray:
        """`paste` of an animated frame, with the avatar's detail moved by the frame's motion when
        `detail` is on and the frame was asked for its deformation (see `DETAIL_EXTRAS`)."""
        return self.paste(result.image, FrameMotion.of(result) if detail else None)


def set_paste_source(session: AnimationSession, avatar: np.ndarray, paste: PasteBack | None) -> None:
    """Give `session` the avatar (its head square when pasting back). With paste-back, one frame animates
    the square with itself, so the model's reconstruction measures what its output keeps
    (`PasteBack.measure_detail`); that frame passes no keypoint filter and leaves the session uncalibrated."""
    if paste is None:
        session.set_source(avatar)
        return
    session.set_source(paste.source_crop)
    keypoint_filter, session.keypoint_filter = session.keypoint_filter, None
    try:
        reconstruction = session.animate(paste.source_crop, with_extras=False).image
    finally:
        session.keypoint_filter = keypoint_filter
    session.reset_calibration()
    paste.measure_detail(reconstruction)


def prepare_paste_back(
    avatar: np.ndarray,
    model_size: int,
    options: PasteBackOptions | None = None,
    detector: Detector | None = None,
) -> PasteBack | None:
    """A `PasteBack` for this avatar, or None when the whole avatar should be animated (see `plan_region`)."""
    options = options or PasteBackOptions()
    region = plan_region(avatar, model_size, options, detector)
    return None if region is None else PasteBack(avatar, region, model_size, options.feather)
