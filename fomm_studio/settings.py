"""User settings remembered between runs: one JSON file, written atomically.

The file lives in `$FOMM_STUDIO_CONFIG_DIR` when set, else the platform's config folder
(`%APPDATA%\\FOMM Studio`, `~/Library/Application Support/FOMM Studio`, `$XDG_CONFIG_HOME/fomm-studio`).
A file that cannot be parsed is kept aside as `settings.json.corrupt-<n>` and the defaults are used,
so a broken file never stops the app from starting and is never silently lost.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.atomic import atomic_write_text

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
SCHEMA_VERSION = 1


@dataclass
class Settings:
    """Everything the GUI remembers. Unknown keys in the file are ignored; missing ones take defaults."""

    avatar: str = ""
    model_id: str = "default-lite-256"
    custom_models: list[dict[str, str]] = field(default_factory=list)
    camera: str = "auto"
    live_device: str = "auto"  # 'auto', 'cpu' or 'cuda:N' (see fomm_studio.devices)
    live_backend: str = "auto"  # 'auto', 'torch' or an exported backend (see engine.backends.base)
    face_crop: bool = True
    mirror: bool = True
    relative: bool = True
    adapt_scale: bool = False
    smoothing: bool = False
    smoothing_strength: float = 0.5
    zoom: float = 1.0
    overlay_keypoints: bool = False
    overlay_heatmaps: bool = False
    overlay_occlusion: bool = False
    overlay_masks: bool = False
    overlay_deformed: bool = False
    overlay_flow: bool = False
    record_side_by_side: bool = False
    paste_back: bool = True  # animate a large avatar's head and paste it back at full resolution
    keep_detail: bool = True  # paste-back adds the avatar's fine detail moved by the model's flow
    align_opacity: float = 0.5  # the alignment overlay's avatar opacity (the overlay itself is not kept)
    default_model_hint_dismissed: bool = False  # the Live tab's "built-in model, real camera" hint
    output_dir: str = ""
    clip_dataset: str = ""  # dataset folder of "Record training clip" (empty: `training_clip_dataset`)
    window_geometry: str = ""  # base64 of QWidget.saveGeometry(), opaque here
    window_state: str = ""
    animate_source: str = ""
    animate_driving: str = ""
    animate_output: str = ""
    animate_find_best_frame: bool = False
    animate_device: str = "auto"
    train_dataset: str = ""
    train_run_dir: str = ""
    train_config: str = ""  # a preset name or a config file path
    train_mode: str = "train"  # the Train tab's mode: 'train', 'distill' or 'personalize'

    def to_dict(self) -> dict[str, Any]:
        return {"version": SCHEMA_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Keep the known keys whose type matches the default's (floats finite); anything else falls back
        to the default."""
        defaults = cls()
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name not in data:
                continue
            value, default = data[f.name], getattr(defaults, f.name)
            if isinstance(default, bool) != isinstance(value, bool):
                continue
            if isinstance(default, float) and isinstance(value, int):
                value = float(value)
            if isinstance(value, float) and not math.isfinite(value):  # JSON's NaN / Infinity
                continue
            if isinstance(value, type(default)):
                values[f.name] = value
        return cls(**values)


def config_dir() -> Path:
    """Where settings live: $FOMM_STUDIO_CONFIG_DIR, else the platform's per-user config folder."""
    override = os.environ.get("FOMM_STUDIO_CONFIG_DIR")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "FOMM Studio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "FOMM Studio"
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "fomm-studio"


def default_output_dir() -> Path:
    """Where recordings, snapshots and animations go when the user chose no folder: the user's videos
    folder, never the app's own install (the sample clip lives there)."""
    return Path.home() / "Videos" / "FOMM Studio"


def output_dir(settings: Settings) -> Path:
    """The folder chosen in the Live tab, else `default_output_dir()`."""
    return Path(settings.output_dir) if settings.output_dir else default_output_dir()


def training_clip_dataset(settings: Settings) -> Path:
    """The dataset folder training clips are recorded into (clips in its `train` split): the one chosen
    in the Live tab, else `datasets/my-face` in the output folder. Personalize trains on it."""
    return (
        Path(settings.clip_dataset)
        if settings.clip_dataset
        else output_dir(settings) / "datasets" / "my-face"
    )


def default_animation_path(settings: Settings, source: Path, driving: Path) -> Path:
    """The Animate tab's output when its field is empty: `<avatar>-<driving>.mp4` in the output folder,
    numbered so an earlier result is never overwritten."""
    folder = output_dir(settings)
    stem = f"{source.stem}-{driving.stem}"
    candidate = folder / f"{stem}.mp4"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}.mp4"
        number += 1
    return candidate


def settings_path() -> Path:
    """The settings file (see `config_dir`)."""
    return config_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; a missing file gives defaults, a corrupt one is backed up and gives defaults."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except UnicodeDecodeError as exc:  # binary garbage: as corrupt as bad JSON
        _keep_corrupt_copy(path, f"not UTF-8 text ({exc})")
        return Settings()
    except OSError as exc:
        log.warning("%s: cannot read settings (%s); using defaults", path, exc)
        return Settings()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _keep_corrupt_copy(path, f"not valid JSON ({exc})")
        return Settings()
    if not isinstance(data, dict):
        _keep_corrupt_copy(path, "top level is not an object")
        return Settings()
    return Settings.from_dict(data)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write settings atomically (a crash mid-write leaves the previous file intact)."""
    path = path or settings_path()
    atomic_write_text(path, json.dumps(settings.to_dict(), indent=2, sort_keys=True) + "\n")
    return path


def _keep_corrupt_copy(path: Path, reason: str) -> Path | None:
    """Copy a broken settings file aside (first free `.corrupt-<n>` name) so the user can inspect it."""
    for n in range(1, 1000):
        backup = path.with_name(f"{path.name}.corrupt-{n}")
        if not backup.exists():
            break
    try:
        shutil.copy2(path, backup)
    except OSError as exc:
        log.warning("%s: %s; could not back it up (%s); using defaults", path, reason, exc)
        return None
    log.warning("%s: %s; kept a copy as %s and using defaults", path, reason, backup.name)
    return backup
