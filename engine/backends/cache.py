"""The on-disk cache of exported backends: export once per weights, config and frame size.

One entry is one zip file named by a hash of its key, written atomically (`engine.atomic`). It holds
`manifest.json` (the full key and the SHA-256 of every other member) and the exported files. An
entry is used only when its manifest's key equals the wanted one and every member's hash matches;
anything else (truncated, corrupt, another runtime version, another export format) is reported as
stale, and the caller rebuilds it over the old file. Nothing in an entry is trusted before that.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from engine.atomic import atomic_write_with
from engine.config import FommConfig, config_to_dict

CACHE_ENV = "FOMM_BACKEND_CACHE"
MANIFEST = "manifest.json"


class StaleEntryError(Exception):
    """A cache entry that must be rebuilt; the message says why (internal: never reaches the user)."""


def default_cache_dir() -> Path:
    """$FOMM_BACKEND_CACHE, else ~/.cache/fomm_studio/backends (read at each call, so tests can move it)."""
    override = os.environ.get(CACHE_ENV, "").strip()
    return Path(override) if override else Path.home() / ".cache" / "fomm_studio" / "backends"


def weights_digest(modules: dict[str, nn.Module]) -> str:
    """SHA-256 of every tensor of the named modules' state dicts: names, dtypes, shapes and values.

    Memory layout does not count (a channels_last copy hashes like the original)."""
    digest = hashlib.sha256()
    for module_name, module in sorted(modules.items()):
        for name, tensor in sorted(module.state_dict().items()):
            data = tensor.detach().cpu().contiguous()
            digest.update(f"{module_name}.{name}|{data.dtype}|{tuple(data.shape)}\n".encode())
            digest.update(data.view(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheKey:
    """Everything an exported backend depends on. `export_format` changes when the export code does."""

    backend: str
    weights_sha256: str
    model_params: str  # canonical JSON of the config's model_params section
    frame_size: int
    runtime_version: str
    export_format: int

    @classmethod
    def of(
        cls, backend: str, config: FommConfig, weights_sha256: str, runtime_version: str, export_format: int
    ) -> CacheKey:
        params = json.dumps(config_to_dict(config)["model_params"], sort_keys=True)
        return cls(backend, weights_sha256, params, config.frame_size, runtime_version, export_format)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()

    def path(self, cache_dir: Path) -> Path:
        """Where this key's entry lives: the backend name and a hash of the key."""
        return cache_dir / f"{self.backend}-{self.digest()[:32]}.zip"


def write_entry(path: Path, key: CacheKey, files: dict[str, bytes]) -> None:
    """Write an entry atomically: a reader sees the old file, or this complete one."""
    manifest = {"key": asdict(key), "files": {name: _sha256(data) for name, data in files.items()}}

    def write(handle: io.BufferedIOBase) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
            for name, data in files.items():
                archive.writestr(name, data)

    atomic_write_with(path, write)  # type: ignore[arg-type]


def read_entry(path: Path, key: CacheKey) -> dict[str, bytes]:
    """The files of a valid entry for `key`. Raises FileNotFoundError, or StaleEntryError saying why."""
    if not path.is_file():
        raise FileNotFoundError(path)
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            if manifest.get("key") != asdict(key):
                raise StaleEntryError("its key differs (other weights, config, size or runtime version)")
            files = {name: archive.read(name) for name in manifest["files"]}
    except (zipfile.BadZipFile, KeyError, TypeError, ValueError, OSError, EOFError) as exc:
        raise StaleEntryError(f"unreadable ({type(exc).__name__}: {exc})") from exc
    for name, data in files.items():
        if _sha256(data) != manifest["files"][name]:
            raise StaleEntryError(f"member {name} does not match its recorded hash")
    return files


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
