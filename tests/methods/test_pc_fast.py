"""The fast PC kernel equals causal-learn's ``pc`` (Fisher-z), piece by piece and as a whole.

Every comparison is exact: p-values bit for bit against causal-learn's ``CIT(x, "fisherz")``,
separating-set lists entry by entry against ``skeleton_discovery``, the ancestor matrix and the
iteration lists against ``GeneralGraph`` / ``CausalGraph``, and the final ``G.graph`` (hence
``adjacency_`` and the edge counts of ``extra_``) against ``pc`` on random Gaussian DAG data,
NetSim subjects and every parameter variant. All NetSim subjects of sims 1–4 are compared by
``tests/benchmarks/speed_pc.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bench.methods._pc_fast import (
    FisherZ,
    Graph,
    cond_sets,
    fisher_z,
    pc_graph,
    skeleton,
    variable_rows,
)
from bench.methods.pc import PC
from bench.types import DataError


def random_sem(n_nodes: int, t: int, seed: int, density: float = 0.3) -> np.ndarray:
    """Linear acyclic SEM over a random DAG with Gaussian noise (x = x B + e, B upper)."""
    rng = np.random.default_rng(seed)
    b = np.triu(rng.random((n_nodes, n_nodes)) < density, 1) * rng.uniform(0.3, 0.9)
    b *= rng.choice([-1.0, 1.0], b.shape)
    return rng.standard_normal((t, n_nodes)) @ np.linalg.inv(np.eye(n_nodes) - b)


def reference_pc(x: np.ndarray, alpha: float = 0.05, stable: bool = True, rule: int = 0, pr=2):
    from causallearn.search.ConstraintBased.PC import pc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pc(x, alpha, "fisherz", stable, rule, pr, show_progress=False)


def assert_same_pc(x: np.ndarray, alpha: float = 0.05, stable=True, rule=0, pr=2) -> None:
    """Identical ``G.graph`` and ancestor matrix ``G.dpath`` to causal-learn's ``pc``."""
    cg = reference_pc(x, alpha, stable, rule, pr)
    res = pc_graph(x, alpha, stable=stable, uc_rule=rule, uc_priority=pr)
    np.testing.assert_array_equal(res.graph, cg.G.graph)
    np.testing.assert_array_equal(res.dpath, cg.G.dpath.astype(bool))


# --------------------------------------------------------------------------- Fisher-z


def test_fisher_z_bit_identical_to_causallearn() -> None:
    from causallearn.utils.cit import CIT

    x = random_sem(9, 150, 3, density=0.5)
    cit = CIT(x, "fisherz")
    test = FisherZ(x)
    np.testing.assert_array_equal(test.corr, cit.correlation_matrix)
    rng = np.random.default_rng(0)
    for d in range(6):
        rows = np.array([rng.permutation(9)[: d + 2] for _ in range(40)])
        p, status = test.batch(rows[:, 0], rows[:, 1], rows[:, 2:])
        ref = [cit(int(r[0]), int(r[1]), [int(s) for s in r[2:]]) for r in rows]
        assert not status.any()
        np.testing.assert_array_equal(p, ref)  # exact: no tolerance


def test_fisher_z_flags_singular_and_small_samples() -> None:
    corr = np.array([[1.0, 1.0, 0.5], [1.0, 1.0, 0.5], [0.5, 0.5, 1.0]])  # 0 and 1 identical
    p, status = fisher_z(corr, 100, np.array([[0, 1], [0, 2]]))
    assert status.tolist() == [1, 0] and np.isnan(p[0]) and 0 <= p[1] <= 1
    _, status = fisher_z(np.eye(6), 5, np.array([[0, 1, 2, 3, 4]]))  # T - |S| - 3 < 0
    assert status.tolist() == [2]


def test_fisher_z_by_hand() -> None:
    # depth 0: p = 2(1 − Φ(|atanh r| sqrt(T − 3))) with r from the 2 × 2 inverse
    from scipy.stats import norm

    x = random_sem(3, 100, 5)
    r = np.corrcoef(x, rowvar=False)[0, 2]
    expected = 2 * (1 - norm.cdf(abs(np.arctanh(r)) * np.sqrt(97)))
    p, _ = FisherZ(x).batch(np.array([2]), np.array([0]), np.zeros((1, 0), dtype=int))
    assert p[0] == pytest.approx(expected, rel=1e-12)
    np.testing.assert_array_equal(
        variable_rows(np.array([4]), np.array([1]), np.array([[3, 0]])), [[1, 4, 0, 3]]
    )


# --------------------------------------------------------------------------- skeleton


def assert_same_skeleton(x: np.ndarray, alpha: float, stable: bool) -> None:
    from causallearn.utils.cit import CIT
    from causallearn.utils.PCUtils.SkeletonDiscovery import skeleton_discovery

    cg = skeleton_discovery(x, alpha, CIT(x, "fisherz"), stable=stable, show_progress=False)
    sk = skeleton(FisherZ(x), x.shape[1], alpha, stable)
    np.testing.assert_array_equal(sk.adj, cg.G.graph != 0)
    n = x.shape[1]
    for i in range(n):
        for j in range(n):
            ref = cg.sepset[i, j]
            mine = sk.sepset.get((i, j))
            if ref is None:
                assert mine is None, (i, j)
            else:  # same entries, same order, same element order in each tuple
                assert [tuple(int(e) for e in s) for s in ref] == mine, (i, j, ref, mine)


@pytest.mark.parametrize("stable", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_skeleton_and_sepsets_equal_causallearn(seed: int, stable: bool) -> None:
    assert_same_skeleton(random_sem(10, 150, seed, density=0.45), 0.1, stable)


def test_sepsets_of_a_chain_by_hand() -> None:
    # x0 -> x1 -> x2: 0 and 2 are separated by {1}, recorded from both sides at depth 1
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 3))
    x[:, 1] += 0.8 * x[:, 0]
    x[:, 2] += 0.8 * x[:, 1]
    sk = skeleton(FisherZ(x), 3, 0.01, True)
    assert sk.adj.tolist() == [[False, True, False], [True, False, True], [False, True, False]]
    assert sk.sepset[(0, 2)] == sk.sepset[(2, 0)] == [(1,), (1,)]
    assert sk.separates(0, 2, 1)


# --------------------------------------------------------------------------- the graph


def test_ancestor_matrix_mirrors_general_graph() -> None:
    # causal-learn's dpath is not a transitive closure: adding 0->1, then 2->3, then 1->2 leaves
    # 0 not an ancestor of 3; removing a directed edge rebuilds it in reverse (i < j) order.
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GraphClass import CausalGraph

    n = 6
    cg = CausalGraph(n)
    mine = Graph(~np.eye(n, dtype=bool))
    nodes = cg.G.nodes
    steps = [(0, 1), (2, 3), (1, 2), (4, 0), (3, 5), (5, 4)]
    for i, j in steps:
        cg.G.remove_edge(cg.G.get_edge(nodes[i], nodes[j]))
        cg.G.add_edge(Edge(nodes[i], nodes[j], Endpoint.TAIL, Endpoint.ARROW))
        mine.orient(i, j)
        np.testing.assert_array_equal(mine.dpath, cg.G.dpath.astype(bool))
    assert not mine.is_ancestor_of(0, 3)  # not transitive
    for i, j in [(1, 2), (0, 1)]:
        cg.G.remove_edge(cg.G.get_edge(nodes[i], nodes[j]))
        mine.remove_edge(i, j)
        np.testing.assert_array_equal(mine.dpath, cg.G.dpath.astype(bool))
        np.testing.assert_array_equal(mine.matrix(), cg.G.graph)


def test_iteration_lists_in_causallearn_order() -> None:
    from causallearn.graph.GraphClass import CausalGraph
    from causallearn.utils.cit import CIT

    x = random_sem(9, 200, 4, density=0.5)
    cg = reference_pc(x, 0.2)
    graph = Graph(cg.G.graph != 0)
    graph.g = np.asarray(cg.G.graph).tolist()
    ref = CausalGraph(9)
    ref.G.graph = np.asarray(cg.G.graph).copy()
    ref.set_ind_test(CIT(x, "fisherz"))
    tri = graph.triangles()
    assert graph.find_adj() == [tuple(map(int, p)) for p in ref.find_adj()]
    assert graph.unshielded_triples() == [tuple(map(int, t)) for t in ref.find_unshielded_triples()]
    assert tri == [tuple(map(int, t)) for t in ref.find_triangles()]
    assert graph.kites(tri) == [tuple(map(int, k)) for k in ref.find_kites()]
    assert len(tri) > 0 and len(graph.unshielded_triples()) > 0
    for i, j in [(0, 5), (2, 7), (3, 8)]:
        assert cond_sets(graph, i, j) == [tuple(map(int, s)) for s in ref.find_cond_sets(i, j)]


# --------------------------------------------------------------------------- whole PC


@pytest.mark.parametrize(("n_nodes", "seed"), [(5, 0), (8, 1), (10, 2), (12, 3), (15, 4)])
def test_fast_pc_equals_causallearn_random(n_nodes: int, seed: int) -> None:
    x = random_sem(n_nodes, 200, seed, density=0.35)
    assert_same_pc(x, 0.05)
    assert_same_pc(x, 0.2)


@pytest.mark.parametrize(
    ("stable", "rule", "priority"),
    [(True, 0, p) for p in (-1, 0, 1, 3, 4)]
    + [(False, 0, 2), (False, 0, 1)]
    + [(True, 1, p) for p in (-1, 0, 1, 2, 3, 4)]
    + [(True, 2, p) for p in (-1, 2, 3)]
    + [(False, 2, 4)],
)
def test_fast_pc_parameter_variants(stable: bool, rule: int, priority: int) -> None:
    # seed 2: 12 distinct CPDAGs over these variants, 9 bidirected edges with uc_priority=1
    x = random_sem(8, 200, 2, density=0.45)
    assert_same_pc(x, 0.1, stable, rule, priority)


def test_adapter_fast_equals_reference_on_collider_canary(collider_data) -> None:
    x = collider_data(n=1000, seed=0)
    fast, ref = PC().fit(x), PC(impl="reference").fit(x)
    np.testing.assert_array_equal(fast.adjacency_, ref.adjacency_)
    assert fast.extra_ == ref.extra_
    assert fast.extra_["n_directed"] == 3


@pytest.mark.parametrize(("dataset", "subjects"), [("smith:1", [0, 1, 2]), ("smith:2", [0])])
def test_adapter_fast_equals_reference_netsim(dataset: str, subjects: list[int]) -> None:
    from bench.registry import load_dataset

    ds = load_dataset(dataset)
    for k in subjects:
        x = ds.series[k]
        fast, ref = PC().fit(x), PC(impl="reference").fit(x)
        np.testing.assert_array_equal(fast.adjacency_, ref.adjacency_, err_msg=f"subject {k}")
        assert fast.extra_ == ref.extra_


@pytest.mark.slow
def test_adapter_fast_equals_reference_sim4() -> None:
    from bench.registry import load_dataset

    x = load_dataset("smith:4").series[0]
    fast, ref = PC().fit(x), PC(impl="reference").fit(x)
    np.testing.assert_array_equal(fast.adjacency_, ref.adjacency_)
    assert fast.extra_ == ref.extra_


@pytest.mark.parametrize("stable", [True, False])
@pytest.mark.parametrize("impl", ["fast", "reference"])
def test_collinear_nodes_raise_data_error(collider_data, impl: str, stable: bool) -> None:
    x = collider_data(n=200, seed=0)
    x[:, 3] = 2.0 * x[:, 0]
    with pytest.raises(DataError, match="singular"):
        PC(impl=impl, stable=stable).fit(x)


def test_few_time_points_behave_as_causallearn() -> None:
    # T = 6 or 7 points, 8 nodes (T < N: both warn): correlation matrices of rank < N, and
    # T − |S| − 3 reaching 0; the same graph or the same error either way
    for seed, t, rule in [(0, 6, 0), (1, 7, 1), (2, 7, 2), (3, 6, 1)]:
        x = random_sem(8, t, seed, density=0.7)
        outcomes = []
        for impl in ("fast", "reference"):
            est = PC(impl=impl, alpha=0.3, uc_rule=rule, uc_priority=3)
            with pytest.warns(UserWarning, match="much larger than the sample size"):
                try:
                    outcomes.append(est.fit(x).adjacency_.tolist())
                except (ValueError, DataError) as exc:
                    outcomes.append(f"{type(exc).__name__}: {exc}")
        assert outcomes[0] == outcomes[1]


def test_fallback_to_reference_when_kernel_declines(monkeypatch, collider_data) -> None:
    import bench.methods._pc_fast as kernel

    def decline(*args, **kwargs):
        raise NotImplementedError("test")

    monkeypatch.setattr(kernel, "pc_graph", decline)
    x = collider_data(n=1000, seed=0)
    with pytest.warns(UserWarning, match="fast path not applicable"):
        est = PC().fit(x)
    np.testing.assert_array_equal(est.adjacency_, PC(impl="reference").fit(x).adjacency_)


def test_bad_impl_and_priority_rejected() -> None:
    with pytest.raises(ValueError, match="impl"):
        PC(impl="java").check_params()
    with pytest.raises(ValueError, match="uc_priority"):
        PC(uc_rule=2, uc_priority=1).check_params()
