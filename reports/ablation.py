"""The paper-style ablation table (:mod:`bench.ablations`).

Written under the run's tables folder (default ``results/tables/<name>/``):

* ``ablation.md|.tex``: one row per variant (the full method, each registered ablation, by its
  display label) and the random floor; per dataset the columns F1, SHD, precision, recall,
  AUROC, each the mean ± std over seeds (:func:`bench.aggregate.summarize`, the run's own
  summary). Honest protocol: each variant's final-model decision;
* ``oracle/ablation.md|.tex``: the same rows with the **oracle** best-epoch numbers
  (``oracle_best_f1`` / ``_shd`` / ``_precision`` / ``_recall``: the best epoch chosen against
  the truth, per metric) and ``oracle_max_f1`` (the best threshold on the scores, chosen against
  the truth), labelled ORACLE; ``–`` where a method has no epochs (the random floor);
* ``ablation.csv``: the rows of both tables in long form (method, label, dataset, metric,
  mean, std, n_seeds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.records import atomic_write_text
from bench.reports.protocol_tables import MISSING, GridTable, mean_std, to_markdown, write_table
from bench.reports.tables import metric_info

HONEST = ("f1", "shd", "precision", "recall", "auroc")
ORACLE = (
    "oracle_best_f1",
    "oracle_best_shd",
    "oracle_best_precision",
    "oracle_best_recall",
    "oracle_max_f1",
)
_SHORT = {
    "f1": "F1",
    "shd": "SHD",
    "precision": "precision",
    "recall": "recall",
    "auroc": "AUROC",
    "oracle_best_f1": "F1 (best epoch)",
    "oracle_best_shd": "SHD (best epoch)",
    "oracle_best_precision": "precision (best epoch)",
    "oracle_best_recall": "recall (best epoch)",
    "oracle_max_f1": "F1 (best threshold)",
}


def _arrow(metric: str) -> str:
    base = metric.removeprefix("oracle_max_")  # the best-threshold F1 has F1's direction
    return "↑" if metric_info(base).higher_is_better else "↓"


def _grid(result: Any, metrics: tuple[str, ...], caption: str, label: str) -> GridTable:
    s = result.summary
    cell = {(r.method, r.dataset, r.metric): r for r in s.itertuples()}
    datasets = result.datasets
    cols = [f"{_SHORT.get(m, m)} {_arrow(m)}" for _ in datasets for m in metrics]
    rows, cells = [], []
    for method in result.variants:
        rows.append(result.labels.get(method, method))
        row = []
        for d in datasets:
            for m in metrics:
                r = cell.get((method, d, m))
                ok = r is not None and bool(r.applicable)
                row.append(mean_std(r.mean, r.std, 3) if ok else MISSING)
        cells.append(row)
    seeds = sorted({int(x) for x in result.bench.long["seed"]}) if len(result.bench.long) else []
    return GridTable(
        corner="variant",
        rows=rows,
        cols=cols,
        cells=cells,
        caption=f"{caption} Mean ± std over seeds {', '.join(map(str, seeds))}.",
        label=label,
        notes=list(result.notes),
        groups=[(d, len(metrics)) for d in datasets],
    )


def ablation_table(result: Any) -> GridTable:
    """The honest ablation table (see the module docstring)."""
    return _grid(
        result,
        HONEST,
        f"Ablation of {result.method}: each variant's own decision from its final model "
        "(honest protocol), with the random baseline as a floor.",
        f"tab:ablation-{result.method}",
    )


def oracle_table(result: Any) -> GridTable:
    """The ORACLE ablation table (see the module docstring)."""
    return _grid(
        result,
        ORACLE,
        f"ORACLE (chosen against the truth): ablation of {result.method} with the best "
        "training epoch per metric (the reference code's protocol) and the best threshold on "
        "the scores, each picked by looking at the ground truth; not a result a user could "
        "obtain. – : no epochs (random floor).",
        f"tab:ablation-{result.method}-oracle",
    )


def write_ablation(result: Any, out: Path) -> tuple[list[Path], list[str]]:
    """Write ``ablation.*`` and ``oracle/ablation.*`` under ``out``; (files, printed)."""
    out = Path(out)
    honest, oracle = ablation_table(result), oracle_table(result)
    files = write_table(honest, out / "ablation")
    files += write_table(oracle, out / "oracle" / "ablation")
    s = result.summary
    keep = s[s["method"].isin(result.variants) & s["metric"].isin([*HONEST, *ORACLE])]
    keep = keep.assign(label=[result.labels.get(m, m) for m in keep["method"]])
    cols = ["method", "label", "dataset", "metric", "mean", "std", "n_seeds"]
    atomic_write_text(out / "ablation.csv", keep.loc[:, cols].to_csv(index=False))
    files.append(out / "ablation.csv")
    return files, [to_markdown(honest), to_markdown(oracle)]
