"""The ``smith`` (NetSim) dataset family: shapes, orientation, coverage and file integrity."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.datasets.smith import DATA_DIR, SmithNetSim
from bench.registry import UnknownNameError, get_family, load_dataset
from bench.types import DataError

MEMBERS = [str(k) for k in range(1, 29)]
SUBJECT1_ONLY = {"6", "7", "9", "13", "19", "20"}

# member -> (subjects, T, N, edges), from reference/datasets.md and Smith et al. 2011.
SHAPES = {
    "1": (50, 200, 5, 5), "2": (50, 200, 10, 11), "3": (50, 200, 15, 18),
    "4": (50, 200, 50, 61), "5": (50, 1200, 5, 5), "6": (1, 1200, 10, 11),
    "7": (1, 5000, 5, 5), "8": (50, 200, 5, 5), "9": (1, 5000, 5, 5),
    "10": (50, 200, 5, 5), "11": (50, 200, 10, 11), "12": (50, 200, 10, 11),
    "13": (1, 200, 5, 8), "14": (50, 200, 5, 5), "15": (50, 200, 5, 5),
    "16": (50, 200, 5, 7), "17": (50, 200, 10, 11), "18": (50, 200, 5, 5),
    "19": (1, 2400, 5, 5), "20": (1, 2400, 5, 5), "21": (50, 200, 5, 5),
    "22": (50, 200, 5, 5), "23": (50, 200, 5, 5), "24": (50, 200, 5, 5),
    "25": (50, 100, 5, 5), "26": (50, 50, 5, 5), "27": (50, 50, 5, 5),
    "28": (50, 100, 5, 5),
}  # fmt: skip


@pytest.fixture(scope="module")
def smith() -> SmithNetSim:
    family = get_family("smith")
    assert isinstance(family, SmithNetSim)
    return family


def copy_of_data(tmp_path: Path, *members: str) -> Path:
    """A private copy of ``simK.npz`` files and the checksum list, to damage in a test."""
    for m in members:
        shutil.copy(DATA_DIR / f"sim{m}.npz", tmp_path)
    shutil.copy(DATA_DIR / "SHA256SUMS", tmp_path)
    return tmp_path


def test_members_in_numeric_order(smith: SmithNetSim) -> None:
    assert smith.members() == MEMBERS


def test_info(smith: SmithNetSim) -> None:
    info = smith.info
    assert info.name == "smith" and info.kind == "netsim" and info.tr == 3.0
    assert "NeuroImage" in info.citation and "54" in info.citation and "875" in info.citation
    assert info.licence and info.description and "subject 1" in info.notes


@pytest.mark.parametrize("member", MEMBERS)
def test_member_shapes_and_truth(smith: SmithNetSim, member: str) -> None:
    n_subjects, t, n, edges = SHAPES[member]
    ds = smith.load(member)
    assert (ds.name, ds.family, ds.member) == (f"smith:{member}", "smith", member)
    assert ds.subjects == [f"sub{k:02d}" for k in range(1, n_subjects + 1)]
    for x in ds.series:
        assert x.shape == (t, n) and x.dtype == np.float64 and np.isfinite(x).all()
    assert ds.truth is not None and ds.truth.dtype == bool and ds.truth.shape == (n, n)
    assert not ds.truth.diagonal().any()
    assert int(ds.truth.sum()) == edges
    assert ds.tr == (0.25 if member in {"19", "20"} else 3.0)
    assert smith.describe_member(member)
    if member in SUBJECT1_ONLY:
        assert "subject 1" in ds.notes


@pytest.mark.parametrize("member", ["1", "2", "3", "4", "8"])
def test_weights_match_truth(smith: SmithNetSim, member: str) -> None:
    ds = smith.load(member)
    w = ds.weights
    assert w is not None and w.shape == (50, ds.n_nodes, ds.n_nodes)
    assert (np.diagonal(w, axis1=1, axis2=2) == 0).all()
    assert ((w != 0) == ds.truth[None]).all()
    assert w[ds.truth[None].repeat(50, 0)].min() >= 0.2 - 1e-6


def test_orientation_sim1(smith: SmithNetSim) -> None:
    ds = smith.load("1")
    assert ds.truth[0, 1] and not ds.truth[1, 0]  # 1 -> 2 (1-based), not its reverse
    assert ds.truth[0, 4] and not ds.truth[4, 0]  # 1 -> 5
    assert ds.weights is not None and ds.weights[0, 0, 1] > 0 and ds.weights[0, 1, 0] == 0
    # First row of subject 1 as published (TCDF copy): the series is (T, N), not (N, T).
    first = [-1.6869, -1.2841, -0.67603, -2.5601, -1.0542]
    np.testing.assert_allclose(ds.series[0][0], first, atol=1e-4)


def test_orientation_sim14_cycle(smith: SmithNetSim) -> None:
    truth = smith.load("14").truth
    assert truth[4, 0] and not truth[0, 4]  # 5 -> 1 instead of 1 -> 5


def test_orientation_sim16_extra_edges(smith: SmithNetSim) -> None:
    truth = smith.load("16").truth
    assert truth[1, 3] and truth[2, 4]  # 2 -> 4 and 3 -> 5 (1-based)
    assert not truth[3, 1] and not truth[4, 2]


def test_sim13_subject1_only(smith: SmithNetSim) -> None:
    ds = smith.load("13")
    assert ds.subjects == ["sub01"] and len(ds.series) == 1
    assert "subject 1" in ds.notes
    assert ds.truth[1, 0] and ds.truth[0, 1]  # subject 1 has the backward edge 2 -> 1


def test_load_dataset_by_name() -> None:
    assert load_dataset("smith:2").n_nodes == 10


def test_unknown_member(smith: SmithNetSim) -> None:
    with pytest.raises(UnknownNameError, match="29"):
        smith.load("29")


def test_cached_loads_are_independent(smith: SmithNetSim) -> None:
    a = smith.load("1")
    a.series[0][:] = 0.0
    a.truth[:] = True
    b = smith.load("1")
    assert np.abs(b.series[0]).sum() > 0 and int(b.truth.sum()) == 5


def test_checksum_mismatch_names_file(tmp_path: Path) -> None:
    root = copy_of_data(tmp_path, "1")
    path = root / "sim1.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"sim1\.npz.*checksum mismatch"):
        SmithNetSim(root=root).load("1")


def test_missing_file_names_file(tmp_path: Path) -> None:
    root = copy_of_data(tmp_path)
    with pytest.raises(DataError, match=r"sim2\.npz.*missing"):
        SmithNetSim(root=root).load("2")


def test_empty_file_raises(tmp_path: Path) -> None:
    root = copy_of_data(tmp_path, "1")
    (root / "sim1.npz").write_bytes(b"")
    with pytest.raises(DataError, match=r"sim1\.npz"):
        SmithNetSim(root=root).load("1")


def test_truncated_file_with_matching_checksum_raises(tmp_path: Path) -> None:
    """Even a file whose checksum list was updated to match must fail cleanly if unreadable."""
    root = copy_of_data(tmp_path, "1")
    path = root / "sim1.npz"
    data = path.read_bytes()[:1000]
    path.write_bytes(data)
    (root / "SHA256SUMS").write_text(f"{hashlib.sha256(data).hexdigest()}  sim1.npz\n")
    with pytest.raises(DataError, match=r"sim1\.npz.*unreadable") as err:
        SmithNetSim(root=root).load("1")
    assert "\n" not in str(err.value)
