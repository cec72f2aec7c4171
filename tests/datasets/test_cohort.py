"""The labelled two-group cohorts: names, group draws, the per-subject edge scale, the disk cache,
and the labels of a user's folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.datasets import cohort
from bench.datasets.cohort import (
    DESIGNS,
    CohortSpec,
    draw_labels,
    generate,
    load_labels,
    parse_member,
)
from bench.registry import load_dataset, select_datasets
from bench.types import BenchError, DataError


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BENCH_CACHE_DIR", str(tmp_path / "cache"))
    cohort._MEMORY.clear()  # each test sees the disk cache it sets up
    return tmp_path / "cache"


def test_names_are_canonical_and_bad_names_say_why() -> None:
    assert parse_member("edge").name == "edge"
    assert parse_member("edge-s40-f0.5").name == "edge"  # defaults dropped
    assert parse_member("pathway-f0-s60-n0.5-t400").name == "pathway-f0-s60-n0.5-t400"
    sel = select_datasets("cohort:edge,reverse-s12-t50,edge-f0.50")
    assert sel[0].members == ["edge", "reverse-s12-t50"]
    with pytest.raises(BenchError, match="Did you mean 'edge'"):
        parse_member("edgy")
    with pytest.raises(BenchError, match="cannot read '-x3'"):
        parse_member("edge-x3")
    with pytest.raises(BenchError, match="at least 4 subjects"):
        parse_member("edge-s3")
    with pytest.raises(BenchError, match="whole number"):
        parse_member("edge-s10.5")
    with pytest.raises(BenchError, match="given twice"):
        parse_member("edge-f0.1-f0.2")


def test_groups_are_balanced_random_and_independent_of_the_size_of_the_change() -> None:
    spec = CohortSpec("edge", 0.5, n_subjects=41)
    a = draw_labels(spec, 0)
    assert a.sum() == 20 and a.size == 41
    assert not (a[:20].all() or a[20:].all())  # not simply the second half
    assert np.array_equal(a, draw_labels(CohortSpec("edge", 0.1, 41, 2.0, 50), 0))
    assert not np.array_equal(a, draw_labels(spec, 1))


def test_scales_change_exactly_the_designed_connections() -> None:
    labels = np.array([False, True])
    edge = DESIGNS["edge"].scale(labels, 0.25)
    assert np.all(edge[0] == 1)
    assert edge[1][1, 2] == 0.25 and (edge[1] != 1).sum() == 1
    rev = DESIGNS["reverse"].scale(labels, 1.0)
    assert rev[0][2, 1] == 0 and rev[0][1, 2] == 1  # A: 1 -> 2 only
    assert rev[1][1, 2] == 0 and rev[1][2, 1] == 1  # B: 2 -> 1 only
    path = DESIGNS["pathway"].scale(labels, 0.0)
    assert {tuple(e) for e in np.argwhere(path[1] == 0)} == {(1, 2), (2, 7), (7, 8)}


def test_the_knob_changes_only_group_b_connection(_cache: Path) -> None:
    """edge-f0.25 and edge share every draw: group A is identical, B differs in one weight."""
    ds5 = load_dataset("cohort:edge-s6-t10", seed=3)
    ds25 = load_dataset("cohort:edge-f0.25-s6-t10", seed=3)
    labels = load_labels(ds5)
    assert labels == load_labels(ds25)
    b = np.array([labels[s] == "B" for s in ds5.subjects])
    w5, w25 = ds5.weights, ds25.weights
    assert np.allclose(w25[b][:, 1, 2], 0.5 * w5[b][:, 1, 2])  # 0.25 x w against 0.5 x w
    assert np.array_equal(w25[~b], w5[~b])
    mask = np.ones((5, 5), dtype=bool)
    mask[1, 2] = False
    assert np.array_equal(w25[:, mask], w5[:, mask])
    for k in np.flatnonzero(~b):
        assert np.array_equal(ds5.series[k], ds25.series[k])
    assert not np.array_equal(
        ds5.series[int(np.flatnonzero(b)[0])], ds25.series[int(np.flatnonzero(b)[0])]
    )
    # the truth: the edge is weaker, not absent; the labels are not part of the dataset
    assert ds5.truth is not None and ds5.truth[1, 2]
    assert not any(sid in ds5.notes or sid in repr(ds5.extra) for sid in ds5.subjects)


def test_a_removed_pathway_changes_group_b_truth_and_the_cache_is_reused(
    _cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = load_dataset("cohort:pathway-f0-s4-t10", seed=0)
    labels = load_labels(ds)
    assert ds.truth_per_subject is not None
    for sid in ds.subjects:
        t = ds.truth_per_subject[sid]
        assert t[1, 2] == t[2, 7] == t[7, 8] == (labels[sid] == "A")
    files = list(_cache.glob("cohorts/pathway-f0-s4-t10__seed0__*.npz"))
    assert len(files) == 1
    cohort._MEMORY.clear()

    def no_simulation(*args: object) -> None:
        raise AssertionError("simulated again instead of reading the disk cache")

    monkeypatch.setattr(cohort, "_generate", no_simulation)
    again = generate(parse_member("pathway-f0-s4-t10"), 0)
    assert np.array_equal(again["series"], np.stack(ds.series))


def test_the_cache_can_be_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_CACHE_DIR", "off")
    out = generate(parse_member("edge-s4-t10"), 0)
    assert out["series"].shape == (4, 10, 5)
    assert not list(tmp_path.rglob("*.npz"))


def _folder(root: Path, n: int = 6) -> Path:
    root.mkdir()
    rng = np.random.default_rng(0)
    for k in range(n):
        np.save(root / f"sub-{k + 1:02d}.npy", rng.standard_normal((30, 3)))
    (root / "truth.txt").write_text("0 -> 1\n")
    (root / "dataset.toml").write_text("index_base = 0\n")
    return root


def test_labels_of_a_users_folder(tmp_path: Path) -> None:
    root = _folder(tmp_path / "study")
    lines = ["subject,label"] + [
        f"sub-{k + 1:02d},{'patient' if k % 2 else 'control'}" for k in range(6)
    ]
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    ds = load_dataset(f"folder:{root}")
    labels = load_labels(ds)
    assert labels["sub-01"] == "control" and labels["sub-02"] == "patient"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "labels.csv: not found"),
        ("subj,group\nsub-01,a\n", "header subject,label"),
        ("subject,label\nsub-01,a\nsub-01,b\n", "labelled twice"),
        ("subject,label\nsub-99,a\n", "sub-99 have no series file"),
        ("subject,label\nsub-01,a\nsub-02,b\n", "no label for subject"),
        (
            "subject,label\n" + "".join(f"sub-{k:02d},{'abc'[k % 3]}\n" for k in range(1, 7)),
            "exactly two groups, found 3",
        ),
    ],
)
def test_bad_labels_files_fail_with_one_line(
    tmp_path: Path, text: str | None, message: str
) -> None:
    root = _folder(tmp_path / "study")
    if text is not None:
        (root / "labels.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        load_labels(load_dataset(f"folder:{root}"))


def test_datasets_without_labels_cannot_be_classified() -> None:
    with pytest.raises(BenchError, match="has no group labels"):
        load_labels(load_dataset("smith:1"))
