"""Checking model files off the GUI thread: the task a `TaskWorker` runs for the model bar."""

from __future__ import annotations

import threading

from fomm_studio.api import FommError, ModelRegistry
from ui.threads import Progress, TaskFn


def check_models_task(registry: ModelRegistry, model_ids: list[str]) -> TaskFn:
    """A worker task: `registry.check` each model in turn; returns {model id: its problem or None}."""

    def check(progress: Progress, cancel: threading.Event) -> dict[str, str | None]:
        problems: dict[str, str | None] = {}
        for done, model_id in enumerate(model_ids, 1):
            if cancel.is_set():
                break
            try:
                registry.check(model_id)
                problems[model_id] = None
            except FommError as exc:
                problems[model_id] = str(exc)
            progress(done, len(model_ids))
        return problems

    return check
