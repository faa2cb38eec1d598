"""Where the Live tab's default-model hint leads: the model picker's add action, or the Train tab set up
to distil (the lite preset, for this CPU) or to fine-tune the built-in model on the user's own video."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fomm_studio.api import DEFAULT_CHECKPOINT, DEFAULT_CONFIG, PRESETS

if TYPE_CHECKING:
    from ui.main_window import MainWindow

LITE_PRESET = next(
    (p.name for p in PRESETS if p.path == DEFAULT_CONFIG), PRESETS[0].name
)  # the default's config


def connect_default_model_hint(window: MainWindow) -> None:
    """Connect the hint's three buttons to the window."""
    hint = window.live.model_hint
    hint.load_requested.connect(window.open_model_files)
    hint.distil_requested.connect(lambda: open_training(window, fine_tune=False))
    hint.finetune_requested.connect(lambda: open_training(window, fine_tune=True))


def open_training(window: MainWindow, fine_tune: bool) -> None:
    """The Train tab with the lite preset; fine-tuning also starts from the built-in model's weights."""
    train = window.train
    train.config_form.restore(LITE_PRESET)
    if fine_tune:
        train.controls.init_edit.setText(str(DEFAULT_CHECKPOINT))
        text = (
            "Fine-tune: choose a folder with a minute of video of your face, then Start (the run starts "
            "from the built-in model)"
        )
    else:
        text = (
            "Distil for this CPU: the lite preset trains a small model that runs here; choose a folder of "
            "face videos, then Start"
        )
    window.tabs.setCurrentWidget(train)
    window.show_status(text)
