"""Tests of bench.reports.tables: golden files plus targeted checks.

The golden files under ``golden/`` pin the exact output for a small fixture. After an intended
change of the table format, regenerate them with ``python tests/reports/test_tables.py`` and
review the diff before committing.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _latex import compile_tables, needs_pdflatex

from bench.registry import UnknownNameError
from bench.reports.tables import (
    natural_key,
    render_csv,
    render_latex,
    render_markdown,
    summarize,
    write_tables,
)

GOLDEN = Path(__file__).parent / "golden"
ORACLE = frozenset({"brainec_oracle"})
TABLE_METRICS = ("f1", "shd", "auroc")

# (method, dataset) -> metric -> (seed 0, seed 1). granger has no scores (AUROC n/a) and no
# result at all on smith:10 (timed out); brainec_oracle is best everywhere but is an oracle.
# F1 and SHD disagree on smith:2: pc has the best F1, granger the best (lowest) SHD.
FIXTURE = {
    ("pc", "smith:10"): {"f1": (0.40, 0.50), "shd": (12, 14), "auroc": (0.70, 0.74)},
    ("pc", "smith:2"): {"f1": (0.60, 0.70), "shd": (6, 4), "auroc": (0.80, 0.84)},
    ("granger", "smith:2"): {"f1": (0.55, 0.65), "shd": (3, 4), "auroc": (math.nan, math.nan)},
    ("brainec_oracle", "smith:10"): {"f1": (0.85, 0.87), "shd": (2, 3), "auroc": (0.90, 0.92)},
    ("brainec_oracle", "smith:2"): {"f1": (0.90, 0.92), "shd": (1, 2), "auroc": (0.95, 0.97)},
}


def fixture_long() -> pd.DataFrame:
    rows = [
        (method, dataset, seed, metric, float(values[seed]))
        for (method, dataset), metrics in FIXTURE.items()
        for metric, values in metrics.items()
        for seed in (0, 1)
    ]
    return pd.DataFrame(rows, columns=["method", "dataset", "seed", "metric", "value"])


def golden_outputs(outdir: Path) -> dict[str, str]:
    """Every golden file's expected content, produced by the public API."""
    summary = summarize(fixture_long())
    paths = write_tables(summary, outdir, TABLE_METRICS, oracle_methods=ORACLE)
    out = {p.name: p.read_text(encoding="utf-8") for p in paths}
    out["f1_by_dataset.md"] = render_markdown(
        summary, "f1", layout="datasets", oracle_methods=ORACLE
    )
    out["shd_by_dataset.tex"] = render_latex(
        summary, "shd", layout="datasets", oracle_methods=ORACLE
    )
    return out


def assert_golden(name: str, actual: str) -> None:
    expected = (GOLDEN / name).read_text(encoding="utf-8")
    if actual != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(),
                actual.splitlines(),
                fromfile=f"golden/{name}",
                tofile="actual",
                lineterm="",
            )
        )
        pytest.fail(f"{name} differs from its golden file:\n{diff}", pytrace=False)


def md_cells(md: str) -> dict[tuple[str, str], str]:
    """{(row name, column name): cell text} of the first pipe table in ``md``."""
    lines = [ln for ln in md.splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    cells = {}
    for ln in lines[2:]:
        row = [c.strip() for c in ln.strip("|").split("|")]
        for col, value in zip(header[1:], row[1:], strict=True):
            cells[row[0], col] = value
    return cells


# --------------------------------------------------------------------------- golden


def test_golden_files(tmp_path):
    outputs = golden_outputs(tmp_path)
    expected_names = {p.name for p in GOLDEN.iterdir()}
    assert set(outputs) == expected_names
    for name, text in sorted(outputs.items()):
        assert_golden(name, text)


def test_write_tables_paths_and_no_temp_files(tmp_path):
    summary = summarize(fixture_long())
    paths = write_tables(summary, tmp_path / "new" / "dir", ["shd"], oracle_methods=ORACLE)
    assert [p.name for p in paths] == ["shd.md", "shd.tex", "summary.csv"]
    assert sorted(p.name for p in (tmp_path / "new" / "dir").iterdir()) == sorted(
        p.name for p in paths
    )


def test_write_tables_unknown_metric_writes_nothing(tmp_path):
    summary = summarize(fixture_long())
    with pytest.raises(UnknownNameError, match="Did you mean 'shd'"):
        write_tables(summary, tmp_path / "out", ["f1", "shdd"])
    assert not (tmp_path / "out").exists()


def test_write_tables_replaces_existing_files(tmp_path):
    (tmp_path / "f1.md").write_text("stale")
    write_tables(summarize(fixture_long()), tmp_path, ["f1"])
    assert (tmp_path / "f1.md").read_text().startswith("Table: F1")


# --------------------------------------------------------------------------- summarize


def test_summarize_mean_std_population():
    s = summarize(fixture_long())
    row = s[(s.method == "pc") & (s.dataset == "smith:2") & (s.metric == "shd")].iloc[0]
    assert row["mean"] == pytest.approx(5.0)
    assert row["std"] == pytest.approx(1.0)  # sqrt(((6-5)^2 + (4-5)^2) / 2), ddof = 0
    assert row["n_seeds"] == 2 and row["applicable"]


def test_summarize_single_seed_std_zero_and_not_applicable():
    df = pd.DataFrame(
        [
            ("m", "d:1", 0, "f1", 0.5),
            ("m", "d:1", 0, "auroc", np.nan),
            ("m", "d:1", 1, "auroc", None),
        ],
        columns=["method", "dataset", "seed", "metric", "value"],
    )
    s = summarize(df).set_index("metric")
    assert s.loc["f1", "std"] == 0.0 and s.loc["f1", "n_seeds"] == 1
    assert not s.loc["auroc", "applicable"] and s.loc["auroc", "n_seeds"] == 0
    assert math.isnan(s.loc["auroc", "mean"])


def test_summarize_partial_nan_counts_only_valued_seeds():
    df = pd.DataFrame(
        [
            ("m", "d:1", 0, "orientation_accuracy", 0.4),
            ("m", "d:1", 1, "orientation_accuracy", np.nan),
            ("m", "d:1", 2, "orientation_accuracy", 0.8),
            ("m", "d:2", 0, "orientation_accuracy", 1.0),
        ],
        columns=["method", "dataset", "seed", "metric", "value"],
    )
    s = summarize(df)
    assert s["mean"].tolist() == pytest.approx([0.6, 1.0])
    assert s["n_seeds"].tolist() == [2, 1]
    md = render_markdown(s, "orientation_accuracy")
    assert "mean ± SD over 1–2 seeds (population SD)" in md.splitlines()[0]


def test_summarize_order_methods_first_seen_datasets_natural():
    s = summarize(fixture_long())
    assert list(dict.fromkeys(s["method"])) == ["pc", "granger", "brainec_oracle"]
    pc = s[s.method == "pc"]
    assert list(dict.fromkeys(pc["dataset"])) == ["smith:2", "smith:10"]
    assert list(pc[pc.dataset == "smith:2"]["metric"]) == ["f1", "shd", "auroc"]  # registry order


def test_summarize_rejects_duplicates_and_missing_columns():
    df = fixture_long()
    with pytest.raises(ValueError, match="repeated row for method='pc'"):
        summarize(pd.concat([df, df.iloc[:1]]))
    with pytest.raises(ValueError, match="lacks column"):
        summarize(df.drop(columns="seed"))


def test_natural_key():
    names = ["smith:10", "smith:2", "sanchez:macaque", "smith:1"]
    assert sorted(names, key=natural_key) == ["sanchez:macaque", "smith:1", "smith:2", "smith:10"]


# --------------------------------------------------------------------------- rendering


def test_best_marking_follows_metric_direction():
    s = summarize(fixture_long())
    f1 = md_cells(render_markdown(s, "f1", layout="methods", oracle_methods=ORACLE))
    shd = md_cells(render_markdown(s, "shd", layout="methods", oracle_methods=ORACLE))
    # smith:2: F1 higher is better -> pc (0.650 > 0.600); SHD lower is better -> granger.
    assert f1["pc", "smith:2"] == "**0.650 ± 0.050**"
    assert f1["granger", "smith:2"] == "*0.600 ± 0.050*"  # second best: italics
    assert shd["granger", "smith:2"] == "**3.5 ± 0.5**"
    assert shd["pc", "smith:2"] == "*5.0 ± 1.0*"
    # the oracle is best on both but never marked
    assert f1["brainec_oracle†", "smith:2"] == "0.910 ± 0.010"
    assert shd["brainec_oracle†", "smith:2"] == "1.5 ± 0.5"


def test_oracle_is_marked_best_when_not_declared_oracle():
    s = summarize(fixture_long())
    f1 = md_cells(render_markdown(s, "f1", layout="methods"))
    assert f1["brainec_oracle", "smith:2"] == "**0.910 ± 0.010**"
    assert f1["pc", "smith:2"] == "*0.650 ± 0.050*"
    assert "oracle:" not in render_markdown(s, "f1")


def test_best_per_row_in_datasets_layout():
    s = summarize(fixture_long())
    shd = md_cells(render_markdown(s, "shd", layout="datasets", oracle_methods=ORACLE))
    assert shd["smith:2", "granger"] == "**3.5 ± 0.5**"
    assert shd["smith:10", "pc"] == "**13.0 ± 1.0**"


def test_ties_at_printed_precision_are_all_bold():
    df = pd.DataFrame(
        [("a", "d:1", 0, "f1", 0.8121), ("b", "d:1", 0, "f1", 0.8119), ("c", "d:1", 0, "f1", 0.5)],
        columns=["method", "dataset", "seed", "metric", "value"],
    )
    cells = md_cells(render_markdown(summarize(df), "f1", layout="methods"))
    assert cells["a", "d:1"] == cells["b", "d:1"] == "**0.812 ± 0.000**"
    assert cells["c", "d:1"] == "*0.500 ± 0.000*"  # the next distinct value is second


def test_not_applicable_and_missing_cells():
    s = summarize(fixture_long())
    auroc = md_cells(render_markdown(s, "auroc", layout="methods", oracle_methods=ORACLE))
    assert auroc["granger", "smith:2"] == "n/a"
    assert auroc["granger", "smith:10"] == "–"
    assert auroc["pc", "smith:2"] == "**0.820 ± 0.020**"
    tex = render_latex(s, "auroc", layout="methods", oracle_methods=ORACLE)
    assert r"granger & n/a & -- \\" in tex


def test_unranked_metric_marks_nothing():
    df = pd.DataFrame(
        [("a", "d:1", 0, "n_pred", 3.0), ("b", "d:1", 0, "n_pred", 5.0)],
        columns=["method", "dataset", "seed", "metric", "value"],
    )
    md = render_markdown(summarize(df), "n_pred")
    assert "**" not in md
    assert "in bold" not in md


def test_caption_when_nothing_is_applicable():
    df = pd.DataFrame(
        [("a", "d:1", 0, "auroc", np.nan), ("b", "d:1", 0, "auroc", np.nan)],
        columns=["method", "dataset", "seed", "metric", "value"],
    )
    md = render_markdown(summarize(df), "auroc", oracle_methods={"a", "b"})
    assert md.splitlines()[0] == "Table: AUROC (higher is better): no applicable results."
    assert "`a`, `b` look at the ground truth to pick their results" in md
    assert md_cells(md) == {("a†", "d:1"): "n/a", ("b†", "d:1"): "n/a"}


def test_auto_layout_picks_fewer_columns():
    s = summarize(fixture_long())  # 3 methods, 2 datasets -> methods as rows
    assert "| Method | smith:2 | smith:10 |" in render_markdown(s, "f1")
    three = pd.DataFrame(
        [(m, f"d:{k}", 0, "f1", 0.5) for m in ("a", "b") for k in (1, 2, 3)],
        columns=["method", "dataset", "seed", "metric", "value"],
    )
    assert "| Dataset | a | b |" in render_markdown(summarize(three), "f1")
    tie = three[three.dataset != "d:3"]
    assert "| Method | d:1 | d:2 |" in render_markdown(summarize(tie), "f1")


def test_bad_metric_and_layout():
    s = summarize(fixture_long())
    with pytest.raises(UnknownNameError, match="unknown metric 'F1'"):
        render_markdown(s, "F1")
    with pytest.raises(ValueError, match="layout must be"):
        render_latex(s, "f1", layout="rows")  # type: ignore[arg-type]


def test_latex_escapes_and_structure():
    s = summarize(fixture_long())
    tex = render_latex(s, "f1", oracle_methods=ORACLE)
    assert r"brainec\_oracle$^\dagger$" in tex
    assert r"\textbf{0.650 $\pm$ 0.050}" in tex
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert tex.count("{") == tex.count("}")
    assert "_" not in tex.replace(r"\_", "")
    assert "±" not in tex and "–" not in tex and "†" not in tex


def test_render_csv_columns():
    csv = render_csv(summarize(fixture_long()))
    lines = csv.splitlines()
    assert lines[0] == "method,dataset,metric,mean,std,n_seeds"
    assert "granger,smith:2,auroc,,,0" in lines
    assert "pc,smith:2,shd,5,1,2" in lines


@needs_pdflatex
def test_latex_compiles(tmp_path):
    s = summarize(fixture_long())
    body = "\n".join(
        render_latex(s, m, layout=lay, oracle_methods=ORACLE)
        for m in TABLE_METRICS
        for lay in ("methods", "datasets")
    )
    compile_tables(body, tmp_path)


def _regenerate() -> None:
    """Rewrite the golden files from the current code (review the diff afterwards)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        outputs = golden_outputs(Path(tmp))
    GOLDEN.mkdir(exist_ok=True)
    for stale in GOLDEN.iterdir():
        if stale.name not in outputs:
            stale.unlink()
    for name, text in outputs.items():
        (GOLDEN / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {GOLDEN / name}")


if __name__ == "__main__":
    _regenerate()
