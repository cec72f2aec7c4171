"""The ``sanchez`` family (Sanchez-Romero et al. 2019): shapes, orientation, the empty upstream
file, selections, file integrity, and how every metric scores these cyclic truths."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.datasets.sanchez import _VARIANTS, DATA_DIR, SanchezRomero
from bench.metrics import compute_metrics
from bench.registry import UnknownNameError, get_family, load_dataset, select_datasets
from bench.types import DataError

MEMBERS = [
    "1_amp", "2_amp", "3_amp", "4_amp", "5_amp", "5_cont", "5_cont_p3n7", "5_cont_p7n3",
    "6_amp", "6_cont", "7_amp", "7_cont", "8_amp_amp", "8_amp_cont", "8_cont_amp",
    "9_amp_amp", "9_amp_cont", "9_cont_amp",
]  # fmt: skip
# member -> (N, edges), from Sanchez-Romero et al. 2019, Fig. 1.
SHAPES = {m: (v.nodes, v.edges) for m, v in _VARIANTS.items()}


@pytest.fixture(scope="module")
def sanchez() -> SanchezRomero:
    family = get_family("sanchez")
    assert isinstance(family, SanchezRomero)
    return family


def copy_of_data(tmp_path: Path, *members: str) -> Path:
    for m in members:
        shutil.copy(DATA_DIR / f"Network{m}.npz", tmp_path)
    shutil.copy(DATA_DIR / "SHA256SUMS", tmp_path)
    return tmp_path


def two_cycles(truth: np.ndarray) -> set[tuple[int, int]]:
    """True 2-cycles as 0-based pairs (i, j), i < j."""
    both = truth & truth.T
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(both, 1)), strict=True)}


def has_cycle(truth: np.ndarray) -> bool:
    """Some directed cycle exists: trace(A^k) > 0 for some k <= N."""
    a = truth.astype(np.int64)
    p = np.eye(len(a), dtype=np.int64)
    for _ in range(len(a)):
        p = np.minimum(p @ a, 1)
        if np.trace(p) > 0:
            return True
    return False


# ------------------------------------------------------------------ family and members


def test_members_and_info(sanchez: SanchezRomero) -> None:
    assert sanchez.members() == MEMBERS
    info = sanchez.info
    assert info.name == "sanchez" and info.kind == "sanchez" and info.tr == 1.2
    assert "CC0" in info.licence
    for part in ("Sanchez-Romero", "Network Neuroscience", "3(2)", "274", "netn_a_00061"):
        assert part in info.citation
    assert not sanchez.seeded


@pytest.mark.parametrize("member", MEMBERS)
def test_member_shapes_and_truth(sanchez: SanchezRomero, member: str) -> None:
    n, edges = SHAPES[member]
    ds = sanchez.load(member)
    assert (ds.name, ds.family, ds.member, ds.tr) == (f"sanchez:{member}", "sanchez", member, 1.2)
    expected = [f"sub{k:02d}" for k in range(1, 61) if not (member == "6_amp" and k == 25)]
    assert ds.subjects == expected
    for x in ds.series:
        assert x.shape == (500, n) and x.dtype == np.float64 and np.isfinite(x).all()
        assert (x.std(axis=0) > 0).all()
    assert ds.truth is not None and ds.truth.dtype == bool and ds.truth.shape == (n, n)
    assert not ds.truth.diagonal().any() and int(ds.truth.sum()) == edges
    assert has_cycle(ds.truth)  # every network has feedback
    assert sanchez.describe_member(member).startswith(f"network {_VARIANTS[member].network}:")
    if member != "6_amp":
        assert ds.missing == {}


@pytest.mark.parametrize("member", MEMBERS)
def test_described_cycles_match_truth(sanchez: SanchezRomero, member: str) -> None:
    truth = sanchez.load(member).truth
    text = _VARIANTS[member].cycles
    described = {
        (int(a) - 1, int(b) - 1) for a, b in re.findall(r"(\d+)<->(\d+)", text)
    }  # 1-based in the text
    assert two_cycles(truth) == described
    for chain in re.findall(r"\d+(?:->\d+)+", text):  # longer cycles: every edge is true
        nodes = [int(k) - 1 for k in chain.split("->")]
        assert nodes[0] == nodes[-1]
        assert all(truth[a, b] for a, b in zip(nodes, nodes[1:], strict=False))
    assert bool(two_cycles(truth)) == (_VARIANTS[member].network <= 6)


def test_variants_of_a_network_share_the_truth(sanchez: SanchezRomero) -> None:
    for k in range(1, 10):
        truths = [sanchez.load(m).truth for m in MEMBERS if _VARIANTS[m].network == k]
        assert all((t == truths[0]).all() for t in truths)


# ------------------------------------------------------------------ orientation


def test_orientation_of_edge_lists(sanchez: SanchezRomero) -> None:
    """Upstream ``Xa --> Xb`` is a → b: truth[a-1, b-1] (row = source)."""
    t1 = sanchez.load("1_amp").truth
    assert t1[0, 1] and t1[1, 0]  # X1 --> X2 and X2 --> X1: the 2-cycle
    assert t1[0, 4] and not t1[4, 0]  # X1 --> X5 only
    assert t1[3, 4] and not t1[4, 3]  # X4 --> X5 only
    t4 = sanchez.load("4_amp").truth
    assert t4[9, 5] and t4[5, 9]  # X10 --> X6 and X6 --> X10 (two-digit node ids)
    assert t4[0, 3] and not t4[3, 0]  # X1 --> X4
    t7 = sanchez.load("7_amp").truth
    assert t7[4, 1] and not t7[1, 4]  # X5 --> X2 closes the 4-cycle
    assert t7[0, 1] and not t7[1, 0]  # X1 --> X2


def test_series_are_time_by_nodes_as_published(sanchez: SanchezRomero) -> None:
    """First row of sim-01.Network1_amp.continuous.txt (upstream text, six decimals)."""
    x = sanchez.load("1_amp").series[0]
    first = [-0.947604, -2.067339, -2.501317, -3.817320, -6.594474]
    np.testing.assert_allclose(x[0], first, atol=1e-6)


@pytest.mark.parametrize("member", ["6_amp", "6_cont"])
def test_orientation_against_the_data(sanchez: SanchezRomero, member: str) -> None:
    """Network 6: X1 -> X3 <- X2 (sources with independent inputs) and X5 -> X6, X7, X8.

    The stated graph makes X1 and X2 unconfounded (uncorrelated); its transpose would make them
    share the ancestor X3, and would make X6, X7 and X8 (children of X5) unconfounded instead.
    """
    ds = sanchez.load(member)
    corr = np.mean([np.corrcoef(x, rowvar=False) for x in ds.series], axis=0)
    assert abs(corr[0, 1]) < 0.05
    assert min(abs(corr[5, 6]), abs(corr[5, 7]), abs(corr[6, 7])) > 0.15


# ------------------------------------------------------------------ the empty upstream file


def test_empty_upstream_file_is_reported_missing(sanchez: SanchezRomero) -> None:
    ds = sanchez.load("6_amp")
    assert len(ds.subjects) == 59 and "sub25" not in ds.subjects
    assert list(ds.missing) == ["sub25"]
    why = ds.missing["sub25"]
    assert "sim-25.Network6_amp.continuous.txt" in why and "empty" in why
    assert "\n" not in why
    assert "sub25" in ds.notes
    assert "sub25" in ds.subset(ds.subjects[:3]).missing  # survives sub-setting
    assert "59 subjects" in sanchez.describe_member("6_amp")


# ------------------------------------------------------------------ selections


@pytest.mark.parametrize(
    ("spec", "members"),
    [
        ("sanchez:5_cont", ["5_cont"]),
        ("sanchez:net5", ["5_amp", "5_cont", "5_cont_p3n7", "5_cont_p7n3"]),
        ("sanchez:5", ["5_amp", "5_cont", "5_cont_p3n7", "5_cont_p7n3"]),
        ("sanchez:Net7", ["7_amp", "7_cont"]),
        ("sanchez:net1-3", ["1_amp", "2_amp", "3_amp"]),
        ("sanchez:1-2,7_cont", ["1_amp", "2_amp", "7_cont"]),
        ("sanchez:Network8_amp_cont", ["8_amp_cont"]),
        ("sanchez:9_*", ["9_amp_amp", "9_amp_cont", "9_cont_amp"]),
        ("sanchez", MEMBERS),
    ],
)
def test_selections(spec: str, members: list[str]) -> None:
    (sel,) = select_datasets(spec)
    assert sel.family == "sanchez" and sel.members == members


@pytest.mark.parametrize("spec", ["sanchez:net10", "sanchez:5_conf", "sanchez:Network5_x"])
def test_unknown_selection(spec: str) -> None:
    with pytest.raises(UnknownNameError, match="sanchez member"):
        select_datasets(spec)


def test_load_dataset_by_name() -> None:
    ds = load_dataset("sanchez:6_amp")
    assert ds.n_nodes == 8 and "sub25" in ds.missing


def test_cached_loads_are_independent(sanchez: SanchezRomero) -> None:
    a = sanchez.load("5_amp")
    a.series[0][:] = 0.0
    a.truth[:] = True
    a.missing["x"] = "y"
    b = sanchez.load("5_amp")
    assert np.abs(b.series[0]).sum() > 0 and int(b.truth.sum()) == 5 and b.missing == {}


# ------------------------------------------------------------------ file integrity


def test_checksum_mismatch_names_file(tmp_path: Path) -> None:
    root = copy_of_data(tmp_path, "1_amp")
    path = root / "Network1_amp.npz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"Network1_amp\.npz.*checksum mismatch"):
        SanchezRomero(root=root).load("1_amp")


def test_missing_file_names_file(tmp_path: Path) -> None:
    root = copy_of_data(tmp_path)
    with pytest.raises(DataError, match=r"Network2_amp\.npz.*missing"):
        SanchezRomero(root=root).load("2_amp")


def test_truncated_file_with_matching_checksum_raises(tmp_path: Path) -> None:
    root = copy_of_data(tmp_path, "1_amp")
    path = root / "Network1_amp.npz"
    data = path.read_bytes()[:1000]
    path.write_bytes(data)
    (root / "SHA256SUMS").write_text(f"{hashlib.sha256(data).hexdigest()}  Network1_amp.npz\n")
    with pytest.raises(DataError, match=r"Network1_amp\.npz.*unreadable") as err:
        SanchezRomero(root=root).load("1_amp")
    assert "\n" not in str(err.value)


def test_vendored_files_are_all_listed() -> None:
    listed = {line.split("  ")[1] for line in (DATA_DIR / "SHA256SUMS").read_text().splitlines()}
    assert listed == {f"Network{m}.npz" for m in MEMBERS}
    assert "CC0" in (DATA_DIR / "LICENSE-CC0.txt").read_text()
    prov = (DATA_DIR / "PROVENANCE.md").read_text()
    assert "Network Neuroscience" in prov and "sim-25" in prov


# ------------------------------------------------------------------ metrics on cyclic truths


def _pairs(truth: np.ndarray) -> int:
    """Adjacent unordered pairs (skeleton size)."""
    return int(np.triu(truth | truth.T, 1).sum())


@pytest.mark.parametrize("member", MEMBERS)
def test_perfect_estimate_scores_perfectly(sanchez: SanchezRomero, member: str) -> None:
    truth = sanchez.load(member).truth
    m = compute_metrics(truth, truth.copy(), truth.astype(float))
    assert m["f1"] == m["precision"] == m["recall"] == 1.0
    assert m["shd"] == 0.0 and m["shd_fpfn"] == 0.0
    assert m["skeleton_f1"] == 1.0 and m["orientation_accuracy"] == 1.0
    assert m["auroc"] == 1.0 and m["auprc"] == 1.0
    assert m["c_sensitivity"] == 1.0 and m["d_accuracy"] == 1.0
    if two_cycles(truth):
        assert m["two_cycle_recall"] == 1.0
    else:  # networks 7-9: longer cycles only
        assert m["two_cycle_recall"] is None
    assert m["n_true"] == m["n_pred"] == float(truth.sum())


@pytest.mark.parametrize("member", [m for m in MEMBERS if _VARIANTS[m].network <= 6])
def test_reversed_two_cycle_edge(sanchez: SanchezRomero, member: str) -> None:
    """Truth i ⇄ j; the estimate reverses i → j into j → i, which leaves j → i alone.

    One FN, no FP: SHD 1 (one pair in the wrong state), FP + FN = 1, the skeleton intact, one
    2-cycle and one adjacency wrongly oriented.
    """
    truth = sanchez.load(member).truth
    n_true, n_pairs, cycles = int(truth.sum()), _pairs(truth), two_cycles(truth)
    for i, j in cycles:
        for a, b in ((i, j), (j, i)):
            est = truth.copy()
            est[a, b] = False  # i -> j reversed: j -> i (already true) is all that remains
            m = compute_metrics(truth, est, est.astype(float))
            assert (m["tp"], m["fp"], m["fn"]) == (n_true - 1, 0.0, 1.0)
            assert m["shd"] == 1.0 and m["shd_fpfn"] == 1.0
            assert m["precision"] == 1.0 and m["recall"] == pytest.approx((n_true - 1) / n_true)
            assert m["skeleton_f1"] == 1.0
            assert m["orientation_accuracy"] == pytest.approx((n_pairs - 1) / n_pairs)
            assert m["two_cycle_recall"] == pytest.approx((len(cycles) - 1) / len(cycles))


@pytest.mark.parametrize("member", MEMBERS)
def test_reversed_one_way_edge(sanchez: SanchezRomero, member: str) -> None:
    """A one-way true edge i → j estimated as j → i: one FP and one FN, SHD 1, FP + FN = 2;
    estimated as i ⇄ j: one FP, SHD 1. 2-cycle recall is untouched."""
    truth = sanchez.load(member).truth
    n_true, n_pairs = int(truth.sum()), _pairs(truth)
    expected_2c = 1.0 if two_cycles(truth) else None
    one_way = truth & ~truth.T
    for i, j in zip(*np.nonzero(one_way), strict=True):
        est = truth.copy()
        est[i, j], est[j, i] = False, True
        m = compute_metrics(truth, est, None)
        assert (m["tp"], m["fp"], m["fn"]) == (n_true - 1, 1.0, 1.0)
        assert m["shd"] == 1.0 and m["shd_fpfn"] == 2.0 and m["skeleton_f1"] == 1.0
        assert m["orientation_accuracy"] == pytest.approx((n_pairs - 1) / n_pairs)
        assert m["two_cycle_recall"] == expected_2c
        est[i, j] = True  # now i ⇄ j
        m = compute_metrics(truth, est, None)
        assert (m["fp"], m["fn"], m["shd"], m["shd_fpfn"]) == (1.0, 0.0, 1.0, 1.0)
        assert m["two_cycle_recall"] == expected_2c
