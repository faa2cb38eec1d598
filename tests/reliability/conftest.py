"""Reliability tests run torch on one thread: they test behaviour, not speed, and two spinning thread
pools on two busy cores (another job training, say) made each tiny-model frame ~100x slower here."""

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
