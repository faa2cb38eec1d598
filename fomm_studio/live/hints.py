"""Hints the Live tab shows about the setup itself (not errors): when the built-in model meets a real
face. The decision lives here, without Qt, so it is tested alone."""

from __future__ import annotations

DEFAULT_MODEL_HINT = (
    "The built-in model was trained on drawn faces. For your face: load vox-cpk.pth.tar (GPU), or "
    "distil it for this CPU, or fine-tune on a minute of your own video"
)


def shows_default_model_hint(source_kind: str, model_kind: str, dismissed: bool) -> bool:
    """Whether to say that the built-in model will smear a real face: only a real camera (not the sample
    clip, a video file or the synthetic face) driving the default model, until the user dismissed it.

    `source_kind` as in `SourceInfo.kind`; `model_kind` as in `ModelEntry.kind`."""
    return source_kind == "camera" and model_kind == "default" and not dismissed
