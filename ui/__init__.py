"""FOMM Studio's Qt GUI (PySide6). Imports only `fomm_studio` of ours (through `fomm_studio.api`)."""

import os

# OpenCV prints its own multi-line warnings when probing cameras that are absent; the GUI and the
# command line report those cases in one clear line of their own instead.
os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")

from ui.refcount_guard import protect_singletons

protect_singletons()  # before any Qt call; does something only under PySide6 6.12.0 on Python < 3.12
