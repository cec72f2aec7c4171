"""Threshold optimism: own F1, oracle max F1 and their gap, per subject through the one
aggregation, written by bench run and by bench report --optimism, labelled as oracle."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bench
from bench.reports.optimism import optimism_frame, optimism_summary, write_optimism


def _frame() -> pd.DataFrame:
    rows = []
    values = {  # (method, seed, subject): (f1, oracle_max_f1)
        ("a", 0, "s1"): (0.2, 0.6),
        ("a", 0, "s2"): (0.4, 0.6),
        ("a", 1, "s1"): (0.3, 0.9),
        ("a", 1, "s2"): (0.5, 0.9),
        ("b", 0, "s1"): (0.5, math.nan),  # no scores: no oracle value
        ("b", 1, "s1"): (0.5, math.nan),
    }
    for (m, seed, sub), (f1, best) in values.items():
        rows.append(
            {
                "method": m,
                "dataset": "d",
                "seed": seed,
                "subject": sub,
                "status": "ok",
                "f1": f1,
                "oracle_max_f1": best,
                "shd": 1.0,
            }
        )
    rows.append({"method": "a", "dataset": "d", "seed": 0, "subject": "s3", "status": "failed"})
    return pd.DataFrame(rows)


def test_the_gap_is_per_subject_then_mean_over_subjects_then_over_seeds() -> None:
    ps = _frame()
    frame = optimism_frame(ps)
    assert set(frame["method"]) == {"a"} and len(frame) == 4  # b has no scores; failed left out
    s = optimism_summary(ps).set_index(["method", "metric"])
    # seed 0: f1 0.3, oracle 0.6, gap 0.3; seed 1: f1 0.4, oracle 0.9, gap 0.5
    assert s.loc[("a", "f1"), "mean"] == pytest.approx(0.35)
    assert s.loc[("a", "oracle_max_f1"), "mean"] == pytest.approx(0.75)
    assert s.loc[("a", "oracle_f1_gap"), "mean"] == pytest.approx(0.4)
    assert s.loc[("a", "oracle_f1_gap"), "std"] == pytest.approx(0.1)  # population SD over seeds
    assert optimism_summary(ps, oracle_methods=["a"]).empty


def test_files_are_labelled_oracle_and_name_methods_without_scores(tmp_path: Path) -> None:
    files = write_optimism(_frame(), tmp_path / "oracle", figure=True)
    names = {p.name for p in files}
    assert names == {"optimism.md", "optimism.tex", "optimism.csv", "optimism.png", "optimism.pdf"}
    md = (tmp_path / "oracle" / "optimism.md").read_text()
    assert md.startswith("**ORACLE") and "0.350 ± 0.050" in md and "0.400 ± 0.100" in md
    assert "Without continuous scores (no threshold to pick): b." in md
    assert write_optimism(_frame().assign(oracle_max_f1=np.nan), tmp_path / "none") == []


def test_bench_run_and_bench_report_write_the_same_optimism(tmp_path: Path) -> None:
    res = bench.run(
        methods="granger,pc,correlation",
        datasets="smith:1@1-3",
        seeds=[0],
        jobs=1,
        results=str(tmp_path / "r"),
        track=True,
    )
    table = res.tables["oracle/optimism"]
    assert "granger" in table and "correlation" in table and "pc." in table  # pc: no scores
    ps = res.per_subject
    g = ps[(ps["method"] == "granger") & (ps["status"] == "ok")]
    gap = float((g["oracle_max_f1"] - g["f1"]).mean())
    csv = pd.read_csv(tmp_path / "r" / "tables" / "bench" / "oracle" / "optimism.csv")
    row = csv[(csv["method"] == "granger") & (csv["metric"] == "oracle_f1_gap")]
    assert float(row["mean"].iloc[0]) == pytest.approx(gap, abs=1e-12)
    rep = bench.report(str(tmp_path / "r"), optimism=True, out=tmp_path / "rep", log_figures=False)
    assert (tmp_path / "rep" / "oracle" / "optimism.png").is_file()
    assert rep.tables["oracle/optimism"] == table


def test_many_datasets_give_one_row_per_dataset_and_method(tmp_path: Path) -> None:
    """More than three datasets: rows ``dataset: method`` under the three columns once (not
    3 × 28 columns), and a method whose seeds agree shows its mean without ``± 0.000``."""
    rows = []
    for k, d in enumerate(["smith:1", "smith:2", "smith:10", "smith:3"]):
        for seed in (0, 1):
            rows.append({"method": "det", "dataset": d, "seed": seed, "subject": "s1",
                         "status": "ok", "f1": 0.1 * k, "oracle_max_f1": 0.5})  # fmt: skip
    files = write_optimism(pd.DataFrame(rows), tmp_path, figure=True)
    md = (tmp_path / "optimism.md").read_text()
    lines = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert lines[0].split("|")[1:-1] == [
        " dataset: method ", " F1 (own decision) ", " oracle max F1 ", " gap "
    ]  # fmt: skip
    body = [ln.split("|")[1].strip() for ln in lines[1:]]
    assert body == ["smith:1: det", "smith:2: det", "smith:3: det", "smith:10: det"]
    assert "| smith:3: det | 0.300 | 0.500 | 0.200 |" in md and "± 0.000" not in md
    assert any(p.suffix == ".png" for p in files)
