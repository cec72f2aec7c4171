"""The one aggregation: per-subject metrics → mean over subjects → mean ± std over seeds.

Every number a user reads goes through here: the run's tables, the MLflow runs' metrics, the
``bench report`` tables and the Python API's DataFrames.

1. :func:`per_subject_frame`: one row per (method, dataset, seed, subject) with ``status``,
   ``error``, ``reused_across_seeds``, ``wall_time_s``, ``peak_rss_mb`` and one column per metric
   (NaN where a metric is not applicable). A deterministic fit serves every seed, so it appears
   once per seed; subjects whose data could not be loaded have ``status = "missing"``.
2. :func:`subject_means`: for each (method, dataset, seed) unit with at least one ``ok`` fit and
   each metric, the mean over the ``ok`` subjects whose value is not NaN,

       value = (1/k) Σ_{s ok, m_s not NaN} m_s,

   NaN when no subject has a value (the metric does not apply, e.g. AUROC without scores); plus
   ``seconds_per_fit``, the mean wall time of the ``ok`` fits. A unit without any ``ok`` fit has
   no rows (it is missing, not zero). Returns the long format ``method, dataset, seed, metric,
   value``.
3. :func:`summarize`: for each (method, dataset, metric), over the seeds whose value is not NaN
   (``v_1 .. v_n``)::

       mean = (1/n) Σ v_s        std = sqrt((1/n) Σ (v_s − mean)²)     (population std, ddof = 0)

   so a single seed has std 0; ``applicable`` is False when every seed's value is NaN (mean and
   std NaN, ``n_seeds`` 0).
4. :func:`subject_spread`: the spread over **subjects** that the tables print by default (the
   spread over seeds of a deterministic method is 0 and says nothing). For each (method,
   dataset, metric), over the subjects with a value (``x_1 .. x_k``, each subject's mean over
   the seeds of its ``ok`` values, :func:`seed_means_per_subject`)::

       sd = sqrt((1/(k−1)) Σ (x_i − x̄)²)            (sample SD, ddof = 1)
       ci95 = t_{0.975, k−1} · sd / sqrt(k)          (half-width of the 95 % t interval)

   both NaN for k < 2 (e.g. a group-level fit, which has one "subject").
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bench.metrics import METRICS

__all__ = [
    "LONG_COLUMNS",
    "NON_METRIC_COLUMNS",
    "SUMMARY_COLUMNS",
    "metric_columns",
    "natural_key",
    "per_subject_frame",
    "seed_means_long",
    "seed_means_per_subject",
    "subject_means",
    "subject_spread",
    "summarize",
]

LONG_COLUMNS = ("method", "dataset", "seed", "metric", "value")
SUMMARY_COLUMNS = ("method", "dataset", "metric", "mean", "std", "n_seeds", "applicable")
NON_METRIC_COLUMNS = frozenset(
    {
        "method",
        "label",
        "dataset",
        "seed",
        "subject",
        "status",
        "error",
        "reused_across_seeds",
        "wall_time_s",
        "peak_rss_mb",
        "run_id",
    }
)


def natural_key(text: str) -> tuple:
    """Sort key that orders digit runs by value: ``smith:2`` < ``smith:10``."""
    parts = re.split(r"(\d+)", str(text))
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.lower()) for p in parts), str(text)


def metric_columns(frame: pd.DataFrame) -> list[str]:
    """The metric columns of a per-subject frame (everything but the identifying columns)."""
    return [c for c in frame.columns if c not in NON_METRIC_COLUMNS]


def per_subject_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """A per-subject frame from row dicts (metric values ``None`` become NaN)."""
    out = []
    for r in rows:
        row = dict(r)
        metrics = row.pop("metrics", None) or {}
        row.update({k: (math.nan if v is None else v) for k, v in metrics.items()})
        out.append(row)
    return pd.DataFrame(out)


def subject_means(
    per_subject: pd.DataFrame, keys: Sequence[str] = ("method", "dataset", "seed")
) -> pd.DataFrame:
    """Mean over ``ok`` subjects per unit, as a long table (see the module docstring).

    Rows come unit by unit (in order of first appearance), each with its metrics in the
    frame's column order and then ``seconds_per_fit``.
    """
    if per_subject.empty or "status" not in per_subject.columns:
        return pd.DataFrame(columns=[*keys, "metric", "value"])
    ok = per_subject[per_subject["status"] == "ok"]
    cols = metric_columns(per_subject)
    names = [*cols, "seconds_per_fit"] if "wall_time_s" in per_subject.columns else cols
    src = [*cols, "wall_time_s"] if "wall_time_s" in per_subject.columns else cols
    if ok.empty:
        return pd.DataFrame(columns=[*keys, "metric", "value"])
    block = ok[src]
    text = [c for c in src if not pd.api.types.is_numeric_dtype(block[c])]
    if text:  # e.g. a column read from CSV with blanks as text: non-numbers become NaN
        block = block.assign(**{c: pd.to_numeric(block[c], errors="coerce") for c in text})
    values = block.to_numpy(dtype=float)
    index: dict[tuple, int] = {}
    unit_ids = np.array(
        [index.setdefault(u, len(index)) for u in zip(*(ok[k] for k in keys), strict=True)]
    )
    units = list(index)
    present = ~np.isnan(values)
    sums = np.zeros((len(units), len(src)))
    counts = np.zeros((len(units), len(src)))
    np.add.at(sums, unit_ids, np.where(present, values, 0.0))
    np.add.at(counts, unit_ids, present)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    rows = [
        (*unit, name, float(means[u, k]))
        for u, unit in enumerate(units)
        for k, name in enumerate(names)
    ]
    return pd.DataFrame(rows, columns=[*keys, "metric", "value"])


def seed_means_per_subject(per_subject: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``method, dataset, subject, value``: each subject's mean over seeds of its ``ok`` values
    of ``metric`` (the paired samples of the statistics and the box plots)."""
    ok = per_subject[per_subject["status"].astype(str) == "ok"]
    ok = ok.assign(value=pd.to_numeric(ok[metric], errors="coerce")).dropna(subset=["value"])
    return ok.groupby(["method", "dataset", "subject"], as_index=False, sort=False)["value"].mean()


def _first_seen(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _require(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {', '.join(missing)}; has {list(df.columns)}")


def summarize(long_df: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std over seeds for each (method, dataset, metric); see the module docstring (step 3).

    Returns columns :data:`SUMMARY_COLUMNS`, rows ordered by method (first appearance),
    dataset (natural order) and metric (registry display order, then unregistered metrics in
    first appearance). Raises :class:`ValueError` on missing columns, non-numeric values or a
    repeated (method, dataset, seed, metric).
    """
    _require(long_df, LONG_COLUMNS, "results table")
    df = long_df.loc[:, list(LONG_COLUMNS)].copy()
    try:
        df["value"] = pd.to_numeric(df["value"]).astype(float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"results table: non-numeric value ({err})") from None
    dup = df.duplicated(["method", "dataset", "seed", "metric"], keep=False)
    if dup.any():
        first = df[dup].iloc[0]
        raise ValueError(
            f"results table: repeated row for method={first['method']!r} "
            f"dataset={first['dataset']!r} seed={first['seed']!r} metric={first['metric']!r}"
        )

    method_rank = {m: k for k, m in enumerate(_first_seen(df["method"]))}
    registered = {m: k for k, m in enumerate(METRICS)}
    others = [m for m in _first_seen(df["metric"]) if m not in registered]
    metric_rank = {**registered, **{m: len(registered) + k for k, m in enumerate(others)}}

    rows = []
    for (method, dataset, metric), group in df.groupby(["method", "dataset", "metric"], sort=False):
        v = group["value"].to_numpy(dtype=float)
        v = v[~np.isnan(v)]
        rows.append(
            {
                "method": method,
                "dataset": dataset,
                "metric": metric,
                "mean": float(v.mean()) if v.size else math.nan,
                "std": float(v.std(ddof=0)) if v.size else math.nan,
                "n_seeds": int(v.size),
                "applicable": bool(v.size),
            }
        )
    rows.sort(
        key=lambda r: (
            method_rank[r["method"]],
            natural_key(r["dataset"]),
            metric_rank[r["metric"]],
        )
    )
    out = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))
    return out.astype({"n_seeds": int, "applicable": bool})


def seed_means_long(per_subject: pd.DataFrame) -> pd.DataFrame:
    """``method, dataset, subject, metric, value``: :func:`seed_means_per_subject` of every
    metric column of ``per_subject`` (which needs ``method``, ``dataset``, ``subject``,
    ``status``), in one long frame; subjects without a value of a metric have no row."""
    cols = ["method", "dataset", "subject", "metric", "value"]
    if per_subject.empty or "status" not in per_subject.columns:
        return pd.DataFrame(columns=cols)
    parts = []
    for metric in metric_columns(per_subject):
        v = seed_means_per_subject(per_subject, metric)
        if len(v):
            parts.append(v.assign(metric=metric))
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True).loc[:, cols]


SPREAD_COLUMNS = ("method", "dataset", "metric", "sd_subjects", "ci95_subjects", "n_subjects")


def subject_spread(values: pd.DataFrame) -> pd.DataFrame:
    """The spread over subjects per (method, dataset, metric); see the module docstring (4).

    ``values``: :func:`seed_means_long` rows (``method, dataset, subject, metric, value``).
    Returns columns :data:`SPREAD_COLUMNS` (``n_subjects`` = k).
    """
    from scipy.stats import t as student_t

    _require(values, ["method", "dataset", "subject", "metric", "value"], "subject values")
    rows = []
    v = values.assign(value=pd.to_numeric(values["value"], errors="coerce")).dropna(
        subset=["value"]
    )
    for (method, dataset, metric), g in v.groupby(["method", "dataset", "metric"], sort=False):
        x = g["value"].to_numpy(dtype=float)
        k = int(x.size)
        sd = float(x.std(ddof=1)) if k >= 2 else math.nan
        ci = float(student_t.ppf(0.975, k - 1) * sd / math.sqrt(k)) if k >= 2 else math.nan
        rows.append((method, dataset, metric, sd, ci, k))
    out = pd.DataFrame(rows, columns=list(SPREAD_COLUMNS))
    return out.astype({"n_subjects": int})
