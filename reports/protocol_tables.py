"""Plain grid tables (Markdown, LaTeX, CSV) for the protocol reports: sweeps, classification and
threshold optimism.

These tables hold numbers that :mod:`bench.reports.tables` does not rank (points of a parameter
grid, classification scores, oracle gaps), so they are rendered here as given: a corner label,
row and column labels, cell texts, a caption and notes. Nothing is marked best unless the
caller asks for it (``bold``), and the caller says in the caption what the numbers are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.records import atomic_write_text

MISSING = "–"


@dataclass
class GridTable:
    """A rendered-as-given table; ``groups`` optionally spans column groups (label, width)."""

    corner: str
    rows: list[str]
    cols: list[str]
    cells: list[list[str]]
    caption: str
    label: str
    notes: list[str] = field(default_factory=list)
    groups: list[tuple[str, int]] = field(default_factory=list)
    bold: set[tuple[int, int]] = field(default_factory=set)


def fmt(x: float, decimals: int = 3) -> str:
    """``x`` with ``decimals`` decimals; ``–`` for NaN."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def mean_std(mean: float, std: float, decimals: int = 3) -> str:
    if mean is None or math.isnan(mean):
        return MISSING
    return f"{fmt(mean, decimals)} ± {fmt(std, decimals)}"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def to_markdown(t: GridTable) -> str:
    """Markdown (GitHub pipes): caption in bold first, notes after."""
    lines = [f"**{t.caption}**", ""]
    if t.groups:
        head = [""] + [g for g, span in t.groups for _ in range(span)]
        lines.append("| " + " | ".join(_md_escape(h) for h in head) + " |")
        lines.append("|" + "---|" * (len(t.cols) + 1))
        cols = [f"{c}" for c in t.cols]
        lines.append("| " + " | ".join([_md_escape(t.corner), *map(_md_escape, cols)]) + " |")
    else:
        lines.append("| " + " | ".join([_md_escape(t.corner), *map(_md_escape, t.cols)]) + " |")
        lines.append("|" + "---|" * (len(t.cols) + 1))
    for r, (name, row) in enumerate(zip(t.rows, t.cells, strict=True)):
        cells = [
            f"**{_md_escape(c)}**" if (r, k) in t.bold else _md_escape(c) for k, c in enumerate(row)
        ]
        lines.append("| " + " | ".join([_md_escape(name), *cells]) + " |")
    if t.notes:
        lines.append("")
        lines += [f"{n}" for n in t.notes]
    return "\n".join(lines) + "\n"


_TEX = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}"}


def _tex(text: str) -> str:
    out = "".join(_TEX.get(c, c) for c in text)
    return (
        out.replace("±", r"$\pm$")
        .replace("→", r"$\to$")
        .replace("–", "--")
        .replace("≤", r"$\le$")
        .replace("≥", r"$\ge$")
        .replace("×", r"$\times$")
        .replace("†", r"$^\dagger$")
    )


def to_latex(t: GridTable) -> str:
    """A ``table`` environment with booktabs rules (needs ``\\usepackage{booktabs}``)."""
    spec = "l" + "r" * len(t.cols)
    lines = [r"\begin{table}[t]", r"\centering", rf"\caption{{{_tex(t.caption)}}}"]
    lines += [rf"\label{{{t.label}}}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule"]
    if t.groups:
        parts, start, rules = [""], 2, []
        for g, span in t.groups:
            parts.append(rf"\multicolumn{{{span}}}{{c}}{{{_tex(g)}}}")
            rules.append(rf"\cmidrule(lr){{{start}-{start + span - 1}}}")
            start += span
        lines.append(" & ".join(parts) + r" \\")
        lines.append(" ".join(rules))
    lines.append(" & ".join([_tex(t.corner), *map(_tex, t.cols)]) + r" \\")
    lines.append(r"\midrule")
    for r, (name, row) in enumerate(zip(t.rows, t.cells, strict=True)):
        cells = [
            rf"\textbf{{{_tex(c)}}}" if (r, k) in t.bold else _tex(c) for k, c in enumerate(row)
        ]
        lines.append(" & ".join([_tex(name), *cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    if t.notes:
        lines.append(r"\par\smallskip\footnotesize " + r" \\ ".join(_tex(n) for n in t.notes))
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def write_table(t: GridTable, base: Path, formats: Iterable[str] = ("md", "tex")) -> list[Path]:
    """Write ``base.md`` / ``base.tex`` atomically; returns the paths."""
    out = []
    base.parent.mkdir(parents=True, exist_ok=True)
    for f in formats:
        path = base.with_suffix(f".{f}")
        atomic_write_text(path, to_markdown(t) if f == "md" else to_latex(t))
        out.append(path)
    return out


def new_figure(width: float, height: float) -> Any:
    """A Matplotlib figure with an Agg canvas and the constrained layout (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig
