"""The fast GES kernel (bench.methods._ges_fast) against causal-learn: identical results.

Exact equality throughout (no tolerance): the kernel claims the same local-score floats, the same
DAG / CPDAG conversions, the same operator sequence and the same final score as causal-learn's
``ges(X, score_func="local_score_BIC")``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bench.methods import _ges_fast as fast
from bench.methods.ges import GES


def dag_data(seed: int) -> np.ndarray:
    """Linear-Gaussian data of a random DAG: 5–12 nodes, edge probability 0.1–0.3, T in
    {50, 100, 200}, edge weights ±U(0.5, 1.5), columns in a random order."""
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(5, 13))
    t = int(rng.choice([50, 100, 200]))
    a = np.triu(rng.random((n, n)) < rng.uniform(0.1, 0.3), 1)
    w = a * rng.uniform(0.5, 1.5, a.shape) * rng.choice([-1.0, 1.0], a.shape)
    x = np.zeros((t, n))
    e = rng.standard_normal((t, n))
    for k in range(n):
        x[:, k] = x @ w[:, k] + e[:, k]
    return x[:, rng.permutation(n)]


def reference(x: np.ndarray, **kwargs) -> dict:
    from causallearn.search.ScoreBased.GES import ges

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ges(x, score_func="local_score_BIC", **kwargs)


def assert_same_run(
    x: np.ndarray, max_parents: int | None = None, lam: float = 0.5
) -> tuple[dict, dict]:
    """The kernel and causal-learn agree on the CPDAG, the final score and every operator;
    returns (kernel result, causal-learn record)."""
    ref = reference(x, maxP=max_parents, lambda_value=lam)
    got = fast.ges_bic(x, max_parents=max_parents, lambda_value=lam)
    np.testing.assert_array_equal(got["G"], ref["G"].graph)
    assert got["score"] == ref["score"]
    for key in ("update1", "update2"):
        expected = [[int(i), int(j), [int(v) for v in s]] for i, j, s in ref[key]]
        assert got[key] == expected, key
    return got, ref


# ---- pieces -------------------------------------------------------------------------------------
def test_local_scores_are_the_same_floats() -> None:
    from causallearn.score.LocalScoreFunction import local_score_BIC_from_cov

    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 8)) @ rng.standard_normal((8, 8))
    for lam in (0.5, 1.7):
        sc = fast.BICScore(x, lam)
        keys = set()
        for _ in range(300):
            j = int(rng.integers(8))
            others = [v for v in range(8) if v != j]
            pa = sorted(rng.choice(others, size=int(rng.integers(0, 8)), replace=False).tolist())
            mask = sum(1 << v for v in pa)
            expected = local_score_BIC_from_cov((sc.cov, sc.n), j, pa, {"lambda_value": lam})
            assert sc.local_score(j, pa) == expected
            keys.add((j, mask))
        batch = fast.BICScore(x, lam)
        batch.fill(keys)  # stacked computation: must give the same floats
        for j, mask in keys:
            assert batch.cache[j][mask] == sc.local_score(j, fast._bits(mask))


def random_dag_graph(rng: np.random.Generator, n: int):
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode

    nodes = [GraphNode(f"X{k + 1}") for k in range(n)]
    g = GeneralGraph(nodes)
    order = rng.permutation(n)
    pa = [0] * n
    for a in range(n):
        for b in range(a + 1, n):
            if rng.random() < 0.4:
                u, v = int(order[a]), int(order[b])
                g.add_edge(Edge(nodes[u], nodes[v], Endpoint.TAIL, Endpoint.ARROW))
                pa[v] |= 1 << u
    return g, pa


def to_masks(graph: np.ndarray) -> fast._Graph:
    n = graph.shape[0]
    pa, und = [0] * n, [0] * n
    for a in range(n):
        for b in range(n):
            if graph[b, a] == 1 and graph[a, b] == -1:
                pa[b] |= 1 << a
            elif graph[a, b] == -1 and graph[b, a] == -1:
                und[a] |= 1 << b
    return fast._Graph(n, pa, und)


def test_dag_to_cpdag_and_back_match_causallearn() -> None:
    from causallearn.utils.DAG2CPDAG import dag2cpdag
    from causallearn.utils.PDAG2DAG import pdag2dag

    rng = np.random.default_rng(1)
    for _ in range(30):
        n = int(rng.integers(4, 13))
        g, pa = random_dag_graph(rng, n)
        cpdag = dag2cpdag(g)
        mine = fast.dag_to_cpdag(n, pa)
        np.testing.assert_array_equal(mine.to_causallearn(), cpdag.graph)
        dag = pdag2dag(cpdag)  # a consistent extension, chosen in causal-learn's order
        ext = fast.pdag_to_dag(to_masks(cpdag.graph))
        np.testing.assert_array_equal(fast._Graph(n, ext, [0] * n).to_causallearn(), dag.graph)


def test_reachability_replaces_the_path_search() -> None:
    # 0 — 1 → 2: a semi-directed path 0 ⇝ 2 through 1, none back from 2.
    g = fast._Graph(4, [0, 0, 0b0010, 0], [0b0010, 0b0001, 0, 0])  # 0 — 1, 1 → 2
    assert not fast._semi_directed_blocked(g, 0, 2, 0)
    assert fast._semi_directed_blocked(g, 0, 2, 0b0010)
    assert fast._semi_directed_blocked(g, 2, 0, 0)


def test_cycles_raise_instead_of_looping() -> None:
    # 0 → 1 → 2 → 0: causal-learn's pdag2dag would loop forever, its dag2cpdag raises.
    cycle = [0b100, 0b001, 0b010]
    with pytest.raises(RuntimeError, match="no consistent DAG extension"):
        fast.pdag_to_dag(fast._Graph(3, cycle, [0, 0, 0]))
    with pytest.raises(ValueError, match="acyclic"):
        fast.dag_to_cpdag(3, cycle)


# ---- whole runs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(30))
def test_random_dags_identical(seed: int) -> None:
    assert_same_run(dag_data(seed))


@pytest.mark.parametrize(
    ("seed", "max_parents", "lam"),
    [(1, 1, 0.5), (4, 2, 0.2), (17, 3, 0.5), (16, None, 0.1), (20, None, 2.0), (9, 2, 0.2)],
)
def test_parameter_variants_identical(seed: int, max_parents: int | None, lam: float) -> None:
    x = dag_data(seed)
    got, _ = assert_same_run(x, max_parents=max_parents, lam=lam)
    # each variant changes the result, so the parameter is exercised
    assert not np.array_equal(got["G"], fast.ges_bic(x)["G"])


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_exact_ties_broken_like_causallearn(seed: int) -> None:
    # ±1 data with T = 16 rows: means, covariances and many local scores are exact, and
    # symmetric operators (i → j against j → i, equal variances) tie exactly, so the result
    # hinges on causal-learn's tie-breaking (first in scan order).
    rng = np.random.default_rng(seed)
    base = rng.choice([-1.0, 1.0], size=(16, 3))
    x = np.column_stack([base, base[:, 0] * base[:, 1], base[:, 1] * base[:, 2]])
    x = np.column_stack([x, np.where(rng.random(16) < 0.8, x[:, 3], -x[:, 3])])
    n = x.shape[1]
    first = fast._Search(fast.BICScore(x, 0.1), n, n)
    first._refresh(fast._Graph(n, [0] * n, [0] * n), 0, forward=True, full=True)
    assert (first.best == first.best.max()).sum() >= 2, "the first step has no tie to break"
    got, _ = assert_same_run(x, lam=0.1)
    assert got["update1"], "no operator applied: the test would not exercise ties"


# ---- NetSim, through the adapter ----------------------------------------------------------------
@pytest.mark.parametrize(("dataset", "index"), [("smith:1", 0), ("smith:1", 1), ("smith:1", 2)])
def test_netsim_identical(dataset: str, index: int) -> None:
    from bench.registry import load_dataset

    x = load_dataset(dataset).series[index]
    got, ref = GES().fit(x), GES(impl="reference").fit(x)
    np.testing.assert_array_equal(got.adjacency_, ref.adjacency_)
    assert got.extra_ == ref.extra_


def test_netsim_sim2_identical_run() -> None:
    from bench.methods.pc import causallearn_to_adjacency
    from bench.registry import load_dataset

    x = load_dataset("smith:2").series[0]
    _, ref = assert_same_run(x)
    adj, counts = causallearn_to_adjacency(ref["G"].graph)
    est = GES().fit(x)
    np.testing.assert_array_equal(est.adjacency_, adj)
    assert {k: est.extra_[k] for k in counts} == counts


@pytest.mark.slow
def test_netsim_sim4_identical_run() -> None:
    from bench.registry import load_dataset

    assert_same_run(load_dataset("smith:4").series[0])  # 50 nodes; the reference takes ~1 min
