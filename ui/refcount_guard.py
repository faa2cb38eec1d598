"""Keeps a PySide6 reference-count bug from aborting the app on Python < 3.12.

PySide6 6.12 releases one reference to `None` it never took on every call of a method that returns
nothing (`update()`, `setText()`, `setInterval()`...). From Python 3.12 `None` is immortal and this is
harmless; before, its count (some 60,000 in this app) runs out after a few minutes of live video and
the interpreter aborts with "none_dealloc: deallocating None". `protect_none()` raises the count of
`None` once by 2**40, so no number of such calls can bring it to zero, as Python 3.12 does for good.
"""

from __future__ import annotations

import ctypes
import platform
import sys

RESERVE = 1 << 40


def protect_none() -> bool:
    """Raise None's reference count once per process; True when this call did (CPython < 3.12 only)."""
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False
    refcount = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is a PyObject's first field
    if refcount.value >= RESERVE:
        return False  # done already
    if refcount.value != sys.getrefcount(None) - 1:  # not the layout assumed here: leave it alone
        return False
    refcount.value += RESERVE
    return True
