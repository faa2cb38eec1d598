"""`python -m tests.reliability.stalled_checkpoint_train MARKER STEP TRAIN-ARGS...`

Runs `fomm train` unchanged except that the checkpoint write of step STEP stops half-way: the temp
file beside the checkpoint holds half the bytes, MARKER is created, and the process waits to be
killed. The reliability test SIGKILLs it there, as a power cut or the OOM killer would.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import engine.checkpoint
from engine.atomic import atomic_open


def main() -> int:
    marker, step, args = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    real_write = engine.checkpoint.atomic_write_bytes
    target = f"step-{step:08d}.pth.tar"

    def stalled_write(path: str | Path, data: bytes) -> None:
        if Path(path).name != target:
            real_write(path, data)
            return
        with atomic_open(path, "wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            marker.write_text(str(path), encoding="utf-8")
            while True:
                time.sleep(1.0)  # killed here, mid-write

    engine.checkpoint.atomic_write_bytes = stalled_write  # type: ignore[assignment]
    from fomm_studio.cli import main as cli_main

    return cli_main(["train", *args])


if __name__ == "__main__":
    sys.exit(main())
