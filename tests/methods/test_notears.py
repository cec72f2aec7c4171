"""NOTEARS: h(W) and its gradient, the Gram-matrix loss, the objective's gradient, recovery of
an equal-variance DAG, the encoding (no transpose), the threshold rule, scale and parameters."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as slin
from scipy.optimize import check_grad

from bench.canaries import make_chain
from bench.methods._notears import (
    AugmentedLagrangian,
    acyclicity,
    lagged_design,
    least_squares,
    notears_solve,
)
from bench.methods.notears import NOTEARS

CHAIN = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)  # 0 -> 1 -> 2


def equal_variance_dag(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 5-node linear-Gaussian SEM with unit noise variances (the paper's setting)."""
    w = np.zeros((5, 5))
    w[0, 1], w[0, 2], w[1, 3], w[2, 3], w[3, 4] = 1.2, -0.9, 0.8, 1.0, -1.1
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5))
    for j in range(5):  # the nodes are already in causal order
        x[:, j] += x @ w[:, j]
    return x, w


def test_acyclicity_is_zero_exactly_on_dags() -> None:
    dag = np.triu(np.random.default_rng(0).normal(size=(4, 4)), 1)
    h, _ = acyclicity(dag)
    assert abs(h) < 1e-12
    cyc = dag.copy()
    cyc[3, 0] = 0.5  # closes 0 -> ... -> 3 -> 0 when a path exists
    cyc[0, 3] = 0.7
    h_cyc, _ = acyclicity(cyc)
    assert h_cyc > 1e-3
    # h(W) = tr(exp(W∘W)) − d by hand for a 2-cycle a ⇄ b: tr(exp([[0, a²], [b², 0]])) − 2
    a, b = 0.6, 0.9
    expected = 2 * np.cosh(a * b) - 2
    assert acyclicity(np.array([[0.0, a], [b, 0.0]]))[0] == pytest.approx(expected, rel=1e-12)


def test_acyclicity_gradient_matches_finite_differences() -> None:
    w = np.random.default_rng(1).normal(scale=0.5, size=(4, 4))
    np.fill_diagonal(w, 0)
    err = check_grad(
        lambda v: acyclicity(v.reshape(4, 4))[0],
        lambda v: acyclicity(v.reshape(4, 4))[1].ravel(),
        w.ravel(),
    )
    assert err < 1e-6
    _, g = acyclicity(w)
    np.testing.assert_allclose(g, slin.expm(w * w).T * 2 * w)


def test_gram_loss_equals_the_residual_form() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(50, 3)), rng.normal(size=(50, 6))
    z = np.concatenate([x, y], axis=1)
    b = rng.normal(size=(9, 3))
    loss, grad = least_squares(b, z.T @ z / 50, z.T @ x / 50, 0.5 * (x**2).sum() / 50)
    r = x - z @ b
    assert loss == pytest.approx(0.5 * (r**2).sum() / 50, rel=1e-12)
    np.testing.assert_allclose(grad, -z.T @ r / 50, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("lagged", [False, True])
def test_augmented_objective_gradient(lagged: bool) -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 3))
    f = AugmentedLagrangian(x, rng.normal(size=(80, 3)) if lagged else None, 0.1, 0.2)
    f.rho, f.alpha = 10.0, 0.5
    v = np.abs(rng.normal(scale=0.3, size=2 * f.m))
    assert check_grad(lambda u: f(u)[0], lambda u: f(u)[1], v) < 1e-5
    assert f.unpack(v).shape == (6 if lagged else 3, 3)  # B = [W; A]
    fixed = [i for i, bd in enumerate(f.bounds) if bd == (0.0, 0.0)]
    assert len(fixed) == 2 * 3  # W's diagonal in B⁺ and B⁻; A's diagonal is free


def test_lagged_design() -> None:
    x = np.arange(20.0).reshape(10, 2)
    target, lagged = lagged_design(x, 2)
    np.testing.assert_array_equal(target, x[2:])
    np.testing.assert_array_equal(lagged[:, :2], x[1:-1])  # lag 1
    np.testing.assert_array_equal(lagged[:, 2:], x[:-2])  # lag 2


def test_recovers_an_equal_variance_dag_in_bench_orientation() -> None:
    x, w = equal_variance_dag()
    est = NOTEARS(standardize=False).fit(x)
    np.testing.assert_array_equal(est.adjacency_, w != 0)  # W[i, j] = i -> j, no transpose
    np.testing.assert_allclose(est.extra_["weights"][w != 0], w[w != 0], atol=0.15)
    assert est.extra_["h"] <= 1e-8


def test_threshold_rule_and_acyclic_decision() -> None:
    x = make_chain(500, 1, lagged=0.0, autoregressive=0.0)
    for thr in (0.3, 0.05):
        est = NOTEARS(w_threshold=thr).fit(x)
        np.testing.assert_array_equal(est.adjacency_, est.scores_ >= thr)
        np.testing.assert_array_equal(est.scores_, np.abs(est.extra_["weights"]))
        assert acyclicity(est.adjacency_.astype(float))[0] < 1e-12


def test_standardize_makes_the_result_scale_free() -> None:
    x = make_chain(300, 4, lagged=0.0, autoregressive=0.0)
    y = x * np.array([100.0, 0.1, 3.0]) + 7.0
    a, b = NOTEARS().fit(x), NOTEARS().fit(y)
    np.testing.assert_array_equal(a.adjacency_, b.adjacency_)
    np.testing.assert_allclose(a.scores_, b.scores_, atol=1e-6)


def test_raw_scale_orients_an_equal_variance_chain_and_standardizing_loses_it() -> None:
    # Varsortability (module docstring): on the equal-variance chain the raw fit is right and
    # the z-scored one is not (the identifying assumption does not survive standardisation).
    x = make_chain(1000, 0, lagged=0.0, autoregressive=0.0)
    raw, std = NOTEARS(standardize=False).fit(x), NOTEARS().fit(x)
    np.testing.assert_array_equal(raw.adjacency_, CHAIN)
    assert not np.array_equal(std.adjacency_, CHAIN)


def test_solver_is_deterministic_and_counts_its_work() -> None:
    x = make_chain(300, 5, lagged=0.0, autoregressive=0.0)
    a = notears_solve(x - x.mean(axis=0))
    b = notears_solve(x - x.mean(axis=0))
    np.testing.assert_array_equal(a.w, b.w)
    assert a.evaluations > 0 and 1 <= a.iterations <= 100 and a.a.shape == (0, 3)


@pytest.mark.parametrize(
    "params",
    [{"lambda1": -0.1}, {"w_threshold": "x"}, {"max_iter": 0}, {"standardize": 1}],
)
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="notears"):
        NOTEARS(**params).check_params()
