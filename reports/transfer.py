"""Tables of the zero-shot transfer protocol (:mod:`bench.transfers`).

Written under ``<out>/transfer/`` (default ``results/tables/<name>/transfer/``):

* ``<metric>.md|.tex`` per tabulated metric: one row per (method, source), one column per
  dataset (the sources first, then the other targets); a cell is the metric's mean ± std over
  seeds (:func:`bench.aggregate.summarize`). The **diagonal** (target = source) is the method's
  ordinary in-domain group fit, marked ``(in domain)``; the other cells are zero-shot (weights
  frozen). ``n/a`` cells carry a numbered note: a refused pair (e.g. different numbers of
  nodes, with both datasets and sizes) or a method without the capability;
* ``transfer.csv`` (per seed, long) and ``summary.csv`` (mean ± std over seeds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.reports.protocol_tables import MISSING, GridTable, mean_std, to_markdown, write_table
from bench.reports.tables import metric_info

NA = "n/a"


def _notes() -> tuple[list[str], dict[str, int], Any]:
    notes: list[str] = []
    index: dict[str, int] = {}

    def mark(text: str) -> str:
        if text not in index:
            notes.append(text)
            index[text] = len(notes)
        return f"{NA} [{index[text]}]"

    return notes, index, mark


def transfer_table(result: Any, metric: str) -> GridTable:
    """Sources × datasets for ``metric`` (see the module docstring)."""
    info = metric_info(metric)
    s = result.summary
    s = s[s["metric"] == metric] if len(s) else s
    cell = {(r.method, r.source, r.target): r for r in s.itertuples()}
    cols = list(dict.fromkeys([*result.sources, *result.targets]))
    notes, _, mark = _notes()
    rows, cells = [], []
    methods = list(result.labels)
    for method in methods:
        label = result.labels.get(method, method)
        if method in result.not_applicable:
            rows.append(label)
            cells.append([mark(f"{method}: {result.not_applicable[method]}")] * len(cols))
            continue
        for src in result.sources:
            rows.append(f"{label}: {src}")
            row = []
            for tgt in cols:
                key = (method, src, tgt)
                r = cell.get(key)
                if key in result.refused:
                    row.append(mark(result.refused[key]))
                elif r is None or not r.applicable:
                    fails = [v for (m, a, b, _), v in result.failed.items() if (m, a, b) == key]
                    row.append(mark(f"{method} {src} → {tgt}: {fails[0]}") if fails else MISSING)
                else:
                    text = f"{mean_std(r.mean, r.std, 3)} ({int(r.n_seeds)})"
                    row.append(f"{text} (in domain)" if tgt == src else text)
            cells.append(row)
    arrow = "higher is better" if info.higher_is_better else "lower is better"
    return GridTable(
        corner="method: trained on",
        rows=rows,
        cols=cols,
        cells=cells,
        caption=(
            f"Zero-shot transfer, {info.label} ({arrow}): trained on the row's dataset, "
            "estimated on the column's with the weights frozen (eval-mode forward pass, the "
            "method's own binarisation, honest protocol); mean ± std over seeds (number of "
            "seeds). The diagonal (in domain) is the ordinary group fit on that dataset."
        ),
        label=f"tab:transfer-{metric}",
        notes=[f"[{k}] {n}" for k, n in enumerate(notes, 1)],
    )


def write_transfer(result: Any, out: Path, metrics: list[str]) -> tuple[list[Path], list[str]]:
    """Write the transfer tables under ``out/transfer``; returns (files, printed Markdown)."""
    from bench.transfers import write_summary_csv

    folder = Path(out) / "transfer"
    files: list[Path] = []
    printed: list[str] = []
    for metric in metrics:
        t = transfer_table(result, metric)
        files += write_table(t, folder / metric)
        if metric in ("f1", "shd"):
            printed.append(to_markdown(t))
    files += write_summary_csv(result, folder)
    return files, printed
