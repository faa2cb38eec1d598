"""What a training run is given: the command-line options, the inputs resolved from them before any
network exists, and the stop request the step loop polls."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from engine.config import FommConfig
from trainer import run_folder as rf
from trainer.distributed import DistInfo
from trainer.vgg import Vgg19
from trainer.video_cache import DatasetReport
from trainer.warm_start import InitWeights


@dataclass(frozen=True)
class TrainOptions:
    """Command-line choices; `None` means "as in the config"."""

    data: Path
    run_dir: Path
    config_path: Path | None = None
    max_steps: int | None = None
    resume: bool = False
    init_from: Path | None = None
    device: str = "auto"
    batch_size: int | None = None
    num_workers: int | None = None  # None: trainer.cpu_threads.loader_workers for the device
    amp: bool = False
    seed: int = 0
    perceptual_backend: str | None = None
    vgg_weights: str | None = None
    download_vgg: bool = False
    cache_dir: Path | None = None
    sample_every: int = 100
    checkpoint_every: int = 500
    progress: bool = True


@dataclass(frozen=True)
class RunInputs:
    """Everything a run is built from, resolved once by `trainer.loop.train` before the networks exist:
    the options, the config with its overrides, this process's rank and device, the scanned dataset,
    the VGG-19 of the perceptual loss (None for the weights-free backend), the event log (a no-op off
    rank 0) and the --init-from tensors (None without the flag)."""

    options: TrainOptions
    config: FommConfig
    info: DistInfo
    report: DatasetReport
    vgg: Vgg19 | None
    events: rf.EventLog
    init: InitWeights | None = None


class StopRequest:
    """Set by SIGTERM or a STOP file; checked once per step."""

    def __init__(self, run_dir: Path):
        self.stop_file = run_dir / rf.STOP_NAME
        self.signalled = False

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signalled = True

    def requested(self) -> bool:
        return self.signalled or self.stop_file.exists()
