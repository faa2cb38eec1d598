"""Fixtures for the Qt tests: the tiny model through the registry, avatar and video files, a window
factory that closes its windows, and a check that no worker QThread outlives its test (after which the
test's windows are deleted and its garbage collected, on the GUI thread)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(autouse=True)
def _settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real settings."""
    monkeypatch.setenv("FOMM_STUDIO_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture(autouse=True)
def _no_thread_left(qapp) -> Iterator[None]:
    """After the test: its worker threads have ended, then its windows and garbage go, here.

    Python's cyclic collector runs in whichever thread happens to allocate. A test's closed window is
    cyclic garbage (pyqtgraph keeps its plots in reference cycles, with a parentless `QMenu` per plot
    that Python owns); left for later, the next test's `LiveWorker` thread collected it in the middle of
    `torch.load` and destroyed widgets off the GUI thread, and the GUI thread then crashed on a freed
    timer. So closed windows are deleted and the collector run now, on the GUI thread, with no worker
    left running.
    """
    yield
    from ui.threads import LIVE_THREADS

    running = [t for t in list(LIVE_THREADS) if t.isRunning()]
    for thread in running:
        thread.wait(10000)
    _delete_closed_windows()
    gc.collect()
    assert not running, f"{len(running)} worker QThread(s) still running after the test"


def _delete_closed_windows() -> None:
    """Delete closed main windows now, while their Python objects are whole.

    Left to the garbage collector, a window is destroyed at some later moment from inside a collection,
    and pyqtgraph items whose Python side is already cleared get layout calls ("'LabelItem' object has
    no attribute '_sizeHint'", pyqtgraph issue #472) that fail whichever test happens to be running.
    """
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and not widget.isVisible():
            widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture()
def tiny_entry(tiny_config_path: Path, tiny_checkpoint: Path):
    from fomm_studio.api import ModelRegistry

    registry = ModelRegistry()
    return registry, registry.add_files(tiny_config_path, tiny_checkpoint, name="tiny test model")


@pytest.fixture()
def avatar_path(tmp_path: Path) -> Path:
    from fomm_studio.api import save_png

    yy, xx = np.mgrid[0:96, 0:96]
    image = np.stack([xx * 2, yy * 2, 255 - xx - yy], axis=2).clip(0, 255).astype(np.uint8)
    return save_png(tmp_path / "avatar.png", image)


@pytest.fixture()
def driving_video(tmp_path: Path) -> Path:
    from fomm_studio.api import SyntheticFeed
    from fomm_studio.media import VideoWriter

    source = SyntheticFeed(size=96, fps=25, realtime=False)
    source.open()
    path = tmp_path / "driving.mp4"
    writer = VideoWriter(path, fps=25, preset="ultrafast")
    for _ in range(12):
        writer.write(source.read())
    writer.close()
    return path


@pytest.fixture()
def make_window(qtbot, tiny_entry) -> Iterator[Callable[..., object]]:
    """Factory owning window lifetime: windows are closed (threads joined) at teardown."""
    from PySide6.QtWidgets import QApplication

    from fomm_studio.api import Settings
    from ui.main_window import MainWindow
    from ui.widgets.theme import apply_dark_theme

    windows = []

    def factory(settings: Settings | None = None) -> MainWindow:
        registry, entry = tiny_entry
        # torch unless a test asks for a backend: an automatic build of every exported backend in the
        # background of each Live test would compete with it for the CPU
        settings = settings or Settings(model_id=entry.model_id, camera="synthetic", live_backend="torch")
        apply_dark_theme(QApplication.instance())
        window = MainWindow(settings, registry, save_on_close=False)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        windows.append(window)
        return window

    yield factory
    for window in windows:
        window.close()
    windows.clear()  # the factory outlives this teardown (pytest keeps it until the test is done)


def save_artifact(widget, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path
