"""bench.reports.stats against scipy / statsmodels and published values on known inputs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bench.reports.stats import (
    average_ranks,
    critical_difference,
    friedman,
    holm,
    nemenyi_q,
    wilcoxon_vs_best,
)


def test_holm_matches_statsmodels_and_keeps_nan():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    expected = multipletests(p, method="holm")[1]
    assert holm(p) == pytest.approx(expected)
    # by hand: sorted 0.005 0.01 0.03 0.04 0.5 -> 5p, 4p, 3p, 2p, p = .025 .04 .09 .08 .5,
    # then the running maximum makes 0.04's 0.08 into 0.09
    assert holm(p).tolist() == pytest.approx([0.04, 0.09, 0.09, 0.025, 0.5])
    with_nan = holm([0.01, math.nan, 0.04])
    assert math.isnan(with_nan[1])
    assert with_nan[[0, 2]] == pytest.approx(multipletests([0.01, 0.04], method="holm")[1])
    assert holm([0.6, 0.9]).max() <= 1.0


def test_wilcoxon_vs_best_matches_scipy():
    rng = np.random.default_rng(3)
    best = rng.normal(0.7, 0.05, 20)
    values = pd.DataFrame(
        {
            "best": best,
            "close": best - rng.normal(0.005, 0.02, 20),
            "worse": best - rng.normal(0.2, 0.05, 20),
        }
    )
    values.loc[3, "close"] = np.nan  # that subject has no pair
    res = wilcoxon_vs_best(values, "best").set_index("method")
    d_close = (values["close"] - values["best"]).dropna()
    d_worse = values["worse"] - values["best"]
    ref_close = sps.wilcoxon(d_close)
    ref_worse = sps.wilcoxon(d_worse)
    assert res.loc["close", "n_pairs"] == 19
    assert res.loc["close", "statistic"] == pytest.approx(ref_close.statistic)
    assert res.loc["close", "p"] == pytest.approx(ref_close.pvalue)
    assert res.loc["worse", "p"] == pytest.approx(ref_worse.pvalue)
    from statsmodels.stats.multitest import multipletests

    adj = multipletests([ref_close.pvalue, ref_worse.pvalue], method="holm")[1]
    assert res.loc[["close", "worse"], "p_holm"].tolist() == pytest.approx(adj)
    assert bool(res.loc["worse", "significant"]) and res.loc["worse", "median_diff"] < 0


def test_wilcoxon_edge_cases_have_defined_values():
    values = pd.DataFrame({"best": [0.5, 0.6, 0.7], "same": [0.5, 0.6, 0.7], "none": [np.nan] * 3})
    res = wilcoxon_vs_best(values, "best").set_index("method")
    assert res.loc["same", "p"] == 1.0 and res.loc["same", "n_nonzero"] == 0
    assert res.loc["none", "n_pairs"] == 0 and math.isnan(res.loc["none", "p"])
    assert res.loc["same", "p_holm"] == 1.0  # the NaN comparison is not in the family
    with pytest.raises(ValueError, match="not a column"):
        wilcoxon_vs_best(values, "nope")


@pytest.mark.parametrize(
    ("k", "q"), [(2, 1.960), (3, 2.343), (4, 2.569), (5, 2.728), (6, 2.850), (10, 3.164)]
)
def test_nemenyi_q_matches_demsar_table(k, q):
    assert nemenyi_q(k) == pytest.approx(q, abs=1e-3)


def test_critical_difference_formula():
    # Demšar (2006), section 3.2.2 example: k = 4, N = 14, q = 2.569 -> CD = 1.25
    assert critical_difference(4, 14) == pytest.approx(1.25, abs=0.005)
    k, n = 5, 10
    expected = (
        sps.studentized_range.ppf(0.9, k, np.inf) / math.sqrt(2) * math.sqrt(k * (k + 1) / (6 * n))
    )
    assert critical_difference(k, n, alpha=0.1) == pytest.approx(expected)


def test_friedman_matches_scipy_and_the_rank_formula():
    table = pd.DataFrame(
        [[0.8, 0.7, 0.6], [0.9, 0.6, 0.65], [0.7, 0.75, 0.5], [0.85, 0.8, 0.6]],
        index=["d1", "d2", "d3", "d4"],
        columns=["a", "b", "c"],
    )
    res = friedman(table, higher_is_better=True)
    ref = sps.friedmanchisquare(table["a"], table["b"], table["c"])
    assert res.chi2 == pytest.approx(ref.statistic) and res.p == pytest.approx(ref.pvalue)
    ranks = average_ranks(table, higher_is_better=True)
    assert ranks.loc["d3"].tolist() == [2.0, 1.0, 3.0]
    r = ranks.mean().to_numpy()
    n, k = 4, 3
    chi2 = 12 * n / (k * (k + 1)) * (np.sum(r**2) - k * (k + 1) ** 2 / 4)  # no ties
    assert res.chi2 == pytest.approx(chi2)
    ff = (n - 1) * chi2 / (n * (k - 1) - chi2)
    assert res.ff == pytest.approx(ff)
    assert res.p_ff == pytest.approx(sps.f.sf(ff, k - 1, (k - 1) * (n - 1)))
    assert list(res.avg_ranks.index) == ["a", "b", "c"]
    assert res.avg_ranks["a"] == pytest.approx(1.25)
    assert res.cd == pytest.approx(critical_difference(3, 4))
    # lower is better reverses the ranks
    low = friedman(table, higher_is_better=False)
    assert low.avg_ranks["c"] == pytest.approx(1.25)  # ranks 1, 2, 1, 1


def test_friedman_drops_incomplete_datasets_and_empty_methods():
    table = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0], "b": [2.0, np.nan, 1.0], "c": [3.0, 1.0, 2.0], "d": [np.nan] * 3},
        index=["x", "y", "z"],
    )
    res = friedman(table, higher_is_better=False)
    assert res.dropped_methods == ["d"]
    assert res.dropped == {"y": "no value for b"}
    assert res.datasets == ["x", "z"] and res.k == 3
    ties = friedman(
        pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0], "c": [1.0, 2.0]}), higher_is_better=True
    )
    assert ties.chi2 == 0.0 and ties.p == 1.0
    two = friedman(table[["a", "c"]], higher_is_better=True)
    assert math.isnan(two.p) and two.avg_ranks.notna().all()
