"""The meta device playing a GPU on a CPU-only machine, to test what a live frame costs a real one.

Models built on `meta` run every op for its shapes only. `TransferLog` is a dispatch mode that counts
what crosses between host and "device": a copy from `cpu` to `meta` is an upload; a copy from `meta`
to `cpu` is a download, answered with zeros of the right shape (a meta tensor has no data); ops on
device tensors that would force a GPU to synchronise with the host (`.item()`, `nonzero`, a LAPACK
`inverse`) are listed (on host tensors, such as an optimizer's step counters, they cost nothing).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten
_COPIES = (aten._to_copy, aten.to)
_SYNCING = (aten._local_scalar_dense, aten.nonzero, aten.linalg_inv_ex, aten.inverse, aten.linalg_inv)


def _target_device(args: tuple[Any, ...], kwargs: dict[str, Any], default: torch.device) -> torch.device:
    for candidate in (kwargs.get("device"), *args[1:]):
        if isinstance(candidate, (torch.device, str)):
            return torch.device(candidate)
    return default


def _on_device(args: tuple[Any, ...]) -> bool:
    return any(isinstance(a, torch.Tensor) and a.device.type != "cpu" for a in args)


class TransferLog(TorchDispatchMode):
    """Counts uploads, downloads and synchronising ops while active (`with TransferLog() as log:`)."""

    def __init__(self) -> None:
        super().__init__()
        self.uploads = 0
        self.blocking_uploads = 0  # uploads without non_blocking=True: each waits for the GPU's queue
        self.downloads = 0
        self.syncing_ops: list[str] = []
        self._depth = 0  # `aten.to` dispatches `_to_copy` inside: count the outer call only

    def __torch_dispatch__(
        self, func: Any, types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        if func.overloadpacket in _SYNCING and _on_device(args):
            self.syncing_ops.append(str(func))
        if func.overloadpacket in _COPIES and isinstance(args[0], torch.Tensor):
            src = args[0]
            dst = _target_device(args, kwargs, src.device)
            if self._depth == 0:
                if src.device.type == "meta" and dst.type == "cpu":
                    self.downloads += 1
                    return torch.zeros(src.shape, dtype=kwargs.get("dtype") or src.dtype)
                if src.device.type == "cpu" and dst.type == "meta":
                    self.uploads += 1
                    self.blocking_uploads += not kwargs.get("non_blocking", False)
            self._depth += 1
            try:
                return func(*args, **kwargs)
            finally:
                self._depth -= 1
        return func(*args, **kwargs)


def retag_storages(path: Path, old: bytes, new: bytes) -> None:
    """Rewrite the storage location strings of a torch zip checkpoint (pickle BINUNICODE opcodes), e.g.
    b"cpu" -> b"cuda:0": the file a GPU machine would have written, made on any machine."""
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info.filename) for info in archive.infolist()}
    pickled = next(name for name in entries if name.endswith("data.pkl"))
    before = b"X" + len(old).to_bytes(4, "little") + old
    assert before in entries[pickled]
    entries[pickled] = entries[pickled].replace(before, b"X" + len(new).to_bytes(4, "little") + new)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
