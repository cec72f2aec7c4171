"""The ``folder`` family: the layout convention, orientation, selection, and every bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.io import savemat

from bench.cli import _parser
from bench.config import build_config
from bench.datasets.folder import UserFolder, load_folder
from bench.plan import make_plan
from bench.registry import get_family, load_dataset, select_datasets
from bench.types import BenchError, DataError

N, T = 3, 60


def chain(seed: int, t: int = T) -> np.ndarray:
    """x0 -> x1 -> x2 (contemporaneous, i.i.d. noise), float64 (t, 3)."""
    e = np.random.default_rng(seed).normal(size=(t, N))
    x = e.copy()
    x[:, 1] += 0.9 * x[:, 0]
    x[:, 2] += 0.9 * x[:, 1]
    return x


TRUTH = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]])  # truth[i, j] = 1: i -> j


def write_csv(path: Path, x: np.ndarray, sep: str = ",", header: list[str] | None = None) -> None:
    lines = [sep.join(header)] if header else []
    lines += [sep.join(f"{v:.10g}" for v in row) for row in x]
    path.write_text("\n".join(lines) + "\n")


def make_study(root: Path, *, toml: str | None = None, truth: str = "csv") -> Path:
    """The example folder: four subjects in the four formats, a truth matrix, dataset.toml."""
    root.mkdir(parents=True, exist_ok=True)
    np.save(root / "sub-01.npy", chain(1))
    write_csv(root / "sub-02.csv", chain(2), header=["A", "B", "C"])
    write_csv(root / "sub-03.tsv", chain(3, t=80), sep="\t")
    savemat(root / "sub-10.mat", {"ts": chain(10)})
    if truth == "csv":
        write_csv(root / "truth.csv", TRUTH)
    elif truth == "npy":
        np.save(root / "truth.npy", TRUTH.astype(bool))
    (root / "README.md").write_text("ignored\n")
    if toml is None:
        toml = 'title = "Tiny chain"\ndescription = "A 3-node chain A -> B -> C."\ntr = 2.0\n'
    (root / "dataset.toml").write_text(toml)
    return root


@pytest.fixture
def study(tmp_path: Path) -> Path:
    return make_study(tmp_path / "study")


def error_of(path: Path) -> str:
    with pytest.raises(DataError) as err:
        load_folder(path)
    message = str(err.value)
    assert "\n" not in message
    return message


# ------------------------------------------------------------------ the convention


def test_example_folder_loads(study: Path) -> None:
    ds = load_folder(study)
    assert ds.name == f"folder:{study}" and ds.family == "folder" and ds.member == str(study)
    assert ds.subjects == ["sub-01", "sub-02", "sub-03", "sub-10"]  # natural order
    assert [x.shape for x in ds.series] == [(T, N), (T, N), (80, N), (T, N)]
    np.testing.assert_allclose(ds.series[0], chain(1))
    np.testing.assert_allclose(ds.series[1], chain(2), rtol=1e-9)
    np.testing.assert_allclose(ds.series[3], chain(10))
    assert ds.truth.dtype == bool and (ds.truth == TRUTH.astype(bool)).all()
    assert ds.tr == 2.0 and ds.info.tr == 2.0
    assert ds.info.title == "Tiny chain" and ds.info.description.startswith("A 3-node chain")
    assert ds.info.kind == "generic" and ds.missing == {}
    assert ds.extra["nodes"] == ["A", "B", "C"] and ds.extra["truth_file"] == "truth.csv"


def test_orientation_row_is_source(study: Path) -> None:
    ds = load_folder(study)
    assert ds.truth[0, 1] and not ds.truth[1, 0]  # A -> B as written in row 0 of truth.csv
    assert ds.truth[1, 2] and not ds.truth[2, 1]  # B -> C
    # columns keep their order: node 0 is the chain's root (pure noise, std ~ 1)
    assert abs(ds.series[0][:, 0].std() - 1.0) < 0.3 and ds.series[0][:, 2].std() > 1.3


def test_column_to_row_matrix_is_transposed(tmp_path: Path) -> None:
    root = make_study(tmp_path / "s", toml='truth_orientation = "column -> row"\n', truth="npy")
    (root / "truth.npy").unlink()
    np.save(root / "truth.npy", TRUTH.T)  # B[i, j] = 1 means j -> i (e.g. LiNGAM, CDRL)
    ds = load_folder(root)
    assert (ds.truth == TRUTH.astype(bool)).all()


@pytest.mark.parametrize(
    ("toml", "edges"),
    [
        ("index_base = 0\n", "0 -> 1\n1,2\n"),
        ("index_base = 1\n", "# chain\n1 --> 2\n2\t3  # comment\n"),
        ("", "A -> B\nB C\n"),  # names from the csv header of sub-02
        ('nodes = ["A", "B", "C"]\n', "A->B\n\nB → C\n"),
    ],
)
def test_edge_list(tmp_path: Path, toml: str, edges: str) -> None:
    root = make_study(tmp_path / "s", toml=toml, truth="none")
    (root / "truth.txt").write_text(edges)
    assert (load_folder(root).truth == TRUTH.astype(bool)).all()


def test_edge_list_may_be_empty_of_edges(tmp_path: Path) -> None:
    root = make_study(tmp_path / "s", toml="index_base = 0\n", truth="none")
    (root / "truth.txt").write_text("# no edges in this network\n")
    assert not load_folder(root).truth.any()


def test_nodes_by_time_layout(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    np.save(root / "sub-1.npy", chain(1).T)
    write_csv(root / "truth.csv", TRUTH)
    (root / "dataset.toml").write_text('series_layout = "nodes x time"\n')
    ds = load_folder(root)
    assert ds.series[0].shape == (T, N)
    np.testing.assert_allclose(ds.series[0], chain(1))


def test_defaults_without_dataset_toml(study: Path) -> None:
    (study / "dataset.toml").unlink()
    ds = load_folder(study)
    assert ds.tr is None and ds.info.title == "study" and "4 subject(s)" in ds.info.description


# ------------------------------------------------------------------ selection


def test_selection_on_the_command_line(study: Path, tmp_path: Path, monkeypatch) -> None:
    (sel,) = select_datasets(f"folder:{study}")
    assert sel.family == "folder" and sel.members == [str(study)]
    monkeypatch.chdir(tmp_path)
    (sel,) = select_datasets("folder:study")  # relative to the working directory
    assert sel.members == [str(study)]
    other = make_study(tmp_path / "study-2")
    (sel,) = select_datasets(f"folder:{tmp_path}/study*")
    assert sel.members == [str(study), str(other)]
    (sel,) = select_datasets(f"folder:{study},{other}")
    assert sel.members == [str(study), str(other)]
    assert load_dataset(f"folder:{study}").subjects[0] == "sub-01"
    family = get_family("folder")
    assert isinstance(family, UserFolder) and family.members() == []
    assert family.accepts(str(study))


def test_selection_errors(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="give a path"):
        select_datasets("folder:")
    with pytest.raises(BenchError, match="no folder matches"):
        select_datasets(f"folder:{tmp_path}/nothing-*")
    with pytest.raises(DataError, match="no such folder"):
        load_dataset(f"folder:{tmp_path}/absent")


def test_selection_from_a_config_file(study: Path, tmp_path: Path) -> None:
    cfg_file = tmp_path / "bench.toml"
    cfg_file.write_text(f'datasets = ["folder:{study}", "smith:1"]\nseeds = [0]\n')
    cfg = build_config(str(cfg_file))
    sels = select_datasets(cfg.datasets)
    assert [(s.family, s.members) for s in sels] == [("folder", [str(study)]), ("smith", ["1"])]


def test_command_line_to_plan(study: Path) -> None:
    """``bench run --datasets folder:PATH`` parses, resolves and plans one fit per subject."""
    argv = ["run", "--methods", "granger", "--datasets", f"folder:{study}", "--seeds", "0"]
    args = _parser().parse_args(argv)
    plan = make_plan(build_config(methods=args.methods, datasets=args.datasets, seeds=[0]))
    assert list(plan.datasets) == [(f"folder:{study}", None)]
    assert sorted(f.subject for f in plan.fits) == ["sub-01", "sub-02", "sub-03", "sub-10"]


# ------------------------------------------------------------------ bad input: series


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf(study: Path, bad: float) -> None:
    x = chain(1)
    x[5, 2] = bad
    np.save(study / "sub-01.npy", x)
    msg = error_of(study)
    assert "sub-01.npy" in msg and "NaN/Inf" in msg and "time point 5, node 2" in msg


def test_nan_in_csv(study: Path) -> None:
    x = chain(2)
    x[3, 0] = np.nan
    write_csv(study / "sub-02.csv", x, header=["A", "B", "C"])
    assert "sub-02.csv" in error_of(study)


def test_constant_node(study: Path) -> None:
    x = chain(1)
    x[:, 1] = 4.0
    np.save(study / "sub-01.npy", x)
    msg = error_of(study)
    assert "sub-01.npy" in msg and "node 1" in msg and "constant" in msg


def test_subjects_with_different_n(study: Path) -> None:
    np.save(study / "sub-01.npy", np.column_stack([chain(1), chain(5)[:, 0]]))
    msg = error_of(study)
    assert "nodes" in msg and ("sub-01.npy" in msg or "sub-02.csv" in msg)


def test_too_few_time_points(study: Path) -> None:
    np.save(study / "sub-01.npy", chain(1)[:2])
    assert "sub-01.npy" in error_of(study)


def test_one_node_only(study: Path) -> None:
    np.save(study / "sub-01.npy", chain(1)[:, :1])
    assert "sub-01.npy" in error_of(study)


def test_not_two_dimensional(study: Path) -> None:
    np.save(study / "sub-01.npy", chain(1)[:, 0])
    msg = error_of(study)
    assert "sub-01.npy" in msg and "2-D" in msg


@pytest.mark.parametrize("name", ["sub-01.npy", "sub-02.csv", "sub-03.tsv", "sub-10.mat"])
def test_empty_subject_file(study: Path, name: str) -> None:
    (study / name).write_bytes(b"")
    msg = error_of(study)
    assert name in msg and "empty" in msg


@pytest.mark.parametrize("name", ["sub-01.npy", "sub-10.mat"])
def test_truncated_binary_file(study: Path, name: str) -> None:
    data = (study / name).read_bytes()
    (study / name).write_bytes(data[: len(data) // 3])
    msg = error_of(study)
    assert name in msg and "unreadable" in msg


def test_garbage_npy(study: Path) -> None:
    (study / "sub-01.npy").write_bytes(b"this is not numpy")
    msg = error_of(study)
    assert "sub-01.npy" in msg and "not a .npy file" in msg


def test_matlab_v73_is_refused_clearly(study: Path) -> None:
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: x HDF5 schema 1.00 .".ljust(116)
    (study / "sub-10.mat").write_bytes(header + b"\x00" * 8 + b"\x00\x02IM" + b"\x00" * 512)
    msg = error_of(study)
    assert "sub-10.mat" in msg and "v7.3" in msg


def test_mat_with_ambiguous_variables(study: Path) -> None:
    savemat(study / "sub-10.mat", {"a": chain(1), "b": chain(2)})
    msg = error_of(study)
    assert "sub-10.mat" in msg and "'ts'" in msg


def test_mat_with_another_variable_name(study: Path) -> None:
    savemat(study / "sub-10.mat", {"roi_timeseries": chain(10)})
    np.testing.assert_allclose(load_folder(study).series[3], chain(10))


def test_non_numeric_cell(study: Path) -> None:
    lines = (study / "sub-02.csv").read_text().splitlines()
    lines[4] = "1.0,abc,2.0"
    (study / "sub-02.csv").write_text("\n".join(lines) + "\n")
    msg = error_of(study)
    assert "sub-02.csv" in msg and "line 5, column 2" in msg and "'abc'" in msg


def test_ragged_rows(study: Path) -> None:
    lines = (study / "sub-03.tsv").read_text().splitlines()
    lines[7] = "1.0\t2.0"
    (study / "sub-03.tsv").write_text("\n".join(lines) + "\n")
    msg = error_of(study)
    assert "sub-03.tsv" in msg and "line 8" in msg


def test_binary_garbage_csv(study: Path) -> None:
    (study / "sub-02.csv").write_bytes(b"\xff\xfe\x00\x81garbage")
    assert "sub-02.csv" in error_of(study)


def test_header_mismatch(study: Path) -> None:
    write_csv(study / "sub-03.tsv", chain(3), sep="\t", header=["A", "C", "B"])
    msg = error_of(study)
    assert "sub-03.tsv" in msg and "same order" in msg


# ------------------------------------------------------------------ bad input: layout


def test_no_subject_files(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    write_csv(root / "truth.csv", TRUTH)
    msg = error_of(root)
    assert str(root) in msg and "no subject files" in msg


def test_missing_truth(study: Path) -> None:
    (study / "truth.csv").unlink()
    msg = error_of(study)
    assert str(study) in msg and "no ground-truth file" in msg


def test_several_truth_files(study: Path) -> None:
    np.save(study / "truth.npy", TRUTH)
    msg = error_of(study)
    assert "truth.csv" in msg and "truth.npy" in msg


def test_folder_missing_or_a_file(tmp_path: Path, study: Path) -> None:
    assert "no such folder" in error_of(tmp_path / "absent")
    assert "not a folder" in error_of(study / "sub-01.npy")


def test_unsupported_subject_file(study: Path) -> None:
    (study / "sub-04.txt").write_text("1 2 3\n")
    assert "sub-04.txt" in error_of(study)


def test_subject_folder(study: Path) -> None:
    (study / "sub-05").mkdir()
    assert "sub-05" in error_of(study)


def test_duplicate_subject(study: Path) -> None:
    np.save(study / "sub-02.npy", chain(2))
    msg = error_of(study)
    assert "sub-02" in msg and "keep one" in msg


# ------------------------------------------------------------------ bad input: truth


def test_truth_n_mismatch(study: Path) -> None:
    write_csv(study / "truth.csv", np.zeros((4, 4)))
    msg = error_of(study)
    assert "truth.csv" in msg and "4 x 4" in msg and "3 nodes" in msg


def test_truth_transposed_series_hint(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    np.save(root / "sub-1.npy", chain(1)[:5].T)  # 3 x 5: nodes x time, no layout given
    write_csv(root / "truth.csv", TRUTH)
    msg = error_of(root)
    assert "truth.csv" in msg and "series_layout" in msg


def test_truth_not_square(study: Path) -> None:
    write_csv(study / "truth.csv", np.zeros((3, 2)))
    msg = error_of(study)
    assert "truth.csv" in msg and "square" in msg


def test_non_binary_truth(study: Path) -> None:
    write_csv(study / "truth.csv", TRUTH * 0.4)
    msg = error_of(study)
    assert "truth.csv" in msg and "binary" in msg and "0.4" in msg


def test_non_zero_diagonal(study: Path) -> None:
    t = TRUTH.copy()
    t[2, 2] = 1
    write_csv(study / "truth.csv", t)
    msg = error_of(study)
    assert "truth.csv" in msg and "diagonal" in msg and "node(s) 2" in msg


def test_empty_truth_file(study: Path) -> None:
    (study / "truth.csv").write_text("")
    msg = error_of(study)
    assert "truth.csv" in msg and "empty" in msg


def test_corrupt_truth_npy(study: Path) -> None:
    (study / "truth.csv").unlink()
    (study / "truth.npy").write_bytes(b"\x93NUMPY garbage")
    assert "truth.npy" in error_of(study)


@pytest.mark.parametrize(
    ("toml", "edges", "expected"),
    [
        ("", "0 -> 1\n", "index_base"),
        ("index_base = 1\n", "0 -> 1\n", "out of range"),
        ("index_base = 0\n", "1 -> 3\n", "out of range"),
        ("", "A -> Z\n", "unknown node 'Z'"),
        ("index_base = 0\n", "0 -> 1 -> 2\n", "cannot read"),
        ("index_base = 0\n", "0 <-> 1\n", "not a directed edge"),
        ("index_base = 0\n", "0 -- 1\n", "not a directed edge"),
        ("index_base = 0\n", "1 -> 1\n", "self-loop"),
        ("index_base = 0\n", "", "empty"),
    ],
)
def test_bad_edge_list(tmp_path: Path, toml: str, edges: str, expected: str) -> None:
    root = make_study(tmp_path / "s", toml=toml, truth="none")
    (root / "truth.txt").write_text(edges)
    msg = error_of(root)
    assert "truth.txt" in msg and expected in msg


# ------------------------------------------------------------------ bad input: dataset.toml


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("tr = \n", "invalid TOML"),
        ("TR = 2.0\n", "unknown key(s) TR"),
        ("tr = -1\n", "tr must be"),
        ('tr = "2s"\n', "tr must be"),
        ('truth_orientation = "target -> source"\n', "truth_orientation must be"),
        ('series_layout = "rows"\n', "series_layout must be"),
        ("index_base = 2\n", "index_base must be 0 or 1"),
        ('nodes = ["A", "A", "B"]\n', "duplicate"),
        ('nodes = ["A", "B"]\n', "nodes lists 2 names"),
        ('nodes = ["A", "C", "B"]\n', "differs from nodes"),
        ("title = 3\n", "title must be a string"),
    ],
)
def test_bad_dataset_toml(tmp_path: Path, toml: str, expected: str) -> None:
    root = make_study(tmp_path / "s", toml=toml)
    msg = error_of(root)
    assert expected in msg and ("dataset.toml" in msg or "sub-02.csv" in msg)
