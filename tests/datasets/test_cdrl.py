"""The ``cdrl`` generator family: determinism per seed, DAG property, orientation, presets."""

from __future__ import annotations

import numpy as np
import pytest

from bench.datasets.cdrl import PRESETS, CdrlGenerated, generate_cdrl, quadratic_terms
from bench.registry import UnknownNameError, get_family, load_dataset, select_datasets
from bench.types import BenchError

MEMBERS = ["linear5", "linear7", "quad5", "quad7"]
SEEDS = range(12)


@pytest.fixture(scope="module")
def cdrl() -> CdrlGenerated:
    family = get_family("cdrl")
    assert isinstance(family, CdrlGenerated)
    return family


def ols_residual(y: np.ndarray, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares coefficients of y on [1, features] and the residual."""
    design = np.column_stack([np.ones(len(y)), features])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return coef[1:], y - design @ coef


# ------------------------------------------------------------------ family and presets


def test_members_and_info(cdrl: CdrlGenerated) -> None:
    assert cdrl.members() == MEMBERS
    assert cdrl.seeded
    info = cdrl.info
    assert info.kind == "cdrl" and info.tr is None
    assert "i.i.d." in info.notes and "not time series" in info.notes
    assert "i.i.d." in info.description
    assert "Zhu" in info.citation and "ICLR" in info.citation


@pytest.mark.parametrize("member", MEMBERS)
def test_dataset_structure(cdrl: CdrlGenerated, member: str) -> None:
    p = PRESETS[member]
    ds = cdrl.load(member, seed=3)
    assert (ds.name, ds.family, ds.member, ds.tr) == (f"cdrl:{member}", "cdrl", member, None)
    assert ds.subjects == [f"sub{k:02d}" for k in range(1, 51)]
    assert p.subjects * p.samples_per_subject == 10000
    for x in ds.series:
        assert x.shape == (200, p.nodes) and x.dtype == np.float64 and np.isfinite(x).all()
    assert ds.truth.shape == (p.nodes, p.nodes) and ds.truth.dtype == bool
    assert ds.extra["seed"] == 3 and ds.extra["iid"] is True
    assert "i.i.d." in ds.notes and "seed 3" in ds.notes
    if p.model == "linear":
        assert ds.weights is not None and ds.weights.shape == (50, p.nodes, p.nodes)
        assert ((ds.weights[0] != 0) == ds.truth).all()
    else:
        assert ds.weights is None
    # The subjects are consecutive blocks of one 10000-sample draw.
    whole = generate_cdrl(p.model, p.nodes, 10000, 3).x
    np.testing.assert_array_equal(np.concatenate(ds.series), whole)


def test_selection_and_registry_load(cdrl: CdrlGenerated) -> None:
    (sel,) = select_datasets("cdrl:quad*")
    assert sel.members == ["quad5", "quad7"]
    a = load_dataset("cdrl:linear5", seed=4)
    b = cdrl.load("linear5", seed=4)
    assert all(np.array_equal(x, y) for x, y in zip(a.series, b.series, strict=True))
    with pytest.raises(UnknownNameError, match="quad5"):
        cdrl.load("quad6", seed=0)
    with pytest.raises(BenchError, match="seed"):
        cdrl.load("quad5", seed=-1)


# ------------------------------------------------------------------ determinism


@pytest.mark.parametrize("member", MEMBERS)
def test_same_seed_same_data_other_seed_other_data(cdrl: CdrlGenerated, member: str) -> None:
    a, b, c = cdrl.load(member, 7), cdrl.load(member, 7), cdrl.load(member, 8)
    assert a.data_hash() == b.data_hash() != c.data_hash()
    assert all(np.array_equal(x, y) for x, y in zip(a.series, b.series, strict=True))
    assert np.array_equal(a.truth, b.truth)


def test_seed_none_is_seed_zero(cdrl: CdrlGenerated) -> None:
    assert cdrl.load("quad5").data_hash() == cdrl.load("quad5", 0).data_hash()


def test_pinned_values() -> None:
    """Regression pin: the RandomState stream and the draw order must not change silently."""
    s = generate_cdrl("linear", 5, 10000, 0)
    assert s.truth.sum() == 3 and s.truth[0, 3] and s.truth[1, 3] and s.truth[2, 4]
    np.testing.assert_allclose(
        s.x[0], [0.26135228, -0.9967705, 0.17759467, 0.86368846, 1.04972088], atol=1e-7
    )
    np.testing.assert_allclose(s.weights[s.truth], [1.0, -1.2, 0.7])  # row-major: 0>3, 1>3, 2>4
    assert not np.signbit(s.weights[~s.truth]).any()  # no -0.0 entries


def test_same_seed_same_graph_mask_for_linear_and_quadratic() -> None:
    """The quadratic truth keeps a subset of the linear graph's parents (same seed, same d)."""
    for seed in SEEDS:
        lin, quad = generate_cdrl("linear", 5, 500, seed), generate_cdrl("quadratic", 5, 500, seed)
        assert not (quad.truth & ~lin.truth).any()


# ------------------------------------------------------------------ DAG property


@pytest.mark.parametrize("member", MEMBERS)
def test_truth_is_a_dag_in_node_order(member: str) -> None:
    p = PRESETS[member]
    edges = 0
    for seed in SEEDS:
        t = generate_cdrl(p.model, p.nodes, 300, seed).truth
        assert not np.tril(t).any()  # every edge i -> j has i < j: acyclic, no self-loops
        power = np.eye(p.nodes, dtype=np.int64)
        for _ in range(p.nodes):
            power = np.minimum(power @ t.astype(np.int64), 1)
        assert not power.any()  # nilpotent adjacency: no directed cycle
        edges += int(t.sum())
    assert edges > 0


def test_linear_weights() -> None:
    for seed in SEEDS:
        w = generate_cdrl("linear", 7, 100, seed).weights
        nz = np.abs(w[w != 0])
        assert ((nz >= 0.5) & (nz <= 2.0)).all()
        np.testing.assert_allclose(nz, np.round(nz, 1))


# ------------------------------------------------------------------ orientation


def test_two_node_orientation() -> None:
    """With 2 nodes the only possible edge is 0 -> 1 (upstream B[1, 0]): x1 = w x0 + e1."""
    seen = 0
    for seed in range(20):
        s = generate_cdrl("linear", 2, 5000, seed)
        assert not s.truth[1, 0] and s.parents[0, 1] == 0
        if not s.truth[0, 1]:
            continue
        seen += 1
        w = s.weights[0, 1]
        assert s.parents[1, 0] == w  # upstream row = child
        coef, resid = ols_residual(s.x[:, 1], s.x[:, [0]])
        assert coef[0] == pytest.approx(w, abs=0.05)  # the parent drives the child ...
        assert resid.std() == pytest.approx(1.0, abs=0.05)  # ... up to unit-variance noise
        # the child does not drive the parent: x0 is pure noise with std 1
        assert s.x[:, 0].std() == pytest.approx(1.0, abs=1e-9)
    assert seen >= 5


@pytest.mark.parametrize("seed", range(5))
def test_linear_regression_on_true_parents_recovers_weights(seed: int) -> None:
    s = generate_cdrl("linear", 7, 10000, seed)
    for j in range(7):
        parents = np.flatnonzero(s.truth[:, j])  # column j of truth = parents of j
        if parents.size == 0:
            assert s.x[:, j].std() == pytest.approx(1.0, abs=1e-9)
            continue
        coef, resid = ols_residual(s.x[:, j], s.x[:, parents])
        np.testing.assert_allclose(coef, s.weights[parents, j], atol=0.05)
        assert resid.std() == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("seed", range(5))
def test_quadratic_child_is_explained_by_its_parents_terms(seed: int) -> None:
    """x_j = e_j + f(parents): regressing on the parents' quadratic terms leaves unit noise,
    and no true parent is dispensable (each one's terms carry a non-zero coefficient)."""
    s = generate_cdrl("quadratic", 5, 10000, seed)
    for j in range(5):
        parents = np.flatnonzero(s.truth[:, j])
        if parents.size == 0:
            continue
        terms, _ = quadratic_terms(s.x[:, parents])
        _, resid = ols_residual(s.x[:, j], terms)
        assert resid.std() == pytest.approx(1.0, rel=1e-3)
        for drop in range(parents.size):
            rest = np.delete(parents, drop)
            if rest.size == 0:
                assert s.x[:, j].std() > 1.05
                continue
            _, r2 = ols_residual(s.x[:, j], quadratic_terms(s.x[:, rest])[0])
            assert r2.std() > 1.05


def test_quadratic_terms_match_scikit_learn_order() -> None:
    sklearn_pre = pytest.importorskip("sklearn.preprocessing")
    x = np.random.default_rng(0).normal(size=(20, 4))
    ours, combos = quadratic_terms(x)
    ref = sklearn_pre.PolynomialFeatures(degree=2).fit_transform(x)[:, 1:]
    np.testing.assert_allclose(ours, ref)
    assert combos[:4] == [(0,), (1,), (2,), (3,)] and combos[4:6] == [(0, 0), (0, 1)]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="model"):
        generate_cdrl("cubic", 5, 10, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2 nodes"):
        generate_cdrl("linear", 1, 10, 0)
