"""The Train tab's three modes and what each one starts:

- Train: `trainer.train` on the dataset with the config form's numbers (the tab's original job);
- Distil for live: `trainer.distill`, a big teacher checkpoint distilled into a lite student;
- Personalize: `trainer.train` of the live model on the recorded clips, briefly, at a lower rate.

All three share the run box (run folder, device, Start / Stop / Resume) and the run view (curves,
samples, checkpoints), since all three write the same run folder layout.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QWidget

from fomm_studio.api import (
    DistillRequest,
    FommError,
    LaunchRequest,
    PersonalizePlan,
    build_distill_command,
    cuda_device_count,
    prepare_personalize,
    resumed_distill_request,
)
from ui.train.distill_form import DistillForm
from ui.train.personalize_box import PersonalizeBox
from ui.widgets.theme import ACCENT

if TYPE_CHECKING:
    from ui.train.panel import TrainPanel

MODES = (
    ("train", "Train", "Train a model on a dataset of videos"),
    (
        "distill",
        "Distil for live",
        "Teach a fast live model to reproduce a big one (e.g. vox-cpk) on your data",
    ),
    ("personalize", "Personalize", "Fine-tune the live model on the clips you recorded in the Live tab"),
)
SAMPLE_TIPS = {
    "train": "The newest sample reconstruction: source | driving | keypoints | prediction | occlusion",
    "distill": "The newest sample: the student's output next to the teacher's",
    "personalize": "The newest sample reconstruction: source | driving | keypoints | prediction | occlusion",
}


class ModeChoice(QWidget):
    """Three exclusive buttons; `mode_changed(mode)` when the user picks another."""

    mode_changed = Signal(str)

    def __init__(self, mode: str = "train", parent: QWidget | None = None):
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        # a choice, not a recording: the selected mode in the accent colour, like the selected tab
        self.setStyleSheet(
            f"QPushButton:checked {{ background: #23344f; border-color: {ACCENT}; color: white; }}"
        )
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QPushButton] = {}
        for key, label, tip in MODES:
            button = QPushButton(label)
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(self._on_clicked)
            self.group.addButton(button)
            self.buttons[key] = button
            row.addWidget(button, 1)
        self.set_mode(mode)

    def mode(self) -> str:
        return next((key for key, button in self.buttons.items() if button.isChecked()), "train")

    def set_mode(self, mode: str) -> None:
        self.buttons.get(mode, self.buttons["train"]).setChecked(True)

    def _on_clicked(self) -> None:
        self.mode_changed.emit(self.mode())


def distill_request(
    form: DistillForm, data: Path | None, run_dir: Path, resume: bool, device: str
) -> DistillRequest:
    """The distillation the form describes (checked by `build_distill_command`)."""
    teacher, student = form.teacher_checkpoint(), form.student_config()
    if teacher is None:
        raise FommError("choose the teacher checkpoint (e.g. vox-cpk.pth.tar)")
    if student is None:
        raise FommError("choose the student config")
    if data is None:
        raise FommError("choose the data folder (videos of the faces to drive with)")
    return DistillRequest(
        teacher_checkpoint=teacher,
        teacher_config=form.teacher_config(),
        student_config=student,
        data_dir=data,
        run_dir=run_dir,
        student_kind=form.student_kind(),
        init_from=form.init_from(),
        avatars=form.avatars(),
        resume=resume,
        device=device,
        max_steps=form.steps(),
    )


def personalize_plan(box: PersonalizeBox, run_dir: Path, device: str) -> PersonalizePlan:
    """Fine-tuning of the live model on the recorded clips (checked by `prepare_personalize`)."""
    entry = box.model()
    if entry is None:
        raise FommError("no live model to personalize")
    if not entry.is_ready:
        raise FommError(
            f"the live model '{entry.name}' cannot be fine-tuned: {entry.status} ({entry.checkpoint_path})"
        )
    return PersonalizePlan(
        model_config=entry.config_path,
        model_checkpoint=entry.checkpoint_path,
        dataset=box.dataset(),
        run_dir=run_dir,
        device=device,
        max_steps=box.steps.value(),
    )


def personalize_resume(box: PersonalizeBox, run_dir: Path, device: str) -> LaunchRequest:
    """Continue a Personalize run: its own config, on the recorded clips."""
    return LaunchRequest(data_dir=box.dataset(), run_dir=run_dir, resume=True, device=device)


def mode_request(panel: TrainPanel, mode: str, run_dir: Path, resume: bool) -> LaunchRequest | DistillRequest:
    """What Start (or Resume) runs in the Distil or Personalize mode. A new Personalize run's config is
    written into `run_dir` here, once its inputs passed their checks."""
    device = panel.controls.device()
    if mode == "distill" and resume:  # the run's own inputs: the form may show another or none
        distill = resumed_distill_request(run_dir, device, panel.distill_form.steps())
        build_distill_command(distill, cuda_device_count())
        return distill
    if mode == "distill":
        distill = distill_request(panel.distill_form, panel.dataset_box.folder(), run_dir, resume, device)
        build_distill_command(distill, cuda_device_count())  # its checks, before anything starts
        return distill
    if resume:
        request = personalize_resume(panel.personalize_box, run_dir, device)
    else:
        panel.personalize_box.refresh()  # the model picked since the box was shown is the one trained
        request = prepare_personalize(
            personalize_plan(panel.personalize_box, run_dir, device), cuda_device_count()
        )
    # the tab's frame cache and intervals (tests shorten them), as its Train mode passes them
    return dataclasses.replace(
        request,
        cache_dir=panel.cache_dir,
        sample_every=panel.sample_every,
        checkpoint_every=panel.checkpoint_every,
    )


def show_mode(panel: TrainPanel, mode: str) -> None:
    """Show the parts `mode` uses. Personalize trains on the recorded clips, so the dataset box (and
    a problem it found) has no say in it."""
    panel.config_form.setVisible(mode == "train")
    panel.dataset_box.setVisible(mode != "personalize")
    panel.distill_form.setVisible(mode == "distill")
    panel.personalize_box.setVisible(mode == "personalize")
    if mode == "personalize":
        panel.personalize_box.refresh()
    panel.controls.show_for_mode(mode)
    panel.controls.set_blocker(None if mode == "personalize" else panel.dataset_box.problem)
    panel.run_view.sample_view.setToolTip(SAMPLE_TIPS.get(mode, SAMPLE_TIPS["train"]))
