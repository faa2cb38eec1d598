"""68-point 2D face landmarks (face-alignment's S3FD detector + 2DFAN-4), offline-safe.

`face_alignment.FaceAlignment(...)` downloads its two weight files at construction and fails with
a network error when offline. `LandmarkDetector` checks for the files first and raises
`MissingWeightsError` naming each missing file, where to download it and the folder it goes in.
The folder is torch hub's cache (`$TORCH_HOME/hub/checkpoints`, default `~/.cache/torch/...`).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from engine import resolve_device
from engine.errors import FommError, MissingWeightsError

# The files face-alignment 1.5 fetches (file name -> download address), as its sources name them.
S3FD_FILE = "s3fd-619a316812.pth"
FAN_FILE = "2DFAN4-11f355bf06.pth.tar"
WEIGHT_URLS = {
    S3FD_FILE: "https://www.adrianbulat.com/downloads/python-fan/s3fd-619a316812.pth",
    FAN_FILE: "https://www.adrianbulat.com/downloads/python-fan/2DFAN4-11f355bf06.pth.tar",
}


def landmark_weights_dir() -> Path:
    """The folder face-alignment reads its weights from (follows $TORCH_HOME)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


def missing_landmark_weights() -> list[Path]:
    """The weight files that are not there yet (empty when landmarks can run offline)."""
    folder = landmark_weights_dir()
    return [folder / name for name in WEIGHT_URLS if not (folder / name).is_file()]


def check_landmark_weights() -> None:
    """Raise MissingWeightsError listing each missing file, its download address and its folder."""
    missing = missing_landmark_weights()
    if not missing:
        return
    folder = landmark_weights_dir()
    files = "; ".join(f"{path.name} (from {WEIGHT_URLS[path.name]})" for path in missing)
    raise MissingWeightsError(
        f"face landmark weights missing in {folder}: {files}. Download them into "
        f"{folder} (or set TORCH_HOME to a folder whose hub/checkpoints holds them)"
    )


class LandmarkDetector:
    """68 (x, y) landmarks in pixels of the largest face in an RGB image."""

    def __init__(self, device: str = "cpu"):
        device = str(resolve_device(device))  # face-alignment knows 'cpu' and 'cuda', not 'auto'
        check_landmark_weights()
        import face_alignment  # heavy (numba, skimage): only when landmarks are really wanted

        detector_file = landmark_weights_dir() / S3FD_FILE
        try:
            self._model = face_alignment.FaceAlignment(
                face_alignment.LandmarksType.TWO_D,
                device=device,
                flip_input=False,
                face_detector="sfd",
                face_detector_kwargs={"path_to_detector": str(detector_file)},
                compile=False,
            )
        except (RuntimeError, OSError, EOFError, pickle.UnpicklingError, KeyError) as exc:
            raise FommError(
                f"face landmark weights in {landmark_weights_dir()} could not be loaded "
                f"({type(exc).__name__}: {exc}); delete and download them again"
            ) from exc

    def landmarks(self, image: np.ndarray) -> np.ndarray | None:
        """(68, 2) float32 pixel coordinates of the largest face in uint8 RGB (H, W, 3), or None."""
        found = self._model.get_landmarks_from_image(image)
        if not found:
            return None
        largest = max(found, key=lambda points: float(np.ptp(points[:, 0]) * np.ptp(points[:, 1])))
        return np.asarray(largest[:, :2], dtype=np.float32)


def normalised_landmarks(points: np.ndarray) -> np.ndarray:
    """Landmarks with position and size removed: centred on their mean, scaled to unit RMS radius.

    Comparing two faces' normalised landmarks compares expression and head pose, not where the face
    is in the frame or how large it is. Shapes: (N, 2) -> (N, 2).
    """
    centred = points - points.mean(axis=0, keepdims=True)
    radius = float(np.sqrt((centred**2).sum(axis=1).mean()))
    return centred / max(radius, 1e-6)
