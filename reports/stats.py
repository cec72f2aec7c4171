"""Statistics for result tables: paired tests per dataset and rank tests across datasets.

Two protocols, after Demšar (2006), *Statistical comparisons of classifiers over multiple data
sets*, JMLR 7:1–30:

* **Per dataset**, :func:`wilcoxon_vs_best` compares every method with the best one (the method
  marked best in the table) by a two-sided Wilcoxon signed-rank test paired over subjects, and
  adjusts the p-values of one dataset with Holm's step-down method (:func:`holm`).
* **Across datasets**, :func:`friedman` ranks the methods within each dataset, tests the
  average ranks with Friedman's χ² (and the Iman–Davenport F), and gives the Nemenyi critical
  difference (:func:`critical_difference`) drawn by
  :func:`bench.reports.figures.cd_diagram`.

Defined values instead of errors: a comparison without paired subjects has ``p = NaN`` and is
left out of the Holm family; differences that are all zero give ``p = 1`` (no evidence of a
difference); fewer than 3 methods or 2 datasets give no Friedman test (``p = NaN``) but still
average ranks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

__all__ = [
    "FriedmanResult",
    "average_ranks",
    "critical_difference",
    "friedman",
    "holm",
    "nemenyi_q",
    "wilcoxon_vs_best",
]

WILCOXON_COLUMNS = (
    "method",
    "best",
    "n_pairs",
    "n_nonzero",
    "median_diff",
    "statistic",
    "p",
    "p_holm",
    "significant",
)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjustment of ``m`` p-values (NaN entries are left out and stay NaN).

    With the p-values sorted ascending, ``p_(1) ≤ … ≤ p_(m)``::

        p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) · p_(j))

    and each adjusted value goes back to its original position. Rejecting ``p̃ < α``
    controls the family-wise error rate at ``α`` (Holm 1979); the result equals
    ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    running = 0.0
    for i, k in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[k]))
        out[k] = running
    return out


def wilcoxon_vs_best(
    values: pd.DataFrame,
    best: str,
    *,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Two-sided Wilcoxon signed-rank test of each method against ``best``, Holm-adjusted.

    ``values`` has one row per subject and one column per method (the per-subject metric,
    e.g. the mean over seeds of each subject; NaN where a subject has no value). For a method
    ``m`` the pairs are the subjects where both ``m`` and ``best`` have a value, with
    differences ``d_i = x_m,i − x_best,i``. Zero differences are dropped (Wilcoxon's
    convention, ``zero_method="wilcox"``); with ``R_i`` the rank of ``|d_i|`` among the
    ``n`` non-zero ones (ties get average ranks)::

        W⁺ = Σ_{d_i > 0} R_i      W⁻ = Σ_{d_i < 0} R_i      statistic = min(W⁺, W⁻)

    and the two-sided p-value from :func:`scipy.stats.wilcoxon` (exact null distribution for
    small ``n`` without ties, normal approximation otherwise). The p-values of all methods are
    then adjusted together with :func:`holm`; ``significant`` is ``p_holm < alpha``.

    Returns one row per method other than ``best`` with columns :data:`WILCOXON_COLUMNS`;
    ``median_diff`` is the median of the ``d_i`` (including zeros).
    """
    if best not in values.columns:
        raise ValueError(f"best method {best!r} is not a column of the values")
    rows = []
    for method in values.columns:
        if method == best:
            continue
        pair = values[[method, best]].astype(float).dropna()
        d = (pair[method] - pair[best]).to_numpy()
        n_nonzero = int(np.count_nonzero(d))
        if d.size == 0:
            stat, p, med = math.nan, math.nan, math.nan
        elif n_nonzero == 0:
            stat, p, med = 0.0, 1.0, 0.0
        else:
            res = sps.wilcoxon(d, zero_method="wilcox", alternative="two-sided")
            stat, p, med = float(res.statistic), float(res.pvalue), float(np.median(d))
        rows.append((method, best, int(d.size), n_nonzero, med, stat, p))
    out = pd.DataFrame(rows, columns=list(WILCOXON_COLUMNS[:7]))
    out["p_holm"] = holm(out["p"].to_numpy()) if len(out) else []
    out["significant"] = out["p_holm"] < alpha
    return out.loc[:, list(WILCOXON_COLUMNS)]


def average_ranks(table: pd.DataFrame, *, higher_is_better: bool) -> pd.DataFrame:
    """Ranks of the methods (columns) within each dataset (row); 1 is the best.

    Ties get the average of the ranks they span (``scipy.stats.rankdata(method="average")``).
    """
    x = table.to_numpy(dtype=float)
    ranks = [sps.rankdata(-row if higher_is_better else row) for row in x]
    arr = np.vstack(ranks) if ranks else np.empty((0, table.shape[1]))
    return pd.DataFrame(arr, index=table.index, columns=table.columns)


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """The Nemenyi critical value ``q_α`` for ``k`` methods.

    ``q_α = Q_{1−α}(k, ∞) / √2`` with ``Q`` the studentized range distribution
    (:data:`scipy.stats.studentized_range`) for ``k`` groups and infinite degrees of freedom;
    e.g. ``q_0.05 = 1.960, 2.343, 2.569, 2.728`` for ``k = 2 … 5`` (Demšar 2006, Table 5a).
    """
    if k < 2:
        raise ValueError(f"the Nemenyi test needs at least 2 methods; got {k}")
    return float(sps.studentized_range.ppf(1.0 - alpha, k, np.inf) / math.sqrt(2.0))


def critical_difference(k: int, n: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference of average ranks for ``k`` methods on ``n`` datasets.

    ``CD = q_α · sqrt(k (k + 1) / (6 n))`` (Demšar 2006, Eq. 5); two methods whose average
    ranks differ by at least ``CD`` differ significantly at level ``α``.
    """
    if n < 1:
        raise ValueError(f"the critical difference needs at least 1 dataset; got {n}")
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n))


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman test over ``n`` datasets (blocks) and ``k`` methods; see :func:`friedman`."""

    metric: str
    methods: list[str]
    datasets: list[str]
    ranks: pd.DataFrame  # datasets × methods
    avg_ranks: pd.Series  # method -> average rank, best (lowest) first
    chi2: float
    p: float
    ff: float
    p_ff: float
    cd: float
    alpha: float
    dropped: dict[str, str] = field(default_factory=dict)  # dataset -> why it was left out
    dropped_methods: list[str] = field(default_factory=list)  # methods without any value

    @property
    def k(self) -> int:
        return len(self.methods)

    @property
    def n(self) -> int:
        return len(self.datasets)


def friedman(
    table: pd.DataFrame,
    *,
    higher_is_better: bool,
    metric: str = "",
    alpha: float = 0.05,
) -> FriedmanResult:
    """Friedman test with average ranks and the Nemenyi critical difference.

    ``table`` is datasets (rows) × methods (columns) of one metric (e.g. the table's means).
    Methods without any value (e.g. AUROC of a method without scores) are left out first
    (``dropped_methods``), then datasets where a remaining method has no value (``dropped``
    says which and why). With ``r_ij``
    the rank of method ``j`` on dataset ``i`` (:func:`average_ranks`, 1 = best), ``n`` datasets
    and ``k`` methods, the average rank is ``R_j = (1/n) Σ_i r_ij`` and::

        χ²_F = 12 n / (k (k + 1)) · [Σ_j R_j² − k (k + 1)² / 4]

    divided by the tie correction ``1 − Σ (t³ − t) / (n k (k² − 1))`` over the groups of ``t``
    tied values within datasets (as :func:`scipy.stats.friedmanchisquare` computes it; the p
    value from χ² with ``k − 1`` degrees of freedom). The Iman–Davenport statistic::

        F_F = (n − 1) χ²_F / (n (k − 1) − χ²_F)  ~  F(k − 1, (k − 1)(n − 1))

    (``inf`` with ``p = 0`` when every dataset ranks the methods the same way). ``cd`` is
    :func:`critical_difference` ``(k, n, alpha)``. With ``k < 3`` or ``n < 2`` the tests are
    not computed (NaN) but the ranks are.
    """
    dropped: dict[str, str] = {}
    complete = table.astype(float)
    empty = [str(m) for m in complete.columns if not np.isfinite(complete[m]).any()]
    complete = complete.drop(columns=empty)
    for d, row in complete.iterrows():
        lacking = [str(m) for m, v in row.items() if not np.isfinite(v)]
        if lacking:
            dropped[str(d)] = "no value for " + ", ".join(lacking)
    complete = complete.dropna(axis=0, how="any")
    methods = [str(m) for m in complete.columns]
    datasets = [str(d) for d in complete.index]
    k, n = len(methods), len(datasets)
    ranks = average_ranks(complete, higher_is_better=higher_is_better)
    avg = ranks.mean(axis=0).sort_values(kind="stable") if n else pd.Series(dtype=float)
    chi2 = p = ff = p_ff = math.nan
    if k >= 3 and n >= 2:
        with np.errstate(invalid="ignore", divide="ignore"):  # all tied: 0/0, handled below
            res = sps.friedmanchisquare(*(complete[m].to_numpy() for m in complete.columns))
        chi2, p = float(res.statistic), float(res.pvalue)
        if math.isnan(chi2):  # all values tied within every dataset
            chi2, p = 0.0, 1.0
        den = n * (k - 1) - chi2
        ff = (n - 1) * chi2 / den if den > 1e-12 else math.inf
        p_ff = float(sps.f.sf(ff, k - 1, (k - 1) * (n - 1))) if math.isfinite(ff) else 0.0
    cd = critical_difference(k, n, alpha) if k >= 2 and n >= 1 else math.nan
    return FriedmanResult(
        metric=metric,
        methods=methods,
        datasets=datasets,
        ranks=ranks,
        avg_ranks=avg,
        chi2=chi2,
        p=p,
        ff=ff,
        p_ff=p_ff,
        cd=cd,
        alpha=alpha,
        dropped=dropped,
        dropped_methods=empty,
    )


def format_p(p: float) -> str:
    """A p-value for a table: ``< 0.001``, three decimals, or ``–`` for NaN."""
    if not np.isfinite(p):
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def p_text(p: float) -> str:
    """``p = 0.012``, ``p < 0.001`` or ``p = –`` (NaN) for a sentence."""
    text = format_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"
