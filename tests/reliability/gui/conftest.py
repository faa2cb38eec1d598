"""The Qt tests' fixtures (window factory, tiny model entry, avatar and driving files, settings in a
temp folder, no worker thread left running, closed windows deleted and garbage collected on the GUI
thread), shared with tests/ui."""

from tests.ui.conftest import (  # noqa: F401 - re-exported fixtures
    _no_thread_left,
    _settings_dir,
    avatar_path,
    driving_video,
    make_window,
    tiny_entry,
)
