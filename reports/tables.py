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
natural order (``smith:2`` before ``smith:10``). A cell is ``mean ± spread`` (``precision``
decimals, one decimal for count-like metrics such as SHD), ``n/a`` when not applicable and
``–`` when there is no result. What ± means is chosen with ``spread`` and said in the caption
(:data:`SPREADS`): ``subjects`` (default) the sample SD over subjects of each subject's mean
over the seeds, ``ci95`` the half-width of the 95 % t interval of the mean over subjects (both
from :func:`bench.aggregate.subject_spread`, columns ``sd_subjects`` / ``ci95_subjects`` of the
summary; a cell without them, e.g. a group-level fit with one "subject", shows the mean
alone), ``seeds`` the population SD over seeds (``std``; 0 for a deterministic method). Within
each ranking group (a dataset for one metric; a metric column in the ``metrics`` and
``grouped`` layouts) the means are compared at the printed precision, by the metric's
direction in :data:`bench.metrics.METRICS`: the best value is **bold** (ties are all bold) and
the second-best distinct value is marked second (Markdown *italics*, which every Markdown
renderer shows; LaTeX ``\\underline``; HTML ``<u>``). Cells in ``unranked`` (a mean over fewer
fits than planned, e.g. after timeouts) and oracle methods (which look at the ground truth, and
get a dagger and a footnote) are never marked best or second.

Footnotes: ``notes`` maps ``(method, dataset)`` to a reason (e.g. ``"timeout: 2 of 50
fits"``); every cell of that pair gets a superscript letter (ᵃ, ᵇ, … in Markdown, ``$^{a}$`` in
LaTeX) and the reason is printed under the table, one letter per distinct reason, lettered in
reading order. :mod:`bench.reports.report` builds the reasons from the per-subject status.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
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
    "table_terminal",
    "write_tables",
]

Layout = Literal["auto", "methods", "datasets"]
AnyLayout = Literal["auto", "methods", "datasets", "metrics", "grouped"]
LAYOUTS = ("auto", "methods", "datasets", "metrics", "grouped")

CSV_COLUMNS = ("method", "dataset", "metric", "mean", "std", "n_seeds")
SPREAD_CSV_COLUMNS = ("sd_subjects", "ci95_subjects", "n_subjects")
SPREADS = ("subjects", "seeds", "ci95")
SPREAD_COLUMN = {"subjects": "sd_subjects", "seeds": "std", "ci95": "ci95_subjects"}
SECOND_LATEX = "second underlined"
SECOND_MARKDOWN = "second in italics"

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


def _range_text(counts: Iterable[int], unit: str) -> str:
    ns = sorted({int(n) for n in counts})
    if not ns:
        return ""
    span = str(ns[0]) if len(ns) == 1 else f"{ns[0]}–{ns[-1]}"
    return f"{span} {unit}{'' if ns == [1] else 's'}"


class _Cells:
    """Cell texts and candidate scores of a summary for a set of metrics."""

    def __init__(
        self,
        summary: pd.DataFrame,
        metrics: list[str],
        oracle_methods: Collection[str],
        precision: int,
        mark_best: bool,
        spread: str = "seeds",
        unranked: Collection[tuple[str, str]] = (),
    ) -> None:
        _require(summary, SUMMARY_COLUMNS, "summary")
        if summary.empty:
            raise ValueError("summary is empty: no results to tabulate")
        if spread not in SPREADS:
            raise ValueError(f"spread must be one of {', '.join(SPREADS)}; got {spread!r}")
        self.spread = spread
        column = SPREAD_COLUMN[spread]
        self.infos = {m: metric_info(m) for m in metrics}
        self.methods = _first_seen(summary["method"])
        self.datasets = sorted(_first_seen(summary["dataset"]), key=natural_key)
        sub = summary[summary["metric"].isin(metrics)]
        self.sub = sub
        found = {(r["method"], r["dataset"], r["metric"]): r for r in sub.to_dict("records")}
        self.text: dict[tuple[str, str, str], str] = {}
        self.score: dict[tuple[str, str, str], float] = {}
        self.any_spread = False
        for metric, info in self.infos.items():
            decimals = _decimals(info, precision)
            for m in self.methods:
                for d in self.datasets:
                    key = (m, d, metric)
                    r = found.get(key)
                    if r is None:
                        self.text[key] = MISSING
                    elif not r["applicable"]:
                        self.text[key] = NOT_APPLICABLE
                    else:
                        sd = r.get(column, float("nan"))
                        text = _fmt(r["mean"], decimals)
                        if sd is not None and pd.notna(sd):
                            text += f" ± {_fmt(float(sd), decimals)}"
                            self.any_spread = True
                        self.text[key] = text
                        eligible = m not in oracle_methods and (m, d) not in unranked
                        if mark_best and info.ranked and eligible:
                            self.score[key] = round(float(r["mean"]), decimals)

    def higher(self, metric: str) -> bool:
        return self.infos[metric].higher_is_better

    def _subset(self, metrics: Iterable[str] | None, dataset: str | None) -> pd.DataFrame:
        sub = self.sub[self.sub["applicable"]]
        if metrics is not None:
            sub = sub[sub["metric"].isin(list(metrics))]
        if dataset is not None:
            sub = sub[sub["dataset"] == dataset]
        return sub

    def seeds(self, metrics: Iterable[str] | None = None, dataset: str | None = None) -> str:
        return _seeds_text(self._subset(metrics, dataset)["n_seeds"])

    def body(self, metrics: Iterable[str] | None = None, dataset: str | None = None) -> str:
        """What a cell is, for the caption: ``mean over 3 seeds ± SD over 50 subjects …``."""
        sub = self._subset(metrics, dataset)
        seeds = _seeds_text(sub["n_seeds"])
        if not seeds:
            return ""
        if self.spread == "seeds":
            return f"mean ± SD over {seeds} (population SD)"
        n = sub["n_subjects"] if "n_subjects" in sub.columns else pd.Series(dtype=int)
        subjects = _range_text(n[n >= 2], "subject")
        if not self.any_spread or not subjects:
            return f"mean over subjects and {seeds}"
        what = "SD" if self.spread == "subjects" else "95 % CI half-width (t) of the mean"
        return f"mean ± {what} over {subjects} (of each subject's mean over {seeds})"


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
    return f"; best {what} in bold" + (f", {SECOND_LATEX}" if second else "")


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
    spread: str = "seeds",
    unranked: Collection[tuple[str, str]] = (),
) -> Table:
    """Build one table of ``summary`` (columns :data:`SUMMARY_COLUMNS`) in ``layout``.

    ``metric`` is required for ``auto``/``methods``/``datasets``; ``metrics`` (in that order)
    for ``metrics`` and ``grouped``; ``dataset`` for ``metrics``. ``second`` underlines the
    second-best value; ``mark_best=False`` marks nothing (oracle tables). ``caption_prefix`` is
    put before the caption (e.g. ``"Oracle protocol. "``), ``label_prefix`` before the LaTeX
    label's name. ``spread`` chooses what ± means (:data:`SPREADS`; ``subjects`` and ``ci95``
    need the summary columns ``sd_subjects`` / ``ci95_subjects`` / ``n_subjects``);
    ``unranked`` holds (method, dataset) pairs never marked best or second (incomplete cells).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(map(repr, LAYOUTS))}; got {layout!r}")
    if layout in ("auto", "methods", "datasets"):
        if metric is None:
            raise ValueError(f"layout {layout!r} needs a metric")
        c = _Cells(summary, [metric], oracle_methods, precision, mark_best, spread, unranked)
        return _build_single(
            c, metric, layout, oracle_methods, second, notes, caption_prefix, label_prefix
        )
    names = list(metrics or [])
    if not names:
        raise ValueError(f"layout {layout!r} needs a list of metrics")
    c = _Cells(summary, names, oracle_methods, precision, mark_best, spread, unranked)
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
    body = c.body()
    ranked = info.ranked and bool(c.score)
    if body:
        caption = f"{title}: {body}{_marks_note(ranked, second, 'per dataset')}."
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
    body = c.body(dataset=dataset)
    if body:
        body = f"{body}{_marks_note(ranked, second, 'per metric')}"
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
    body = c.body()
    if body:
        body = f"{body[0].upper()}{body[1:]}{_marks_note(ranked, second, 'per column')}"
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

    Best cells are ``**bold**``, second-best ``*italic*`` (HTML tags such as ``<u>`` show as
    text in many renderers, MLflow's preview among them), footnote markers are Unicode
    superscript letters. Column groups become ``group / column`` headers (GFM has no spanning
    cells).
    """

    def head(name: str, oracle: bool) -> str:
        return _md_escape(name) + (DAGGER if oracle else "")

    def cell(text: str, rank: int, mark: str) -> str:
        text = f"**{text}**" if rank == 1 else f"*{text}*" if rank == 2 else text
        return text + superscript(mark)

    cols = [head(c, o) for c, o in zip(t.cols, t.col_oracle, strict=True)]
    if t.col_groups:
        groups = [g for g, span in t.col_groups for _ in range(span)]
        cols = [f"{_md_escape(g)} / {c}" for g, c in zip(groups, cols, strict=True)]
    lines = [f"Table: {t.caption.replace(SECOND_LATEX, SECOND_MARKDOWN)}", ""]
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


# --------------------------------------------------------------------------- terminal


def _cell_width(t: Table, j: int) -> int:
    return max(
        [len(t.cols[j])] + [len(t.cells[i][j]) + len(t.marks[i][j]) for i in range(len(t.rows))]
    )


def table_terminal(t: Table, width: int | None = None, *, styled: bool | None = None) -> str:
    """``t`` drawn for a terminal ``width`` columns wide (default: the terminal's) with
    ``rich``: the best value **bold**, the second underlined (``styled``, default when the
    output is a terminal), else marked ``▲`` / ``△``; footnotes and the caption as text. A
    table wider than ``width`` is split into several, each with the row names, keeping column
    groups whole. The Markdown and LaTeX files are not affected.
    """
    import io
    import shutil

    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    if styled is None:
        styled = sys.stdout.isatty()
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=styled,
        color_system="standard" if styled else None,
        no_color=not styled,
        highlight=False,
        emoji=False,
    )
    first = max([len(t.corner)] + [len(r) + 1 for r in t.rows])
    parts: list[list[int]] = []
    for block in _blocks(t):
        need = first + 4 + sum(_cell_width(t, j) + 3 for j in (parts[-1] if parts else []) + block)
        if parts and need <= width:
            parts[-1] += block
        else:
            parts.append(list(block))
    caption = t.caption
    if not styled:
        caption = caption.replace("in bold", "▲").replace(SECOND_LATEX, "second △")
    console.print(Text(caption))
    group_of = {}
    if t.col_groups:
        j = 0
        for group, span in t.col_groups:
            for k in range(j, j + span):
                group_of[k] = group
            j += span
    for k, cols in enumerate(parts):
        if k:
            console.print()
        rt = RichTable(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        rt.add_column(t.corner, no_wrap=True)
        for j in cols:
            head = t.cols[j] + (DAGGER if t.col_oracle[j] else "")
            if j in group_of:  # the group's name above its first column
                first_of_group = j == cols[0] or group_of.get(j - 1) != group_of[j]
                head = f"{group_of[j] if first_of_group else ''}\n{head}"
            rt.add_column(head, justify="right", no_wrap=True)
        for i, (name, oracle) in enumerate(zip(t.rows, t.row_oracle, strict=True)):
            row = [Text(name + (DAGGER if oracle else ""))]
            for j in cols:
                text, rank, mark = t.cells[i][j], t.rank[i][j], superscript(t.marks[i][j])
                if styled:
                    style = "bold" if rank == 1 else "underline" if rank == 2 else ""
                    cell = Text(text, style=style)
                else:
                    cell = Text(text + (" ▲" if rank == 1 else " △" if rank == 2 else ""))
                cell.append(mark)
                row.append(cell)
            rt.add_row(*row)
        console.print(rt)
    for letter, text in t.notes:
        console.print(Text(f"{superscript(letter)} {text}."))
    if t.oracles:
        console.print(Text(_oracle_note(t, DAGGER, str)))
    return console.file.getvalue()  # type: ignore[attr-defined]


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
    "<": r"$<$",  # OT1 text fonts (pdflatex with booktabs only) print < as ¡ and > as ¿
    ">": r"$>$",
    "|": r"\textbar{}",
    "≈": r"$\approx$",
    "−": r"$-$",
}


def _tex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


LATEX_FITS = ("auto", "shrink", "split", "resize", "none")
TEXT_WIDTH_PT = 345.0  # \textwidth of LaTeX's article class at 10 pt (a4 or letter paper)
# (font switch, scale against 10 pt, \tabcolsep in pt): the sizes "auto" tries, in order
_SIZES = (("", 1.0, 6.0), (r"\small", 0.9, 4.0), (r"\footnotesize", 0.8, 3.0))
# advance widths in pt of Computer Modern at 10 pt (cmr10; math symbols from cmsy10)
_CM_WIDTH = {
    **dict.fromkeys("0123456789", 5.0),
    **dict.fromkeys(".,:;!'|", 2.78),
    **dict.fromkeys("ijlt", 2.9),
    **dict.fromkeys("fr()[]-", 3.5),
    **dict.fromkeys("mw", 7.5),
    **dict.fromkeys("MW", 9.5),
    " ": 3.33,
    "±": 7.78,
    "–": 5.0,
    "↑": 10.0,
    "↓": 10.0,
    "†": 4.44,
    "@": 7.78,
}


def text_width_pt(text: str, *, bold: bool = False) -> float:
    r"""An estimate of the printed width of ``text`` in Computer Modern at 10 pt (``\textbf``
    ~10 % wider); good to a few per cent on table cells (numbers, names), used only to choose
    how a table fits the page."""
    w = 0.0
    for ch in str(text):
        w += _CM_WIDTH.get(ch, 7.2 if ch.isupper() else 5.0)
    return w * (1.1 if bold else 1.0)


def _column_widths(t: Table) -> list[float]:
    r"""Natural width (pt, 10 pt, without \tabcolsep) of the row-name column and each column."""
    first = max(
        [text_width_pt(t.corner)]
        + [text_width_pt(r) + (4.44 if o else 0) for r, o in zip(t.rows, t.row_oracle, strict=True)]
    )
    widths = [first]
    for j, name in enumerate(t.cols):
        w = text_width_pt(name)
        for i in range(len(t.rows)):
            mark = 3.5 * len(t.marks[i][j])
            w = max(w, text_width_pt(t.cells[i][j], bold=t.rank[i][j] == 1) + mark)
        widths.append(w)
    if t.col_groups:  # a group label wider than its columns widens them
        start = 1
        for group, span in t.col_groups:
            need = text_width_pt(group) - sum(widths[start : start + span])
            if need > 0:
                for k in range(start, start + span):
                    widths[k] += need / span
            start += span
    return widths


def latex_width_pt(t: Table, cols: list[int] | None = None, size: int = 0) -> float:
    r"""The estimated width in pt of ``t``'s tabular (only columns ``cols``) at ``_SIZES[size]``."""
    _, scale, sep = _SIZES[size]
    widths = _column_widths(t)
    chosen = [0] + [1 + j for j in (cols if cols is not None else range(len(t.cols)))]
    return sum(widths[k] * scale + 2 * sep for k in chosen)


def _blocks(t: Table) -> list[list[int]]:
    """The column blocks a table may be split into: its column groups, else single columns."""
    if not t.col_groups:
        return [[j] for j in range(len(t.cols))]
    out, start = [], 0
    for _, span in t.col_groups:
        out.append(list(range(start, start + span)))
        start += span
    return out


def _split(t: Table, width: float, size: int) -> list[list[int]]:
    """Consecutive blocks packed into parts that each fit ``width`` at ``size`` (greedy)."""
    parts: list[list[int]] = []
    for block in _blocks(t):
        if parts and latex_width_pt(t, parts[-1] + block, size) <= width:
            parts[-1] += block
        else:
            parts.append(list(block))
    return parts


def latex_layout(t: Table, fit: str = "auto", width_pt: float = TEXT_WIDTH_PT) -> dict:
    r"""How :func:`table_latex` fits ``t`` into ``width_pt``: ``{"size": k, "parts": [...],
    "resize": bool}`` (``size`` indexes the font sizes normal, ``\small``, ``\footnotesize``).

    ``auto``: the natural size if it fits, else ``\small``, else ``\footnotesize`` (with a
    narrower ``\tabcolsep``), else split the columns (whole column groups) into stacked tabulars
    at ``\small`` that fit, repeating the row names; ``shrink``: the smallest of those sizes
    that fits (``\footnotesize`` at worst), never split; ``split``: split at the natural size;
    ``resize``: natural size, scaled to the line width with ``\resizebox`` when wider (needs
    ``\usepackage{graphicx}``); ``none``: natural size, whatever its width.
    """
    if fit not in LATEX_FITS:
        raise ValueError(f"fit must be one of {', '.join(LATEX_FITS)}; got {fit!r}")
    everything = list(range(len(t.cols)))
    room = width_pt * 0.98
    if fit == "none":
        return {"size": 0, "parts": [everything], "resize": False}
    if fit == "resize":
        return {"size": 0, "parts": [everything], "resize": latex_width_pt(t) > room}
    if fit == "split":
        return {"size": 0, "parts": _split(t, room, 0), "resize": False}
    for size in range(len(_SIZES)):
        if latex_width_pt(t, None, size) <= room:
            return {"size": size, "parts": [everything], "resize": False}
    if fit == "shrink":
        return {"size": len(_SIZES) - 1, "parts": [everything], "resize": False}
    return {"size": 1, "parts": _split(t, room, 1), "resize": False}


def table_latex(
    t: Table, *, fit: str = "auto", width_pt: float = TEXT_WIDTH_PT, float_env: str = "table"
) -> str:
    r"""A booktabs float: ``\textbf`` best, ``\underline`` second, ``$^{a}$`` marks.

    Needs only ``\usepackage{booktabs}`` (``fit="resize"`` also ``graphicx``); column groups use
    ``\multicolumn`` and ``\cmidrule``; LaTeX special characters in names and notes are escaped
    (``<`` as ``$<$``: OT1 fonts print a bare ``<`` as ``¡``). ``fit`` and ``width_pt`` choose
    how a wide table fits the text width (:func:`latex_layout`; 345 pt is the article class's
    ``\textwidth``, use about 505 for a two-column paper's ``table*`` and 241 for one of its
    columns); ``float_env`` is ``table`` or ``table*`` (spanning both columns).
    """
    if float_env not in ("table", "table*"):
        raise ValueError(f"float_env must be 'table' or 'table*'; got {float_env!r}")
    layout = latex_layout(t, fit, width_pt)
    dagger = r"$^\dagger$"
    switch, _, sep = _SIZES[layout["size"]]

    def head(name: str, oracle: bool) -> str:
        return _tex_escape(name) + (dagger if oracle else "")

    def cell(text: str, rank: int, mark: str) -> str:
        body = _tex_escape(text)
        if rank == 1:
            body = rf"\textbf{{{body}}}"
        elif rank == 2:
            body = rf"\underline{{{body}}}"
        return body + (rf"$^{{\mathrm{{{mark}}}}}$" if mark else "")

    def tabular(cols: list[int]) -> list[str]:
        out = [rf"  \begin{{tabular}}{{l{'r' * len(cols)}}}", r"    \toprule"]
        if t.col_groups:
            spans, rules, start, j = [], [], 2, 0
            for group, span in t.col_groups:
                mine = [k for k in range(j, j + span) if k in cols]
                j += span
                if not mine:
                    continue
                n = len(mine)
                spans.append(rf"\multicolumn{{{n}}}{{c}}{{{_tex_escape(group)}}}")
                rules.append(rf"\cmidrule(lr){{{start}-{start + n - 1}}}")
                start += n
            out.append("    " + " & ".join(["", *spans]) + r" \\")
            out.append("    " + " ".join(rules))
        heads = [head(t.cols[j], t.col_oracle[j]) for j in cols]
        out += ["    " + " & ".join([t.corner, *heads]) + r" \\", r"    \midrule"]
        for i, (name, oracle) in enumerate(zip(t.rows, t.row_oracle, strict=True)):
            row = [head(name, oracle)] + [
                cell(t.cells[i][j], t.rank[i][j], t.marks[i][j]) for j in cols
            ]
            out.append("    " + " & ".join(row) + r" \\")
        out += [r"    \bottomrule", r"  \end{tabular}"]
        if layout["resize"]:
            out = [r"  \resizebox{\linewidth}{!}{%", *out, r"  }"]
        return out

    lines = [rf"\begin{{{float_env}}}[htbp]", r"  \centering"]
    if layout["resize"]:
        lines.append(r"  % \resizebox needs \usepackage{graphicx}")
    if switch:
        lines += [rf"  {switch}", rf"  \setlength{{\tabcolsep}}{{{sep:g}pt}}"]
    lines += [rf"  \caption{{{_tex_escape(t.caption)}}}", rf"  \label{{{t.label}}}"]
    for k, cols in enumerate(layout["parts"]):
        if k:
            lines.append(r"  \par\medskip")
        lines += tabular(cols)
    foot = [rf"$^{{\mathrm{{{letter}}}}}$ {_tex_escape(text)}." for letter, text in t.notes]
    if t.oracles:
        foot.append(_oracle_note(t, dagger, lambda m: rf"\texttt{{{_tex_escape(m)}}}"))
    if foot:
        lines.append(r"  \par\smallskip")
        lines += [rf"  {{\footnotesize {note}\par}}" for note in foot]
    lines.append(rf"\end{{{float_env}}}")
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
    """Tidy CSV with columns method, dataset, metric, mean, std (over seeds), n_seeds, and,
    where the summary has them, sd_subjects, ci95_subjects, n_subjects.

    Numbers with 10 significant digits; an empty mean/std means not applicable.
    """
    _require(summary, CSV_COLUMNS, "summary")
    cols = [*CSV_COLUMNS, *(c for c in SPREAD_CSV_COLUMNS if c in summary.columns)]
    out = summary.loc[:, cols]
    if "n_subjects" in out.columns:
        out = out.astype({"n_subjects": "Int64"})
    return out.to_csv(index=False, lineterminator="\n", float_format="%.10g", na_rep="")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() gives a new file under the user's umask


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``; the
    file gets the mode an ordinary new file gets (``0o666`` less the umask; ``mkstemp``'s
    temporary file would be ``0o600``)."""
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
        os.chmod(tmp, _FILE_MODE)
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
