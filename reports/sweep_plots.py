"""Tables and figures of a parameter sweep (:mod:`bench.sweeps`).

Written under the output folder (default ``results/tables/<name>/``):

* ``<method>/<metric>.md|.tex``: the grid's points × datasets, mean ± std over seeds of the
  mean over subjects (the one aggregation); nothing is marked best, since marking the best
  point of a dataset would pick the parameter on the evaluation data;
* ``oracle/best_points.md|.tex``: for each method, metric and dataset the best point on that
  same dataset, labelled as an **oracle** choice;
* ``chosen.md|.tex`` (with ``choose_on``): the honest variant, the point picked on the choice
  datasets by ``choose_by``, its results on the other datasets, beside the oracle's best there
  and the gap;
* ``figures/<method>_<metric>.png|.pdf``: the metric against the first grid parameter, one
  line per dataset (error bars: std over seeds); one panel per combination of the other grid
  parameters; a logarithmic axis for positive numbers spanning more than a factor of 20;
* ``summary.csv`` (every point, dataset and metric) and ``sweep_long.csv`` (per seed).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.aggregate import natural_key
from bench.records import atomic_write_text
from bench.reports.protocol_tables import GridTable, mean_std, new_figure, to_markdown, write_table

ORACLE_NOTE = (
    "ORACLE choice: the best point of each dataset picked on that dataset's own results (the "
    "parameter tuned on the evaluation data); optimistic, not an honest result."
)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")


def _decimals(metric: str) -> int:
    from bench.metrics import METRICS

    info = METRICS.get(metric)
    return 1 if info is not None and info.integer else 3


def _label(metric: str) -> str:
    from bench.metrics import METRICS

    info = METRICS.get(metric)
    return info.label if info is not None else metric


def point_table(result: Any, method: str, metric: str) -> GridTable:
    """Points × datasets of one method and metric (see the module docstring)."""
    s = result.summary
    s = s[(s["method"] == method) & (s["metric"] == metric)]
    points = s.drop_duplicates("point").sort_values("point")
    datasets = sorted(dict.fromkeys(s["dataset"]), key=natural_key)
    cell = {(int(r.point), r.dataset): r for r in s.itertuples()}
    d = _decimals(metric)
    cells = []
    for p in points["point"]:
        row = []
        for ds in datasets:
            r = cell.get((int(p), ds))
            row.append(
                "n/a"
                if r is not None and not r.applicable
                else mean_std(r.mean, r.std, d)
                if r is not None
                else "–"
            )
        cells.append(row)
    cols = [f"{ds} (choice)" if ds in result.choose_labels else ds for ds in datasets]
    seeds = sorted(set(s["n_seeds"]))
    return GridTable(
        corner="point",
        rows=list(points["label"]),
        cols=cols,
        cells=cells,
        caption=(
            f"Sweep of {method}: {_label(metric)} at each grid point (mean over subjects, mean "
            f"± std over seeds; {', '.join(map(str, seeds))} seed(s)). No point is marked best: "
            "picking it here would tune the parameter on the evaluation data."
        ),
        label=f"tab:sweep-{_slug(method)}-{_slug(metric)}",
    )


def oracle_table(result: Any, metrics: Sequence[str]) -> GridTable:
    """The oracle best point per (method, metric) row and dataset column."""
    rows, cells = [], []
    datasets = sorted(dict.fromkeys(result.summary["dataset"]), key=natural_key)
    for method in result.grids:
        for metric in metrics:
            best = result.oracle_best(metric)
            best = best[best["method"] == method]
            if best.empty:
                continue
            by_ds = {r.dataset: r for r in best.itertuples()}
            d = _decimals(metric)
            rows.append(f"{method}: {_label(metric)}")
            cells.append(
                [
                    f"{by_ds[ds].label}: {mean_std(by_ds[ds].mean, by_ds[ds].std, d)}"
                    if ds in by_ds
                    else "–"
                    for ds in datasets
                ]
            )
    return GridTable(
        corner="method: metric",
        rows=rows,
        cols=datasets,
        cells=cells,
        caption="ORACLE: the best grid point of each dataset, chosen on that dataset. "
        + ORACLE_NOTE,
        label="tab:oracle-sweep-best",
    )


def chosen_table(result: Any, metrics: Sequence[str]) -> GridTable:
    """The honest choice: per method the point picked on the choice datasets, its value on each
    evaluation dataset, the oracle's best there, and the gap (oracle − chosen, in the metric's
    better direction)."""
    from bench.metrics import METRICS

    datasets = result.eval_datasets()
    s = result.summary
    rows, cells = [], []
    cols, groups = [], []
    for ds in datasets:
        cols += ["chosen", "oracle best", "gap"]
        groups.append((ds, 3))
    for method, point in result.choice.items():
        label = s[(s["method"] == method) & (s["point"] == point)]["label"].iloc[0]
        for metric in metrics:
            d = _decimals(metric)
            higher = METRICS[metric].higher_is_better if metric in METRICS else True
            best = result.oracle_best(metric)
            best = {r.dataset: r for r in best[best["method"] == method].itertuples()}
            row = []
            for ds in datasets:
                r = s[
                    (s["method"] == method)
                    & (s["point"] == point)
                    & (s["dataset"] == ds)
                    & (s["metric"] == metric)
                ]
                if r.empty or not bool(r["applicable"].iloc[0]) or ds not in best:
                    row += ["–", "–", "–"]
                    continue
                m, sd = float(r["mean"].iloc[0]), float(r["std"].iloc[0])
                b = best[ds]
                gap = (b.mean - m) if higher else (m - b.mean)
                row += [
                    mean_std(m, sd, d),
                    f"{mean_std(b.mean, b.std, d)} ({b.label})",
                    f"{gap:.{d}f}",
                ]
            if all(c == "–" for c in row):
                continue  # the metric does not apply to the method
            rows.append(f"{method} [{label}]: {_label(metric)}")
            cells.append(row)
    return GridTable(
        corner="method [chosen point]: metric",
        rows=rows,
        cols=cols,
        cells=cells,
        caption=(
            f"Honest choice: each method's point picked by {_label(result.choose_by)} on "
            f"{', '.join(result.choose_labels)} and reported on the other datasets (mean ± std "
            "over seeds), beside the oracle best point of each dataset (chosen on that dataset "
            "itself: optimistic) and the gap between them."
        ),
        label="tab:sweep-chosen",
        groups=groups,
        notes=list(result.notes),
    )


# --------------------------------------------------------------------------- figures


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def sweep_figure(result: Any, method: str, metric: str) -> Any:
    """The metric against the first grid parameter of ``method`` (see the module docstring)."""
    grid = result.grids[method]
    (x_name, x_values), others = grid.axes[0], grid.axes[1:]
    combos = list(itertools.product(*(v for _, v in others))) or [()]
    s = result.summary
    s = s[(s["method"] == method) & (s["metric"] == metric) & s["applicable"]]
    datasets = sorted(dict.fromkeys(s["dataset"]), key=natural_key)
    numeric = all(_is_number(v) for v in x_values)
    xs = [float(v) for v in x_values] if numeric else list(range(len(x_values)))
    log = numeric and min(xs) > 0 and max(xs) / min(xs) > 20
    points = grid.points()
    index = {tuple(json_key(p[n]) for n in grid.names): k for k, p in enumerate(points)}
    cols = min(len(combos), 3)
    nrows = math.ceil(len(combos) / cols)
    fig = new_figure(4.2 * cols + 0.6, 3.1 * nrows + 0.4)
    axes = np.atleast_1d(fig.subplots(nrows, cols, squeeze=False)).ravel()
    cell = {(int(r.point), r.dataset): (r.mean, r.std) for r in s.itertuples()}
    for ax, combo in zip(axes, combos, strict=False):
        for ds in datasets:
            means, stds = [], []
            for v in x_values:
                k = index[tuple(json_key(x) for x in (v, *combo))]
                m, sd = cell.get((k, ds), (np.nan, np.nan))
                means.append(m)
                stds.append(sd)
            style = "--" if ds in result.choose_labels else "-"
            name = f"{ds} (choice)" if ds in result.choose_labels else ds
            ax.errorbar(xs, means, yerr=stds, fmt="o" + style, ms=4, capsize=2, label=name)
        if method in result.choice:
            chosen = points[result.choice[method]]
            if all(
                json_key(chosen[n]) == json_key(c) for (n, _), c in zip(others, combo, strict=True)
            ):
                xc = chosen[x_name]
                ax.axvline(
                    float(xc) if numeric else list(x_values).index(xc),
                    color="0.4",
                    ls=":",
                    lw=1,
                    label="chosen",
                )
        if log:
            ax.set_xscale("log")
        if not numeric:
            ax.set_xticks(xs, [str(v) for v in x_values])
        ax.set_xlabel(f"{method}.{x_name}")
        ax.set_ylabel(_label(metric))
        if others:
            ax.set_title(
                ", ".join(f"{n}={c}" for (n, _), c in zip(others, combo, strict=True)), fontsize=9
            )
        ax.grid(alpha=0.3)
    for ax in axes[len(combos) :]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{method}: {_label(metric)} over the grid (mean ± std over seeds)", fontsize=10)
    return fig


def json_key(v: Any) -> str:
    import json

    return json.dumps(v, sort_keys=True, default=repr)


# --------------------------------------------------------------------------- writing


def write_sweep(
    result: Any,
    out: Path,
    metrics: Sequence[str],
    *,
    figures: bool = True,
) -> tuple[list[Path], list[str]]:
    """Write the sweep's tables and figures under ``out``; returns (files, printed Markdown)."""
    out = Path(out)
    files: list[Path] = []
    printed: list[str] = []
    have = set(result.summary["metric"]) if len(result.summary) else set()
    metrics = [m for m in metrics if m in have]
    s = result.summary
    for method in result.grids:
        for metric in metrics:
            sel = s[(s["method"] == method) & (s["metric"] == metric)]
            if not bool(sel["applicable"].any()):
                continue  # e.g. AUROC of a method without scores
            t = point_table(result, method, metric)
            files += write_table(t, out / _slug(method) / metric)
            if metric in ("f1", "shd"):
                printed.append(to_markdown(t))
            if figures:
                from bench.reports.figures import save_figure

                files += save_figure(
                    sweep_figure(result, method, metric),
                    out / "figures" / f"{_slug(method)}_{metric}",
                )
    ot = oracle_table(result, metrics)
    if ot.rows:
        files += write_table(ot, out / "oracle" / "best_points")
        printed.append(to_markdown(ot))
    if result.choice:
        ct = chosen_table(result, metrics)
        files += write_table(ct, out / "chosen")
        printed.append(to_markdown(ct))
    for name, frame in (("summary.csv", result.summary), ("sweep_long.csv", result.long)):
        atomic_write_text(out / name, frame.to_csv(index=False))
        files.append(out / name)
    return files, printed
