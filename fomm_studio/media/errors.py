"""Errors of media input/output: every message names the file and what is wrong with it."""

from __future__ import annotations

import errno
from pathlib import Path

from engine.errors import FommError


class MediaError(FommError):
    """An image or video the user pointed at that cannot be read or written."""


def describe_os_error(path: str | Path, exc: OSError, action: str) -> MediaError:
    """Turn an OSError met while `action`-ing `path` into a one-line MediaError."""
    if exc.errno == errno.ENOSPC:
        return MediaError(f"{path}: disk full while {action}; free some space and try again")
    if exc.errno == errno.ENOENT:
        return MediaError(f"{path}: file not found")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return MediaError(f"{path}: permission denied while {action}")
    if exc.errno == errno.EISDIR:
        return MediaError(f"{path}: is a directory, not a file")
    reason = exc.strerror or str(exc)
    return MediaError(f"{path}: {reason} while {action}")


def check_input_file(path: str | Path, kind: str) -> Path:
    """Fail early, naming the file, when `path` is missing, not a file, or empty."""
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: {kind} file not found")
    if not path.is_file():
        raise MediaError(f"{path}: is not a file (expected a {kind})")
    if path.stat().st_size == 0:
        raise MediaError(f"{path}: {kind} file is empty")
    return path
