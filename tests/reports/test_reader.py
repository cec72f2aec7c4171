"""What a reader sees: the spread behind ±, incomplete cells never marked best, rendering-neutral
Markdown marks, LaTeX that compiles and fits the page, the terminal tables, the HTML page's
navigation and one colour per method."""

from __future__ import annotations

import math
import re
import shutil
import subprocess

import _report_data as R
import numpy as np
import pandas as pd
import pytest
from _latex import needs_pdflatex

from bench.aggregate import seed_means_long, subject_spread
from bench.reports.report import ReportOptions, build_report, select_units
from bench.reports.tables import (
    build_table,
    latex_layout,
    latex_width_pt,
    summarize,
    table_latex,
    table_markdown,
    table_terminal,
)

METRICS = ["f1", "shd", "auroc"]


def _long(rows):
    return pd.DataFrame(rows, columns=["method", "dataset", "seed", "metric", "value"])


# --------------------------------------------------------------------------- spread


def test_subject_spread_is_the_sample_sd_and_t_interval_of_subject_means():
    from scipy import stats

    rows = []
    for seed, shift in ((0, 0.0), (1, 0.02)):
        for k, x in enumerate([0.5, 0.6, 0.8, 0.7]):
            rows.append(("m", "d", seed, f"s{k}", "ok", x + shift))
    ps = pd.DataFrame(rows, columns=["method", "dataset", "seed", "subject", "status", "f1"])
    values = seed_means_long(ps)
    x = np.array([0.51, 0.61, 0.81, 0.71])  # each subject's mean over the seeds
    assert sorted(values["value"]) == pytest.approx(sorted(x))
    out = subject_spread(values).iloc[0]
    assert out["sd_subjects"] == pytest.approx(x.std(ddof=1))
    half = stats.t.ppf(0.975, 3) * x.std(ddof=1) / 2
    assert out["ci95_subjects"] == pytest.approx(half)
    assert out["n_subjects"] == 4
    one = subject_spread(values[values["subject"] == "s0"]).iloc[0]
    assert math.isnan(one["sd_subjects"]) and one["n_subjects"] == 1


def test_default_spread_is_over_subjects_and_the_caption_says_so(tmp_path):
    src = R.build()
    res = build_report(
        src, select_units(src.units), ReportOptions(metrics=["f1"], formats=["md"]), tmp_path
    )
    md = (tmp_path / "f1.md").read_text()
    assert "mean ± SD over 5–6 subjects (of each subject's mean over 1–2 seeds)" in md
    # alpha is deterministic: the SD over seeds is 0, the SD over subjects is not
    cell = md_cell(md, "alpha", "toy:1")
    assert cell.startswith("**0.651 ± ") and "± 0.000" not in cell
    ps = src.per_subject(list(src.units["run_id"])).merge(src.units, on="run_id")
    per = ps[(ps["method_x"] if "method_x" in ps else ps["method"]) == "alpha"]
    x = per[per["dataset"] == "toy:1"].groupby("subject")["f1"].mean()
    assert cell == f"**0.651 ± {x.std(ddof=1):.3f}**"
    assert res.printed_tables and res.printed_tables[0].label == "tab:f1"
    seeds = build_report(
        src, select_units(src.units), ReportOptions(metrics=["f1"], spread="seeds"), tmp_path
    )
    assert "± 0.000" in seeds.printed[0] and "(population SD)" in seeds.printed[0]


def md_cell(md: str, row: str, col: str) -> str:
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip("|").split("|")]
        if cells[0] == row:
            return cells[header.index(col)]
    raise KeyError(row)


# --------------------------------------------------------------------------- marks


def test_an_incomplete_cell_is_never_marked_best():
    long = _long(
        [
            ("full", "d:1", 0, "f1", 0.5),
            ("partial", "d:1", 0, "f1", 0.9),
            ("low", "d:1", 0, "f1", 0.1),
        ]
    )
    notes = {("partial", "d:1"): "timeout: 40 of 50 fits; mean over the other 10, not ranked"}
    t = build_table(summarize(long), metric="f1", layout="methods", notes=notes,
                    unranked={("partial", "d:1")})  # fmt: skip
    md = table_markdown(t)
    assert md_cell(md, "partial", "d:1") == "0.900 ± 0.000ᵃ"  # value kept, footnoted
    assert md_cell(md, "full", "d:1") == "**0.500 ± 0.000**"
    assert md_cell(md, "low", "d:1") == "*0.100 ± 0.000*"
    assert "not ranked" in md


def test_report_leaves_partial_cells_unranked(tmp_path):
    src = R.build()
    # make gamma the best on toy:1, where 2 of its 12 fits timed out
    ps = src._per_subject
    ps.loc[ps["run_id"].str.startswith("gamma-toy:1"), "f1"] = 0.99
    long = src.long
    long.loc[(long["method"] == "gamma") & (long["dataset"] == "toy:1") & (long["metric"] == "f1"),
             "value"] = 0.99  # fmt: skip
    res = build_report(src, select_units(src.units), ReportOptions(metrics=["f1"]), tmp_path)
    md = (tmp_path / "f1.md").read_text()
    assert md_cell(md, "gamma", "toy:1").startswith("0.990")
    assert md_cell(md, "alpha", "toy:1").startswith("**")
    assert res.printed_tables


def test_markdown_marks_render_everywhere():
    s = summarize(R.build().long)
    md = table_markdown(build_table(s, metric="f1"))
    assert "<u>" not in md and "second in italics" in md and "underlined" not in md
    tex = table_latex(build_table(s, metric="f1"))
    assert r"\underline{" in tex and "second underlined" in tex


# --------------------------------------------------------------------------- latex


def test_latex_escapes_less_than_and_bars():
    s = summarize(R.build().long)
    t = build_table(s, metric="f1", notes={("alpha", "toy:1"): "p < 0.001 | x > y"})
    tex = table_latex(t)
    assert "p $<$ 0.001 \\textbar{} x $>$ y" in tex
    body = tex.split("\\caption")[1]
    assert "<" not in body.replace("$<$", "") and ">" not in body.replace("$>$", "")


def test_wide_latex_tables_fit_the_text_width():
    src = R.build()
    s = summarize(src.long)
    datasets = [f"toy:{k}" for k in range(1, 4)]
    t = build_table(s[s["dataset"].isin(datasets)], layout="grouped", metrics=METRICS)
    natural = latex_width_pt(t)
    assert natural > 345  # 3 datasets x 3 metrics: too wide for the article class
    auto = latex_layout(t)
    assert all(latex_width_pt(t, cols, auto["size"]) <= 345 for cols in auto["parts"])
    assert sorted(j for cols in auto["parts"] for j in cols) == list(range(len(t.cols)))
    wide = latex_layout(t, width_pt=2000)
    assert wide == {"size": 0, "parts": [list(range(9))], "resize": False}
    resize = table_latex(t, fit="resize")
    assert "\\resizebox{\\linewidth}{!}{%" in resize and "graphicx" in resize
    star = table_latex(t, float_env="table*")
    assert star.startswith("\\begin{table*}") and star.rstrip().endswith("\\end{table*}")
    with pytest.raises(ValueError, match="fit must be one of"):
        latex_layout(t, "wider")


@needs_pdflatex
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext not installed")
def test_every_generated_tex_compiles_fits_and_reads_like_the_markdown(tmp_path):
    """Every ``.tex`` of a full report compiles with only booktabs, overfills no line of the
    article class's text width, and its text (pdftotext) has every number and footnote that the
    Markdown table has, with no ``¡`` (a bare ``<``)."""
    src = R.build()
    out = tmp_path / "rep"
    opts = ReportOptions(metrics=METRICS, layout="grouped", stats=True, formats=["md", "tex"])
    build_report(src, select_units(src.units), opts, out)
    for layout in ("methods", "metrics"):
        o = ReportOptions(metrics=METRICS, layout=layout, formats=["md", "tex"])
        build_report(src, select_units(src.units), o, out / layout)
    texs = sorted(out.rglob("*.tex"))
    assert len(texs) >= 10
    for tex in texs:
        folder = (
            tmp_path / "tex" / tex.relative_to(out).with_suffix("").as_posix().replace("/", "_")
        )
        folder.mkdir(parents=True)
        doc = "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
        (folder / "t.tex").write_text(doc + tex.read_text() + "\\end{document}\n")
        proc = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
            cwd=folder, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert proc.returncode == 0, (tex, proc.stdout[-2000:])
        log = (folder / "t.log").read_text(errors="replace")
        assert "Missing character" not in log, tex
        assert "Overfull \\hbox" not in log, (tex, re.findall(r"Overfull \\hbox.*", log))
        subprocess.run(["pdftotext", "-layout", "t.pdf", "t.txt"], cwd=folder, check=True)
        text = (folder / "t.txt").read_text()
        flat = " ".join(text.split())
        assert "¡" not in text and "¿" not in text, tex
        md = tex.with_suffix(".md").read_text()
        for number in re.findall(r"\d+\.\d+", md):
            assert number in flat, (tex, number)
        for note in re.findall(r"^\S (.+)\.$", md, flags=re.M):
            assert " ".join(note.split())[:40] in flat.replace("--", "–"), (tex, note)


# --------------------------------------------------------------------------- terminal


def test_terminal_tables_are_drawn_to_the_width():
    s = summarize(R.build().long)
    t = build_table(s, layout="grouped", metrics=METRICS)
    plain = table_terminal(t, 80, styled=False)
    assert "**" not in plain and "<u>" not in plain and "|" not in plain
    assert max(len(line) for line in plain.splitlines()) <= 80
    assert plain.count("Method") == 3  # split by dataset: one table per column group
    assert "▲" in plain and "△" in plain and "best per column ▲" in plain
    wide = table_terminal(t, 250, styled=False)
    assert wide.count("Method") == 1
    styled = table_terminal(t, 250, styled=True)
    assert "\x1b[1m" in styled  # bold best


# --------------------------------------------------------------------------- html, figures


def test_html_has_contents_grid_and_full_bottom_rule(tmp_path):
    src = R.build()
    units = select_units(src.units, methods="alpha,beta", datasets="toy:1")
    opts = ReportOptions(metrics=["f1"], figures=True, stats=True, formats=["html"])
    build_report(src, units, opts, tmp_path)
    page = (tmp_path / "index.html").read_text()
    assert '<nav class="toc">' in page and '<a href="#s1">Results</a>' in page
    assert page.count("<details>") == 2  # EC matrices and graphs, folded
    assert 'class="grid"' in page
    assert "tbody tr:last-child th" in page
    assert ".wrap { overflow-x: auto" in page


def test_one_colour_per_method_across_figures():
    from bench.reports import figures as figs

    colours = figs.method_colours(["pc", "granger", "random"])
    a = figs.boxplot_figure({"d": {"granger": [0.1, 0.2]}}, metric_label="F1", colours=colours)
    b = figs.runtime_figure({"random": [(5, 1.0)], "granger": [(5, 2.0)]}, colours=colours)
    box = [p.get_facecolor() for p in a.axes[0].patches]
    lines = {
        ln.get_label(): ln.get_color() for ln in b.axes[0].get_lines() if ln.get_label()[0] != "_"
    }
    from matplotlib.colors import to_hex

    assert to_hex(box[0], keep_alpha=False) == colours["granger"]
    assert lines["granger"] == colours["granger"] and lines["random"] == colours["random"]


def test_pngs_are_saved_for_slides(tmp_path):
    import struct

    from bench.reports import figures as figs

    paths = figs.save_figure(figs.network_figure(np.eye(3), np.eye(3)), tmp_path / "n")
    width, height = struct.unpack(">II", paths[0].read_bytes()[16:24])
    assert width >= 5.2 * 150 and height >= 5.2 * 150  # >= 150 dpi
    assert paths[1].read_bytes()[:5] == b"%PDF-"
