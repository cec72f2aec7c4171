"""PC adapter: causal-learn encoding, collider reversal canary, undirected-edge rule (both impls).

The fast kernel is compared with causal-learn in ``tests/methods/test_pc_fast.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.pc import PC, causallearn_to_adjacency
from bench.types import DataError, FitContext


@pytest.mark.parametrize("impl", ["fast", "reference"])
def test_reversal_canary_on_collider(collider_data, impl: str) -> None:
    # PC cannot orient the plain chain x0 -> x1 -> x2: it is Markov equivalent to its reverse
    # (and to x0 <- x1 -> x2); all imply the same independences. A collider x0 -> x2 <- x1 is
    # identifiable (x0, x1 independent but dependent given x2), and Meek's rule 1 then orients
    # x2 -> x3. A transposed read of causal-learn's matrix would return every edge reversed.
    est = PC(impl=impl).fit(collider_data(n=1000, seed=0))
    a = est.adjacency_
    expected = np.zeros((4, 4), dtype=bool)
    expected[0, 2] = expected[1, 2] = expected[2, 3] = True
    np.testing.assert_array_equal(a, expected)
    assert est.scores_ is None
    assert est.extra_["n_directed"] == 3 and est.extra_["n_undirected"] == 0


@pytest.mark.parametrize("impl", ["fast", "reference"])
def test_chain_is_undirected_both_directions(chain_data, impl: str) -> None:
    # A purely contemporaneous chain: PC finds the skeleton 0 - 1 - 2 but cannot orient it, so
    # each undirected edge is decided in both directions (and 0, 2 are not adjacent).
    est = PC(impl=impl).fit(chain_data(n=1000, seed=0, lagged=0.0))
    expected = np.zeros((3, 3), dtype=bool)
    expected[0, 1] = expected[1, 0] = expected[1, 2] = expected[2, 1] = True
    np.testing.assert_array_equal(est.adjacency_, expected)
    assert est.extra_["n_undirected"] == 2 and est.extra_["n_directed"] == 0


def test_encoding_conversion_by_hand() -> None:
    # causal-learn: graph[j, i] = 1 and graph[i, j] = -1 means i -> j.
    g = np.zeros((5, 5), dtype=int)
    g[0, 1], g[1, 0] = -1, 1  # 0 -> 1
    g[1, 2] = g[2, 1] = -1  # 1 - 2 (undirected)
    g[3, 2] = g[2, 3] = 1  # 2 <-> 3 (bidirected)
    g[4, 3], g[3, 4] = -1, 1  # 4 -> 3
    adj, counts = causallearn_to_adjacency(g)
    expected = np.zeros((5, 5), dtype=bool)
    for i, j in [(0, 1), (1, 2), (2, 1), (2, 3), (3, 2), (4, 3)]:
        expected[i, j] = True
    np.testing.assert_array_equal(adj, expected)
    assert counts == {"n_directed": 2, "n_undirected": 1, "n_bidirected": 1, "n_other": 0}


@pytest.mark.parametrize("impl", ["fast", "reference"])
def test_collinear_nodes_raise_data_error(collider_data, impl: str) -> None:
    x = collider_data(n=200, seed=0)
    x[:, 3] = 2.0 * x[:, 0]
    with pytest.raises(DataError, match="sub-02.*singular"):
        PC(impl=impl).fit(x, FitContext(dataset="sub-02"))
