"""The NetSim-style simulator (``bench.datasets.simulate``) and the ``netsim-sim`` family.

Fast tests use few subjects and short sessions; the 50-subject comparisons with the real
NetSim data for several designs are marked ``slow``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench.datasets.netsim_sim import PRESETS, NetSimResimulated
from bench.datasets.simulate import (
    BlockGraph,
    FixedGraph,
    RandomGraph,
    Scenario,
    model,
    netsim_scenario,
    netsim_truth,
    simulate,
)
from bench.datasets.simulate.graphs import block_graph, cycle_edges, netsim_block, random_graph
from bench.datasets.smith import SmithNetSim
from bench.registry import UnknownNameError, get_family, load_dataset, select_datasets

# NetSim member -> (nodes, time points, TR), from reference/datasets.md (all have 50 subjects).
SHAPES = {
    1: (5, 200, 3.0), 2: (10, 200, 3.0), 3: (15, 200, 3.0), 4: (50, 200, 3.0),
    5: (5, 1200, 3.0), 6: (10, 1200, 3.0), 7: (5, 5000, 3.0), 8: (5, 200, 3.0),
    9: (5, 5000, 3.0), 10: (5, 200, 3.0), 11: (10, 200, 3.0), 12: (10, 200, 3.0),
    13: (5, 200, 3.0), 14: (5, 200, 3.0), 15: (5, 200, 3.0), 16: (5, 200, 3.0),
    17: (10, 200, 3.0), 18: (5, 200, 3.0), 19: (5, 2400, 0.25), 20: (5, 2400, 0.25),
    21: (5, 200, 3.0), 22: (5, 200, 3.0), 23: (5, 200, 3.0), 24: (5, 200, 3.0),
    25: (5, 100, 3.0), 26: (5, 50, 3.0), 27: (5, 50, 3.0), 28: (5, 100, 3.0),
}  # fmt: skip

BANDS_HZ = ((0.0, 0.01), (0.01, 0.03), (0.03, 0.06), (0.06, 0.1), (0.1, 1 / 6))


def features(x: np.ndarray, tr: float) -> dict[str, np.ndarray]:
    """Per subject and node: SD, lag-1 autocorrelation and relative band powers ``(S, N)``."""
    x = x - x.mean(axis=1, keepdims=True)
    out = {"sd": x.std(axis=1), "ac1": (x[:, 1:] * x[:, :-1]).sum(1) / (x**2).sum(1)}
    power = np.abs(np.fft.rfft(x, axis=1)) ** 2
    freq = np.fft.rfftfreq(x.shape[1], tr)
    total = power[:, 1:].sum(axis=1)
    for lo, hi in BANDS_HZ:
        out[f"power {lo:g}-{hi:.3g} Hz"] = power[:, (freq > lo) & (freq <= hi)].sum(1) / total
    return out


def assert_within_real_spread(sim: np.ndarray, real: np.ndarray, tr: float) -> None:
    """The acceptance criterion against the real NetSim data (see the comments below).

    1. Per node and feature, the median over simulated subjects lies within the 5th–95th
       percentile range of the real subjects: the real data's own between-subject spread is
       the tolerance (a simulated "typical subject" must look like a real subject).
    2. Pooled over nodes, the simulated and real medians differ by less than 4 standard
       errors of their difference (SE of a median ≈ 1.2533·SD/√n, SD from each sample's
       interquartile range / 1.349): a tighter check on the scale, which 1 alone would let
       drift by ±15 %.
    """
    fs, fr = features(sim, tr), features(real, tr)
    for name in fr:
        lo, hi = np.percentile(fr[name], [5, 95], axis=0)
        med = np.median(fs[name], axis=0)
        assert ((med >= lo) & (med <= hi)).all(), (name, med, lo, hi)
        a, b = fs[name].ravel(), fr[name].ravel()
        se = [
            1.2533 * (np.subtract(*np.percentile(v, [75, 25])) / 1.349) / np.sqrt(v.size)
            for v in (a, b)
        ]
        z = abs(np.median(a) - np.median(b)) / np.hypot(*se)
        assert z < 4.0, (name, np.median(a), np.median(b), z)


def short(sc: Scenario, duration: float = 60.0, **kw: object) -> Scenario:
    return replace(sc, duration=duration, **kw)


# --------------------------------------------------------------------------- model pieces


def test_input_amplitude() -> None:
    # I = 80 / sum_{k=0}^{10d} exp(-k/d), d = 1/(dt sigma): 7.6 at sigma 20, 3.9 at sigma 10.
    assert model.input_amplitude(20.0, 0.005) == pytest.approx(7.613, abs=1e-3)
    assert model.input_amplitude(10.0, 0.005) == pytest.approx(3.90, abs=0.01)


def test_markov_inputs_switching_statistics() -> None:
    rng = np.random.default_rng(0)
    n_steps, dt = 400_000, model.DT  # 2000 s, 4 channels
    p_up, p_down = np.full(4, model.P_UP * dt), np.full(4, model.P_DOWN * dt)
    amp = model.input_amplitude()
    inp = model.MarkovInputs(rng, np.random.default_rng(1), n_steps, p_up, p_down, amp)
    u = np.concatenate([inp.chunk(a, min(a + 50_000, n_steps)) for a in range(0, n_steps, 50_000)])
    assert u.shape == (n_steps, 4)
    up = u > amp / 2
    assert not up[0].any()  # the chains start down
    # Stationary fraction up = p_up / (p_up + p_down) = 0.2; mean up run 2.5 s.
    assert up.mean() == pytest.approx(0.2, abs=0.03)
    starts = (np.diff(up.astype(int), axis=0) == 1).sum()
    assert up.sum() / starts * dt == pytest.approx(2.5, rel=0.15)
    jitter = u[~up]
    assert jitter.std() == pytest.approx(amp / 20, rel=0.02)
    with pytest.raises(ValueError, match="contiguous"):
        inp.chunk(0, 10)


def test_haemodynamic_draws() -> None:
    rngs = [np.random.default_rng(k) for k in range(400)]
    h = model.Haemodynamics.draw(rngs, 5, hrf_var=4.0)
    assert h.kappa.shape == (400, 5)
    assert h.kappa.mean() == pytest.approx(0.65, abs=0.01)
    assert h.tau.std() == pytest.approx(np.sqrt(4 * 0.0514), rel=0.1)
    assert min(x.min() for x in (h.kappa, h.gamma, h.tau, h.alpha, h.e0)) >= 0.1
    flat = model.Haemodynamics.draw(rngs[:3], 5, hrf_var=0.0)
    assert (flat.tau == 0.98).all() and (flat.e0 == 0.34).all()


def test_unstable_weights_raise() -> None:
    w = np.zeros((1, 2, 2))
    w[0, 0, 1] = w[0, 1, 0] = 1.2  # a 2-cycle with gain > 1
    with pytest.raises(ValueError, match="unstable"):
        model.check_stable(w, model.SIGMA, model.DT)


# --------------------------------------------------------------------------- graphs


def test_netsim_designs_use_the_real_truth() -> None:
    smith = SmithNetSim()
    for k in range(1, 29):
        real = smith.load(str(k)).truth
        assert (netsim_truth(k) == real).all()
        sc = netsim_scenario(k)
        n, t, tr = SHAPES[k]
        assert (sc.n_nodes, sc.n_samples, sc.tr, sc.n_subjects) == (n, t, tr, 50)
        if k != 13:
            assert (sc.graph.draw(np.random.default_rng(0)) == real).all()
    # Sim 13: the forward edges only; backward edges are drawn per subject pair.
    assert (netsim_scenario(13).graph.draw(None) == netsim_truth(1)).all()  # type: ignore[arg-type]


def test_block_graph() -> None:
    t = block_graph(50, np.random.default_rng(0))
    assert t.shape == (50, 50) and not t.diagonal().any()
    assert int(t.sum()) == 61  # 10 blocks x 5 edges + 11 cross-links, as NetSim sim 4
    assert (t[:5, :5] == netsim_block()).all() and (t[45:, 45:] == netsim_block()).all()
    assert not cycle_edges(t).any()


def test_random_graph_density_and_cycles() -> None:
    rng = np.random.default_rng(3)
    dag = random_graph(20, 0.1, 0.0, rng)
    assert int(dag.sum()) == 38 and not cycle_edges(dag).any()
    cyc = random_graph(20, 0.1, 0.25, rng)
    assert int(cyc.sum()) == 38 and not cyc.diagonal().any()
    assert int(cycle_edges(cyc).sum()) >= 10  # the 10 backward edges close cycles
    with pytest.raises(ValueError, match="do not fit"):
        random_graph(5, 0.9, 0.0, rng)


# --------------------------------------------------------------------------- simulation


def test_shapes_and_outputs() -> None:
    sc = short(netsim_scenario(2), n_subjects=3)
    sim = simulate(sc, seed=0, keep_states=True)
    assert sim.series.shape == (3, 20, 10) and np.isfinite(sim.series).all()
    assert np.abs(sim.series.mean(axis=1)).max() < 1e-10  # demeaned
    assert sim.truth is not None and (sim.truth == netsim_truth(2)).all()
    assert sim.weights.shape == (3, 10, 10)
    assert ((sim.weights != 0) == sim.truth).all()
    w = sim.weights[sim.weights != 0]
    assert w.min() >= 0.2 and w.max() <= 0.6
    assert sim.bold is not None and sim.neural is not None and sim.neural.shape == (3, 20, 10)


def test_same_seed_same_data_different_seed_different_data() -> None:
    sc = short(netsim_scenario(1), 30.0, n_subjects=3)
    a, b, c = simulate(sc, 0), simulate(sc, 0), simulate(sc, 1)
    np.testing.assert_array_equal(a.series, b.series)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert not np.allclose(a.series, c.series) and not np.allclose(a.weights, c.weights)


def test_subject_does_not_depend_on_subject_count() -> None:
    sc = Scenario(graph=FixedGraph(netsim_truth(1)), stream="test", duration=30.0)
    two, four = simulate(sc, 5, n_subjects=2), simulate(sc, 5, n_subjects=4)
    np.testing.assert_allclose(two.series, four.series[:2], rtol=0, atol=1e-12)


def test_netsim_pairs_share_weights() -> None:
    sim = simulate(short(netsim_scenario(1), 30.0, n_subjects=4), 0)
    np.testing.assert_array_equal(sim.weights[0], sim.weights[2])
    assert not np.allclose(sim.series[0], sim.series[2])  # own inputs, HRFs and noise


def test_sim13_backward_connections_per_subject_pair() -> None:
    sim = simulate(short(netsim_scenario(13), 30.0, n_subjects=10), 0)
    fwd = netsim_truth(1)
    assert sim.truth is None  # the truth differs between subjects
    tps = sim.truth_per_subject
    assert (tps & fwd).sum(axis=(1, 2)).tolist() == [5] * 10
    back = tps & ~fwd
    assert (back <= fwd.T[None]).all()  # only reversals of the chain edges ...
    assert not back[:, 4, 0].any()  # ... never of 1 -> 5
    assert (sim.weights[back] < 0).all()
    np.testing.assert_array_equal(tps[:5], tps[5:])  # paired subjects


def test_sim21_halves_one_connection_in_the_second_group() -> None:
    sim = simulate(short(netsim_scenario(21), 30.0, n_subjects=4), 0)
    np.testing.assert_allclose(sim.weights[2, 1, 2], 0.5 * sim.weights[0, 1, 2])
    np.testing.assert_allclose(sim.weights[2, 0, 1], sim.weights[0, 0, 1])


def test_strong_connections() -> None:
    w = simulate(short(netsim_scenario(15), 30.0, n_subjects=4), 0).weights
    assert w[w != 0].min() >= 0.45 - 1e-9 and w[w != 0].max() <= 1.35 + 1e-9


def _chain_neural(w: np.ndarray, seconds: float = 60.0, tr: float = 0.05) -> np.ndarray:
    """Neural states of ``w`` (S, N, N) with fixed inputs (the same for every call)."""
    n_sub, n = w.shape[:2]
    per_tr = int(round(tr / model.DT))
    n_samples = int(round(seconds / tr))
    inputs = [
        model.MarkovInputs(
            np.random.default_rng(s),
            np.random.default_rng(100 + s),
            n_samples * per_tr,
            np.full(n, model.P_UP * model.DT),
            np.full(n, model.P_DOWN * model.DT),
            model.input_amplitude(),
        )
        for s in range(n_sub)
    ]
    haemo = model.Haemodynamics.draw([np.random.default_rng(7)] * n_sub, n, 4.0)
    res = model.simulate_bold(w, haemo, inputs, n_samples=n_samples, tr=tr, return_neural=True)
    assert res.neural is not None
    return res.neural


def test_child_neural_activity_follows_parent() -> None:
    """Orientation canary: w[0, 1] drives node 1 from node 0 (row = source), not the reverse.

    Same inputs with and without the edge 0 -> 1 of the chain 0 -> 1 -> 2: node 0 is
    unchanged, and the change in node 1 is its response to node 0 (a lagged copy of z0).
    """
    w = np.zeros((2, 3, 3))
    w[:, 0, 1] = w[:, 1, 2] = 0.9
    cut = w.copy()
    cut[:, 0, 1] = 0.0
    z, z_cut = _chain_neural(w), _chain_neural(cut)
    np.testing.assert_array_equal(z[:, :, 0], z_cut[:, :, 0])  # the parent does not feel it
    for s in range(2):
        effect = z[s, :, 1] - z_cut[s, :, 1]
        parent = z[s, :, 0]
        assert effect.mean() > 0.1 * parent.mean()  # a positive weight adds activity
        lagged = [np.corrcoef(parent[: len(parent) - k], effect[k:])[0, 1] for k in range(4)]
        leading = [np.corrcoef(parent[k:], effect[: len(effect) - k])[0, 1] for k in range(4)]
        assert max(lagged) > 0.9 and np.argmax(lagged) >= 1  # the child follows, ~50 ms later
        assert max(lagged) > max(leading[1:])
        assert (np.abs(z[s, :, 2] - z_cut[s, :, 2]) > 0).any()  # and so does the grandchild


def test_bold_lags_in_the_causal_direction() -> None:
    """With identical HRFs, the child's BOLD lags the parent's: corr(x[t], y[t + k]) is
    larger than corr(x[t + k], y[t]) for lags k of 50 to 500 ms (TR 0.05 s). Only the
    parent has an external input, so the child's activity is all inherited."""
    n_sub, n, tr = 3, 2, 0.05
    w = np.zeros((n_sub, n, n))
    w[:, 0, 1] = 0.9
    ones = np.ones((n_sub, n))
    haemo = model.Haemodynamics(0.65 * ones, 0.41 * ones, 0.98 * ones, 0.32 * ones, 0.34 * ones)
    n_samples, per_tr = 2400, 10  # 120 s
    inputs = [
        model.MarkovInputs(
            np.random.default_rng(s),
            np.random.default_rng(100 + s),
            n_samples * per_tr,
            np.full(n, model.P_UP * model.DT),
            np.full(n, model.P_DOWN * model.DT),
            model.input_amplitude(),
        )
        for s in range(n_sub)
    ]
    gain = np.zeros((n_sub, n, n))
    gain[:, 0, 0] = 1.0
    bold = model.simulate_bold(w, haemo, inputs, n_samples=n_samples, tr=tr, input_gain=gain).bold
    for s in range(n_sub):
        x, y = bold[s, 200:, 0], bold[s, 200:, 1]
        for k in range(1, 11):
            follows = np.corrcoef(x[:-k], y[k:])[0, 1]
            leads = np.corrcoef(x[k:], y[:-k])[0, 1]
            assert follows > leads, (s, k, follows, leads)


def test_validation_against_real_sim1() -> None:
    """Simulated sim 1 (20 subjects) against the 50 real NetSim sim 1 subjects."""
    sim = simulate(netsim_scenario(1), 0, n_subjects=20).series
    real = np.stack(SmithNetSim().load("1").series)
    assert_within_real_spread(sim, real, 3.0)


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 10, 11, 12, 15, 16, 22, 23, 24, 28])
def test_validation_against_real_netsim_50_subjects(k: int) -> None:
    sim = simulate(netsim_scenario(k), 1).series
    real = np.stack(SmithNetSim().load(str(k)).series)
    assert_within_real_spread(sim, real, 3.0)


# --------------------------------------------------------------------------- the family


@pytest.fixture(scope="module")
def family() -> NetSimResimulated:
    fam = get_family("netsim-sim")
    assert isinstance(fam, NetSimResimulated)
    return fam


def test_family_info_and_members(family: NetSimResimulated) -> None:
    info = family.info
    assert family.seeded and info.kind == "netsim" and info.tr == 3.0
    assert "Smith" in info.citation and "Friston" in info.citation
    assert "re-simulated" in info.notes.lower() or "Re-simulated" in info.notes
    members = family.members()
    assert members[:28] == [f"sim{k}" for k in range(1, 29)]
    assert members[28:] == [f"n{n}" for n in PRESETS]
    for m in [*members, "resim6", "resim20", "rand20-d0.1-c0.2", "n15"]:
        assert family.accepts(m) and family.describe_member(m)
    for bad in ("sim29", "sim01", "resim1", "n7", "rand5-d2-c0", "smith1"):
        assert not family.accepts(bad)
    with pytest.raises(UnknownNameError, match="sim2"):
        family.scenario("simm2")
    assert family.expand("resim") == [f"resim{k}" for k in (6, 7, 9, 19, 20)]
    sel = select_datasets("netsim-sim:sim1-3,n10,resim6")
    assert sel[0].members == ["sim1", "sim2", "sim3", "n10", "resim6"]
    assert select_datasets("netsim-sim:2-3")[0].members == ["sim2", "sim3"]
    with pytest.raises(UnknownNameError, match="sim30"):
        select_datasets("netsim-sim:sim27-30")


def test_family_load(family: NetSimResimulated) -> None:
    ds = load_dataset("netsim-sim:sim26", seed=0)  # 50 subjects x 2.5 min
    assert (ds.name, ds.family, ds.member, ds.tr) == (
        "netsim-sim:sim26",
        "netsim-sim",
        "sim26",
        3.0,
    )
    assert len(ds.subjects) == 50 and ds.subjects[0] == "sub01"
    assert all(x.shape == (50, 5) and x.dtype == np.float64 for x in ds.series)
    assert (ds.truth == SmithNetSim().load("26").truth).all()
    assert ds.weights is not None and ds.weights.shape == (50, 5, 5)
    assert "not the original" in ds.notes and ds.extra["resimulated"] and ds.extra["seed"] == 0
    # The data are those of simulate(scenario, seed): subjects 1-2 do not depend on the count.
    same = simulate(family.scenario("sim26"), 0, n_subjects=4)
    for k in (0, 1):
        np.testing.assert_array_equal(ds.series[k], same.series[k])
    ds.series[0][:] = 0.0  # callers cannot change what the next caller gets (cached)
    assert np.abs(family.load("sim26", seed=0).series[0]).sum() > 0


def test_resim_alias_is_the_same_data(family: NetSimResimulated) -> None:
    a, b = family.scenario("resim19"), family.scenario("sim19")
    assert a == b and (a.tr, a.n_samples, a.sigma, a.noise_sd) == (0.25, 2400, 10.0, 0.1)


@pytest.mark.parametrize("n", PRESETS)
def test_scaling_presets(family: NetSimResimulated, n: int) -> None:
    sc = family.scenario(f"n{n}")
    assert sc.n_nodes == n and not sc.paired and sc.n_subjects == 50
    graph = sc.graph
    assert isinstance(graph, BlockGraph)
    for seed in (0, 1):
        truth = graph.draw(np.random.default_rng(seed))
        assert truth.shape == (n, n) and int(truth.sum()) == graph.n_edges
        assert truth.sum() / (n * (n - 1)) == pytest.approx(graph.density)
        assert f"density {graph.density:.4f}" in family.describe_member(f"n{n}")
        assert not cycle_edges(truth).any()


def test_preset_simulates_requested_size(family: NetSimResimulated) -> None:
    sim = simulate(short(family.scenario("n20"), 30.0), 0, n_subjects=2)
    assert sim.series.shape == (2, 10, 20)
    assert int(sim.truth.sum()) == BlockGraph(20).n_edges  # type: ignore[union-attr]


def test_random_member_with_cycles(family: NetSimResimulated) -> None:
    sc = family.scenario("rand10-d0.2-c0.3")
    assert isinstance(sc.graph, RandomGraph)
    sim = simulate(short(sc, 30.0), 0, n_subjects=2)
    assert sim.series.shape == (2, 10, 10) and np.isfinite(sim.series).all()
    assert int(sim.truth.sum()) == 18 and cycle_edges(sim.truth).any()  # type: ignore[union-attr]
