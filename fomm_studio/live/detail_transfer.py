"""Detail transfer: the pasted-back face keeps the full-resolution avatar's fine detail.

The model animates the head square at its own frame size (256 px); pasted back into a 1024-px
portrait, that square is blown up ~2.8 times and looks soft. What the upscale lost is the avatar
square's detail layer: the square minus the same square taken down to the model's size and back up
(the path the animated crop travels). The model's output is softer still than its frame size (the
lite model's reconstruction of the astronaut is as sharp as the source taken down to ~100 px and back),
so the layer is taken against the resolution the model really keeps (`effective_resolution`, measured
once per avatar on the model's reconstruction of it), else most of the softness stays. The model's own motion says where each output pixel
came from in the source (the dense motion's backward flow `deformation`, Eq. 4, in the crop's
[-1, 1] coordinates); moving the detail layer with that flow and adding it to the upscaled animated
crop puts the avatar's pores, hair and edges where the model put the face. Where the occlusion map
says the source is hidden (the generator inpainted those pixels), no source detail is added.

Warping the detail layer instead of warping the avatar and filtering it afterwards is the same up to
the flow's curvature within one low-pass footprint (both steps are linear; the flow is estimated at
64 px, far smoother than the detail), and it leaves one remap per frame: the filtering is done once
per avatar.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine import AnimationResult

# The extras of a frame that detail transfer reads (see `engine.session.EXTRAS`).
DETAIL_EXTRAS = frozenset({"deformation", "occlusion_map"})
NEUTRAL = 128  # the stored detail layer's zero


@dataclass(frozen=True)
class FrameMotion:
    """One frame's dense motion: deformation float32 (h, w, 2) backward flow, (x, y) in [-1, 1]
    (grid_sample, align_corners=False); occlusion_map float32 (h, w) in [0, 1] (1 = source visible)
    or None when the config estimates none."""

    deformation: np.ndarray
    occlusion_map: np.ndarray | None = None

    @classmethod
    def of(cls, result: AnimationResult) -> FrameMotion | None:
        """The motion of an animated frame, or None when the frame was not asked for its deformation."""
        if result.deformation is None:
            return None
        return cls(result.deformation, result.occlusion_map)


def identity_grid(h: int, w: int) -> np.ndarray:
    """The flow that moves nothing, at pixel centres (align_corners=False). Shapes: -> (h, w, 2)."""
    xs = (2.0 * np.arange(w, dtype=np.float32) + 1.0) / w - 1.0
    ys = (2.0 * np.arange(h, dtype=np.float32) + 1.0) / h - 1.0
    grid = np.empty((h, w, 2), np.float32)
    grid[..., 0], grid[..., 1] = xs[None, :], ys[:, None]
    return grid


def low_pass(square: np.ndarray, resolution: int) -> np.ndarray:
    """`square` taken down to `resolution` pixels (area average) and back up bilinearly, as `PasteBack`
    scales the animated crop. Shapes: (s, s, C) -> (s, s, C), same dtype."""
    s = square.shape[0]
    small = cv2.resize(square, (resolution, resolution), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (s, s), interpolation=cv2.INTER_LINEAR)  # type: ignore[no-any-return]


def laplacian_variance(image: np.ndarray, border: float = 0.0) -> float:
    """Sharpness: the variance of the Laplacian of the grey levels, leaving out `border` of the side."""
    h, w = image.shape[:2]
    dy, dx = round(h * border), round(w * border)
    grey = cv2.cvtColor(image[dy : h - dy, dx : w - dx], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def effective_resolution(source: np.ndarray, reconstruction: np.ndarray) -> int:
    """The resolution the model's output really has: the largest size (among 100% down to 25% of the
    frame in ~15% steps) that the source must be taken down to, and back, to be no sharper than the
    model's reconstruction of it (Laplacian variance, inside a 15% border). Shapes: both uint8 (S, S, 3)."""
    size = source.shape[0]
    target = laplacian_variance(reconstruction, border=0.15)
    for resolution in np.geomspace(size, size / 4, 10).round().astype(int):
        if laplacian_variance(low_pass(source, int(resolution)), border=0.15) <= target:
            return int(resolution)
    return size // 4


def detail_layer(square: np.ndarray, resolution: int) -> np.ndarray:
    """What a round trip through `resolution` pixels (the model's frame size, or what its output really
    keeps) removes from `square`'s brightness: the square minus `low_pass(square, resolution)`, in grey
    levels. Shapes: uint8 (s, s, 3) -> float32 (s, s), zero on a flat square."""
    detail = square.astype(np.float32) - low_pass(square, resolution).astype(np.float32)
    return cv2.cvtColor(detail, cv2.COLOR_BGR2GRAY)  # type: ignore[no-any-return]  # the weights sum to 1


class DetailTransfer:
    """One avatar square's detail layer, moved per frame by the model's flow.

    The layer is brightness only, the same for the three channels: adding d to each of R, G and B adds
    d to the luma (the weights sum to one), and fine colour detail is what the eye misses least (the
    reason video codecs subsample chroma). One channel costs a third of three in the remap, the
    per-frame cost. It is kept as uint8 around 128 (clipped to +-127 grey levels, which real
    portraits' detail stays inside): OpenCV's fixed-point remap of uint8 is ~4x faster than of float.

    Per frame: one upscale of the 64-px flow displacement, one remap, one resize of the occlusion map,
    one blend towards neutral where occluded and one saturating add."""

    def __init__(self, square: np.ndarray, resolution: int):
        self.side = square.shape[0]
        detail = detail_layer(square, resolution)
        self._detail = np.clip(np.rint(detail) + NEUTRAL, 0, 255).astype(np.uint8)  # (s, s)
        self._neutral = np.full_like(self._detail, NEUTRAL)
        # pixel coordinates of each output pixel: the remap's identity. Shapes: (s, s, 2)
        self._pixels = (identity_grid(self.side, self.side) + 1.0) * (self.side / 2.0) - 0.5
        self._map = np.empty_like(self._pixels)  # each frame's sampling positions, in pixels

    def moved(self, motion: FrameMotion) -> np.ndarray:
        """The detail layer moved by `motion`, faded out where the source is occluded, as uint8 around
        `NEUTRAL`. Shapes: -> (s, s) uint8."""
        s = self.side
        h, w = motion.deformation.shape[:2]
        # upsample the displacement (scaled to pixels while it is small), not the grid: the identity
        # stays exact up to the square's border; written into one reused buffer (fewer page faults)
        displacement = (motion.deformation.astype(np.float32) - identity_grid(h, w)) * (s / 2.0)
        cv2.resize(displacement, (s, s), dst=self._map, interpolation=cv2.INTER_LINEAR)
        np.add(self._map, self._pixels, out=self._map)
        # fixed-point maps: the uint8 remap then runs on integers (measured ~25% faster with the conversion)
        fixed, fraction = cv2.convertMaps(self._map, None, cv2.CV_16SC2)  # type: ignore[call-overload]
        warped = cv2.remap(
            self._detail,
            fixed,
            fraction,
            cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=NEUTRAL,
        )
        if motion.occlusion_map is None or motion.occlusion_map.min() >= 1.0:  # nothing hidden
            return warped  # type: ignore[no-any-return]
        visible = cv2.resize(motion.occlusion_map.astype(np.float32), (s, s), interpolation=cv2.INTER_LINEAR)
        return cv2.blendLinear(warped, self._neutral, visible, 1.0 - visible)  # type: ignore[no-any-return]

    def add_to(self, upscaled: np.ndarray, motion: FrameMotion) -> np.ndarray:
        """`upscaled` (the animated crop at the square's size) with the moved detail added to each
        channel, clipped. Shapes: uint8 (s, s, 3) -> uint8 (s, s, 3)."""
        detail = cv2.cvtColor(self.moved(motion), cv2.COLOR_GRAY2BGR)
        return cv2.addWeighted(upscaled, 1.0, detail, 1.0, -float(NEUTRAL))  # type: ignore[no-any-return]
