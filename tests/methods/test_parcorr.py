"""The batched ParCorr kernel and the fast PCMCI helpers against tigramite's own functions."""

from __future__ import annotations

import numpy as np
import pytest
from pcmci_equality import P_RTOL, SCORE_ATOL, netsim
from tigramite.data_processing import DataFrame
from tigramite.independence_tests.parcorr import ParCorr

from bench.methods._parcorr import FastPathUnsupported, LaggedParCorr, analytic_pvalues
from bench.methods._pcmci_fast import fdr_bh_lagged, symmetrize_contemporaneous
from bench.methods.pcmci import tigramite_runner


def tigramite_test(x: np.ndarray) -> ParCorr:
    test = ParCorr(significance="analytic", verbosity=0)
    test.set_dataframe(DataFrame(x))
    return test


def random_tests(rng: np.random.Generator, n: int, tau_max: int, count: int) -> list[tuple]:
    """Random (X, Y, Z) as PCMCI builds them: Y at lag 0, lags up to 2 tau_max in X and Z,
    Z with repeats and with X or Y inside (tigramite drops those)."""
    out = []
    for _ in range(count):
        x = (int(rng.integers(n)), -int(rng.integers(0, tau_max + 1)))
        y = (int(rng.integers(n)), 0)
        if x == y:
            continue
        size = int(rng.integers(0, 8))
        z = [(int(rng.integers(n)), -int(rng.integers(0, 2 * tau_max + 1))) for _ in range(size)]
        z += [x] if rng.random() < 0.2 else []
        out.append((x, y, z))
    return out


@pytest.mark.parametrize("tau_max", [1, 2])
@pytest.mark.parametrize("source", ["var", "netsim"])
def test_values_and_pvalues_equal_tigramite_run_test(var_data, tau_max: int, source: str) -> None:
    x = var_data(n=150, n_nodes=6, seed=tau_max) if source == "var" else netsim(3, 1)
    rng = np.random.default_rng(tau_max)
    fast, ref = LaggedParCorr(x, tau_max), tigramite_test(x)
    tests = random_tests(rng, x.shape[1], tau_max, 80)
    vals, pvals = fast.run([fast.key(a, b, z) for a, b, z in tests])
    want = np.array([ref.run_test(X=[a], Y=[b], Z=z, tau_max=tau_max) for a, b, z in tests])
    np.testing.assert_allclose(vals, want[:, 0], rtol=0, atol=SCORE_ATOL)
    np.testing.assert_allclose(pvals, want[:, 1], rtol=P_RTOL, atol=0)


def test_memo_is_symmetric_and_order_free(var_data) -> None:
    test = LaggedParCorr(var_data(n=100, n_nodes=4, seed=0), 1)
    k1 = test.key((0, -1), (2, 0), [(1, 0), (3, -2), (1, 0)])
    k2 = test.key((2, 0), (0, -1), [(3, -2), (1, 0), (2, 0)])
    assert k1 == k2 and k1 == (2, 4, (1, 11))  # columns: lag * N + var
    v1, p1 = test.run([k1])
    v2, p2 = test.run([k2, k1])
    assert test.n_computed == 1 and v2.tolist() == [v1[0]] * 2 and p2.tolist() == [p1[0]] * 2


def test_analytic_pvalues_equal_parcorr_formula() -> None:
    par = ParCorr(significance="analytic")
    r = np.array([0.0, 0.3, -0.7, 0.999999, 1.0, -1.0, 0.5, 0.2])
    dof = np.array([10, 50, 3, 100, 10, 10, 0, -2])
    got = analytic_pvalues(r, dof)
    want = [par.get_analytic_significance(v, d + 2, 2, None) for v, d in zip(r, dof, strict=True)]
    np.testing.assert_array_equal(got, want)  # the same formula and Student-t function
    assert np.isnan(got[-2:]).all() and got[4] == got[5] == 0.0


def test_too_few_degrees_of_freedom_give_nan(var_data) -> None:
    x = var_data(n=9, n_nodes=4, seed=0)  # T_eff = 7 at tau_max = 1
    fast, ref = LaggedParCorr(x, 1), tigramite_test(x)
    z = [(k, -1) for k in range(4)] + [(1, 0)]  # |Z| = 5: dof = 7 - 7 = 0
    _, p = fast.run([fast.key((0, 0), (2, 0), z)])
    assert np.isnan(p[0]) and np.isnan(ref.run_test(X=[(0, 0)], Y=[(2, 0)], Z=z, tau_max=1)[1])


def test_residual_fraction_gives_tigramite_aic(var_data) -> None:
    x = var_data(n=120, n_nodes=4, seed=1)
    fast, ref = LaggedParCorr(x, 1), tigramite_test(x)
    parents = [(0, -1), (2, -1), (3, -1)]
    t = fast.t_eff
    aic = t * np.log(t * fast.residual_fraction((1, 0), parents)) + 2 * (1 + len(parents))
    assert aic == pytest.approx(ref.get_model_selection_criterion(1, parents, tau_max=1), 1e-12)


def test_unsupported_data_raise(var_data) -> None:
    x = var_data(n=100, n_nodes=3, seed=0)
    const = x.copy()
    const[2:, 1] = 5.0  # constant over the rows t >= 2 tau_max
    with pytest.raises(FastPathUnsupported, match="constant"):
        LaggedParCorr(const, 1)
    dup = np.column_stack([x, x[:, 0] + 1e-9 * x[:, 1]])  # node 3 ~ node 0
    test = LaggedParCorr(dup, 1)
    with pytest.raises(FastPathUnsupported, match="collinear"):
        test.run([test.key((1, 0), (2, 0), [(0, 0), (3, 0)])])


def test_fdr_bh_equals_tigramite() -> None:
    rng = np.random.default_rng(0)
    p = rng.random((6, 6, 3)) ** 3
    p[0, 1, 1] = p[2, 3, 2] = p[4, 4, 1]  # ties
    p[:, :, 0] = rng.random((6, 6))
    tg = tigramite_runner(rng.standard_normal((50, 6)))
    for tau_min in (0, 1, 2):
        la = tg._set_link_assumptions(None, tau_min, 2)
        want = tg.get_corrected_pvalues(
            p, fdr_method="fdr_bh", tau_min=tau_min, tau_max=2, link_assumptions=la
        )
        np.testing.assert_array_equal(fdr_bh_lagged(p, tau_min, 2), want)


def test_symmetrize_equals_tigramite() -> None:
    rng = np.random.default_rng(1)
    p, v = rng.random((5, 5, 2)), rng.standard_normal((5, 5, 2))
    p[0, 1, 0] = p[1, 0, 0]  # tie: (0, 1) wins
    p[2, 3, 0] = np.nan  # NaN: nothing copied
    tg = tigramite_runner(rng.standard_normal((50, 5)))
    want = tg.symmetrize_p_and_val_matrix(p.copy(), v.copy(), tg._set_link_assumptions(None, 0, 1))
    got_p, got_v = p.copy(), v.copy()
    symmetrize_contemporaneous(got_p, got_v)
    np.testing.assert_array_equal(got_p, want["p_matrix"])
    np.testing.assert_array_equal(got_v, want["val_matrix"])
