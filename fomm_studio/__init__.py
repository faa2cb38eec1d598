"""FOMM Studio application shell: settings, model registry, media I/O, CLI (no Qt here)."""

from trainer.cpu_threads import apply_thread_policy

apply_thread_policy()  # `fomm` and the app import this package before torch (see trainer.cpu_threads)
