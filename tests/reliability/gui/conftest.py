"""The Qt tests' fixtures (window factory, tiny model entry, avatar and driving files, settings in a
temp folder, no worker thread left running), shared with tests/ui; plus prompt deletion of closed
windows."""

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import (  # noqa: F401 - re-exported fixtures
    _no_thread_left,
    _settings_dir,
    avatar_path,
    driving_video,
    make_window,
    tiny_entry,
)


@pytest.fixture(autouse=True)
def _delete_closed_windows(qapp) -> Iterator[None]:
    """Delete each test's closed windows now, while their Python objects are whole.

    Left to the garbage collector, a window is destroyed at some later moment from inside a collection,
    and pyqtgraph items whose Python side is already cleared get layout calls ("'LabelItem' object has
    no attribute '_sizeHint'", pyqtgraph issue #472) that fail whichever test happens to be running.
    """
    yield
    from ui.main_window import MainWindow

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and not widget.isVisible():
            widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
