"""Tables of group classification from EC (:mod:`bench.classification`).

Written under the output folder (default ``results/tables/<name>/``):

* ``classification.md|.tex``: one row per (method, dataset, seed): accuracy and ROC AUC with
  their bootstrap confidence intervals, the permutation p-values, the SD of the accuracy over
  the outer folds, the chance level (the larger group's share), subjects and features;
* ``summary.md|.tex``: methods × datasets, accuracy as mean ± std over seeds
  (:func:`bench.aggregate.summarize`) with the number of seeds whose permutation p < 0.05;
* ``classification.csv`` (per seed, long) and ``summary.csv``.

The reference rows (correlation, partial correlation) are labelled ``(reference)``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from bench.aggregate import natural_key
from bench.records import atomic_write_text
from bench.reports.protocol_tables import GridTable, fmt, mean_std, to_markdown, write_table


def _name(method: str) -> str:
    from bench.classification import REFERENCE_METHODS

    return f"{method} (reference)" if method in REFERENCE_METHODS else method


def _p(p: float, n_perm: int) -> str:
    if p is None or math.isnan(p):
        return "–"
    return f"{p:.3f}"


def detail_table(run: Any, options: Any) -> GridTable:
    """One row per (method, dataset, seed) (see the module docstring)."""
    wide = run.long.pivot_table(
        index=["method", "dataset", "seed"], columns="metric", values="value", sort=False
    )
    level = int(round(options.confidence * 100))
    cols = [
        "dataset",
        "seed",
        f"accuracy [{level}% CI]",
        f"ROC AUC [{level}% CI]",
        "p (accuracy)",
        "p (AUC)",
        "fold SD",
        "chance",
        "subjects",
        "features",
    ]
    rows, cells = [], []
    order = sorted(
        wide.index, key=lambda k: (list(run.long["method"]).index(k[0]), natural_key(k[1]), k[2])
    )
    for method, dataset, seed in order:
        r = wide.loc[(method, dataset, seed)]
        rows.append(_name(method))
        cells.append(
            [
                dataset,
                str(seed),
                f"{fmt(r['accuracy'])} [{fmt(r['accuracy_ci_low'])}, {fmt(r['accuracy_ci_high'])}]",
                f"{fmt(r['roc_auc'])} [{fmt(r['roc_auc_ci_low'])}, {fmt(r['roc_auc_ci_high'])}]",
                _p(r["p_accuracy"], options.n_permutations),
                _p(r["p_roc_auc"], options.n_permutations),
                fmt(r["fold_accuracy_sd"]),
                fmt(r["chance_accuracy"]),
                str(int(r["n_subjects"])),
                str(int(r["n_features"])),
            ]
        )
    return GridTable(
        corner="method",
        rows=rows,
        cols=cols,
        cells=cells,
        caption=(
            "Group classification from each method's estimated EC (linear SVM, nested "
            f"cross-validation: {options.outer_folds} outer folds, {options.inner_folds} inner "
            f"folds choosing C from {', '.join(f'{c:g}' for c in options.c_grid)}). CI: "
            "percentile bootstrap over subjects of the out-of-fold predictions "
            f"({options.n_bootstrap} resamples, stratified by group; the fold models held "
            "fixed). p: permutation test, "
            f"{options.n_permutations} label permutations with the whole nested procedure "
            "repeated, p = (1 + #{null ≥ observed}) / (1 + permutations)."
        ),
        label="tab:classification",
        notes=list(run.notes),
    )


def summary_table(run: Any) -> GridTable:
    """Methods × datasets: accuracy mean ± std over seeds, and seeds with p < 0.05."""
    s = run.summary
    acc = s[s["metric"] == "accuracy"]
    p = run.long[run.long["metric"] == "p_accuracy"]
    methods = list(dict.fromkeys(run.long["method"]))
    datasets = sorted(dict.fromkeys(run.long["dataset"]), key=natural_key)
    cell = {(r.method, r.dataset): r for r in acc.itertuples()}
    cells = []
    for m in methods:
        row = []
        for d in datasets:
            r = cell.get((m, d))
            if r is None:
                row.append("–")
                continue
            ps = p[(p["method"] == m) & (p["dataset"] == d)]["value"]
            sig = int((ps < 0.05).sum())
            row.append(f"{mean_std(r.mean, r.std)} (p<0.05: {sig}/{len(ps)})")
        cells.append(row)
    return GridTable(
        corner="method",
        rows=[_name(m) for m in methods],
        cols=datasets,
        cells=cells,
        caption=(
            "Group classification accuracy from estimated EC: mean ± std over seeds (each seed "
            "a new cohort for generated data), and the number of seeds whose permutation "
            "p-value is below 0.05."
        ),
        label="tab:classification-summary",
    )


def write_classification(run: Any, options: Any, out: Path) -> tuple[list[Path], list[str]]:
    """Write the classification tables under ``out``; returns (files, printed Markdown)."""
    out = Path(out)
    if run.long.empty:
        return [], []
    detail = detail_table(run, options)
    summary = summary_table(run)
    files = write_table(detail, out / "classification")
    files += write_table(summary, out / "summary")
    for name, frame in (("classification.csv", run.long), ("summary.csv", run.summary)):
        atomic_write_text(out / name, frame.to_csv(index=False))
        files.append(out / name)
    printed = [to_markdown(detail)] if len(detail.rows) <= 40 else [to_markdown(summary)]
    return files, printed
