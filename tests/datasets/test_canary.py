"""The identifiability suite: its structures, its draws and the structure_recovered metric."""

from __future__ import annotations

import numpy as np
import pytest

from bench.datasets.canary import EDGES, N_NODES, simulate, truth_of
from bench.metrics import compute_metrics
from bench.registry import get_family, load_dataset


def test_members_and_truths() -> None:
    fam = get_family("canary")
    assert len(fam.members()) == 5 * 2 * 2 and "cycle-skew-sem" in fam.members()
    ds = load_dataset("canary:cycle-skew-var", seed=0)
    assert ds.truth[0, 1] and ds.truth[1, 0] and ds.truth[2, 3] and ds.truth.sum() == 3
    assert len(ds.series) == 10 and ds.series[0].shape == (500, N_NODES)
    assert not truth_of("confounded")[0, 1] and not truth_of("confounded")[1, 0]


def test_draws_follow_the_seed() -> None:
    a = load_dataset("canary:chain-gauss-sem", seed=1).series[0]
    b = load_dataset("canary:chain-gauss-sem", seed=1).series[0]
    c = load_dataset("canary:chain-gauss-sem", seed=2).series[0]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("structure", sorted(EDGES))
def test_sem_dependence_follows_the_graph(structure: str) -> None:
    """In the i.i.d. SEM, edges (and the hidden confounder) make nodes correlated, others not."""
    x = simulate(structure, "gauss", "sem", 20000, seed=3)
    r = np.abs(np.corrcoef(x, rowvar=False))
    t = truth_of(structure)
    linked = t | t.T
    if structure == "confounded":
        linked[0, 1] = linked[1, 0] = True  # through the hidden cause
    if structure in ("chain", "fork"):
        a, b = (0, 2) if structure == "chain" else (1, 2)
        linked[a, b] = linked[b, a] = True  # an indirect path
    off = ~np.eye(N_NODES, dtype=bool)
    assert (r[linked & off] > 0.2).all() and (r[~linked & off] < 0.05).all()


def test_skewed_noise_is_skewed_and_var_is_lagged() -> None:
    from scipy.stats import skew

    x = simulate("chain", "skew", "sem", 20000, seed=4)
    assert skew(x[:, 0]) > 1.5
    v = simulate("chain", "gauss", "var", 20000, seed=5)
    lag1 = np.corrcoef(v[:-1, 0], v[1:, 1])[0, 1]
    same = np.corrcoef(v[:, 0], v[:, 1])[0, 1]
    assert lag1 > 0.3 and lag1 > same


def test_structure_recovered_by_hand() -> None:
    t = truth_of("chain")  # 0 -> 1 -> 2, node 3 isolated
    s = np.full((4, 4), 0.1)
    s[0, 1], s[1, 2] = 0.9, 0.8
    np.fill_diagonal(s, 0)
    adj = t.copy()
    assert compute_metrics(t, adj, s)["structure_recovered"] == 1.0
    s2 = s.copy()
    s2[2, 1] = 0.85  # a reverse above its true edge
    assert compute_metrics(t, adj, s2)["structure_recovered"] == 0.0
    s3 = s.copy()
    s3[0, 3] = 0.85  # a non-edge above a true edge
    assert compute_metrics(t, adj, s3)["structure_recovered"] == 0.0
    # without scores the decision must be exact on true edges, reverses and non-edges
    assert compute_metrics(t, adj, None)["structure_recovered"] == 1.0
    sym = adj | adj.T  # an undirected answer: reverses decided
    assert compute_metrics(t, sym, None)["structure_recovered"] == 0.0
    # a 2-cycle's edges need not beat each other, only the non-edges
    c = truth_of("cycle")
    sc = np.where(c, 0.7, 0.1)
    np.fill_diagonal(sc, 0)
    assert compute_metrics(c, c, sc)["structure_recovered"] == 1.0
    assert compute_metrics(np.zeros((4, 4)), adj, s)["structure_recovered"] is None


def test_a_run_on_the_suite_prints_the_identifiability_table(tmp_path, capsys) -> None:
    from bench.cli import main

    code = main(
        [
            "run", "--methods", "granger,partial-correlation",
            "--datasets", "canary:chain-gauss-var,chain-gauss-sem", "--seeds", "0",
            "--results", str(tmp_path), "--no-track", "--quiet", "--jobs", "1",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    table = (tmp_path / "tables" / "bench" / "identifiability.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if "chain-" in line}
    # Granger orients the lagged chain, not the i.i.d. one; a symmetric method orients neither
    assert rows["chain-gauss-var"].split("|")[2].strip().startswith("✓")
    assert rows["chain-gauss-sem"].split("|")[2].strip().startswith("✗")
    assert rows["chain-gauss-var"].split("|")[3].strip() == "✗ 0.00"
    assert "Identifiability suite" in out
    tex = (tmp_path / "tables" / "bench" / "identifiability.tex").read_text()
    assert "✓" not in tex and "yes 1.00" in tex
