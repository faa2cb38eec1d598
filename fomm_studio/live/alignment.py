"""Aligning the face with the avatar before Calibrate: the avatar shown over the driving crop, and a
figure for how far the driving keypoints are from the avatar's.

Relative motion (the paper's Sec. 3.4) applies the driving face's motion *since the calibrated frame*
to the avatar's keypoints, so it works best when the calibrated pose matches the avatar's. The figure
makes "matches" a number: the mean distance between the two keypoint sets, after the driving set is
scaled to the avatar's spread as the adapt-movement-scale normalisation does (a face nearer or further
from the camera is not a misalignment), in percent of the frame side. Keypoints are in [-1, 1] (x, y).
"""

from __future__ import annotations

import cv2
import numpy as np

from engine.motion import convex_hull_area

FRAME_SIDE = 2.0  # keypoint coordinates span [-1, 1]


def spread_scale(kp_source: np.ndarray, kp_driving: np.ndarray) -> float:
    """sqrt(hull area of the avatar's keypoints / hull area of the driving ones): 1 when degenerate."""
    source, driving = convex_hull_area(kp_source), convex_hull_area(kp_driving)
    if source <= 0 or driving <= 0:
        return 1.0
    return float(np.sqrt(source / driving))


def alignment_error(kp_source: np.ndarray, kp_driving: np.ndarray) -> float:
    """Mean keypoint distance between the avatar (`kp_source`) and the driving frame, in % of the frame
    side, with the driving keypoints scaled about their centre to the avatar's spread. 0 = aligned.

    Shapes: kp_source, kp_driving (K, 2) in [-1, 1].
    """
    source = np.asarray(kp_source, dtype=np.float64)
    driving = np.asarray(kp_driving, dtype=np.float64)
    if source.shape != driving.shape or source.ndim != 2 or source.shape[1] != 2:
        raise ValueError(f"keypoints must both be (K, 2), got {source.shape} and {driving.shape}")
    centre = driving.mean(axis=0)
    scaled = centre + (driving - centre) * spread_scale(source, driving)
    distance = np.linalg.norm(scaled - source, axis=1).mean()
    return float(distance / FRAME_SIDE * 100.0)


def blend_avatar(driving: np.ndarray, avatar: np.ndarray, opacity: float) -> np.ndarray:
    """The avatar laid over the driving pane at `opacity` (0 = driving only, 1 = avatar only).

    Shapes: driving (S, S, 3) uint8; avatar (A, A, 3) uint8, resized to S.
    """
    alpha = float(np.clip(opacity, 0.0, 1.0))
    size = driving.shape[1], driving.shape[0]
    if avatar.shape[:2] != driving.shape[:2]:
        avatar = cv2.resize(avatar, size, interpolation=cv2.INTER_AREA)
    return cv2.addWeighted(avatar, alpha, driving, 1.0 - alpha, 0.0)
