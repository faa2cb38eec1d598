"""Training items read from the teacher cache: the student's inputs and the teacher's outputs."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

PER_SOURCE = ("kp_source_value", "kp_source_jacobian")
PER_ITEM = ("kp_driving_value", "kp_driving_jacobian", "kp_norm_value", "kp_norm_jacobian")


def _image(frame: np.ndarray) -> torch.Tensor:
    """Shapes: (H, W, 3) uint8 -> (3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.asarray(frame, dtype=np.float32).transpose(2, 0, 1) / 255.0)


class CachedPairs(Dataset):
    """Item (index, seed) -> {'source', 'driving', 'initial', 'prediction': (3, H, W); 'deformation':
    (h, w, 2); 'occlusion': (1, h', w'); 'kp_*_value': (K, 2); 'kp_*_jacobian': (K, 2, 2)}. The seed of
    the shared epoch sampler is not needed: a pair and its targets are fixed."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays

    def __len__(self) -> int:
        return int(self.arrays["item_frame"].shape[0])

    def __getitem__(self, key: tuple[int, int]) -> dict[str, torch.Tensor]:
        item = key[0]
        a = self.arrays
        source = int(a["item_source"][item])
        out = {
            "source": _image(a["sources"][source]),
            "driving": _image(a["driving"][item]),
            "initial": _image(a["initial"][int(a["item_video"][item])]),
            "prediction": _image(a["prediction"][item]),
        }
        for name in ("deformation", "occlusion"):
            if name in a:
                out[name] = torch.from_numpy(np.asarray(a[name][item], dtype=np.float32))
        for name in PER_SOURCE:
            if name in a:
                out[name] = torch.from_numpy(np.array(a[name][source]))
        for name in PER_ITEM:
            if name in a:
                out[name] = torch.from_numpy(np.array(a[name][item]))
        return out
