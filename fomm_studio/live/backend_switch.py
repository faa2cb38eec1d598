"""Switching the live view to a faster backend without stopping it.

The exported backend takes seconds to build (tens of seconds the first time: export, then the fidelity
guard), so it is built on a thread of its own while the pipeline keeps animating on torch. The
pipeline polls between two frames and, once the build is done, switches the session over: the next
frame runs on the new backend, no frame is lost or waits for it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from engine import FommModels
from engine.backends.base import BackendCancelledError
from engine.backends.choice import BackendChoice, prepare_backend
from engine.errors import FommError

log = logging.getLogger(__name__)

BUILDING_NOTICE = (
    "Preparing the fast CPU backend in the background (the first use of a model exports it: tens of "
    "seconds); the view runs on torch meanwhile"
)


class BackendSwitch:
    """Prepares `request` (an exported backend or 'auto') for `models` on a background thread, its guard
    animating `picture` (the avatar); `poll()` hands the choice over once. `cancel()` makes the build
    stop at its next cancellation point (between export steps and guard frames) and drop its result;
    it does not wait for it."""

    def __init__(
        self,
        models: FommModels,
        request: str,
        picture: np.ndarray | None = None,
        cache_dir: Path | None = None,
    ):
        self.request = request
        self._models = models
        self._picture = picture
        self._cache_dir = cache_dir
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._choice: BackendChoice | None = None
        self._error: str | None = None
        self._delivered = False
        # Not a daemon, said explicitly: a thread inherits daemon=True from a thread Python did not start
        # (the GUI's QThread worker), and the interpreter kills daemon threads at exit, here inside the
        # runtime's native code (measured: std::terminate, exit code 134). A cancelled build stops at
        # its next cancellation point, so exit waits for one step at most.
        self._thread = threading.Thread(target=self._build, name="fomm-backend-build", daemon=False)
        self._thread.start()

    def _build(self) -> None:
        try:
            choice = prepare_backend(self._models, self.request, self._cache_dir, self._cancel, self._picture)
        except BackendCancelledError:
            return
        except (FommError, OSError) as exc:  # the live view stays on torch and says why
            log.warning("backend build failed: %s", exc)
            with self._lock:
                self._error = f"backend torch: building {self.request} failed ({exc})"
            return
        with self._lock:
            self._choice = choice

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def poll(self) -> BackendChoice | str | None:
        """The finished choice (or, if the build failed, the line saying so) exactly once; else None."""
        if self._delivered or self._cancel.is_set() or not self.done:
            return None
        self._delivered = True
        with self._lock:
            return self._choice if self._choice is not None else self._error

    def close(self) -> None:
        """Cancel and wait for the step in progress: a process that exits while the runtime compiles in
        native threads aborts ("terminate called without an active exception", seen in the headless run)."""
        self.cancel()
        if not self.join(timeout=120):
            log.warning("the backend build did not stop within 120 s")

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the build thread; True when it has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()
