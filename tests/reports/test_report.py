"""Tests of bench.reports.report on the in-memory fixture of ``_report_data`` (no MLflow).

Golden files under ``golden_report/`` pin every format (Markdown, LaTeX, CSV, HTML) of the new
layouts, footnotes, the oracle tables and the statistics tables. After an intended change,
regenerate them with ``python tests/reports/test_report.py`` and review the diff.
"""

from __future__ import annotations

import difflib
import re
import shutil
from pathlib import Path

import _report_data as R
import numpy as np
import pandas as pd
import pytest
from _latex import compile_tables, needs_pdflatex

from bench.reports.report import (
    ReportOptions,
    build_report,
    cell_notes,
    select_units,
)
from bench.reports.tables import build_table, summarize, table_latex, table_markdown
from bench.types import BenchError

GOLDEN = Path(__file__).parent / "golden_report"
METRICS = ["f1", "shd", "auroc"]


def golden_outputs(out: Path) -> dict[str, str]:
    """Every golden file's expected content, produced by :func:`build_report`."""
    src = R.build()
    units = select_units(src.units)
    files: dict[str, str] = {}
    runs = [
        ("grouped", ReportOptions(metrics=METRICS, layout="grouped", title="fixture")),
        ("metrics", ReportOptions(metrics=METRICS, layout="metrics", formats=["md", "tex"])),
        ("methods", ReportOptions(metrics=["f1"], stats=True, formats=["md", "tex", "csv"])),
    ]
    for name, options in runs:
        res = build_report(src, units, options, out / name)
        for path in res.files:
            rel = path.relative_to(out / name).as_posix()
            files[f"{name}/{rel}"] = path.read_text(encoding="utf-8")
    return files


def assert_golden(name: str, actual: str) -> None:
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    if actual != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), actual.splitlines(), f"golden/{name}", "actual", lineterm=""
            )
        )
        pytest.fail(f"{name} differs from its golden file:\n{diff}", pytrace=False)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, str]:
    return golden_outputs(tmp_path_factory.mktemp("report"))


def test_golden_files(outputs):
    expected = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*") if p.is_file()}
    assert set(outputs) == expected
    for name, text in sorted(outputs.items()):
        assert_golden(name, text)


def _second(cell: str) -> bool:
    """A second-best Markdown cell: in italics (``*…*``), not bold."""
    return cell.startswith("*") and not cell.startswith("**")


def md_cells(md: str) -> dict[tuple[str, str], str]:
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return {
        (row[0], col): value
        for ln in lines[2:]
        for row in [[c.strip() for c in ln.strip("|").split("|")]]
        for col, value in zip(header[1:], row[1:], strict=True)
    }


# --------------------------------------------------------------------------- footnotes


def test_notes_count_statuses_seeds_and_failed_runs():
    src = R.build()
    notes = cell_notes(src.units, src.per_subject(list(src.units["run_id"])))
    assert notes["gamma", "toy:1"] == "timeout: 2 of 12 fits; mean over the other 10, not ranked"
    assert notes["gamma", "toy:3"] == "failed: 12 of 12 fits"
    assert notes["beta", "toy:2"] == "no tracked run for seed 1"
    assert notes["omega", "toy:2"] == "no tracked run"
    assert ("alpha", "toy:1") not in notes and ("beta", "toy:1") not in notes


def test_notes_count_a_deterministic_methods_fits_once():
    src = R.build()
    units = src.units.copy()
    units.loc[units["method"] == "gamma", "reused"] = True  # as if gamma were deterministic
    notes = cell_notes(units, src.per_subject(list(units["run_id"])))
    assert notes["gamma", "toy:1"] == "timeout: 1 of 6 fits; mean over the other 5, not ranked"


def test_notes_without_per_subject_rows_use_the_run_counts():
    src = R.build()
    notes = cell_notes(src.units, pd.DataFrame(columns=["run_id", "subject", "status"]))
    assert (
        notes["gamma", "toy:1"]
        == "2 of 12 fits did not succeed; mean over the other 10, not ranked"
    )
    assert notes["gamma", "toy:3"] == "12 of 12 fits did not succeed"


def test_missing_and_partial_cells_carry_their_marker(outputs):
    md = outputs["methods/f1.md"]
    cells = md_cells(md)
    assert cells["gamma", "toy:3"] == "–ᶜ"
    assert cells["gamma", "toy:1"].endswith("ᵇ") and cells["gamma", "toy:1"].startswith("0.")
    assert "ᶜ failed: 12 of 12 fits." in md
    tex = outputs["methods/f1.tex"]
    assert r"--$^{\mathrm{c}}$" in tex
    assert r"{\footnotesize $^{\mathrm{c}}$ failed: 12 of 12 fits.\par}" in tex


def test_run_notes_from_the_runners_per_subject_frame():
    from bench.reports.report import run_notes

    rows = []
    for seed in (0, 1):
        for sub, status in (("sub01", "ok"), ("sub02", "timeout"), ("sub03", "ok")):
            rows.append(("pc", "smith:1", seed, sub, status, "", True))  # deterministic
            rows.append(
                ("rnd", "smith:1", seed, sub, "failed" if sub == "sub03" else "ok", "", False)
            )
        rows.append(("pc", "smith:1", seed, "sub04", "missing", "sub04.npy: checksum", None))
    ps = pd.DataFrame(
        rows,
        columns=["method", "dataset", "seed", "subject", "status", "error", "reused_across_seeds"],
    )
    notes = run_notes(ps)
    assert notes["pc", "smith:1"] == (
        "timeout: 1 of 3 fits; mean over the other 2, not ranked; no data for 1 subject"
    )
    assert notes["rnd", "smith:1"] == "failed: 2 of 6 fits; mean over the other 4, not ranked"


# --------------------------------------------------------------------------- layouts


def test_best_and_second_by_direction_in_grouped_layout(outputs):
    cells = md_cells(outputs["grouped/grouped.md"])
    # F1 (higher): alpha best, beta second; SHD (lower): beta best, alpha second
    assert cells["alpha", "toy:1 / F1 ↑"].startswith("**")
    assert _second(cells["beta", "toy:1 / F1 ↑"])
    assert cells["beta", "toy:1 / SHD ↓"].startswith("**")
    assert _second(cells["alpha", "toy:1 / SHD ↓"])
    assert cells["gamma", "toy:1 / AUROC ↑"] == "n/aᵇ"
    tex = outputs["grouped/grouped.tex"]
    assert r"\multicolumn{3}{c}{toy:1}" in tex and r"\cmidrule(lr){2-4}" in tex
    assert r"\underline{" in tex and r"F1 $\uparrow$" in tex and r"SHD $\downarrow$" in tex


def test_metrics_layout_ranks_per_metric_column(outputs):
    cells = md_cells(outputs["metrics/metrics_toy_2.md"])
    assert list(dict.fromkeys(r for r, _ in cells)) == ["alpha", "beta", "gamma"]
    assert cells["alpha", "F1 ↑"].startswith("**")
    assert cells["beta", "SHD ↓"].startswith("**")
    assert cells["beta", "AUROC ↑"].startswith("**")
    assert _second(cells["alpha", "AUROC ↑"])


def test_oracles_are_never_in_honest_tables(outputs):
    for name, text in outputs.items():
        honest = not name.split("/", 1)[1].startswith("oracle/")
        if name.endswith((".md", ".tex")) and honest:
            assert "omega" not in text, name
            assert "oracle best epoch" not in text, name
    oracle = outputs["grouped/oracle/grouped.md"]
    assert oracle.startswith("Table: Oracle protocol")
    assert "**" not in oracle and not re.search(r"\| \*[0-9]", oracle)  # nothing marked best
    cells = md_cells(oracle)
    assert cells["omega", "toy:1 / F1 ↑"] == "0.907 ± 0.038"  # ± SD over the 6 subjects
    assert cells["beta (oracle best epoch)", "toy:1 / F1 ↑"] == "0.706 ± 0.038"
    summary = outputs["grouped/summary.csv"]
    assert "omega" not in summary and "oracle_best" not in summary
    assert "omega" in outputs["grouped/oracle/summary.csv"]


def test_build_table_argument_errors():
    s = summarize(R.build().long)
    with pytest.raises(ValueError, match="needs a dataset"):
        build_table(s, layout="metrics", metrics=["f1"])
    with pytest.raises(ValueError, match="needs a list of metrics"):
        build_table(s, layout="grouped")
    with pytest.raises(ValueError, match="not in the summary"):
        build_table(s, layout="metrics", metrics=["f1"], dataset="toy:9")
    with pytest.raises(ValueError, match="layout must be one of"):
        build_table(s, layout="wide", metric="f1")  # type: ignore[arg-type]


def test_footnote_letters_skip_q_and_go_on_after_z():
    from bench.reports.tables import note_marker, superscript

    letters = [note_marker(k) for k in range(27)]
    assert "q" not in letters and letters[:3] == ["a", "b", "c"]
    assert letters[24] == "z" and letters[25] == "aa" and letters[26] == "ab"
    assert superscript("ab") == "ᵃᵇ"


# --------------------------------------------------------------------------- selection


def test_select_units_filters_and_errors():
    units = R.build().units
    u = select_units(units, methods="a*,gamma", datasets="toy:1-2", seeds=[0])
    assert set(u["method"]) == {"alpha", "gamma"}
    assert set(u["dataset"]) == {"toy:1", "toy:2"} and set(u["seed"]) == {0}
    assert set(select_units(units, datasets="toy:1,3")["dataset"]) == {"toy:1", "toy:3"}
    assert set(select_units(units, datasets="toy")["dataset"]) == set(R.DATASETS)
    with pytest.raises(BenchError, match="Did you mean 'gamma'"):
        select_units(units, methods="gamam")
    with pytest.raises(BenchError, match=r"seed\(s\) \[7\]"):
        select_units(units, seeds=[7])


def test_report_errors_on_bad_options(tmp_path):
    src = R.build()
    units = select_units(src.units)
    with pytest.raises(BenchError, match="--format"):
        build_report(src, units, ReportOptions(metrics=["f1"], formats=["pdf"]), tmp_path)
    from bench.registry import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'shd'"):
        build_report(src, units, ReportOptions(metrics=["shdd"]), tmp_path)
    failed = select_units(src.units, methods="gamma", datasets="toy:3")
    with pytest.raises(BenchError, match="no successful fit.*failed: 12 of 12"):
        build_report(src, failed, ReportOptions(metrics=["f1"]), tmp_path)
    assert not any(tmp_path.iterdir())


# --------------------------------------------------------------------------- statistics


def test_wilcoxon_table_against_scipy(tmp_path):
    from scipy.stats import wilcoxon

    src = R.build()
    res = build_report(
        src,
        select_units(src.units),
        ReportOptions(metrics=["f1"], stats=True, formats=["csv"]),
        tmp_path,
    )
    w = pd.read_csv(tmp_path / "stats" / "wilcoxon.csv")
    row = w[(w["dataset"] == "toy:1") & (w["method"] == "beta")].iloc[0]
    assert row["best"] == "alpha" and row["n_pairs"] == 6
    ps = src.per_subject(list(src.units["run_id"])).merge(src.units, on="run_id")
    per = ps[ps["dataset"] == "toy:1"].groupby(["method", "subject"])["f1"].mean()
    p = wilcoxon(per["beta"].to_numpy() - per["alpha"].to_numpy()).pvalue
    assert row["p"] == pytest.approx(p)
    assert [f.name for f in res.figures] == ["cd_f1"]


# --------------------------------------------------------------------------- figures and html


def test_figures_html_and_run_ids(tmp_path):
    src = R.build()
    units = select_units(src.units, methods="alpha,gamma", datasets="toy:1")
    # gamma has no estimate for s2 (it timed out there): it falls back to s1, with a note
    opts = ReportOptions(metrics=["f1"], figures=True, figure_subject="s2", formats=["html"])
    res = build_report(src, units, opts, tmp_path)
    names = {f.name: f for f in res.figures}
    assert set(names) == {
        "ec_alpha_toy:1_s2_seed0",
        "network_alpha_toy:1_s2_seed0",
        "ec_gamma_toy:1_s1_seed0",
        "network_gamma_toy:1_s1_seed0",
        "prroc_toy:1",  # alpha only: gamma has no scores
        "box_f1",
        "runtime",
    }
    assert any("gamma on toy:1: no estimate for subject 's2'" in m for m in res.messages)
    assert names["ec_alpha_toy:1_s2_seed0"].run_id == "alpha-toy:1-0"  # logged to its own run
    assert names["box_f1"].run_id is None  # several runs: the report run
    for f in res.figures:
        assert [p.suffix for p in f.paths] == [".png", ".pdf"]
        assert f.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f.paths[1].read_bytes()[:5] == b"%PDF-"
    page = (tmp_path / "index.html").read_text()
    assert page.count('src="data:image/png;base64,') == len(res.figures)
    assert "<script" not in page and "http" not in page.split("<body>")[1]
    assert "<sup>a</sup> timeout: 2 of 12 fits" in page


def test_missing_truth_skips_figures_with_a_note(tmp_path):
    src = R.build()
    src._truths = {}
    units = select_units(src.units, methods="alpha", datasets="toy:1")
    opts = ReportOptions(metrics=["f1"], figures=True, formats=[])
    res = build_report(src, units, opts, tmp_path)
    assert any("skipped (needs the truth)" in m for m in res.messages)
    assert not any(f.name.startswith(("ec_", "network_", "prroc_")) for f in res.figures)
    assert {"box_f1", "runtime"} <= {f.name for f in res.figures}


@needs_pdflatex
def test_report_latex_compiles(outputs, tmp_path):
    body = "\n".join(text for name, text in sorted(outputs.items()) if name.endswith(".tex"))
    s = summarize(R.build().long)
    body += table_latex(
        build_table(
            s,
            layout="grouped",
            metrics=["f1", "shd"],
            notes={("alpha", "toy:1"): "a_b & 50% #1 {x} ~ ^"},
        )
    )
    log = compile_tables(body, tmp_path)
    assert re.search(r"Output written on t\.pdf \((\d+) pages?", log)


def test_markdown_notes_are_escaped_and_numbers_stay_numbers():
    s = summarize(R.build().long)
    md = table_markdown(build_table(s, metric="f1", notes={("alpha", "toy:1"): "x | y"}))
    assert "ᵃ x | y." in md  # notes are outside the table, so a pipe is harmless
    assert np.isclose(float(md_cells(md)["alpha", "toy:2"].strip("*").split()[0]), 0.601)


def _regenerate() -> None:
    """Rewrite the golden files from the current code (review the diff afterwards)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        outputs = golden_outputs(Path(tmp))
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for name, text in outputs.items():
        path = GOLDEN / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    _regenerate()


def test_empty_estimates_are_footnoted_in_precision_tables_only(tmp_path):
    """Precision of an empty estimate counts as 0 by convention: the tables say where."""
    from bench.aggregate import subject_means
    from bench.reports.report import run_source

    rows = []
    for sub, n_pred in (("sub01", 0.0), ("sub02", 2.0), ("sub03", 3.0)):
        prec = 0.0 if n_pred == 0 else 0.5
        rows.append(
            {"method": "pc", "dataset": "smith:1", "seed": 0, "subject": sub, "status": "ok",
             "error": "", "reused_across_seeds": True, "wall_time_s": 0.1,
             "precision": prec, "f1": prec, "auroc": 0.6, "n_pred": n_pred, "n_true": 2.0}
        )  # fmt: skip
    ps = pd.DataFrame(rows)
    source, units = run_source(ps, subject_means(ps))
    assert list(units["n_empty"]) == [1.0]
    out = build_report(
        source, units, ReportOptions(metrics=["precision", "f1", "auroc"], formats=["md"]),
        tmp_path,
    )  # fmt: skip
    text = {p.stem: p.read_text() for p in out.files}
    note = "1 of 3 fits decided no edge: their precision counts as 0 by convention"
    assert note in text["precision"] and note in text["f1"]
    assert note not in text["auroc"]


def _ps_rows(method: str, label: str | None, values: list[float]) -> list[dict]:
    rows = []
    for k, v in enumerate(values):
        row = {"method": method, "dataset": "smith:1", "seed": 0, "subject": f"sub{k + 1:02d}",
               "status": "ok", "error": "", "reused_across_seeds": False, "wall_time_s": 0.1,
               "f1": v, "n_pred": 2.0, "n_true": 2.0}  # fmt: skip
        if label is not None:
            row["label"] = label
        rows.append(row)
    return rows


def test_method_labels_name_the_configuration_and_undirected_output_is_footnoted(tmp_path):
    """A unit's label (what the fit recorded) replaces the method name in every table and in
    the figures' legends; a method registered with orients=False carries the undirected note."""
    from bench.aggregate import subject_means
    from bench.reports.report import UNDIRECTED_NOTE, method_labels, run_source

    label = "BrainEC-LLM (SmolLM2-135M ×4, 8 ep.)"
    ps = pd.DataFrame(
        _ps_rows("brainec-llm", label, [0.4, 0.5])
        + _ps_rows("correlation", None, [0.3, 0.2])
        + _ps_rows("pc", "pc", [0.6, 0.7])
    )
    source, units = run_source(ps, subject_means(ps))
    assert method_labels(units) == {"brainec-llm": label}
    opts = ReportOptions(metrics=["f1"], formats=["md", "tex"], stats=True)
    out = build_report(source, units, opts, tmp_path)
    md = (tmp_path / "f1.md").read_text()
    assert f"| {label} |" in md and "| brainec-llm |" not in md
    assert "| pc |" in md
    corr = next(line for line in md.splitlines() if line.startswith("| correlation |"))
    letter = corr.rstrip(" |")[-1]  # the footnote mark at the end of the cell
    assert f"{letter} {UNDIRECTED_NOTE}" in md
    assert r"BrainEC-LLM (SmolLM2-135M $\times$4, 8 ep.)" in (tmp_path / "f1.tex").read_text()
    wilcoxon = (tmp_path / "stats" / "wilcoxon_f1.md").read_text()
    assert label in wilcoxon and "brainec-llm" not in wilcoxon
    assert out.printed_tables and label in out.printed_tables[0].rows
