"""The Live tab's right-hand column: source, face crop, motion, smoothing, overlays, recording.

Every change emits one immutable `LiveOptions` (or a source spec) and is written to the settings.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from fomm_studio.api import (
    SAMPLE_DRIVING,
    VIDEO_SUFFIXES,
    LiveOptions,
    OverlayOptions,
    Settings,
    output_dir,
)
from ui.live.alignment_bar import AlignmentBar
from ui.widgets.columns import fit_column
from ui.widgets.legends import OVERLAY_TIPS, OverlayLegend

ADAPT_SCALE_TIP = (
    "Scale the driving motion by the ratio of the avatar's and the driving face's keypoint spread "
    "(the paper's Sec. 3.4). Helps when the two faces differ in size; can exaggerate motion when the "
    "keypoints cluster on one of them, so it is off by default."
)

PASTE_BACK_TIP = (
    "For an avatar larger than the model's frame: animate a square around its face and paste it back "
    "into the whole picture, so the output keeps the avatar's resolution. Off: the whole picture is "
    "shrunk to the model's frame."
)

KEEP_DETAIL_TIP = (
    "With paste-back: the animated face is made at the model's 256 pixels and enlarged. This adds the "
    "avatar's own fine detail back, moved the way the model moved the face (none where the model had "
    "to invent pixels). Costs a few milliseconds a frame at 1024 pixels."
)

SOURCE_CHOICES = (
    ("Auto: camera 0, else sample clip", "auto"),
    ("Camera 0", "0"),
    ("Camera 1", "1"),
    ("Synthetic face", "synthetic"),
    ("Sample clip", str(SAMPLE_DRIVING)),
)
OVERLAYS = (
    ("keypoints", "Keypoints + Jacobians", "K"),
    ("heatmaps", "Keypoint heatmaps", "H"),
    ("occlusion", "Occlusion map", "O"),
    ("masks", "Part masks", "M"),
    ("deformed", "Deformed source", "D"),
    ("flow", "Motion flow", "L"),
)


class LiveControls(QScrollArea):
    """Option widgets; `options()` reads them into a `LiveOptions`."""

    options_changed = Signal(object)  # LiveOptions
    source_changed = Signal(str)

    def __init__(self, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings
        self.offset = (0.0, 0.0)
        self.align_bar = AlignmentBar(settings)  # the Live tab places it under its panes
        self.align_bar.changed.connect(self._emit)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 6, 0)
        for group in (
            self._source_group(),
            self._crop_group(),
            self._motion_group(),
            self._overlay_group(),
            self._record_group(),
        ):
            layout.addWidget(group)
        layout.addStretch(1)
        self._groups = layout
        self.setWidget(body)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        fit_column(self, 248)

    # -- groups ---------------------------------------------------------------------------------
    def _source_group(self) -> QGroupBox:
        group = QGroupBox("Source")
        self.source_combo = QComboBox()
        self.source_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.source_combo.setMinimumContentsLength(16)  # long file names shorten instead of widening
        for label, spec in SOURCE_CHOICES:
            self.source_combo.addItem(label, spec)
        self.source_combo.addItem("Video file…", "__file__")
        self._select_source(self.settings.camera or "auto")
        self.source_combo.activated.connect(self._on_source_activated)
        layout = QVBoxLayout(group)
        layout.addWidget(self.source_combo)
        return group

    def _crop_group(self) -> QGroupBox:
        group = QGroupBox("Framing")
        self.face_crop = self._check("Follow face (F)", self.settings.face_crop)
        self.mirror = self._check("Mirror (X)", self.settings.mirror)
        self.paste_back = self._check("Full-resolution paste-back", self.settings.paste_back)
        self.paste_back.setToolTip(PASTE_BACK_TIP)
        self.keep_detail = self._check("Keep avatar detail", self.settings.keep_detail)
        self.keep_detail.setToolTip(KEEP_DETAIL_TIP)
        self.keep_detail.setEnabled(self.paste_back.isChecked())
        self.paste_back.toggled.connect(self.keep_detail.setEnabled)
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setRange(100, 300)
        # Clamped: a hand-edited settings file may say 1e308.
        self.zoom.setValue(int(min(max(self.settings.zoom, 1.0), 3.0) * 100))
        self.zoom.setToolTip("Zoom into the crop (+ / -); Shift + arrow keys move it")
        self.zoom.valueChanged.connect(self._emit)
        reset = QPushButton("Reset framing")
        reset.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        reset.clicked.connect(self.reset_framing)
        form = QFormLayout(group)
        form.addRow(self.face_crop)
        form.addRow(self.mirror)
        form.addRow(self.paste_back)
        form.addRow(self.keep_detail)
        form.addRow("Zoom", self.zoom)
        form.addRow(reset)
        return group

    def _motion_group(self) -> QGroupBox:
        group = QGroupBox("Motion")
        self.relative = QRadioButton("Relative")
        self.absolute = QRadioButton("Absolute")
        self.relative.setToolTip("Transfer motion relative to the calibrated pose (recommended)")
        self.absolute.setToolTip("Use the driving keypoints as they are (needs a similar face layout)")
        buttons = QButtonGroup(group)
        buttons.addButton(self.relative)
        buttons.addButton(self.absolute)
        (self.relative if self.settings.relative else self.absolute).setChecked(True)
        self.relative.toggled.connect(self._emit)
        self.adapt_scale = self._check("Adapt movement scale", self.settings.adapt_scale)
        self.adapt_scale.setToolTip(ADAPT_SCALE_TIP)
        self.smoothing = self._check("Smooth keypoints", self.settings.smoothing)
        self.smoothing_strength = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_strength.setRange(0, 100)
        self.smoothing_strength.setValue(int(min(max(self.settings.smoothing_strength, 0.0), 1.0) * 100))
        self.smoothing_strength.setToolTip("One-Euro filter strength: more = steadier, slightly more lag")
        self.smoothing_strength.valueChanged.connect(self._emit)
        row = QHBoxLayout()
        row.addWidget(self.relative)
        row.addWidget(self.absolute)
        form = QFormLayout(group)
        form.addRow(row)
        form.addRow(self.adapt_scale)
        form.addRow(self.smoothing)
        form.addRow("Strength", self.smoothing_strength)
        return group

    def _overlay_group(self) -> QGroupBox:
        group = QGroupBox("Overlays")
        layout = QVBoxLayout(group)
        self.overlay_checks: dict[str, QCheckBox] = {}
        for key, label, shortcut in OVERLAYS:
            check = self._check(f"{label} ({shortcut})", getattr(self.settings, f"overlay_{key}"))
            check.setToolTip(OVERLAY_TIPS[key])
            self.overlay_checks[key] = check
            layout.addWidget(check)
        self.overlay_legend = OverlayLegend()
        layout.addWidget(self.overlay_legend)
        self.overlay_legend.show_for(self.options().overlays)
        return group

    def _record_group(self) -> QGroupBox:
        group = QGroupBox("Recording")
        self.side_by_side = QCheckBox("Record side by side")
        self.side_by_side.setChecked(self.settings.record_side_by_side)
        self.side_by_side.toggled.connect(self._save)
        self.output_label = QLabel()
        self.output_label.setWordWrap(True)
        self.output_label.setStyleSheet("color: #8a919c; font-size: 11px;")
        choose = QPushButton("Output folder…")
        choose.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        choose.clicked.connect(self._choose_output_dir)
        layout = QVBoxLayout(group)
        layout.addWidget(self.side_by_side)
        layout.addWidget(self.output_label)
        layout.addWidget(choose)
        self._show_output_dir()
        return group

    def add_group(self, group: QWidget, first: bool = False) -> None:
        """Another box at the end of the column (above its stretch), or at its top."""
        self._groups.insertWidget(0 if first else self._groups.count() - 1, group)

    def _check(self, text: str, checked: bool) -> QCheckBox:
        check = QCheckBox(text)
        check.setChecked(checked)
        check.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        check.toggled.connect(self._emit)
        return check

    # -- reading and writing --------------------------------------------------------------------
    def options(self) -> LiveOptions:
        overlays = OverlayOptions(**{key: check.isChecked() for key, check in self.overlay_checks.items()})
        return LiveOptions(
            face_crop=self.face_crop.isChecked(),
            mirror=self.mirror.isChecked(),
            zoom=self.zoom.value() / 100.0,
            offset=self.offset,
            relative=self.relative.isChecked(),
            adapt_scale=self.adapt_scale.isChecked(),
            smoothing=self.smoothing.isChecked(),
            smoothing_strength=self.smoothing_strength.value() / 100.0,
            overlays=overlays,
            paste_back=self.paste_back.isChecked(),
            keep_detail=self.keep_detail.isChecked(),
            align_opacity=self.align_bar.opacity(),
        )

    def toggle(self, name: str) -> None:
        """Flip a checkbox by name ('keypoints', 'occlusion', 'face_crop', 'mirror', ...)."""
        check = self.overlay_checks.get(name) or getattr(self, name, None)
        if isinstance(check, QCheckBox):
            check.toggle()

    def nudge(self, dx: float = 0.0, dy: float = 0.0, dzoom: int = 0) -> None:
        """Move or zoom the crop by keyboard."""
        self.offset = (max(-0.5, min(0.5, self.offset[0] + dx)), max(-0.5, min(0.5, self.offset[1] + dy)))
        if dzoom:
            self.zoom.setValue(self.zoom.value() + dzoom)  # emits through valueChanged
        else:
            self._emit()

    def reset_framing(self) -> None:
        self.offset = (0.0, 0.0)
        self.zoom.setValue(100)
        self._emit()

    def _emit(self) -> None:
        self._save()
        options = self.options()
        self.overlay_legend.show_for(options.overlays)
        self.options_changed.emit(options)

    def _save(self) -> None:
        s, o = self.settings, self.options()
        s.face_crop, s.mirror, s.zoom, s.relative, s.adapt_scale = (
            o.face_crop,
            o.mirror,
            o.zoom,
            o.relative,
            o.adapt_scale,
        )
        s.smoothing, s.smoothing_strength = o.smoothing, o.smoothing_strength
        s.paste_back, s.keep_detail = o.paste_back, o.keep_detail
        for key in self.overlay_checks:
            setattr(s, f"overlay_{key}", getattr(o.overlays, key))
        s.record_side_by_side = self.side_by_side.isChecked()

    # -- source ---------------------------------------------------------------------------------
    def _select_source(self, spec: str) -> None:
        index = self.source_combo.findData(spec)
        if index < 0:
            self.source_combo.insertItem(self.source_combo.count() - 1, Path(spec).name, spec)
            index = self.source_combo.findData(spec)
        self.source_combo.setCurrentIndex(index)

    def set_source_spec(self, spec: str) -> None:
        self._select_source(spec)
        self.source_changed.emit(spec)

    def _on_source_activated(self, index: int) -> None:
        spec = self.source_combo.itemData(index)
        if spec == "__file__":
            pattern = " ".join(f"*{s}" for s in VIDEO_SUFFIXES)
            name, _ = QFileDialog.getOpenFileName(self, "Open driving video", "", f"Videos ({pattern})")
            if not name:
                self._select_source(self.settings.camera or "auto")
                return
            spec = name
        self.set_source_spec(spec)

    def _choose_output_dir(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder for recordings and snapshots", self.settings.output_dir or str(Path.home())
        )
        if folder:
            self.settings.output_dir = folder
            self._show_output_dir()

    def _show_output_dir(self) -> None:
        self.output_label.setText(f"Saves to {output_dir(self.settings)}")
