"""Paper-style result tables (Markdown, LaTeX, CSV) from long-format results.

Input: a long DataFrame with columns ``method, dataset, seed, metric, value`` where ``value``
is the mean over subjects of one (method, dataset, seed) and NaN means "not applicable" (e.g.
AUROC of a method without continuous scores).

Aggregation (:func:`summarize`), for each (method, dataset, metric) over the seeds whose value
is not NaN (``v_1 .. v_n``, ``n = n_seeds``)::

    mean = (1/n) Σ v_s        std = sqrt((1/n) Σ (v_s − mean)²)     (population std, ddof = 0)

so a single seed has std 0. ``applicable`` is False when every seed's value is NaN; then mean
and std are NaN and ``n_seeds`` is 0. Seeds that are NaN while others are not are left out of
``n_seeds`` (the caption then shows a range such as "2–3 seeds").

Layouts (:func:`build_table`):

* ``methods``: methods × datasets for one metric; ``datasets``: its transpose; ``auto``:
  whichever has fewer columns (ties: methods as rows);
* ``metrics``: methods × metrics for one dataset;
* ``grouped``: one row per method and a column group per dataset with one column per metric
  (the usual paper layout).

Rendering: methods keep the order in which they first appear in the input; datasets are in
natural order (``smith:2`` before ``smith:10``). A cell is ``mean ± std`` (``precision``
decimals, one decimal for count-like metrics such as SHD), ``n/a`` when not applicable and
``–`` when there is no result. Within each ranking group (a dataset for one metric; a metric
column in the ``metrics`` and ``grouped`` layouts) the means are compared at the printed
precision, by the metric's direction in :data:`bench.metrics.METRICS`: the best value is
**bold** (ties are all bold) and the second-best distinct value is underlined (Markdown
``<u>…</u>``, LaTeX ``\\underline``, HTML ``<u>``). Oracle methods (which look at the ground
truth) get a dagger, are never marked best or second, and are named in a footnote.

Footnotes: ``notes`` maps ``(method, dataset)`` to a reason (e.g. ``"timeout: 2 of 50
fits"``); every cell of that pair gets a superscript letter (ᵃ, ᵇ, … in Markdown, ``$^{a}$`` in
LaTeX) and the reason is printed under the table, one letter per distinct reason, lettered in
reading order. :mod:`bench.reports.report` builds the reasons from the per-subject status.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from bench.aggregate import (
    LONG_COLUMNS,
    SUMMARY_COLUMNS,
    _first_seen,
    _require,
    natural_key,
    summarize,
)
from bench.metrics import METRICS, MetricInfo, get_metric

__all__ = [
    "LONG_COLUMNS",
    "SUMMARY_COLUMNS",
    "Table",
    "build_table",
    "metric_info",
    "natural_key",
    "note_marker",
    "render_csv",
    "render_latex",
    "render_markdown",
    "summarize",
    "table_latex",
    "table_markdown",
    "write_tables",
]

Layout = Literal["auto", "methods", "datasets"]
AnyLayout = Literal["auto", "methods", "datasets", "metrics", "grouped"]
LAYOUTS = ("auto", "methods", "datasets", "metrics", "grouped")

CSV_COLUMNS = ("method", "dataset", "metric", "mean", "std", "n_seeds")

NOT_APPLICABLE = "n/a"
MISSING = "–"  # en dash
DAGGER = "†"
UP, DOWN = "↑", "↓"

ORACLE_PREFIX = "oracle_"
_ORACLE_BEST = "oracle_best_"

# Footnote letters and their Unicode superscripts (there is no superscript q, so q is skipped).
_LETTERS = "abcdefghijklmnoprstuvwxyz"
_SUPERSCRIPTS = "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"


def note_marker(k: int) -> str:
    """The ``k``-th footnote letter (0 → ``a``, …, 24 → ``z``, 25 → ``aa``, …; no ``q``)."""
    n = len(_LETTERS)
    return _LETTERS[k] if k < n else note_marker(k // n - 1) + _LETTERS[k % n]


def superscript(marker: str) -> str:
    """``marker`` in Unicode superscript letters (``"ab"`` → ``"ᵃᵇ"``)."""
    return "".join(_SUPERSCRIPTS[_LETTERS.index(c)] for c in marker)


def metric_info(name: str) -> MetricInfo:
    """The :class:`MetricInfo` of a registered metric, of an oracle metric or of the run time.

    ``oracle_best_<m>`` (the best value of ``<m>`` over training epochs, picked against the
    truth) takes the label and direction of ``<m>``; ``seconds_per_fit`` is descriptive (not
    ranked). Anything else unknown raises :class:`bench.registry.UnknownNameError`.
    """
    if name in METRICS:
        return METRICS[name]
    base = name[len(_ORACLE_BEST) :] if name.startswith(_ORACLE_BEST) else ""
    if base in METRICS:
        b = METRICS[base]
        return MetricInfo(
            name=name,
            label=f"{b.label} (oracle best epoch)",
            higher_is_better=b.higher_is_better,
            needs_scores=b.needs_scores,
            description=f"Oracle: the best {b.label} over training epochs, chosen with the truth.",
            integer=b.integer,
            ranked=b.ranked,
        )
    if name == "seconds_per_fit":
        return MetricInfo(
            name=name,
            label="Seconds per fit",
            higher_is_better=False,
            needs_scores=False,
            description="Mean wall time of one fit in seconds.",
            ranked=False,
        )
    return get_metric(name)


def is_oracle_metric(name: str) -> bool:
    """Oracle metrics look at the ground truth to pick something; their names say so."""
    return name.startswith(ORACLE_PREFIX)


# --------------------------------------------------------------------------- summarize


# --------------------------------------------------------------------------- table model


@dataclass(frozen=True)
class Table:
    """A renderer-agnostic table: plain cell texts plus marks.

    ``rank[r][c]`` is 1 for a best cell (bold), 2 for a second-best cell (underlined), else 0.
    ``marks[r][c]`` is the footnote letter of the cell ('' for none); ``notes`` lists
    ``(letter, reason)``. ``col_groups`` (``(label, span)`` pairs) puts a spanning header
    above the columns (the ``grouped`` layout); empty for a single header row.
    """

    corner: str
    rows: list[str]
    cols: list[str]
    row_oracle: list[bool]
    col_oracle: list[bool]
    cells: list[list[str]]
    rank: list[list[int]]
    marks: list[list[str]]
    notes: list[tuple[str, str]]
    caption: str
    label: str  # LaTeX label, e.g. "tab:f1"
    oracles: list[str]
    col_groups: list[tuple[str, int]]

    @property
    def best(self) -> list[list[bool]]:
        return [[r == 1 for r in row] for row in self.rank]


def _fmt(x: float, decimals: int) -> str:
    text = f"{x:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _decimals(info: MetricInfo, precision: int) -> int:
    return 1 if info.integer else precision


def _seeds_text(counts: Iterable[int]) -> str:
    ns = sorted(set(counts))
    if not ns:
        return ""
    span = str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
    return f"{span} seed{'' if ns == [1] else 's'}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _rank_groups(
    scores: Mapping[tuple[str, str, str], float],
    groups: Iterable[list[tuple[str, str, str]]],
    higher_is_better: Callable[[str], bool],
    second: bool,
) -> dict[tuple[str, str, str], int]:
    """1 for the best, 2 for the second-best distinct value of each group; see module docstring.

    Keys are ``(method, dataset, metric)``; ``scores`` holds the rounded means of the cells that
    may be marked; ``higher_is_better(metric)`` gives the direction.
    """
    out: dict[tuple[str, str, str], int] = {}
    for keys in groups:
        vals = {k: scores[k] for k in keys if k in scores}
        if not vals:
            continue
        higher = higher_is_better(next(iter(vals))[2])
        distinct = sorted(set(vals.values()), reverse=higher)
        out.update((k, 1) for k, v in vals.items() if v == distinct[0])
        if second and len(distinct) > 1:
            out.update((k, 2) for k, v in vals.items() if v == distinct[1])
    return out


class _Cells:
    """Cell texts and candidate scores of a summary for a set of metrics."""

    def __init__(
        self,
        summary: pd.DataFrame,
        metrics: list[str],
        oracle_methods: Collection[str],
        precision: int,
        mark_best: bool,
    ) -> None:
        _require(summary, SUMMARY_COLUMNS, "summary")
        if summary.empty:
            raise ValueError("summary is empty: no results to tabulate")
        self.infos = {m: metric_info(m) for m in metrics}
        self.methods = _first_seen(summary["method"])
        self.datasets = sorted(_first_seen(summary["dataset"]), key=natural_key)
        sub = summary[summary["metric"].isin(metrics)]
        self.sub = sub
        found = {(r.method, r.dataset, r.metric): r for r in sub.itertuples(index=False)}
        self.text: dict[tuple[str, str, str], str] = {}
        self.score: dict[tuple[str, str, str], float] = {}
        for metric, info in self.infos.items():
            decimals = _decimals(info, precision)
            for m in self.methods:
                for d in self.datasets:
                    key = (m, d, metric)
                    r = found.get(key)
                    if r is None:
                        self.text[key] = MISSING
                    elif not r.applicable:
                        self.text[key] = NOT_APPLICABLE
                    else:
                        self.text[key] = f"{_fmt(r.mean, decimals)} ± {_fmt(r.std, decimals)}"
                        if mark_best and info.ranked and m not in oracle_methods:
                            self.score[key] = round(float(r.mean), decimals)

    def higher(self, metric: str) -> bool:
        return self.infos[metric].higher_is_better

    def seeds(self, metrics: Iterable[str] | None = None, dataset: str | None = None) -> str:
        sub = self.sub[self.sub["applicable"]]
        if metrics is not None:
            sub = sub[sub["metric"].isin(list(metrics))]
        if dataset is not None:
            sub = sub[sub["dataset"] == dataset]
        return _seeds_text(sub["n_seeds"])


def _letters(
    keys: list[list[tuple[str, str, str]]], notes: Mapping[tuple[str, str], str] | None
) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """Footnote letters per cell (reading order, one per distinct reason) and the note list."""
    notes = notes or {}
    by_text: dict[str, str] = {}
    marks = []
    for row in keys:
        line = []
        for m, d, _ in row:
            reason = notes.get((m, d))
            if reason:
                if reason not in by_text:
                    by_text[reason] = note_marker(len(by_text))
                line.append(by_text[reason])
            else:
                line.append("")
        marks.append(line)
    return marks, [(letter, text) for text, letter in by_text.items()]


def _marks_note(ranked: bool, second: bool, what: str) -> str:
    if not ranked:
        return ""
    return f"; best {what} in bold" + (", second underlined" if second else "")


def build_table(
    summary: pd.DataFrame,
    *,
    layout: AnyLayout = "auto",
    metric: str | None = None,
    metrics: Collection[str] | None = None,
    dataset: str | None = None,
    oracle_methods: Collection[str] = frozenset(),
    precision: int = 3,
    second: bool = True,
    notes: Mapping[tuple[str, str], str] | None = None,
    mark_best: bool = True,
    caption_prefix: str = "",
    label_prefix: str = "",
) -> Table:
    """Build one table of ``summary`` (columns :data:`SUMMARY_COLUMNS`) in ``layout``.

    ``metric`` is required for ``auto``/``methods``/``datasets``; ``metrics`` (in that order)
    for ``metrics`` and ``grouped``; ``dataset`` for ``metrics``. ``second`` underlines the
    second-best value; ``mark_best=False`` marks nothing (oracle tables). ``caption_prefix`` is
    put before the caption (e.g. ``"Oracle protocol. "``), ``label_prefix`` before the LaTeX
    label's name.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}; got {layout!r}")
    if layout in ("auto", "methods", "datasets"):
        if metric is None:
            raise ValueError(f"layout {layout!r} needs a metric")
        c = _Cells(summary, [metric], oracle_methods, precision, mark_best)
        return _build_single(
            c, metric, layout, oracle_methods, second, notes, caption_prefix, label_prefix
        )
    names = list(metrics or [])
    if not names:
        raise ValueError(f"layout {layout!r} needs a list of metrics")
    c = _Cells(summary, names, oracle_methods, precision, mark_best)
    if layout == "metrics":
        if dataset is None:
            raise ValueError("layout 'metrics' needs a dataset")
        if dataset not in c.datasets:
            raise ValueError(f"dataset {dataset!r} is not in the summary; has {c.datasets}")
        return _build_metrics(
            c, names, dataset, oracle_methods, second, notes, caption_prefix, label_prefix
        )
    return _build_grouped(c, names, oracle_methods, second, notes, caption_prefix, label_prefix)


def _arrow(info: MetricInfo) -> str:
    if not info.ranked:
        return info.label
    return f"{info.label} {UP if info.higher_is_better else DOWN}"


def _build_single(
    c: _Cells,
    metric: str,
    layout: str,
    oracle_methods: Collection[str],
    second: bool,
    notes: Mapping[tuple[str, str], str] | None,
    caption_prefix: str,
    label_prefix: str,
) -> Table:
    info = c.infos[metric]
    methods, datasets = c.methods, c.datasets
    if layout == "auto":
        layout = "methods" if len(datasets) <= len(methods) else "datasets"
    ranks = _rank_groups(
        c.score, ([(m, d, metric) for m in methods] for d in datasets), c.higher, second
    )
    is_oracle = [m in oracle_methods for m in methods]
    if layout == "methods":
        corner, rows, cols = "Method", methods, datasets
        row_oracle, col_oracle = is_oracle, [False] * len(datasets)
        keys = [[(m, d, metric) for d in datasets] for m in methods]
    else:
        corner, rows, cols = "Dataset", datasets, methods
        row_oracle, col_oracle = [False] * len(datasets), is_oracle
        keys = [[(m, d, metric) for m in methods] for d in datasets]

    direction = "higher" if info.higher_is_better else "lower"
    title = f"{info.label} ({direction} is better)" if info.ranked else info.label
    seeds = c.seeds()
    ranked = info.ranked and bool(c.score)
    if seeds:
        caption = f"{title}: mean ± std over {seeds}{_marks_note(ranked, second, 'per dataset')}."
    else:
        caption = f"{title}: no applicable results."
    marks, note_list = _letters(keys, notes)
    return Table(
        corner=corner,
        rows=rows,
        cols=cols,
        row_oracle=row_oracle,
        col_oracle=col_oracle,
        cells=[[c.text[k] for k in row] for row in keys],
        rank=[[ranks.get(k, 0) for k in row] for row in keys],
        marks=marks,
        notes=note_list,
        caption=caption_prefix + caption,
        label=f"tab:{label_prefix}{_slug(metric)}",
        oracles=[m for m, o in zip(methods, is_oracle, strict=True) if o],
        col_groups=[],
    )


def _legend(infos: Iterable[MetricInfo]) -> str:
    dirs = {i.higher_is_better for i in infos if i.ranked}
    parts = [f"{UP} higher" if True in dirs else "", f"{DOWN} lower" if False in dirs else ""]
    parts = [p for p in parts if p]
    return f"; {' / '.join(parts)} is better" if parts else ""


def _build_metrics(
    c: _Cells,
    metrics: list[str],
    dataset: str,
    oracle_methods: Collection[str],
    second: bool,
    notes: Mapping[tuple[str, str], str] | None,
    caption_prefix: str,
    label_prefix: str,
) -> Table:
    methods = [m for m in c.methods if (c.sub["method"] == m).any()]
    ranks = _rank_groups(
        c.score, ([(m, dataset, x) for m in methods] for x in metrics), c.higher, second
    )
    keys = [[(m, dataset, x) for x in metrics] for m in methods]
    infos = [c.infos[x] for x in metrics]
    ranked = any(k in c.score for row in keys for k in row)
    seeds = c.seeds(dataset=dataset)
    if seeds:
        body = f"mean ± std over {seeds}{_marks_note(ranked, second, 'per metric')}"
        caption = f"{dataset}: {body}{_legend(infos)}."
    else:
        caption = f"{dataset}: no applicable results."
    marks, note_list = _letters(keys, notes)
    is_oracle = [m in oracle_methods for m in methods]
    return Table(
        corner="Method",
        rows=methods,
        cols=[_arrow(i) for i in infos],
        row_oracle=is_oracle,
        col_oracle=[False] * len(metrics),
        cells=[[c.text[k] for k in row] for row in keys],
        rank=[[ranks.get(k, 0) for k in row] for row in keys],
        marks=marks,
        notes=note_list,
        caption=caption_prefix + caption,
        label=f"tab:{label_prefix}{_slug(dataset)}",
        oracles=[m for m, o in zip(methods, is_oracle, strict=True) if o],
        col_groups=[],
    )


def _build_grouped(
    c: _Cells,
    metrics: list[str],
    oracle_methods: Collection[str],
    second: bool,
    notes: Mapping[tuple[str, str], str] | None,
    caption_prefix: str,
    label_prefix: str,
) -> Table:
    methods, datasets = c.methods, c.datasets
    groups = ([(m, d, x) for m in methods] for d in datasets for x in metrics)
    ranks = _rank_groups(c.score, groups, c.higher, second)
    keys = [[(m, d, x) for d in datasets for x in metrics] for m in methods]
    infos = [c.infos[x] for x in metrics]
    ranked = any(k in c.score for row in keys for k in row)
    seeds = c.seeds()
    if seeds:
        body = f"Mean ± std over {seeds}{_marks_note(ranked, second, 'per column')}"
        caption = f"{body}{_legend(infos)}."
    else:
        caption = "No applicable results."
    marks, note_list = _letters(keys, notes)
    is_oracle = [m in oracle_methods for m in methods]
    return Table(
        corner="Method",
        rows=methods,
        cols=[_arrow(i) for _ in datasets for i in infos],
        row_oracle=is_oracle,
        col_oracle=[False] * (len(datasets) * len(metrics)),
        cells=[[c.text[k] for k in row] for row in keys],
        rank=[[ranks.get(k, 0) for k in row] for row in keys],
        marks=marks,
        notes=note_list,
        caption=caption_prefix + caption,
        label=f"tab:{label_prefix}grouped",
        oracles=[m for m, o in zip(methods, is_oracle, strict=True) if o],
        col_groups=[(d, len(metrics)) for d in datasets],
    )


def _oracle_note(t: Table, dagger: str, name: Callable[[str], str]) -> str:
    names = ", ".join(name(m) for m in t.oracles)
    verb = "looks" if len(t.oracles) == 1 else "look"
    whose = "its result" if len(t.oracles) == 1 else "their results"
    return (
        f"{dagger} oracle: {names} {verb} at the ground truth to pick {whose}; "
        "shown for reference, never marked best."
    )


# --------------------------------------------------------------------------- markdown


def _md_escape(text: str) -> str:
    return str(text).replace("|", r"\|")


def table_markdown(t: Table) -> str:
    """A GFM pipe table with a ``Table:`` caption line and the footnotes under it.

    Best cells are ``**bold**``, second-best ``<u>underlined</u>``, footnote markers are
    Unicode superscript letters. Column groups become ``group / column`` headers (GFM has no
    spanning cells).
    """

    def head(name: str, oracle: bool) -> str:
        return _md_escape(name) + (DAGGER if oracle else "")

    def cell(text: str, rank: int, mark: str) -> str:
        text = f"**{text}**" if rank == 1 else f"<u>{text}</u>" if rank == 2 else text
        return text + superscript(mark)

    cols = [head(c, o) for c, o in zip(t.cols, t.col_oracle, strict=True)]
    if t.col_groups:
        groups = [g for g, span in t.col_groups for _ in range(span)]
        cols = [f"{_md_escape(g)} / {c}" for g, c in zip(groups, cols, strict=True)]
    lines = [f"Table: {t.caption}", ""]
    lines.append("| " + " | ".join([t.corner, *cols]) + " |")
    lines.append("| :--- | " + " | ".join("---:" for _ in t.cols) + " |")
    for name, oracle, cells, ranks, marks in zip(
        t.rows, t.row_oracle, t.cells, t.rank, t.marks, strict=True
    ):
        row = [head(name, oracle)] + [
            cell(c, r, k) for c, r, k in zip(cells, ranks, marks, strict=True)
        ]
        lines.append("| " + " | ".join(row) + " |")
    for letter, text in t.notes:
        lines += ["", f"{superscript(letter)} {text}."]
    if t.oracles:
        lines += ["", _oracle_note(t, DAGGER, lambda m: f"`{m}`")]
    return "\n".join(lines) + "\n"


def render_markdown(
    summary: pd.DataFrame,
    metric: str,
    *,
    layout: Layout = "auto",
    oracle_methods: Collection[str] = frozenset(),
    precision: int = 3,
    second: bool = True,
    notes: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """A Markdown (GFM pipe) table of ``metric`` with a ``Table:`` caption line.

    ``layout="methods"``: methods as rows, datasets as columns; ``"datasets"``: the transpose;
    ``"auto"``: whichever has fewer columns (ties: methods as rows). See :func:`build_table`
    and :func:`table_markdown`.
    """
    return table_markdown(
        _single_table(summary, metric, layout, oracle_methods, precision, second, notes)
    )


def _single_table(
    summary: pd.DataFrame,
    metric: str,
    layout: Layout,
    oracle_methods: Collection[str],
    precision: int,
    second: bool,
    notes: Mapping[tuple[str, str], str] | None,
) -> Table:
    """The one-metric table behind :func:`render_markdown` and :func:`render_latex`."""
    if layout not in ("auto", "methods", "datasets"):
        raise ValueError(f"layout must be 'auto', 'methods' or 'datasets'; got {layout!r}")
    return build_table(
        summary,
        layout=layout,
        metric=metric,
        oracle_methods=oracle_methods,
        precision=precision,
        second=second,
        notes=notes,
    )


# --------------------------------------------------------------------------- latex

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "±": r"$\pm$",
    "–": "--",
    "†": r"$^\dagger$",
    "↑": r"$\uparrow$",
    "↓": r"$\downarrow$",
    "·": r"$\cdot$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "×": r"$\times$",
    "χ": r"$\chi$",
    "²": r"$^2$",
    "α": r"$\alpha$",
    "∞": r"$\infty$",
}


def _tex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def table_latex(t: Table) -> str:
    """A booktabs ``table`` float: ``\\textbf`` best, ``\\underline`` second, ``$^{a}$`` marks.

    Needs only ``\\usepackage{booktabs}``; column groups use ``\\multicolumn`` and
    ``\\cmidrule``; LaTeX special characters in names are escaped.
    """
    dagger = r"$^\dagger$"

    def head(name: str, oracle: bool) -> str:
        return _tex_escape(name) + (dagger if oracle else "")

    def cell(text: str, rank: int, mark: str) -> str:
        body = _tex_escape(text)
        if rank == 1:
            body = rf"\textbf{{{body}}}"
        elif rank == 2:
            body = rf"\underline{{{body}}}"
        return body + (rf"$^{{\mathrm{{{mark}}}}}$" if mark else "")

    lines = [
        r"\begin{table}[htbp]",
        r"  \centering",
        rf"  \caption{{{_tex_escape(t.caption)}}}",
        rf"  \label{{{t.label}}}",
        rf"  \begin{{tabular}}{{l{'r' * len(t.cols)}}}",
        r"    \toprule",
    ]
    if t.col_groups:
        spans, rules, start = [], [], 2
        for group, span in t.col_groups:
            spans.append(rf"\multicolumn{{{span}}}{{c}}{{{_tex_escape(group)}}}")
            rules.append(rf"\cmidrule(lr){{{start}-{start + span - 1}}}")
            start += span
        lines.append("    " + " & ".join(["", *spans]) + r" \\")
        lines.append("    " + " ".join(rules))
    lines += [
        "    "
        + " & ".join([t.corner] + [head(c, o) for c, o in zip(t.cols, t.col_oracle, strict=True)])
        + r" \\",
        r"    \midrule",
    ]
    for name, oracle, cells, ranks, marks in zip(
        t.rows, t.row_oracle, t.cells, t.rank, t.marks, strict=True
    ):
        row = [head(name, oracle)] + [
            cell(c, r, k) for c, r, k in zip(cells, ranks, marks, strict=True)
        ]
        lines.append("    " + " & ".join(row) + r" \\")
    lines += [r"    \bottomrule", r"  \end{tabular}"]
    foot = [rf"$^{{\mathrm{{{letter}}}}}$ {_tex_escape(text)}." for letter, text in t.notes]
    if t.oracles:
        foot.append(_oracle_note(t, dagger, lambda m: rf"\texttt{{{_tex_escape(m)}}}"))
    if foot:
        lines.append(r"  \par\smallskip")
        lines += [rf"  {{\footnotesize {note}\par}}" for note in foot]
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def render_latex(
    summary: pd.DataFrame,
    metric: str,
    *,
    layout: Layout = "auto",
    oracle_methods: Collection[str] = frozenset(),
    precision: int = 3,
    second: bool = True,
    notes: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """The same table as :func:`render_markdown`, as a booktabs ``table`` float.

    Needs only ``\\usepackage{booktabs}``; uses ``\\textbf`` for the best, ``\\underline`` for
    the second, ``$\\pm$`` and ``$^\\dagger$``, and escapes LaTeX special characters in names.
    """
    return table_latex(
        _single_table(summary, metric, layout, oracle_methods, precision, second, notes)
    )


# --------------------------------------------------------------------------- csv / files


def render_csv(summary: pd.DataFrame) -> str:
    """Tidy CSV with columns method, dataset, metric, mean, std, n_seeds.

    Numbers with 10 significant digits; an empty mean/std means not applicable.
    """
    _require(summary, CSV_COLUMNS, "summary")
    return summary.loc[:, list(CSV_COLUMNS)].to_csv(
        index=False, lineterminator="\n", float_format="%.10g", na_rep=""
    )


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fb:
                fb.write(data)
                fb.flush()
                os.fsync(fb.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


_write_atomic = write_atomic


def write_tables(
    summary: pd.DataFrame,
    outdir: str | os.PathLike[str],
    metrics: Iterable[str],
    *,
    layout: Layout = "auto",
    oracle_methods: Collection[str] = frozenset(),
    precision: int = 3,
    second: bool = True,
    notes: Mapping[tuple[str, str], str] | None = None,
) -> list[Path]:
    """Write ``<metric>.md`` and ``<metric>.tex`` per metric and one ``summary.csv``.

    Every table is rendered before any file is written, and each file is replaced atomically,
    so an error (e.g. an unknown metric) leaves no partial output. Returns the written paths.
    ``notes`` (``(method, dataset)`` → reason) adds footnotes, see the module docstring.
    """
    outdir = Path(outdir)
    texts: dict[str, str] = {}
    for metric in metrics:
        for ext, render in (("md", render_markdown), ("tex", render_latex)):
            texts[f"{metric}.{ext}"] = render(
                summary,
                metric,
                layout=layout,
                oracle_methods=oracle_methods,
                precision=precision,
                second=second,
                notes=notes,
            )
    texts["summary.csv"] = render_csv(summary)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in texts.items():
        path = outdir / name
        write_atomic(path, text)
        paths.append(path)
    return paths
