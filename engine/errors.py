"""Typed errors of the engine; every layer above subclasses `FommError` so the CLI and GUI can
show one clear line for anything the user can fix."""

from __future__ import annotations


class FommError(Exception):
    """Base of every error that is the user's input, not a bug: shown as one line, no traceback."""


class ConfigError(FommError):
    """A YAML config that does not fit the schema; the message names the file and the dotted key."""


class CheckpointError(FommError):
    """A file that is not a loadable checkpoint (corrupt, truncated, or holding code)."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint whose tensors do not fit the modules built from its config."""

    def __init__(self, message: str, missing: list[str], unexpected: list[str], mis_shaped: list[str]):
        super().__init__(message)
        self.missing = missing
        self.unexpected = unexpected
        self.mis_shaped = mis_shaped


class MissingWeightsError(FommError):
    """A pretrained weight file (VGG-19, face landmarks) is absent; says which file and where it goes."""


class ImageInputError(FommError):
    """An image or frame the engine cannot use (wrong dtype, rank or channel count)."""
