"""Keeps the reference-count bugs of PySide6 6.12.0 from aborting the app on Python < 3.12.

PySide6 6.12.0 releases references it never took: one to `None` on every call of a method that returns
nothing (`update()`, `setText()`, `setInterval()`...), and one to `True` or `False` on every delivery of
a signal to a Python slot. From Python 3.12 these objects are immortal and this is harmless; before,
their counts (some 60,000 and 30,000 in this app) run out after minutes of live video and the
interpreter aborts ("none_dealloc: deallocating None", "bool_dealloc: deallocating True or False").
Releases 6.8.3 to 6.11.3 do not do this (measured), and the project's dependency excludes 6.12.0.

Where that release is installed anyway, `protect_singletons()` raises each count once by 2**40, so no
number of such calls can bring it to zero, as Python 3.12 does for good. Anywhere else it does nothing.
"""

from __future__ import annotations

import ctypes
import logging
import platform
import sys

import PySide6

log = logging.getLogger(__name__)

LEAKING_RELEASES = frozenset({"6.12.0"})
RESERVE = 1 << 40
SINGLETONS = (None, True, False)


def guard_needed(pyside_version: str = PySide6.__version__) -> bool:
    """True where PySide6 drops references to None, True and False and their counts can run out: a
    leaking release on CPython < 3.12."""
    return (
        pyside_version in LEAKING_RELEASES
        and sys.version_info < (3, 12)
        and platform.python_implementation() == "CPython"
    )


def protect_singletons() -> bool:
    """Raise the reference counts of None, True and False once per process where `guard_needed()`;
    True when this call did."""
    if not guard_needed():
        return False
    counts = [ctypes.c_ssize_t.from_address(id(obj)) for obj in SINGLETONS]  # ob_refcnt: first field
    if any(count.value >= RESERVE for count in counts):
        return False  # done already
    if any(count.value != sys.getrefcount(obj) - 1 for count, obj in zip(counts, SINGLETONS, strict=True)):
        return False  # not the object layout assumed here: leave them alone
    for count in counts:
        count.value += RESERVE
    log.warning(
        "PySide6 %s drops references to None, True and False; their reference counts were raised so "
        "that this cannot abort Python. Install another PySide6 release (6.8 to 6.11).",
        PySide6.__version__,
    )
    return True
