"""Keeps PySide6 reference-count bugs from aborting the app on Python < 3.12.

PySide6 6.12 releases references it never took: one to `None` on every call of a method that
returns nothing (`update()`, `setText()`, `setInterval()`...), and one to `True` or `False` on every
delivery of a signal to a Python slot. From Python 3.12 these objects are immortal and this is
harmless; before, their counts (some 60,000 and 30,000 in this app) run out after minutes of live
video and the interpreter aborts ("none_dealloc: deallocating None", "bool_dealloc: deallocating True
or False"). `protect_singletons()` raises each count once by 2**40, so no number of such calls can
bring it to zero, as Python 3.12 does for good.
"""

from __future__ import annotations

import ctypes
import platform
import sys

RESERVE = 1 << 40
SINGLETONS = (None, True, False)


def protect_singletons() -> bool:
    """Raise the reference counts of None, True and False once per process; True when this call did
    (CPython < 3.12 only)."""
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False
    counts = [ctypes.c_ssize_t.from_address(id(obj)) for obj in SINGLETONS]  # ob_refcnt: first field
    if any(count.value >= RESERVE for count in counts):
        return False  # done already
    if any(count.value != sys.getrefcount(obj) - 1 for count, obj in zip(counts, SINGLETONS, strict=True)):
        return False  # not the object layout assumed here: leave them alone
    for count in counts:
        count.value += RESERVE
    return True
