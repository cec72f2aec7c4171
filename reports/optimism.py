"""Threshold optimism: each method's own F1 beside the best F1 a threshold picked with the truth
would give (**oracle**), and their gap.

For every estimate with continuous scores, :func:`bench.scoring.score` records
``oracle_max_f1``: the directed F1 of the best threshold on the scores, chosen against the
truth. Picking a threshold (or a top-k, or a binarisation rule's constant) on the evaluation
data is common in EC papers; the gap

    gap_s = oracle_max_f1_s − f1_s          (per subject s, ≥ 0 up to the method's own rule)

is how much that choice inflates F1 over the method's own decision. It is computed per subject
and then aggregated like every other number (:mod:`bench.aggregate`): mean over the ``ok``
subjects of each (method, dataset, seed), then mean ± population SD over seeds. A subject's gap
can be negative when the method's own decision is not a threshold of its scores (e.g. PCMCI's
p-value decision against |MCI| scores, or BrainEC-LLM's per-row degree cap).

Output, under ``oracle/`` (labelled as oracle everywhere): ``optimism.md``, ``.tex``, ``.csv``
and, with ``figure=True``, ``optimism.png`` / ``.pdf`` (a dumbbell plot per dataset). Methods
without continuous scores (PC, GES) have no threshold to pick and are listed in a note; oracle
methods (which look at the truth already) are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from bench.aggregate import natural_key, subject_means, summarize
from bench.records import atomic_write_text
from bench.reports.protocol_tables import GridTable, fmt, mean_std, new_figure, write_table

HONEST, ORACLE, GAP = "f1", "oracle_max_f1", "oracle_f1_gap"
CAPTION = (
    "ORACLE: threshold optimism. F1 of each method's own decision, the best F1 over thresholds "
    "of its scores chosen against the truth (oracle max F1), and their gap (the optimism of "
    "picking the threshold on the evaluation data). Per subject, then mean over subjects and "
    "mean ± std over seeds (the mean alone where the seeds agree); the oracle column is not "
    "comparable with honest F1."
)


def optimism_frame(per_subject: pd.DataFrame, oracle_methods: Iterable[str] = ()) -> pd.DataFrame:
    """Per-subject rows with ``f1``, ``oracle_max_f1`` and ``oracle_f1_gap`` (ok fits with
    scores only; oracle methods left out)."""
    need = {"method", "dataset", "seed", "subject", "status", HONEST, ORACLE}
    if per_subject.empty or not need <= set(per_subject.columns):
        return pd.DataFrame(columns=[*sorted(need), GAP])
    ps = per_subject[~per_subject["method"].isin(list(oracle_methods))]
    ps = ps[ps["status"].astype(str) == "ok"]
    f1 = pd.to_numeric(ps[HONEST], errors="coerce")
    oracle = pd.to_numeric(ps[ORACLE], errors="coerce")
    keep = f1.notna() & oracle.notna()
    out = ps.loc[keep, ["method", "dataset", "seed", "subject", "status"]].copy()
    out[HONEST] = f1[keep].to_numpy()
    out[ORACLE] = oracle[keep].to_numpy()
    out[GAP] = out[ORACLE] - out[HONEST]
    return out.reset_index(drop=True)


def optimism_summary(per_subject: pd.DataFrame, oracle_methods: Iterable[str] = ()) -> pd.DataFrame:
    """Mean over subjects, then mean ± std over seeds, of F1, oracle max F1 and the gap."""
    frame = optimism_frame(per_subject, oracle_methods)
    if frame.empty:
        return summarize(pd.DataFrame(columns=["method", "dataset", "seed", "metric", "value"]))
    long = subject_means(frame)
    return summarize(long[long["metric"].isin([HONEST, ORACLE, GAP])])


def _without_scores(per_subject: pd.DataFrame, kept: Iterable[str]) -> list[str]:
    if per_subject.empty or "method" not in per_subject.columns:
        return []
    ok = per_subject[per_subject["status"].astype(str) == "ok"]
    return [m for m in dict.fromkeys(ok["method"]) if m not in set(kept)]


WIDE_MAX = 3  # up to this many datasets side by side; more: one row per (dataset, method)


def _value(mean: float, std: float) -> str:
    """``mean ± std`` over seeds; the mean alone where the seeds agree (a deterministic method,
    whose fits serve every seed, has nothing to spread)."""
    return fmt(mean) if not np.isnan(mean) and (np.isnan(std) or std == 0) else mean_std(mean, std)


def optimism_table(summary: pd.DataFrame, no_scores: Iterable[str] = ()) -> GridTable:
    """Methods × (dataset: F1 | oracle max F1 | gap) of :func:`optimism_summary`; with more
    than :data:`WIDE_MAX` datasets, one row per ``dataset: method`` and the three columns once
    (a paper-width table either way)."""
    methods = list(dict.fromkeys(summary["method"]))
    datasets = sorted(dict.fromkeys(summary["dataset"]), key=natural_key)
    cell = {(r.method, r.dataset, r.metric): (r.mean, r.std) for r in summary.itertuples()}
    names = ["F1 (own decision)", "oracle max F1", "gap"]

    def values(m: str, d: str) -> list[str]:
        return [_value(*cell.get((m, d, k), (np.nan, np.nan))) for k in (HONEST, ORACLE, GAP)]

    if len(datasets) > WIDE_MAX:
        row_names, rows, groups, cols = [], [], [], names
        for d in datasets:
            for m in methods:
                if (m, d, HONEST) in cell:
                    row_names.append(f"{d}: {m}")
                    rows.append(values(m, d))
        corner = "dataset: method"
    else:
        cols, groups = [], []
        for d in datasets:
            cols += names
            groups.append((d, 3))
        row_names = methods
        rows = [[v for d in datasets for v in values(m, d)] for m in methods]
        corner = "method"
    seeds = sorted(set(summary["n_seeds"])) if len(summary) else []
    notes = [f"Seeds per cell: {', '.join(map(str, seeds))}."] if seeds else []
    missing = list(no_scores)
    if missing:
        notes.append(f"Without continuous scores (no threshold to pick): {', '.join(missing)}.")
    return GridTable(
        corner=corner,
        rows=row_names,
        cols=cols,
        cells=rows,
        caption=CAPTION,
        label="tab:oracle-optimism",
        notes=notes,
        groups=groups,
    )


def optimism_figure(summary: pd.DataFrame) -> object:
    """Dumbbell plot per dataset: own F1 (●) and oracle max F1 (◆) of every method."""
    datasets = sorted(dict.fromkeys(summary["dataset"]), key=natural_key)
    methods = list(dict.fromkeys(summary["method"]))
    ncols = min(len(datasets), 4)  # a grid of panels, four to a row
    nrows = -(-len(datasets) // ncols)
    fig = new_figure(3.2 * ncols + 1.5, (0.35 * len(methods) + 1.0) * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, sharey=True, squeeze=False)
    for ax in axes.flat[len(datasets) :]:
        ax.set_visible(False)
    cell = {(r.method, r.dataset, r.metric): r.mean for r in summary.itertuples()}
    y = np.arange(len(methods))
    for ax, d in zip(axes.flat, datasets, strict=False):
        own = np.array([cell.get((m, d, HONEST), np.nan) for m in methods])
        best = np.array([cell.get((m, d, ORACLE), np.nan) for m in methods])
        ax.hlines(y, own, best, color="0.6", lw=2)
        ax.plot(own, y, "o", color="tab:blue", label="F1, own decision")
        ax.plot(best, y, "D", color="tab:red", label="oracle max F1")
        ax.set_title(d, fontsize=9)
        ax.set_xlim(0, 1)
        ax.set_xlabel("directed F1")
        ax.grid(axis="x", alpha=0.3)
    for row in axes:
        row[0].set_yticks(y, methods, fontsize=8)
    axes[0][0].invert_yaxis()  # shared: every panel
    axes.flat[len(datasets) - 1].legend(fontsize=7, loc="lower right")
    fig.suptitle("ORACLE: threshold optimism (threshold chosen against the truth)", fontsize=10)
    return fig


def write_optimism(
    per_subject: pd.DataFrame,
    out: Path,
    *,
    oracle_methods: Iterable[str] = (),
    figure: bool = False,
) -> list[Path]:
    """Write ``optimism.md/.tex/.csv`` (and the figure) under ``out``; nothing when no method
    has scores. Returns the files written."""
    summary = optimism_summary(per_subject, oracle_methods)
    if summary.empty:
        return []
    no_scores = _without_scores(per_subject, list(summary["method"]) + list(oracle_methods))
    t = optimism_table(summary, no_scores)
    files = write_table(t, Path(out) / "optimism")
    csv = Path(out) / "optimism.csv"
    atomic_write_text(csv, summary.to_csv(index=False))
    files.append(csv)
    if figure:
        from bench.reports.figures import save_figure

        files += save_figure(optimism_figure(summary), Path(out) / "optimism")
    return files


def source_per_subject(source: object, units: pd.DataFrame) -> pd.DataFrame:
    """The per-subject frame (``method, dataset, seed, subject, status`` and metrics) of the
    selected ``units`` of a report source (``bench report``: the runs' per-subject artifacts)."""
    ps = source.per_subject(list(units["run_id"]))  # type: ignore[attr-defined]
    if ps.empty:
        return ps
    ps = ps.drop(columns=["method", "dataset", "seed"], errors="ignore")
    return ps.merge(units[["run_id", "method", "dataset", "seed"]], on="run_id")
