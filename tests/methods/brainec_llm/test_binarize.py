"""The reference binarisation rule (midpoint threshold, top-⌊0.4N⌋ per row and column)."""

from __future__ import annotations

import numpy as np

from bench.methods.brainec_llm.binarize import binarize, soft_threshold


def test_threshold_is_midpoint_of_offdiagonal_min_and_max() -> None:
    a = np.array([[9.0, 0.2, 0.4], [0.1, 9.0, 0.9], [0.3, 0.5, 9.0]])
    assert np.isclose(soft_threshold(a), 0.1 + 0.5 * (0.9 - 0.1))


def test_row_cap_and_threshold() -> None:
    # N = 5 -> k = 2; tau = 0 + 0.5 * (1 - 0) = 0.5
    a = np.zeros((5, 5))
    a[0, 1:] = [1.0, 0.9, 0.8, 0.2]  # row 0: top-2 are 1 and 2 (0.8 > tau but not top-2)
    a[3, 4] = 0.4  # below tau
    adj = binarize(a)
    want = np.zeros((5, 5), bool)
    want[0, 1] = want[0, 2] = True
    np.testing.assert_array_equal(adj, want)


def test_column_cap_ignores_threshold() -> None:
    # N = 5 -> k = 2. Column 4 gets 3 edges from the row step; it is replaced by the top-2
    # of the column of A.
    a = np.full((5, 5), 0.0)
    a[0, 4], a[1, 4], a[2, 4] = 0.8, 0.9, 1.0
    adj = binarize(a)
    assert adj[:, 4].tolist() == [False, True, True, False, False]
    assert adj.sum() == 2
    assert not np.diag(adj).any()


def test_small_n_gives_empty_graph() -> None:
    assert not binarize(np.array([[0.0, 1.0], [0.0, 0.0]])).any()  # k = int(0.8) = 0
