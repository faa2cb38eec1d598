"""Process-group set-up for `torchrun` (gloo on CPU, nccl on CUDA) and the few collectives the loop uses.

    torchrun --standalone --nproc_per_node=2 -m trainer.train --config C --data D --run-dir R --device cuda

Under torchrun every process trains on the GPU of its LOCAL_RANK (cuda:0, cuda:1, ... on each
machine), whatever index `--device` named: one process per GPU is what DistributedDataParallel wants.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from engine.errors import FommError
from engine.models import resolve_device

# How long a rank waits in a collective before the process group gives up. Rank 0 decodes every video
# of the dataset into the frame cache before the first barrier while the other ranks wait in it; that
# can take far longer than torch's default (10 minutes for NCCL), so the first run on a large dataset
# would otherwise die in the barrier.
PROCESS_GROUP_TIMEOUT = timedelta(minutes=60)


@dataclass(frozen=True)
class DistInfo:
    """rank / world size of this process and the device it trains on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: str) -> DistInfo:
    """Join the torchrun process group when WORLD_SIZE > 1; pick this rank's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    resolved = rank_device(device, world_size, local_rank)
    if resolved.type == "cuda":
        torch.cuda.set_device(resolved)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if resolved.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend, timeout=PROCESS_GROUP_TIMEOUT)
    return DistInfo(rank, world_size, local_rank, resolved)


def rank_device(device: str, world_size: int, local_rank: int) -> torch.device:
    """This process's device: as asked when it trains alone; under torchrun on CUDA, the GPU of its
    LOCAL_RANK (an explicit 'cuda:N' would put every rank on the same GPU)."""
    if world_size <= 1:
        resolved = resolve_device(device)
        return torch.device("cuda", 0) if resolved.type == "cuda" and resolved.index is None else resolved
    kind = resolve_device(device.split(":")[0]).type  # the index is LOCAL_RANK's to choose
    if kind != "cuda":
        return torch.device(kind)
    count = torch.cuda.device_count()
    if local_rank >= count:
        raise FommError(
            f"process with LOCAL_RANK {local_rank} has no GPU of its own: torch sees {count}; start at most "
            f"{count} processes per machine (torchrun --nproc_per_node={count})"
        )
    return torch.device("cuda", local_rank)


def barrier(info: DistInfo) -> None:
    """Wait for every rank (no-op in one process), e.g. until rank 0 has written the frame cache."""
    if info.enabled:
        dist.barrier()


def any_rank(info: DistInfo, flag: bool) -> bool:
    """True on every rank when `flag` is true on at least one (so all ranks stop together)."""
    if not info.enabled:
        return flag
    tensor = torch.tensor([1.0 if flag else 0.0], device=info.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item() > 0)


def losses_to_host(info: DistInfo, terms: dict[str, torch.Tensor]) -> dict[str, float]:
    """A step's loss terms (device scalars) as floats, averaged over ranks, in one device-to-host copy.

    The terms are stacked on the device (in name order, the same on every rank), all-reduced there when
    several processes train, and copied to the host together: one synchronisation a step instead of
    one per term."""
    if not terms:
        return {}
    names = sorted(terms)
    stacked = torch.stack([terms[name].detach().float() for name in names])
    if info.enabled:
        dist.all_reduce(stacked)
        stacked = stacked / info.world_size
    values = dict(zip(names, stacked.cpu().tolist(), strict=True))
    return {name: values[name] for name in terms}


def shutdown(info: DistInfo) -> None:
    """Leave the process group cleanly so torchrun sees a normal exit."""
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()
