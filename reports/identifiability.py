"""The identifiability table of a run on the ``canary`` suite: which method recovers what.

Rows are the suite's members present (``chain-gauss-var``, ...), columns the methods, cells
``✓ 0.90`` when the structure was recovered (``structure_recovered``, see
:mod:`bench.metrics`) in more than half of the subjects, ``✗ 0.10`` otherwise, from the mean over
subjects of the one aggregation (averaged over seeds). The LaTeX version writes ``yes``/``no``
instead of the marks (no extra package needed).
"""

from __future__ import annotations

import pandas as pd

from bench.aggregate import natural_key
from bench.reports.tables import Table

METRIC = "structure_recovered"
PASS = 0.5
FAMILY = "canary:"


def identifiability_table(
    summary: pd.DataFrame, marks: tuple[str, str] = ("✓", "✗")
) -> Table | None:
    """The table for the ``canary`` datasets of ``summary`` (``None`` if it has none).

    ``marks`` are the texts for recovered / not recovered (``("yes", "no")`` for LaTeX).
    """
    s = summary[(summary["metric"] == METRIC) & summary["dataset"].str.startswith(FAMILY)]
    s = s[s["applicable"]]
    if s.empty:
        return None
    methods = list(dict.fromkeys(s["method"]))
    members = sorted(dict.fromkeys(s["dataset"]), key=natural_key)
    value = {(r.method, r.dataset): float(r.mean) for r in s.itertuples()}
    cells = []
    for d in members:
        row = []
        for m in methods:
            v = value.get((m, d))
            row.append("–" if v is None else f"{marks[0] if v > PASS else marks[1]} {v:.2f}")
        cells.append(row)
    return Table(
        corner="Structure",
        rows=[d.removeprefix(FAMILY) for d in members],
        cols=methods,
        row_oracle=[False] * len(members),
        col_oracle=[False] * len(methods),
        cells=cells,
        rank=[[0] * len(methods) for _ in members],
        marks=[[""] * len(methods) for _ in members],
        notes=[],
        caption=(
            f"Identifiability suite: {marks[0]} where the method recovered the structure (every "
            "true edge ranked above its reverse and above every non-edge) in more than half of "
            "the subjects; the number is the fraction of subjects recovered (mean over seeds)."
        ),
        label="tab:identifiability",
        oracles=[],
        col_groups=[],
    )
