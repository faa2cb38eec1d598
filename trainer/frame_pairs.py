"""Frame-pair samples for training, and the epoch sampler that makes them reproducible.

The sampler yields `(item, seed)` pairs; the dataset draws both frame indices and every augmentation
from `np.random.default_rng(seed)`. Seeds are a pure function of (run seed, epoch, position), so a
resumed run that skips the batches already seen gets exactly the samples it would have had.
The sampler also splits each epoch between ranks the way `DistributedSampler` does.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from engine.config import FommConfig
from trainer.augment import augment_pair
from trainer.video_cache import VideoEntry


def video_id(name: str) -> str:
    """Identity of a video for `id_sampling`: the part of the name before '#'."""
    return name.split("#")[0]


class PairDataset(Dataset):
    """Item i (an id with `id_sampling`, else a video) + seed -> {'driving', 'source'}: (3, H, W) float32."""

    def __init__(self, videos: list[VideoEntry], config: FommConfig):
        self.config = config
        self.videos = videos
        self.id_sampling = config.dataset_params.id_sampling
        groups: dict[str, list[int]] = {}
        for index, entry in enumerate(videos):
            groups.setdefault(
                video_id(entry.name) if self.id_sampling else entry.name + f"#{index}", []
            ).append(index)
        self.groups = [groups[k] for k in sorted(groups)]
        self._frames: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.groups)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_frames"] = {}  # memory maps are reopened in each worker process
        return state

    def frames(self, video: int) -> np.ndarray:
        """The cached (T, H, W, 3) uint8 frames of one video, memory-mapped once per process."""
        if video not in self._frames:
            self._frames[video] = np.load(self.videos[video].cache, mmap_mode="r")
        return self._frames[video]

    def __getitem__(self, key: tuple[int, int]) -> dict[str, torch.Tensor]:
        item, seed = key
        rng = np.random.default_rng(seed)
        group = self.groups[item]
        video = group[int(rng.integers(len(group)))] if len(group) > 1 else group[0]
        frames = self.frames(video)
        indices = np.sort(rng.choice(frames.shape[0], 2, replace=True))
        pair = [frames[i].astype(np.float32) / 255.0 for i in indices]
        pair = augment_pair(
            pair, self.config.dataset_params.augmentation_params, rng, self.config.dataset_params.frame_shape
        )
        return {
            "driving": torch.from_numpy(pair[0].transpose(2, 0, 1).copy()),
            "source": torch.from_numpy(pair[1].transpose(2, 0, 1).copy()),
        }


@dataclass(frozen=True)
class EpochPlan:
    """How epochs are drawn: `num_repeats` shuffled copies of `num_items` items, cut into batches of
    `batch_size` and shared between `world_size` ranks; `seed` is the run's seed."""

    num_items: int
    num_repeats: int
    batch_size: int
    seed: int
    rank: int = 0
    world_size: int = 1


class EpochSampler(Sampler[tuple[int, int]]):
    """Shuffled `num_repeats` copies of the items, this rank's share, from batch `start_batch` on."""

    def __init__(self, plan: EpochPlan):
        self.plan = dataclasses.replace(plan, num_repeats=max(1, plan.num_repeats))
        self.epoch = 0
        self.start_batch = 0

    def batches_per_epoch(self) -> int:
        """Whole batches per rank per epoch (the last partial batch is dropped); at least 1."""
        plan = self.plan
        per_rank = math.ceil(plan.num_items * plan.num_repeats / plan.world_size)
        return max(1, per_rank // plan.batch_size)

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        self.epoch = epoch
        self.start_batch = start_batch

    def __len__(self) -> int:
        return (self.batches_per_epoch() - self.start_batch) * self.plan.batch_size

    def __iter__(self) -> Iterator[tuple[int, int]]:
        plan = self.plan
        rng = np.random.default_rng([plan.seed, self.epoch])
        order = np.concatenate([rng.permutation(plan.num_items) for _ in range(plan.num_repeats)])
        needed = self.batches_per_epoch() * plan.batch_size * plan.world_size
        order = np.resize(order, needed)  # wrap around so every rank gets full batches
        seeds = rng.integers(0, 2**62, size=needed)
        mine = range(plan.rank, needed, plan.world_size)
        for position in list(mine)[self.start_batch * plan.batch_size :]:
            yield int(order[position]), int(seeds[position])
