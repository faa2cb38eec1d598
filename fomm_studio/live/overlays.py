"""Inspection overlays drawn with OpenCV on uint8 RGB images (no Qt, so they are testable alone).

Keypoints are drawn by `trainer.visualize.draw_keypoints` (the training samples use it too): every
keypoint has one colour from a fixed palette, the same on the driving, avatar and output panes, so
the user can see which driving point moves which part of the avatar.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine import AnimationResult
from fomm_studio.live.flow_view import flow_overlay
from trainer.visualize import draw_keypoints, palette

BACKGROUND_COLOR = (40, 40, 40)


@dataclass(frozen=True)
class OverlayOptions:
    """Which overlays are on. Immutable: the GUI sends a new one to the worker on every toggle."""

    keypoints: bool = False
    heatmaps: bool = False
    occlusion: bool = False
    masks: bool = False
    deformed: bool = False
    flow: bool = False

    @property
    def any(self) -> bool:
        return self.keypoints or self.heatmaps or self.occlusion or self.masks or self.deformed or self.flow

    @property
    def extras(self) -> frozenset[str]:
        """The arrays the engine must compute and copy to the host for these overlays (keypoints are
        always there): each overlay costs only its own array."""
        wanted = {
            "heatmaps": self.heatmaps,
            "occlusion_map": self.occlusion,
            "mask": self.masks,
            "deformed": self.deformed,
            "deformation": self.flow,
        }
        return frozenset(name for name, on in wanted.items() if on)


def resize_to(image: np.ndarray, size: int) -> np.ndarray:
    """Square uint8 image -> (size, size); smooth when enlarging so overlays stay crisp on top."""
    if image.shape[0] == size and image.shape[1] == size:
        return image
    interp = cv2.INTER_CUBIC if size > image.shape[0] else cv2.INTER_AREA
    return cv2.resize(image, (size, size), interpolation=interp)


def fit_display(image: np.ndarray, size: int) -> np.ndarray:
    """Any (H, W, 3) image letterboxed into a (size, size) pane: scaled to fit, dark bars around."""
    h, w = image.shape[:2]
    if h == w:
        return resize_to(image, size)
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    pane = np.zeros((size, size, 3), np.uint8)
    top, left = (size - nh) // 2, (size - nw) // 2
    pane[top : top + nh, left : left + nw] = cv2.resize(image, (nw, nh), interpolation=interp)
    return pane


def _colormap(values: np.ndarray, size: int) -> np.ndarray:
    """Float map in [0, 1] (h, w) -> RGB colour image (size, size, 3) with the TURBO colormap."""
    scaled = np.clip(values, 0.0, 1.0)
    resized = cv2.resize((scaled * 255).astype(np.uint8), (size, size), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(cv2.applyColorMap(resized, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)


def colormap_bar(width: int, height: int) -> np.ndarray:
    """The heatmap and occlusion overlays' colour scale, 0 at the left to 1 at the right, for a legend.

    Shapes: -> (height, width, 3) uint8 RGB.
    """
    ramp = np.tile(np.linspace(0, 255, width).astype(np.uint8), (height, 1))
    return cv2.cvtColor(cv2.applyColorMap(ramp, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)


def blend(image: np.ndarray, layer: np.ndarray, alpha: float) -> np.ndarray:
    """`layer` over `image` at opacity `alpha` (same shapes)."""
    return cv2.addWeighted(image, 1.0 - alpha, layer, alpha, 0.0)


def blend_heatmaps(image: np.ndarray, heatmaps: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """Max over keypoints of their heatmaps, each normalised to its peak, blended as a colormap.

    Shapes: heatmaps (K, h, w).
    """
    peaks = heatmaps.reshape(heatmaps.shape[0], -1).max(axis=1).reshape(-1, 1, 1)
    combined = (heatmaps / np.maximum(peaks, 1e-12)).max(axis=0)
    return blend(image, _colormap(combined, image.shape[0]), alpha)


def blend_occlusion(image: np.ndarray, occlusion_map: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """Occlusion map (h, w) in [0, 1] as a colormap: blue = occluded (inpainted), red = visible."""
    return blend(image, _colormap(occlusion_map, image.shape[0]), alpha)


def mask_colors(mask: np.ndarray, size: int) -> np.ndarray:
    """Part masks (K+1, h, w) -> argmax coloured with the keypoint palette; index 0 (background) grey."""
    labels = mask.argmax(axis=0).astype(np.uint8)
    labels = cv2.resize(labels, (size, size), interpolation=cv2.INTER_NEAREST)
    lut = np.array([BACKGROUND_COLOR, *palette(mask.shape[0] - 1)], dtype=np.uint8)
    return lut[labels]


def blend_masks(image: np.ndarray, mask: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Part masks (K+1, h, w) as keypoint-coloured regions over the image."""
    return blend(image, mask_colors(mask, image.shape[0]), alpha)


@dataclass(frozen=True)
class Panes:
    """The three live images, each (size, size, 3) uint8: driving crop, avatar, animated output."""

    driving: np.ndarray
    avatar: np.ndarray
    output: np.ndarray
    avatar_caption: str = "Avatar"


def compose_panes(
    result: AnimationResult, crop: np.ndarray, avatar: np.ndarray, options: OverlayOptions, size: int
) -> Panes:
    """Draw the enabled overlays on the three panes.

    Driving pane: heatmaps, driving keypoints. Avatar pane: source keypoints and part masks, or the
    deformed source with the transported keypoints. Output pane: occlusion map, dense flow with the
    sparse motions, transported keypoints.
    """
    driving = resize_to(crop, size)
    show_deformed = options.deformed and result.deformed is not None
    avatar_img = resize_to(result.deformed if show_deformed and result.deformed is not None else avatar, size)
    output = resize_to(result.image, size)
    if options.heatmaps and result.heatmaps is not None:
        driving = blend_heatmaps(driving, result.heatmaps)
    if options.masks and result.mask is not None:
        avatar_img = blend_masks(avatar_img, result.mask)
    if options.occlusion and result.occlusion_map is not None:
        output = blend_occlusion(output, result.occlusion_map)
    if options.flow and result.deformation is not None:
        output = flow_overlay(output, result.deformation, result.kp_norm.value, result.kp_source.value)
    if options.keypoints:
        driving = draw_keypoints(driving, result.kp_driving.value, result.kp_driving.jacobian)
        avatar_kp = result.kp_norm if show_deformed else result.kp_source
        avatar_img = draw_keypoints(avatar_img, avatar_kp.value, avatar_kp.jacobian)
        output = draw_keypoints(output, result.kp_norm.value, result.kp_norm.jacobian)
    caption = "Deformed source" if show_deformed else "Avatar"
    return Panes(driving, avatar_img, output, caption)
