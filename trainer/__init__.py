"""FOMM training: datasets, losses, the training loop, evaluation (no Qt)."""

from trainer.cpu_threads import apply_thread_policy

apply_thread_policy()  # before any submodule imports torch (see trainer.cpu_threads)
