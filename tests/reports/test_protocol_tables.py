"""The protocols' plain tables: Markdown as given, LaTeX that compiles (booktabs only)."""

from __future__ import annotations

from pathlib import Path

from _latex import compile_tables, needs_pdflatex

from bench.reports.protocol_tables import GridTable, mean_std, to_latex, to_markdown


def _table() -> GridTable:
    return GridTable(
        corner="method [alpha=0.01]: F1",
        rows=["pc_x", "a|b"],
        cols=["F1 (own)", "oracle max F1", "gap"],
        cells=[
            [mean_std(0.5, 0.1), "0.7 ± 0.0", "–"],
            ["p = (1 + #{null ≥ obs}) / 101", "→ 50%", "$1"],
        ],
        caption="ORACLE: a caption with & and _ and ≤ ≥ ×",
        label="tab:x",
        notes=["a note with † and 10%"],
        groups=[("smith:1@1-3", 3)],
        bold={(0, 0)},
    )


def test_markdown_is_rendered_as_given() -> None:
    md = to_markdown(_table())
    assert md.startswith("**ORACLE: a caption")
    assert "| **0.500 ± 0.100** |" in md and "a\\|b" in md and "smith:1@1-3" in md


@needs_pdflatex
def test_latex_compiles(tmp_path: Path) -> None:
    compile_tables(to_latex(_table()), tmp_path)
