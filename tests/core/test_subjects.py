"""Subject selection (``smith:3@1-10``): the grammar, the run, the cache, config files and the
``bench report`` filter."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bench.api
from bench.cli import main
from bench.config import build_config
from bench.registry import select_datasets, select_subjects, subject_label
from bench.types import BenchError

SUBS = [f"sub{k:02d}" for k in range(1, 51)]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("smith:3@1-10", {"3": "1-10"}),
        ("smith:1-3@1", {"1": "1", "2": "1", "3": "1"}),
        ("smith:1,3@1-5", {"1": "1-5", "3": "1-5"}),
        ("smith:3@1,4,7", {"3": "1,4,7"}),
        ("smith:1@2,smith:2", {"1": "2"}),
        ("smith:3@1-5,smith:3@6-7", {"3": "1-5,6-7"}),
        ("smith:3@1,smith:3", {}),  # one mention without '@': every subject
    ],
)
def test_grammar(spec: str, expected: dict) -> None:
    (sel,) = select_datasets(spec)
    assert sel.subjects == expected


def test_subject_numbers_ranges_and_ids() -> None:
    assert select_subjects("smith:1", "1-3,7,sub10", SUBS) == [
        "sub01", "sub02", "sub03", "sub07", "sub10",
    ]  # fmt: skip
    assert subject_label(select_subjects("smith:1", "1-3,7,10-11", SUBS), SUBS) == "1-3,7,10-11"
    with pytest.raises(BenchError, match="no subject 51; it has 50 subjects"):
        select_subjects("smith:1", "49-51", SUBS)
    with pytest.raises(BenchError, match="Did you mean 'sub10'"):
        select_subjects("smith:1", "sub010", SUBS)
    with pytest.raises(BenchError, match="nothing after '@'"):
        select_datasets("smith:1@")


def _run(
    results: Path, datasets: str, methods: str = "granger,random", **kw
) -> bench.api.BenchResult:
    cfg = build_config(
        methods=methods.split(","), datasets=[datasets], seeds=[0], jobs=1,
        results=str(results), **kw,
    )  # fmt: skip
    return bench.api.run_config(cfg, progress=False, log=lambda m: None)


def test_a_selection_is_labelled_cached_and_seeded_as_the_whole_dataset(tmp_path: Path) -> None:
    r = tmp_path / "r"
    first = _run(r, "smith:1@1-2", track=False)
    assert set(first.per_subject["dataset"]) == {"smith:1@1-2"}
    assert sorted(first.per_subject["subject"].unique()) == ["sub01", "sub02"]
    assert "smith:1@1-2" in first.tables["f1"]
    second = _run(r, "smith:1@1-3", track=False)
    assert second.run.n_cached == 4 and second.run.n_computed == 2  # only sub03 is new
    # a stochastic fit gets the random state of its place in the whole dataset
    whole = _run(tmp_path / "w", "smith:1", methods="random", track=False)
    by_subject = {r.subject: r for r in whole.records}
    for rec in second.records:
        if rec.method == "random":
            np.testing.assert_array_equal(
                rec.estimate.scores, by_subject[rec.subject].estimate.scores
            )


def test_config_file_and_report_filter(tmp_path: Path, capsys) -> None:
    toml = tmp_path / "b.toml"
    toml.write_text('methods = ["granger"]\ndatasets = ["smith:1@1-4"]\nseeds = [0]\njobs = 1\n')
    r = tmp_path / "r"
    assert main(["run", "--config", str(toml), "--results", str(r), "--quiet"]) == 0
    capsys.readouterr()
    full = pd.read_csv(r / "tables" / "bench" / "per_subject.csv")
    rep = bench.api.report(r, datasets="smith:1@1-4@2-3", formats="csv", out=tmp_path / "o",
                           log_figures=False)  # fmt: skip
    summary = pd.read_csv(tmp_path / "o" / "summary.csv")
    assert set(summary["dataset"]) == {"smith:1@1-4@2-3"}  # subjects 2-3 of the tracked run
    f1 = summary.set_index("metric").loc["f1", "mean"]
    expected = full[full["subject"].isin(["sub02", "sub03"])]["f1"].mean()
    assert f1 == pytest.approx(expected, abs=1e-12)
    assert rep.out == tmp_path / "o"
    with pytest.raises(BenchError, match="no subject 9"):
        bench.api.report(r, datasets="smith:1@1-4@9", formats="csv", out=tmp_path / "o2",
                         log_figures=False)  # fmt: skip
    body = json.loads(next((r / "records").rglob("*.json")).read_text())
    assert body["dataset"] == "smith:1"  # records stay under the dataset's own name
