"""GES adapter: causal-learn GeneralGraph encoding, collider canary, undirected edges, errors.

The equality of the fast kernel and causal-learn is tested in test_ges_fast.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.ges import GES
from bench.types import DataError, FitContext


@pytest.mark.parametrize("impl", ["fast", "reference"])
def test_reversal_canary_on_collider(collider_data, impl: str) -> None:
    # x0 -> x2 <- x1, x2 -> x3: the v-structure is identifiable and orients x2 -> x3 too. A
    # transposed read of causal-learn's graph (arrowhead mark at graph[j, i]) would reverse all.
    est = GES(impl=impl).fit(collider_data(n=1000, seed=0))
    expected = np.zeros((4, 4), dtype=bool)
    expected[0, 2] = expected[1, 2] = expected[2, 3] = True
    np.testing.assert_array_equal(est.adjacency_, expected)
    assert est.scores_ is None
    assert est.extra_["n_directed"] == 3 and est.extra_["n_undirected"] == 0


def test_library_encoding_on_collider(collider_data) -> None:
    # Pins causal-learn's layout directly: i -> j is graph[j, i] == 1 and graph[i, j] == -1.
    from causallearn.search.ScoreBased.GES import ges

    g = ges(collider_data(n=1000, seed=0), score_func="local_score_BIC")["G"].graph
    assert g[2, 0] == 1 and g[0, 2] == -1
    assert g[3, 2] == 1 and g[2, 3] == -1


def test_chain_is_undirected_both_directions(chain_data) -> None:
    # An i.i.d. linear-Gaussian chain is Markov equivalent to its reverse: GES returns the
    # skeleton 0 - 1 - 2 unoriented, decided in both directions.
    est = GES().fit(chain_data(n=1000, seed=0, lagged=0.0, autoregressive=0.0))
    expected = np.zeros((3, 3), dtype=bool)
    expected[0, 1] = expected[1, 0] = expected[1, 2] = expected[2, 1] = True
    np.testing.assert_array_equal(est.adjacency_, expected)
    assert est.extra_["n_undirected"] == 2


def test_penalty_makes_sparser_graphs(var_data) -> None:
    x = var_data(n=300, n_nodes=6, seed=1, density=0.5)
    dense, sparse = GES(lambda_value=0.1).fit(x), GES(lambda_value=20.0).fit(x)
    assert sparse.adjacency_.sum() < dense.adjacency_.sum()


@pytest.mark.parametrize("impl", ["fast", "reference"])
def test_collinear_nodes_raise_data_error(collider_data, impl: str) -> None:
    x = collider_data(n=200, seed=0)
    x[:, 3] = 2.0 * x[:, 0]
    with pytest.raises(DataError, match="sub-05.*singular"):
        GES(impl=impl).fit(x, FitContext(dataset="sub-05"))


@pytest.mark.parametrize(
    "params",
    [{"lambda_value": 0}, {"max_parents": 0}, {"max_parents": 1.5}, {"impl": "numba"}],
)
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="ges"):
        GES(**params).check_params()
