"""How FOMM Studio's processes share the CPU: OpenMP threads that sleep when idle, and a split of the
cores between the live view and a training started beside it.

By default OpenMP threads spin for a while after each parallel region. Two torch processes on the same
few cores then burn each other's time slices spinning: measured on 2 cores, the live view fell from
5.6 to 0.6 fps next to a training run, and a training step went from 0.9 s to 12 s. With
`OMP_WAIT_POLICY=PASSIVE` idle threads sleep and each process gets its fair share.

The policy is read once, when torch's OpenMP runtime starts, so it must be in the environment before
`import torch`: every entry point (`main.py`, the `fomm` CLI via the `fomm_studio` package, training
processes via this `trainer` package) calls `apply_thread_policy()` before anything imports torch.
This module therefore imports nothing heavy. A value the user set is always kept.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

WAIT_POLICY = "OMP_WAIT_POLICY"
NUM_THREADS = "OMP_NUM_THREADS"


def apply_thread_policy(env: MutableMapping[str, str] | None = None) -> None:
    """Passive OpenMP waiting unless the user chose otherwise (call before torch is imported)."""
    target = os.environ if env is None else env
    target.setdefault(WAIT_POLICY, "PASSIVE")


def cpu_cores() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def training_threads(live_threads: int, cores: int | None = None) -> int:
    """Intra-op threads for a training started while the live view runs: the live view keeps its
    threads (it is what the user watches), the training gets the rest, at least one."""
    total = cpu_cores() if cores is None else cores
    return max(1, total - max(0, live_threads))


def training_environment(env: MutableMapping[str, str], live_threads: int, cores: int | None = None) -> None:
    """Thread settings for a training process the app starts: passive waiting and the cores the live
    view leaves free (unless the user set OMP_NUM_THREADS)."""
    apply_thread_policy(env)
    env.setdefault(NUM_THREADS, str(training_threads(live_threads, cores)))


def loader_workers(device_type: str, cores: int | None = None, processes: int = 1) -> int:
    """DataLoader worker processes when the user chose none: min(4, cores - 1) per training process on
    CUDA, none on the CPU.

    On CUDA the GPU waits while the CPU augments and batches the next pairs; workers prepare them during
    the GPU's step, and one core stays with the process that drives the GPU. On the CPU the same cores
    run the model, so workers only take threads from it (and copy the dataset's memory per process);
    the frames are decoded into the cache before training, leaving little work to overlap.
    """
    if device_type != "cuda":
        return 0
    per_process = (cpu_cores() if cores is None else cores) // max(1, processes)
    return max(0, min(4, per_process - 1))
