"""Moving frames between the host and the model's device with as few copies as a frame allows.

A live frame on a GPU pays for every host<->device copy twice: the copy itself and the
synchronisation it forces. So a frame goes up once, as uint8 (a quarter of the float bytes, through
pinned memory so the copy can overlap), and comes back once: every tensor the host needs is viewed
as bytes, concatenated on the device and copied in one transfer, then split into numpy arrays.
On the CPU both are free: `to_host` only hands out numpy views.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

_NUMPY_DTYPES = {
    torch.uint8: np.uint8,
    torch.float32: np.float32,
    torch.float64: np.float64,
    torch.int64: np.int64,
    torch.int32: np.int32,
    torch.bool: np.bool_,
}


class FrameUploader:
    """Uploads uint8 (H, W, 3) frames; reuses one pinned host buffer per frame shape on CUDA."""

    def __init__(self, device: torch.device):
        self.device = device
        self._pinned: torch.Tensor | None = None

    def upload(self, frame: np.ndarray) -> torch.Tensor:
        """uint8 (H, W, 3) host frame -> uint8 (H, W, 3) tensor on the device (one copy)."""
        host = torch.from_numpy(np.ascontiguousarray(frame))
        if self.device.type != "cuda":
            return host.to(self.device)
        if self._pinned is None or self._pinned.shape != host.shape:
            self._pinned = torch.empty(host.shape, dtype=torch.uint8, pin_memory=True)
        # The previous frame's copy has finished: every frame ends with a blocking download.
        self._pinned.copy_(host)
        return self._pinned.to(self.device, non_blocking=True)


def host_dtype(tensor: torch.Tensor) -> torch.Tensor:
    """Reduced-precision floats become float32 (numpy has no bfloat16)."""
    return tensor.float() if tensor.dtype in (torch.float16, torch.bfloat16) else tensor


def to_host(tensors: Mapping[str, torch.Tensor]) -> dict[str, np.ndarray]:
    """Several device tensors -> numpy arrays with one device-to-host copy (and so one synchronisation).

    Shapes and dtypes are kept (fp16/bf16 arrive as float32).
    """
    prepared = {name: host_dtype(t.detach()).contiguous() for name, t in tensors.items()}
    if all(t.device.type == "cpu" for t in prepared.values()):
        return {name: t.numpy() for name, t in prepared.items()}
    parts = [t.reshape(-1).view(torch.uint8) for t in prepared.values()]
    flat = torch.cat(parts).cpu().numpy() if parts else np.empty(0, np.uint8)
    out: dict[str, np.ndarray] = {}
    offset = 0
    for (name, t), part in zip(prepared.items(), parts, strict=True):
        size = part.numel()
        out[name] = flat[offset : offset + size].view(_NUMPY_DTYPES[t.dtype]).reshape(tuple(t.shape))
        offset += size
    return out


def image_to_uint8(tensor: torch.Tensor) -> torch.Tensor:
    """Model output in [0, 1] -> uint8 on the device, so the download is a quarter of the bytes.

    Shapes: (1, C, H, W) or (C, H, W) -> (H, W, C).
    """
    if tensor.ndim == 4:
        tensor = tensor[0]
    return (tensor.float().clamp(0, 1) * 255.0).round().to(torch.uint8).permute(1, 2, 0)
