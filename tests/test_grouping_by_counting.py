"""The view's markers and timeline bins are grouped by counting small integer keys and ordered
newest first without sorting sorted dates (read/index.py); each must give exactly what the
sorting it replaced gave, on sorted and unsorted input, empty and single rows included."""

from __future__ import annotations

import numpy as np
import pytest

from conflictmap.read.index import _groups, newest_first


@pytest.mark.parametrize("n", [0, 1, 2, 7, 500, 20_000])
def test_newest_first_is_a_stable_sort_on_minus_the_date(n):
    rng = np.random.default_rng(n)
    sorted_days = np.sort(rng.integers(0, max(1, n // 3), n)).astype(np.int64)
    shuffled = rng.integers(-5, 40, n).astype(np.int64)  # unsorted, negative days too
    for dates in (sorted_days, shuffled):
        assert np.array_equal(newest_first(dates), np.argsort(-dates, kind="stable"))


@pytest.mark.parametrize(
    "keys",
    [
        np.array([], dtype=np.int64),
        np.array([3]),
        np.array([5, 5, 5, 0, 2, 5, 0]),
        np.random.default_rng(1).integers(0, 40, 5_000),
        np.random.default_rng(2).integers(0, 10**9, 300),  # spread wide: falls back to sorting
        np.array([4, -1, 4, 2]),  # negative: falls back to sorting
    ],
)
def test_groups_by_counting_equal_numpy_unique(keys):
    got = _groups(keys)
    want = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    assert len(got) == 4
    for mine, theirs in zip(got, want, strict=True):
        assert np.array_equal(mine, np.asarray(theirs).reshape(-1))
