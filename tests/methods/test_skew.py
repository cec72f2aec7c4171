"""Shared kernels of fask / two-step / pwling: the FAS skeleton and the pairwise measures.

The fast FAS skeleton is proved equal to causal-learn's (``skeleton_discovery``, stable,
``fisherz``) on random and NetSim data: identical skeletons, p-values of single tests equal to
1e-12 relative. Every NetSim subject of sims 1–4 is compared by
``tests/benchmarks/fas_skeleton.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods._skew import (
    fas_skeleton,
    fisher_z_pvalues,
    pairwise_lr,
    skew_signs,
    standardize_ddof1,
)


def random_sem(n_nodes: int, t: int, seed: int, density: float = 0.3) -> np.ndarray:
    """Linear acyclic SEM over a random DAG with Gaussian noise (x = x B + e, B upper)."""
    rng = np.random.default_rng(seed)
    b = np.triu(rng.random((n_nodes, n_nodes)) < density, 1) * rng.uniform(0.3, 0.9)
    b *= rng.choice([-1.0, 1.0], b.shape)
    return rng.standard_normal((t, n_nodes)) @ np.linalg.inv(np.eye(n_nodes) - b)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
def test_fast_skeleton_equals_causallearn_random(seed: int, alpha: float) -> None:
    x = random_sem(8, 200, seed, density=0.4)
    fast = fas_skeleton(x, alpha)
    ref = fas_skeleton(x, alpha, impl="reference")
    np.testing.assert_array_equal(fast, ref)
    assert fast.dtype == bool and np.array_equal(fast, fast.T) and not np.diag(fast).any()


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_fast_skeleton_equals_causallearn_with_depth(depth: int) -> None:
    x = random_sem(9, 150, 11, density=0.5)
    np.testing.assert_array_equal(
        fas_skeleton(x, 0.05, depth=depth), fas_skeleton(x, 0.05, depth=depth, impl="reference")
    )


@pytest.mark.parametrize(("dataset", "subjects"), [("smith:1", [0, 1, 2]), ("smith:2", [0])])
def test_fast_skeleton_equals_causallearn_netsim(dataset: str, subjects: list[int]) -> None:
    from bench.registry import load_dataset

    ds = load_dataset(dataset)
    for k in subjects:
        x = ds.series[k]
        np.testing.assert_array_equal(
            fas_skeleton(x, 0.01), fas_skeleton(x, 0.01, impl="reference"), err_msg=f"{k}"
        )


@pytest.mark.slow
def test_fast_skeleton_equals_causallearn_sim4() -> None:
    from bench.registry import load_dataset

    ds = load_dataset("smith:4")
    for k in range(3):
        x = ds.series[k]
        np.testing.assert_array_equal(
            fas_skeleton(x, 0.01), fas_skeleton(x, 0.01, impl="reference")
        )


def test_fisher_z_pvalues_equal_causallearn_test() -> None:
    from causallearn.utils.cit import CIT

    x = random_sem(7, 120, 3, density=0.5)
    cit = CIT(x, "fisherz")
    corr = np.corrcoef(x, rowvar=False)
    rng = np.random.default_rng(0)
    for d in range(4):
        rows = []
        for _ in range(15):
            v = rng.permutation(7)[: d + 2]
            rows.append(v)
        tests = np.array(rows)
        mine = fisher_z_pvalues(corr, x.shape[0], tests)
        ref = np.array([cit(int(r[0]), int(r[1]), [int(s) for s in r[2:]]) for r in tests])
        np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-300)


def test_fisher_z_by_hand() -> None:
    # depth 0: p = 2(1 − Φ(|atanh r| sqrt(T − 3))) on the marginal correlation
    from scipy.stats import norm

    x = random_sem(3, 100, 5)
    r = np.corrcoef(x, rowvar=False)[0, 2]
    expected = 2 * (1 - norm.cdf(abs(np.arctanh(r)) * np.sqrt(97)))
    assert fisher_z_pvalues(np.corrcoef(x, rowvar=False), 100, np.array([[2, 0]]))[0] == (
        pytest.approx(expected, rel=1e-12)
    )


def test_skeleton_of_a_chain_by_hand() -> None:
    # x0 -> x1 -> x2: 0 and 2 are independent given 1, every adjacent pair is dependent
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 3))
    x[:, 1] += 0.8 * x[:, 0]
    x[:, 2] += 0.8 * x[:, 1]
    expected = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=bool)
    np.testing.assert_array_equal(fas_skeleton(x, 0.01), expected)


def test_unknown_impl_raises() -> None:
    with pytest.raises(ValueError, match="impl"):
        fas_skeleton(np.zeros((10, 3)), 0.05, impl="java")


# --------------------------------------------------------------------------- pairwise measures


def pwling_loops(x: np.ndarray, measure: str) -> np.ndarray:
    """A pair-by-pair transcription of the formulas of Hyvärinen's pwling.m (methods 2–4)."""
    t, n = x.shape
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    if measure in ("skew", "rskew"):
        for i in range(n):
            m3 = np.mean((z[:, i] - z[:, i].mean()) ** 3)
            z[:, i] *= 1.0 if m3 >= 0 else -1.0
    c = np.cov(z, rowvar=False)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            a, b = z[:, i], z[:, j]
            if measure == "tanh":
                out[i, j] = c[i, j] * (np.sum(a * np.tanh(b)) - np.sum(np.tanh(a) * b)) / t
            elif measure == "skew":
                out[i, j] = c[i, j] * (-np.sum(a * b**2) + np.sum(a**2 * b)) / t
            else:
                ga, gb = np.log(np.cosh(np.maximum(a, 0))), np.log(np.cosh(np.maximum(b, 0)))
                out[i, j] = c[i, j] * (-np.sum(a * gb) + np.sum(ga * b)) / t
    np.fill_diagonal(out, 0.0)
    return out


@pytest.mark.parametrize("measure", ["skew", "rskew", "tanh"])
def test_pairwise_lr_equals_transcription(measure: str) -> None:
    rng = np.random.default_rng(2)
    x = (rng.exponential(1.0, (300, 4)) - 1) @ rng.uniform(-1, 1, (4, 4))
    r = pairwise_lr(x, measure)
    np.testing.assert_allclose(r, pwling_loops(x, measure), rtol=1e-10, atol=1e-14)
    np.testing.assert_array_equal(r, -r.T)


@pytest.mark.parametrize("measure", ["skew", "rskew"])
def test_skewness_correction_makes_sign_flips_irrelevant(measure: str) -> None:
    rng = np.random.default_rng(4)
    x = rng.exponential(1.0, (500, 3)) - 1
    x[:, 1] += 0.7 * x[:, 0]
    flipped = x * np.array([-1.0, 1.0, -1.0])
    np.testing.assert_allclose(pairwise_lr(x, measure), pairwise_lr(flipped, measure), atol=1e-12)


def test_skew_measure_orients_a_skewed_pair() -> None:
    # x0 -> x1 with skewed noise: R[0, 1] > 0 (and R[1, 0] < 0) for both skewness measures
    rng = np.random.default_rng(5)
    e = rng.exponential(1.0, (4000, 2)) - 1
    x = e.copy()
    x[:, 1] += 0.6 * x[:, 0]
    for measure in ("skew", "rskew"):
        r = pairwise_lr(x, measure)
        assert r[0, 1] > 0 > r[1, 0], measure


def test_skew_signs_and_standardize() -> None:
    rng = np.random.default_rng(6)
    x = np.column_stack([rng.exponential(size=400), -rng.exponential(size=400)])
    np.testing.assert_array_equal(skew_signs(x), [1.0, -1.0])
    z = standardize_ddof1(x)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0, ddof=1), 1, rtol=1e-12)


def test_unknown_measure_raises() -> None:
    with pytest.raises(ValueError, match="measure"):
        pairwise_lr(np.ones((10, 2)), "kurtosis")


def test_chain_skewed_recipe() -> None:
    # the canary data: x0 -> x1 -> x2, i.i.d., Exp(1) - 1 noise (skewness 2); deterministic
    from bench.canaries import RECIPES, make_skewed_chain

    recipe, truth = RECIPES["chain-skewed"]
    x = recipe(20000, 0)
    np.testing.assert_array_equal(x, make_skewed_chain(20000, 0))
    np.testing.assert_array_equal(truth, [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    e1 = x[:, 1] - 0.8 * x[:, 0]
    e1c = e1 - e1.mean()
    assert e1.var() == pytest.approx(1.0, rel=0.05)
    assert np.mean(e1c**3) / e1c.std() ** 3 == pytest.approx(2.0, rel=0.15)
