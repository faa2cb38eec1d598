"""Starting a training process from the GUI: the request, its checks, and the command line.

The command is always an argument list (never a shell string):

    one process:  [python, -m, trainer.train, --config, C, --data, D, --run-dir, R, ...]
    N processes:  [python, -m, torch.distributed.run, --standalone, --nproc_per_node=N, -m, trainer.train, ...]
    distillation: [python, -m, trainer.distill, --teacher-config, C, --teacher, K, --student-config, S, ...]

`supervised_command` wraps either in `fomm_studio.training.supervisor`, which records the exit code in
the run folder, so a training started detached from the GUI still reports how it ended.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from engine.errors import FommError
from fomm_studio.paths import REPO_ROOT
from trainer import run_folder as rf
from trainer.cpu_threads import apply_thread_policy, training_environment
from trainer.vgg import VGG19_FILE, missing_vgg19_weights

TRAINER_MODULE = "trainer.train"
DISTILL_MODULE = "trainer.distill"
STUDENT_KINDS = ("hybrid", "full")  # hybrid: keeps the teacher's keypoint detector; full: its own
SUPERVISOR_MODULE = "fomm_studio.training.supervisor"


class LaunchError(FommError):
    """A training the launcher refuses to start; the message says which input is wrong."""


@dataclass(frozen=True)
class LaunchRequest:
    """One training to start. `config_path` may be None only with `resume` (the run's own config)."""

    data_dir: Path
    run_dir: Path
    config_path: Path | None = None
    resume: bool = False
    init_from: Path | None = None
    device: str = "cpu"
    processes: int = 1
    max_steps: int | None = None
    cache_dir: Path | None = None
    sample_every: int | None = None
    checkpoint_every: int | None = None
    num_workers: int | None = None  # DataLoader workers; None: the trainer's default for the device
    python: str = sys.executable


def validate_request(request: LaunchRequest, cuda_count: int) -> None:
    """Refuse inputs the trainer would fail on, with a message that names the file or value."""
    if not request.data_dir.is_dir():
        raise LaunchError(f"{request.data_dir}: dataset folder not found")
    _check_run_dir(request)
    if request.init_from is not None and not request.resume and not request.init_from.is_file():
        raise LaunchError(f"{request.init_from}: checkpoint to start from not found")
    if request.device not in ("cpu", "cuda"):
        raise LaunchError(f"device must be 'cpu' or 'cuda', got {request.device!r}")
    if request.device == "cuda" and cuda_count < 1:
        raise LaunchError("device 'cuda' chosen but torch sees no CUDA GPU on this machine")
    if request.processes < 1:
        raise LaunchError(f"the number of processes must be at least 1, got {request.processes}")
    if request.device == "cuda" and request.processes > cuda_count:
        raise LaunchError(f"{request.processes} processes asked for but only {cuda_count} CUDA GPU(s) found")
    for name in ("max_steps", "sample_every", "checkpoint_every"):
        value = getattr(request, name)
        if value is not None and value < 1:
            raise LaunchError(f"{name.replace('_', ' ')} must be at least 1, got {value}")
    if request.num_workers is not None and request.num_workers < 0:
        raise LaunchError(f"loader workers must be 0 or more, got {request.num_workers}")


def _check_run_folder(run_dir: Path, resume: bool, has_config: bool) -> None:
    """A run folder to start in (it must not hold a run) or to resume (it must hold a config)."""
    if run_dir.exists() and not run_dir.is_dir():
        raise LaunchError(f"{run_dir}: run folder is a file")
    if resume:
        if not (run_dir / rf.CONFIG_NAME).is_file() and not has_config:
            raise LaunchError(f"{run_dir}: nothing to resume (no {rf.CONFIG_NAME}); start a new run instead")
        return
    if rf.holds_run(run_dir):
        raise LaunchError(
            f"{run_dir}: this run folder already holds a run; Resume it or choose a new run folder"
        )


def _check_run_dir(request: LaunchRequest) -> None:
    _check_run_folder(request.run_dir, request.resume, request.config_path is not None)
    if request.resume:
        return
    if request.config_path is None:
        raise LaunchError("a new run needs a config file")
    if not request.config_path.is_file():
        raise LaunchError(f"{request.config_path}: config file not found")


def trainer_arguments(request: LaunchRequest) -> list[str]:
    """The `trainer.train` options for `request` (paths made absolute; progress bar off for a log file)."""
    args = ["--data", str(request.data_dir.resolve()), "--run-dir", str(request.run_dir.resolve())]
    if request.config_path is not None:
        args[:0] = ["--config", str(request.config_path.resolve())]
    args += ["--device", request.device]
    if request.resume:
        args.append("--resume")
    elif request.init_from is not None:
        args += ["--init-from", str(request.init_from.resolve())]
    optional = {
        "--max-steps": request.max_steps,
        "--cache-dir": request.cache_dir.resolve() if request.cache_dir is not None else None,
        "--sample-every": request.sample_every,
        "--checkpoint-every": request.checkpoint_every,
        "--num-workers": request.num_workers,
    }
    for flag, value in optional.items():
        if value is not None:
            args += [flag, str(value)]
    return [*args, "--no-progress"]


def build_command(request: LaunchRequest, cuda_count: int) -> list[str]:
    """Validated argument list: `python -m trainer.train ...`, or torchrun's module for several processes."""
    validate_request(request, cuda_count)
    if request.processes == 1:
        launcher = [request.python, "-m", TRAINER_MODULE]
    else:
        launcher = [
            request.python,
            "-m",
            "torch.distributed.run",
            "--standalone",  # single machine: picks a free rendezvous port by itself
            f"--nproc_per_node={request.processes}",
            "-m",
            TRAINER_MODULE,
        ]
    return launcher + trainer_arguments(request)


@dataclass(frozen=True)
class DistillRequest:
    """One distillation to start (`python -m trainer.distill`): the teacher (config + checkpoint), the
    student (its kind and config, optionally warm-started), the driving videos and the avatars."""

    teacher_checkpoint: Path
    teacher_config: Path | None  # None: not known yet (the GUI detects it from the checkpoint)
    student_config: Path
    data_dir: Path
    run_dir: Path
    student_kind: str = "hybrid"
    init_from: Path | None = None
    avatars: tuple[Path, ...] = ()
    resume: bool = False
    device: str = "cpu"
    max_steps: int | None = None
    seed: int | None = None
    python: str = sys.executable


def validate_distill_request(request: DistillRequest, cuda_count: int) -> None:
    """Refuse what `trainer.distill` would fail on, naming the file or value."""
    _check_distill_files(request)
    if request.student_kind not in STUDENT_KINDS:
        kinds = ", ".join(STUDENT_KINDS)
        raise LaunchError(f"student kind must be one of {kinds}, got {request.student_kind!r}")
    _check_run_folder(request.run_dir, request.resume, has_config=False)
    if request.device not in ("cpu", "cuda"):
        raise LaunchError(f"device must be 'cpu' or 'cuda', got {request.device!r}")
    if request.device == "cuda" and cuda_count < 1:
        raise LaunchError("device 'cuda' chosen but torch sees no CUDA GPU on this machine")
    if request.max_steps is not None and request.max_steps < 1:
        raise LaunchError(f"max steps must be at least 1, got {request.max_steps}")


def _check_distill_files(request: DistillRequest) -> None:
    if not request.teacher_checkpoint.is_file():
        raise LaunchError(f"{request.teacher_checkpoint}: teacher checkpoint not found")
    if request.teacher_config is None:
        raise LaunchError(
            f"{request.teacher_checkpoint}: the teacher's config is not known; choose its YAML config"
        )
    for path, what in (
        (request.teacher_config, "teacher config"),
        (request.student_config, "student config"),
    ):
        if not path.is_file():
            raise LaunchError(f"{path}: {what} not found")
    if not request.data_dir.is_dir():
        raise LaunchError(f"{request.data_dir}: data folder not found")
    for avatar in request.avatars:
        if not avatar.exists():
            raise LaunchError(f"{avatar}: avatar image or folder not found")
    if request.init_from is not None and not request.resume and not request.init_from.is_file():
        raise LaunchError(f"{request.init_from}: checkpoint to start the student from not found")


def build_distill_command(request: DistillRequest, cuda_count: int) -> list[str]:
    """Validated argument list `python -m trainer.distill ...` (paths absolute)."""
    validate_distill_request(request, cuda_count)
    assert request.teacher_config is not None  # validated above

    def path(p: Path) -> str:
        return str(p.resolve())

    args = [request.python, "-m", DISTILL_MODULE]
    args += ["--teacher-config", path(request.teacher_config), "--teacher", path(request.teacher_checkpoint)]
    args += ["--student-config", path(request.student_config), "--student-kind", request.student_kind]
    if request.init_from is not None and not request.resume:
        args += ["--init-from", path(request.init_from)]
    args += ["--data", path(request.data_dir)]
    if request.avatars:
        args += ["--avatars", *(path(a) for a in request.avatars)]
    args += ["--run-dir", path(request.run_dir)]
    if request.max_steps is not None:
        args += ["--max-steps", str(request.max_steps)]
    if request.resume:
        args.append("--resume")
    args += ["--device", request.device]
    if request.seed is not None:
        args += ["--seed", str(request.seed)]
    return args


def supervised_command(command: list[str], run_dir: Path, python: str = sys.executable) -> list[str]:
    """`command` run under the supervisor, which writes its pid and exit code to the run folder."""
    from fomm_studio.training.supervisor import status_path

    return [python, "-m", SUPERVISOR_MODULE, "--status", str(status_path(run_dir.resolve())), "--", *command]


def process_environment(base: Mapping[str, str], live_threads: int = 0) -> dict[str, str]:
    """Environment for the training process: our packages importable, output unbuffered, and OpenMP
    threads that sleep when idle (see trainer.cpu_threads). While the live view runs on `live_threads`
    threads, the training gets the remaining cores (at least one), so the view the user watches keeps
    its speed."""
    env = dict(base)
    if live_threads > 0:
        training_environment(env, live_threads)
    else:
        apply_thread_policy(env)
    paths = [str(REPO_ROOT), *(p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def default_run_dir(root: Path, now: datetime | None = None) -> Path:
    """A fresh run folder name under `root` (run-YYYYmmdd-HHMMSS, suffixed if taken)."""
    stamp = (now or datetime.now()).strftime("run-%Y%m%d-%H%M%S")
    candidate, n = root / stamp, 2
    while candidate.exists():
        candidate, n = root / f"{stamp}-{n}", n + 1
    return candidate


def cuda_device_count() -> int:
    """How many CUDA GPUs torch sees (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def vgg_weights_problem(backend: str, explicit: str | None) -> str | None:
    """Why the vgg19 perceptual loss could not start (missing weight file), or None when it can."""
    path = missing_vgg19_weights(explicit) if backend == "vgg19" else None
    if path is None:
        return None
    where = "the chosen VGG weights file" if explicit else "torch hub's default location"
    return (
        f"VGG-19 weights not found at {path} ({where}). Put {VGG19_FILE} there, pick the file, "
        "or choose the weights-free pyramid_l1_ssim loss."
    )
