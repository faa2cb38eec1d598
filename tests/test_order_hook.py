"""FOMM_TEST_ORDER reorders the collected tests: given, reversed, or shuffled by a seed."""

from __future__ import annotations

import pytest

from tests.conftest import reorder


def test_given_and_reverse() -> None:
    items = list(range(10))
    reorder(items, "given")  # type: ignore[arg-type]
    assert items == list(range(10))
    reorder(items, "reverse")  # type: ignore[arg-type]
    assert items == list(range(9, -1, -1))


def test_shuffle_is_a_permutation_fixed_by_its_seed() -> None:
    first, again, other = list(range(20)), list(range(20)), list(range(20))
    reorder(first, "shuffle:7")  # type: ignore[arg-type]
    reorder(again, "shuffle:7")  # type: ignore[arg-type]
    reorder(other, "shuffle:8")  # type: ignore[arg-type]
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert first == again and first != other


@pytest.mark.parametrize("order", ["backwards", "shuffle", "shuffle:x"])
def test_unknown_order_is_a_usage_error(order: str) -> None:
    with pytest.raises(pytest.UsageError, match=f"FOMM_TEST_ORDER='{order}'"):
        reorder([], order)  # type: ignore[arg-type]
