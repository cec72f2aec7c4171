"""Patel's kappa and tau: formulas by hand and against Smith et al.'s code, canary, errors."""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.patel import Patel, binarize, patel_kappa_tau
from bench.types import DataError, FitContext


def smith_pair(d1b: np.ndarray, d2b: np.ndarray) -> tuple[float, float]:
    """(kappa, -tau_12) for one pair, transcribed from the scalar code of Smith et al. (2011)."""
    xt = len(d1b)
    t1 = d1b @ d2b / xt
    t2 = d1b @ (1 - d2b) / xt
    t3 = d2b @ (1 - d1b) / xt
    e = (t1 + t2) * (t1 + t3)
    max_t1 = min(t1 + t2, t1 + t3)
    min_t1 = max(0.0, 2 * t1 + t2 + t3 - 1)
    if t1 > e:
        d = 0.5 + (t1 - e) / (2 * (max_t1 - e))
    else:
        d = 0.5 - (t1 - e) / (2 * (e - min_t1))
    kappa = (t1 - e) / (d * (max_t1 - e) + (1 - d) * (e - min_t1))
    if t2 > t3:
        tau_12 = 1 - (t1 + t3) / (t1 + t2)
    else:
        tau_12 = (t1 + t2) / (t1 + t3) - 1
    return kappa, -tau_12


def test_kappa_tau_by_hand() -> None:
    # a active at 2 of 10 points, b at 4 including a's: theta = (0.2, 0, 0.2, 0.6).
    a = np.zeros((10, 2))
    a[:2, 0] = 1
    a[:4, 1] = 1
    kappa, tau, phi = patel_kappa_tau(a)
    # E = 0.08, M = 0.2, m = 0, D = 1: kappa = 0.12 / 0.12 = 1.
    assert kappa[0, 1] == pytest.approx(1.0) and kappa[1, 0] == pytest.approx(1.0)
    # theta2 = 0 < theta3 = 0.2: tau = 1 - 0.2 / 0.4 = 0.5 (a ascendant to b: a -> b).
    assert tau[0, 1] == pytest.approx(0.5) and tau[1, 0] == pytest.approx(-0.5)
    assert phi[0, 1] == pytest.approx(0.12 / np.sqrt(0.2 * 0.8 * 0.4 * 0.6))
    assert kappa[0, 0] == tau[0, 0] == 0.0


def test_matches_smith_code_on_random_binary_data() -> None:
    rng = np.random.default_rng(0)
    a = (rng.random((300, 5)) < rng.uniform(0.1, 0.5, 5)).astype(float)
    a[:, 1] = np.maximum(a[:, 1], a[:, 0])  # some real dependence
    a[:, 4] = a[:, 3] * (rng.random(300) < 0.7)
    kappa, tau, _ = patel_kappa_tau(a)
    for i in range(5):
        for j in range(5):
            if i != j:
                k, t = smith_pair(a[:, i], a[:, j])
                assert kappa[i, j] == pytest.approx(k, abs=1e-12)
                assert tau[i, j] == pytest.approx(t, abs=1e-12)
    np.testing.assert_allclose(tau, -tau.T)
    np.testing.assert_allclose(kappa, kappa.T)


def test_reversal_canary(activation_chain_data) -> None:
    # x1 is active whenever x0 is (and x2 whenever x1 is): Patel's tau orients 0 -> 1 -> 2.
    est = Patel().fit(activation_chain_data(n=1000, seed=0))
    a, s = est.adjacency_, est.scores_
    assert a[0, 1] and a[1, 2]
    assert not a[1, 0] and not a[2, 1]
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]


def test_binarisation_is_per_node_and_scale_free(activation_chain_data) -> None:
    x = activation_chain_data(n=500, seed=1)
    b = binarize(x, 0.75)
    assert set(np.unique(b)) == {0.0, 1.0}
    y = x * np.array([100.0, 0.001, 7.0]) - 3.0
    np.testing.assert_array_equal(b, binarize(y, 0.75))
    np.testing.assert_array_equal(Patel().fit(x).scores_, Patel().fit(y).scores_)


def test_negative_association_is_not_an_edge() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((500, 2))
    x[:, 1] = -x[:, 0] + 0.1 * rng.standard_normal(500)
    est = Patel().fit(x)
    assert not est.adjacency_.any() and not est.scores_.any()


def test_flat_percentiles_raise(activation_chain_data) -> None:
    x = activation_chain_data(n=200, seed=0)
    x[:190, 2] = 0.0  # 95% of the node is one value: q10 == q90
    with pytest.raises(DataError, match="sub-06.*percentiles"):
        Patel().fit(x, FitContext(dataset="sub-06"))


@pytest.mark.parametrize("params", [{"threshold": 1.0}, {"threshold": -0.1}, {"alpha": 0.0}])
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="patel"):
        Patel(**params).check_params()


# --------------------------------------------------------------------------- percentiles


def matlab_prctile(v: np.ndarray, p: float) -> float:
    """MATLAB's ``prctile`` written out: the k-th smallest of n values is the 100(k − 0.5)/n-th
    percentile, linear in between, the extremes outside (Smith et al.'s code calls it)."""
    s = np.sort(v)
    n = len(s)
    pos = p / 100 * n - 0.5  # 0-based position of the p-th percentile
    if pos <= 0:
        return float(s[0])
    if pos >= n - 1:
        return float(s[-1])
    lo = int(np.floor(pos))
    return float(s[lo] + (pos - lo) * (s[lo + 1] - s[lo]))


def test_binarisation_uses_matlab_percentiles() -> None:
    # 10 values 0..9 with 6.4 in place of 6. MATLAB: q10 = 0.5, q90 = 8.5, so the 0.75 level is
    # 6.5 and 6.4 is inactive; numpy's default ("linear": q10 = 0.9, q90 = 8.1, level 6.3)
    # would call it active.
    v = np.array([0, 1, 2, 3, 4, 5, 6.4, 7, 8, 9])
    assert matlab_prctile(v, 10) == pytest.approx(0.5) and matlab_prctile(v, 90) == 8.5
    x = np.c_[v, v[::-1]]
    np.testing.assert_array_equal(binarize(x, 0.75)[:, 0], [0, 0, 0, 0, 0, 0, 0, 1, 1, 1])
    rng = np.random.default_rng(4)
    y = rng.standard_normal((200, 3)) ** 3
    for j in range(3):
        q10, q90 = matlab_prctile(y[:, j], 10), matlab_prctile(y[:, j], 90)
        u = np.clip((y[:, j] - q10) / (q90 - q10), 0, 1)
        np.testing.assert_array_equal(binarize(y, 0.75)[:, j], (u > 0.75).astype(float))


# --------------------------------------------------------------------------- what tau measures


def test_tau_depends_only_on_activation_rates() -> None:
    rng = np.random.default_rng(5)
    a = (rng.random((400, 4)) < [0.1, 0.2, 0.3, 0.4]).astype(float)
    a[:, 1] = np.maximum(a[:, 1], a[:, 0])  # real co-activation between 0 and 1
    a[:, 3] = a[:, 2] * (rng.random(400) < 0.9)
    kappa, tau, _ = patel_kappa_tau(a)
    p = a.mean(axis=0)
    closed = (p[None, :] - p[:, None]) / np.maximum(p[:, None], p[None, :])
    np.testing.assert_allclose(tau, zero_diag(closed), atol=1e-12)
    # Shuffling every node in time on its own destroys all dependence but not the rates:
    shuffled = np.column_stack([rng.permutation(a[:, j]) for j in range(4)])
    kappa_s, tau_s, _ = patel_kappa_tau(shuffled)
    np.testing.assert_allclose(tau_s, tau, atol=1e-12)
    assert kappa[0, 1] > 0.9 and abs(kappa_s[0, 1]) < 0.3


def zero_diag(m: np.ndarray) -> np.ndarray:
    m = m.copy()
    np.fill_diagonal(m, 0.0)
    return m


def var_chain4(n: int, seed: int, *, sign: float) -> np.ndarray:
    """Linear VAR(1) chain x0 -> x1 -> x2 -> x3, xk[t] = 0.3 xk[t-1] + 0.5 x(k-1)[t-1] + ek[t],
    with skewed innovations e = sign * (1 - Exp(1)) (sign +1: left-skewed; -1: its mirror)."""
    rng = np.random.default_rng(seed)
    e = sign * (1.0 - rng.exponential(1.0, (n + 100, 4)))
    x = np.zeros_like(e)
    for t in range(1, n + 100):
        x[t, 0] = 0.3 * x[t - 1, 0] + e[t, 0]
        x[t, 1:] = 0.3 * x[t - 1, 1:] + 0.5 * x[t - 1, :-1] + e[t, 1:]
    return x[100:]


def test_nongaussian_var_chain_reverses_the_root_edge() -> None:
    """The known failure: tau orients by activation rates, which the marginal shapes fix."""
    reversed_, mirrored_ok = 0, 0
    for seed in range(10):
        x = var_chain4(1000, seed, sign=1.0)
        est = Patel().fit(x)
        p = est.extra_["active_fraction"]
        # The root's left-skewed AR(1) marginal is the most often "active" node ...
        assert p[0] > p[1]
        # ... so tau (and the decision) send the root edge backwards: x1 -> x0.
        assert est.scores_[1, 0] > est.scores_[0, 1]
        reversed_ += bool(est.adjacency_[1, 0] and not est.adjacency_[0, 1])
        # The mirror image -x has the same causal graph and right-skewed innovations: there
        # the root is the least often active node and tau points the edge forwards.
        mirrored = Patel().fit(-x)
        mirrored_ok += bool(mirrored.scores_[0, 1] > mirrored.scores_[1, 0])
    assert reversed_ == 10
    assert mirrored_ok >= 9
