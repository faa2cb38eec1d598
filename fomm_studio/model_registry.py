"""The models the user can pick: the embedded default, checkpoints (with or without their config) the
user opened, and checkpoints of Trainer runs. Each entry knows whether its files are present, so the
GUI can say "weights missing" instead of failing when the user presses Start. An entry without a config
takes the packaged config its checkpoint's tensors fit (`config_catalog`), found by its check."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from engine import FommModels
from engine.errors import FommError, MissingWeightsError
from engine.models import check_fits
from fomm_studio.config_catalog import ConfigMatch, detect_config, load_with_detected_config
from fomm_studio.paths import ASSETS_DIR, CONFIGS_DIR

DEFAULT_MODEL_ID = "default-lite-256"
DEFAULT_CONFIG = CONFIGS_DIR / "lite-256.yaml"
DEFAULT_CHECKPOINT = ASSETS_DIR / "models" / "default-lite-256.pth.tar"


class ModelNotFoundError(FommError):
    """A model id that is not in the registry."""


@dataclass(frozen=True)
class ModelEntry:
    """One pickable model. `kind` is 'default', 'custom' or 'run'. `config_path` None: the packaged
    config the checkpoint fits, detected when it is checked or loaded."""

    model_id: str
    name: str
    config_path: Path | None
    checkpoint_path: Path
    kind: str = "custom"

    @property
    def status(self) -> str:
        """'ready', 'weights missing' or 'config missing' (checked on disk each time)."""
        if self.config_path is not None and not self.config_path.is_file():
            return "config missing"
        if not self.checkpoint_path.is_file():
            return "weights missing"
        return "ready"

    @property
    def is_ready(self) -> bool:
        return self.status == "ready"

    @property
    def label(self) -> str:
        status = self.status
        return self.name if status == "ready" else f"{self.name} ({status})"

    def load(self, device: str = "cpu") -> FommModels:
        """Build the networks and load the weights (the checkpoint is read once, also when its config
        is detected); a missing file raises an error naming it."""
        if self.config_path is not None and not self.config_path.is_file():
            raise FommError(f"{self.config_path}: model config not found (model '{self.name}')")
        if not self.checkpoint_path.is_file():
            raise MissingWeightsError(
                f"{self.checkpoint_path}: weights of model '{self.name}' are missing; train them with the "
                f"Trainer or put the checkpoint there, or open another config + checkpoint"
            )
        return load_with_detected_config(self.checkpoint_path, self.config_path, device)[0]


def check_model_files(config_path: Path | None, checkpoint_path: Path) -> ConfigMatch | None:
    """Raise a one-line `FommError` unless the config parses and the checkpoint is a readable
    checkpoint that fits it; without a config, return the packaged config it fits (or raise
    `NoConfigFitsError` saying what it looks like). Reads the whole checkpoint: call it from a worker."""
    if config_path is not None and not config_path.is_file():
        raise FommError(f"{config_path}: config file not found")
    if not checkpoint_path.is_file():
        raise FommError(f"{checkpoint_path}: checkpoint file not found")
    if config_path is None:
        return detect_config(checkpoint_path)
    check_fits(config_path, checkpoint_path)
    return None


def custom_model_id(config_path: Path | None, checkpoint_path: Path) -> str:
    """A stable id for a config + checkpoint pair (or a checkpoint alone), so a remembered choice
    survives restarts."""
    config = "detected" if config_path is None else str(config_path.resolve())
    key = f"{config}|{checkpoint_path.resolve()}".encode()
    return "custom-" + hashlib.sha1(key).hexdigest()[:10]


def run_model_id(config_path: Path, checkpoint_path: Path) -> str:
    """Id of a Trainer run checkpoint: stable too, so "Use in Live" is remembered across restarts."""
    return "run-" + custom_model_id(config_path, checkpoint_path).removeprefix("custom-")


class ModelRegistry:
    """Ordered collection of `ModelEntry`; the default model is always first."""

    def __init__(self, default_config: Path = DEFAULT_CONFIG, default_checkpoint: Path = DEFAULT_CHECKPOINT):
        self._entries: dict[str, ModelEntry] = {}
        self._remembered_runs: set[str] = set()
        self._problems: dict[str, str] = {}  # model id -> why it failed its check or its load
        self._detected: dict[str, ConfigMatch] = {}  # model id -> the config its check detected
        default = ModelEntry(
            DEFAULT_MODEL_ID, "Default lite 256", default_config, default_checkpoint, "default"
        )
        self.add(default)

    def add(self, entry: ModelEntry) -> ModelEntry:
        self._entries[entry.model_id] = entry
        return entry

    def add_files(
        self, config_path: str | Path, checkpoint_path: str | Path, name: str | None = None
    ) -> ModelEntry:
        """Register a config + checkpoint the user opened (original FOMM layout or ours)."""
        config, checkpoint = Path(config_path), Path(checkpoint_path)
        if not config.is_file():
            raise FommError(f"{config}: config file not found")
        if not checkpoint.is_file():
            raise FommError(f"{checkpoint}: checkpoint file not found")
        label = name or f"{config.stem} + {checkpoint.name}"
        return self.add(ModelEntry(custom_model_id(config, checkpoint), label, config, checkpoint, "custom"))

    def add_checkpoint(self, checkpoint_path: str | Path) -> ModelEntry:
        """Register a checkpoint alone: its config is detected from its tensors by `check`."""
        checkpoint = Path(checkpoint_path)
        if not checkpoint.is_file():
            raise FommError(f"{checkpoint}: checkpoint file not found")
        model_id = custom_model_id(None, checkpoint)
        return self.add(ModelEntry(model_id, checkpoint.name, None, checkpoint, "custom"))

    def register_run_checkpoints(self, run_dir: str | Path) -> list[ModelEntry]:
        """Add every checkpoint of a Trainer run folder (config.yaml + *.pth.tar); returns the new entries.

        Hook for the Trainer: a run folder holds `config.yaml` and checkpoints anywhere below it.
        """
        run = Path(run_dir)
        config = run / "config.yaml"
        if not config.is_file():
            raise FommError(f"{run}: not a training run folder (no config.yaml)")
        added = []
        for checkpoint in sorted(run.rglob("*.pth.tar")):
            model_id = run_model_id(config, checkpoint)
            name = f"{run.name} / {checkpoint.name}"
            added.append(self.add(ModelEntry(model_id, name, config, checkpoint, "run")))
        return added

    def remove(self, model_id: str) -> ModelEntry:
        """Forget an entry the user added (or a run checkpoint); the built-in default stays."""
        entry = self.get(model_id)
        if entry.kind == "default":
            raise FommError(f"'{entry.name}' is built in and cannot be removed")
        del self._entries[model_id]
        self._remembered_runs.discard(model_id)
        self._problems.pop(model_id, None)
        self._detected.pop(model_id, None)
        return entry

    def check(self, model_id: str) -> None:
        """Check the entry's files (`check_model_files`); a failure is remembered (see `problem`) and
        raised, a success clears an earlier failure. Call it from a worker thread."""
        entry = self.get(model_id)
        try:
            match = check_model_files(entry.config_path, entry.checkpoint_path)
        except FommError as exc:
            self.mark_failed(model_id, str(exc))
            raise
        self._problems.pop(model_id, None)
        if match is not None:
            self._detected[model_id] = match

    def detected_config(self, model_id: str) -> ConfigMatch | None:
        """The config the entry's last check detected (None for entries with their own config)."""
        return self._detected.get(model_id)

    def label(self, model_id: str) -> str:
        """The entry's name, with the detected config's name once its check found it."""
        entry, match = self.get(model_id), self._detected.get(model_id)
        return entry.name if match is None else f"{entry.name} [{match.name}]"

    def mark_failed(self, model_id: str, reason: str) -> None:
        """Remember that this entry failed (its check, or loading it at Start) until it passes again."""
        if model_id in self._entries:
            self._problems[model_id] = reason

    def problem(self, model_id: str) -> str | None:
        return self._problems.get(model_id)

    def status(self, model_id: str) -> str:
        """The entry's file status, or 'failed' when its last check or load failed."""
        return "failed" if model_id in self._problems else self.get(model_id).status

    def get(self, model_id: str) -> ModelEntry:
        try:
            return self._entries[model_id]
        except KeyError:
            known = ", ".join(self._entries)
            raise ModelNotFoundError(f"model '{model_id}' is not known (known: {known})") from None

    def entries(self) -> list[ModelEntry]:
        return list(self._entries.values())

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._entries

    def remember(self, model_id: str) -> None:
        """Keep a run checkpoint in the settings (the user chose it for Live); other run entries are
        listed only while their run is open, so dozens of checkpoints do not pile up in the picker."""
        if self.get(model_id).kind == "run":
            self._remembered_runs.add(model_id)

    def to_settings(self) -> list[dict[str, str]]:
        """The user-added entries and remembered run checkpoints, for the settings file."""
        return [
            {
                "config": "" if e.config_path is None else str(e.config_path),
                "checkpoint": str(e.checkpoint_path),
                "name": e.name,
                "kind": e.kind,
            }
            for e in self._entries.values()
            if e.kind == "custom" or e.model_id in self._remembered_runs
        ]

    def restore(self, saved: list[dict[str, str]]) -> None:
        """Re-add remembered custom models; entries whose files vanished are kept and shown as missing."""
        for item in saved:
            if not isinstance(item, dict):  # a hand-edited or damaged settings file
                continue
            config, checkpoint, name = item.get("config"), item.get("checkpoint"), item.get("name")
            if isinstance(config, str) and isinstance(checkpoint, str) and checkpoint:
                c, k = (Path(config) if config else None), Path(checkpoint)
                label = name if isinstance(name, str) and name else (c.stem if c else k.name)
                if item.get("kind") == "run" and c is not None:
                    entry = self.add(ModelEntry(run_model_id(c, k), label, c, k, "run"))
                    self._remembered_runs.add(entry.model_id)
                else:
                    self.add(ModelEntry(custom_model_id(c, k), label, c, k, "custom"))
