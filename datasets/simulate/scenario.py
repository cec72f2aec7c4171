"""Scenarios: a graph plus every generator setting, and :func:`simulate` that runs one.

A :class:`Scenario` describes a dataset the way NetSim's ``sim.m`` does (Smith et al. 2011):
the network design, session length, TR, noise, HRF variability and the special factors of
some simulations. :func:`netsim_scenario` gives the scenario of NetSim simulation K (1–28).

Randomness (DESIGN.md, "Seeds"): everything is drawn from ``numpy.random.SeedSequence``
children of ``(seed, stream)``, where ``stream`` names the scenario (``"sim6"``). The graph
(and the dataset-level draws of sims 11 and 12) comes from child ``(stream, 0)``; subject s
has its own children for design draws (weights, input gains, backward edges), haemodynamics,
input switching, input jitter, observation noise and the global confound. So subject s of a
scenario is the same whatever the number of subjects (except for the pairing below and the
dataset-level factors of sims 10–12).

NetSim pairs its subjects: subject k and k + S/2 share the connection weights and input
gains (``sim.m`` draws them for the first half and copies them), with independent inputs,
haemodynamics and noise. ``paired=True`` reproduces that (NetSim designs); scaling presets
and random graphs use independent subjects.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import numpy as np

from . import model
from .graphs import BLOCK, FixedGraph, draw_weights, netsim_truth

STRONG_FACTOR = 2.25  # NetSim "StrongLinks": a + 1.25·a on positive weights (mean ≈ 0.9)
SHARED_GAIN = 0.3  # NetSim "SharedInputs": node i also receives 0.3 × input j
MODULATION_COEF = -0.12  # NetSim sim 22: per unit of the modulating input
MODULATOR_P_UP, MODULATOR_P_DOWN = 0.05, 0.03  # hidden modulating inputs (1/s)
BAD_ROI_MIX = 0.2  # NetSim "BadROIs": 20 % of another time series mixed in


class Graph(Protocol):
    n_nodes: int

    def draw(self, rng: np.random.Generator) -> np.ndarray: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class Scenario:
    """Everything that defines a simulated dataset apart from the seed.

    Times are in seconds; ``noise_sd`` is in % BOLD signal change (the BOLD itself is a few
    %); ``hrf_var`` is H of :mod:`.model`. NetSim factors (all off by default):
    ``strong`` multiplies positive weights by 2.25 (sims 15, 22–24); ``backward_p`` adds, with
    this probability per within-block chain edge i → i+1, a negative backward connection
    i+1 → i (sim 13, drawn per subject pair); ``shared_inputs_p`` lets node i receive 0.3 ×
    the input of each other node of its 5-node block with this probability (sims 8, 9);
    ``external_gain`` is the diagonal of C (sims 22–24); ``modulated`` makes the five edges of
    the 5-node graph switch off while hidden slow inputs are up (sim 22); ``halve_edge``
    halves one connection in the second half of the subjects (sim 21); ``global_confound``
    adds a shared smooth confound of that fraction of the mean SD to every node (sim 10);
    ``bad_rois`` mixes 20 % of another node's series into each node (``"mixed"``: a fixed
    permutation of the nodes, sim 11) or of the same node of another subject
    (``"other-subject"``, sim 12).
    """

    graph: Graph
    stream: str
    n_subjects: int = 50
    duration: float = 600.0
    tr: float = 3.0
    noise_sd: float = 1.0
    hrf_var: float = 4.0
    sigma: float = model.SIGMA
    dt: float = model.DT
    highpass_s: float | None = model.HIGHPASS_S
    paired: bool = False
    strong: bool = False
    backward_p: float = 0.0
    shared_inputs_p: float = 0.0
    external_gain: tuple[float, ...] | None = None
    modulated: bool = False
    halve_edge: tuple[int, int] | None = None
    global_confound: float = 0.0
    bad_rois: Literal["mixed", "other-subject"] | None = None
    title: str = ""
    not_reproduced: tuple[str, ...] = ()

    @property
    def n_nodes(self) -> int:
        return self.graph.n_nodes

    @property
    def n_samples(self) -> int:
        return int(round(self.duration / self.tr))

    def settings(self) -> dict[str, Any]:
        """The settings as plain values (for dataset metadata)."""
        out: dict[str, Any] = {
            "graph": self.graph.describe(),
            "subjects": self.n_subjects,
            "duration_s": self.duration,
            "tr_s": self.tr,
            "time_points": self.n_samples,
            "noise_sd": self.noise_sd,
            "hrf_var": self.hrf_var,
            "sigma": self.sigma,
            "dt_s": self.dt,
            "highpass_s": self.highpass_s,
            "paired_subjects": self.paired,
        }
        for key in (
            "strong",
            "backward_p",
            "shared_inputs_p",
            "external_gain",
            "modulated",
            "halve_edge",
            "global_confound",
            "bad_rois",
        ):
            value = getattr(self, key)
            if value:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass
class Simulation:
    """The output of :func:`simulate`.

    ``series`` ``(S, T, N)`` is what estimators see; ``truth`` ``(N, N)`` is shared by all
    subjects, or ``None`` when it differs (then see ``truth_per_subject`` ``(S, N, N)``,
    always filled); ``weights`` ``(S, N, N)`` are the true strengths (signed, zero diagonal;
    the stationary part for sim 22). ``bold`` is the noise-free BOLD and ``neural`` the
    neural states z at the sample times (only with ``keep_states``).
    """

    scenario: Scenario
    seed: int
    series: np.ndarray
    truth: np.ndarray | None
    truth_per_subject: np.ndarray
    weights: np.ndarray
    bold: np.ndarray | None = None
    neural: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _stream_key(stream: str) -> int:
    return zlib.crc32(stream.encode("utf-8"))


def _rng(seed: int, key: int, *path: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key, *path)))


def _chain_edges(truth: np.ndarray) -> list[tuple[int, int]]:
    """Within-block chain edges i → i+1 (the candidates for NetSim's backward connections)."""
    n = truth.shape[0]
    return [(i, i + 1) for i in range(n - 1) if truth[i, i + 1] and i // BLOCK == (i + 1) // BLOCK]


def _design(
    sc: Scenario, truth: np.ndarray, rng: np.random.Generator, n_channels: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """One subject (pair)'s signed weights ``(N, N)`` and input gain ``(N, P)`` (or None)."""
    n = truth.shape[0]
    w = draw_weights(truth, rng)
    if sc.backward_p > 0:
        for i, j in _chain_edges(truth):
            if rng.random() < sc.backward_p:
                w[j, i] = -float(draw_weights(np.ones((1, 1), dtype=bool), rng)[0, 0])
    if sc.strong:
        w = np.where(w > 0, STRONG_FACTOR * w, w)
    gain = None
    if sc.external_gain is not None or sc.shared_inputs_p > 0 or n_channels > n:
        gain = np.zeros((n, n_channels))
        gain[np.arange(n), np.arange(n)] = 1.0
        if sc.external_gain is not None:
            gain[np.arange(n), np.arange(n)] = sc.external_gain
        if sc.shared_inputs_p > 0:
            block = np.arange(n) // BLOCK
            same = (block[:, None] == block[None, :]) & ~np.eye(n, dtype=bool)
            draw = rng.random((n, n)) < sc.shared_inputs_p
            gain[:, :n][same & draw] = SHARED_GAIN
    return w, gain


def _stabilise(w: np.ndarray) -> tuple[np.ndarray, bool]:
    """Scale ``w`` so that its eigenvalues have real part ≤ 0.9 (only graphs with cycles)."""
    top = float(np.linalg.eigvals(w).real.max()) if w.any() else 0.0
    if top < 0.9:
        return w, False
    return w * (0.9 / top), True


def _matlab_smooth(x: np.ndarray, span: int = 5) -> np.ndarray:
    """MATLAB ``smooth(x)``: centred moving average, narrowing to odd spans at the ends."""
    n = x.size
    out = np.empty(n)
    half = span // 2
    for t in range(n):
        h = min(half, t, n - 1 - t)
        out[t] = x[t - h : t + h + 1].mean()
    return out


def simulate(
    sc: Scenario,
    seed: int = 0,
    *,
    n_subjects: int | None = None,
    keep_states: bool = False,
    edge_scale: np.ndarray | None = None,
) -> Simulation:
    """Simulate ``sc`` from ``seed`` (``n_subjects`` overrides ``sc.n_subjects``).

    ``edge_scale`` ``(S, N, N)`` multiplies each subject's drawn weights (after ``halve_edge``,
    before the stability rescaling), e.g. 0.5 to weaken or 0 to remove a connection in some
    subjects (two-group cohorts, :mod:`bench.datasets.cohort`); the subject's truth is then its
    non-zero weights. The random draws do not depend on it.
    """
    if n_subjects is not None:
        sc = replace(sc, n_subjects=n_subjects)
    n_sub, n = sc.n_subjects, sc.n_nodes
    if n_sub < 1:
        raise ValueError("at least one subject is needed")
    if sc.n_samples < 2:
        raise ValueError(f"duration {sc.duration} s gives fewer than 2 samples at TR {sc.tr} s")
    if edge_scale is not None:
        edge_scale = np.asarray(edge_scale, dtype=float)
        if edge_scale.shape != (n_sub, n, n):
            raise ValueError(f"edge_scale must be ({n_sub}, {n}, {n}), got {edge_scale.shape}")
    key = _stream_key(sc.stream)
    g_rng = _rng(seed, key, 0)
    truth = sc.graph.draw(g_rng)
    if truth.shape != (n, n) or truth.diagonal().any():
        raise ValueError("the graph must be (N, N) without self-loops")

    n_mod = 0
    modulation = None
    if sc.modulated:
        if n != BLOCK:
            raise ValueError("the sim-22 modulation is defined for the 5-node graph")
        edges = [(0, 1), (1, 2), (2, 3), (3, 4), (0, 4)]
        n_mod = len(edges)
        modulation = model.Modulation(
            src=np.array([e[0] for e in edges]),
            dst=np.array([e[1] for e in edges]),
            coef=np.full(n_mod, MODULATION_COEF),
            channel=n + np.arange(n_mod),
        )
    n_ch = n + n_mod

    half = (n_sub + 1) // 2 if sc.paired else n_sub
    designs: dict[int, tuple[np.ndarray, np.ndarray | None]] = {}
    weights = np.zeros((n_sub, n, n))
    gains = (
        np.zeros((n_sub, n, n_ch)) if (sc.external_gain or sc.shared_inputs_p or n_mod) else None
    )
    rescaled = []
    for s in range(n_sub):
        d = s % half if sc.paired else s
        if d not in designs:
            designs[d] = _design(sc, truth, _rng(seed, key, 1, d, 0), n_ch)
        w, gain = designs[d]
        w = w.copy()
        if sc.halve_edge is not None and s >= half:
            w[sc.halve_edge] *= 0.5
        if edge_scale is not None:
            w = w * edge_scale[s]
        w, was = _stabilise(w)
        if was:
            rescaled.append(s)
        weights[s] = w
        if gains is not None:
            gains[s] = gain
    truth_per_subject = weights != 0

    haemo = model.Haemodynamics.draw(
        [_rng(seed, key, 1, s, 1) for s in range(n_sub)], n, sc.hrf_var
    )
    p_up = np.full(n_ch, model.P_UP * sc.dt)
    p_down = np.full(n_ch, model.P_DOWN * sc.dt)
    p_up[n:], p_down[n:] = MODULATOR_P_UP * sc.dt, MODULATOR_P_DOWN * sc.dt
    per_tr = int(round(sc.tr / sc.dt))
    n_steps = sc.n_samples * per_tr
    amplitude = model.input_amplitude(sc.sigma, sc.dt)
    inputs = [
        model.MarkovInputs(
            _rng(seed, key, 1, s, 2), _rng(seed, key, 1, s, 3), n_steps, p_up, p_down, amplitude
        )
        for s in range(n_sub)
    ]
    res = model.simulate_bold(
        weights,
        haemo,
        inputs,
        n_samples=sc.n_samples,
        tr=sc.tr,
        dt=sc.dt,
        sigma=sc.sigma,
        input_gain=gains,
        modulation=modulation,
        return_neural=keep_states,
    )
    y = model.observe(
        res.bold,
        [_rng(seed, key, 1, s, 4) for s in range(n_sub)],
        noise_sd=sc.noise_sd,
        tr=sc.tr,
        highpass_s=sc.highpass_s,
    )
    extra: dict[str, Any] = {}
    if sc.bad_rois == "mixed":
        perm = g_rng.permutation(n)
        y = (1 - BAD_ROI_MIX) * y + BAD_ROI_MIX * y[:, :, perm]
        extra["bad_roi_permutation"] = perm.tolist()
    elif sc.bad_rois == "other-subject":
        other = (np.arange(n_sub)[:, None] + np.arange(n)[None, :] + 1) % n_sub  # (S, N)
        y = (1 - BAD_ROI_MIX) * y + BAD_ROI_MIX * y[other, :, np.arange(n)[None, :]].transpose(
            0, 2, 1
        )
    if sc.global_confound > 0:
        std_ts = float(y.reshape(-1, n).std(axis=0, ddof=1).mean())
        for s in range(n_sub):
            c = _matlab_smooth(_rng(seed, key, 1, s, 5).standard_normal(sc.n_samples))
            c = model.highpass(c[:, None], sc.tr, model.HIGHPASS_S, axis=0)[:, 0]
            c -= c.mean()
            c *= sc.global_confound * std_ts / c.std(ddof=1)
            y[s] += c[:, None]
    if rescaled:
        extra["rescaled_subjects"] = rescaled
    same = bool((truth_per_subject == truth_per_subject[:1]).all())
    return Simulation(
        scenario=sc,
        seed=seed,
        series=y,
        truth=truth_per_subject[0].copy() if same else None,
        truth_per_subject=truth_per_subject,
        weights=weights,
        bold=res.bold if keep_states else None,
        neural=res.neural,
        extra=extra,
    )


# --------------------------------------------------------------------------- NetSim designs

_NOT_REPRODUCED_ALL = (
    "NetSim's local-linearisation fallback of the Euler integrator (plain Euler at 5 ms here, "
    "with a floor of 0.01 on the blood inflow)",
    "NetSim's per-node draw of the intra/extravascular signal ratio (epsilon = 1 here)",
)

# sim -> (title, overrides); every sim has 50 paired subjects, TR 3 s, 10 min, noise 1, H 4
# unless overridden (sim.m in the NetSim release; Smith et al. 2011, Table 1).
NETSIM: dict[int, tuple[str, dict[str, Any]]] = {
    1: ("5 nodes, baseline", {}),
    2: ("10 nodes, baseline", {}),
    3: ("15 nodes, baseline", {}),
    4: ("50 nodes, baseline", {}),
    5: ("60 min sessions", {"duration": 3600.0}),
    6: ("10 nodes, 60 min sessions", {"duration": 3600.0}),
    7: ("250 min sessions", {"duration": 15000.0}),
    8: ("shared inputs", {"shared_inputs_p": 0.2}),
    9: ("250 min sessions and shared inputs", {"duration": 15000.0, "shared_inputs_p": 0.2}),
    10: ("global mean confound", {"global_confound": 0.5}),
    11: ("bad ROIs (time series mixed with other nodes)", {"bad_rois": "mixed"}),
    12: ("bad ROIs (series of other subjects mixed in)", {"bad_rois": "other-subject"}),
    13: ("backward connections (random per subject pair)", {"backward_p": 0.5}),
    14: ("cyclic connections (5 -> 1 instead of 1 -> 5)", {}),
    15: ("stronger connections", {"noise_sd": 0.1, "strong": True}),
    16: ("more connections (2 -> 4, 3 -> 5)", {}),
    17: ("10 nodes, less noise", {"noise_sd": 0.1}),
    18: ("no HRF variability", {"hrf_var": 0.0}),
    19: ("neural lag 100 ms, TR 0.25 s", {"tr": 0.25, "noise_sd": 0.1, "sigma": 10.0}),
    20: (
        "neural lag 100 ms, TR 0.25 s, no HRF variability",
        {"tr": 0.25, "noise_sd": 0.1, "sigma": 10.0, "hrf_var": 0.0},
    ),
    21: ("two groups: connection 2 -> 3 halved in half the subjects", {"halve_edge": (1, 2)}),
    22: (
        "non-stationary connection strengths (each of the 5 connections is cancelled while "
        "its hidden slow modulating input is up, 62 % of the time on average; the weights "
        "given are the stationary strengths)",
        {
            "noise_sd": 0.1,
            "strong": True,
            "external_gain": (1.0, 0.3, 0.3, 0.3, 0.3),
            "modulated": True,
        },
    ),
    23: (
        "stationary connection strengths",
        {"noise_sd": 0.1, "strong": True, "external_gain": (1.0, 0.3, 0.3, 0.3, 0.3)},
    ),
    24: (
        "one strong external input",
        {"noise_sd": 0.1, "strong": True, "external_gain": (1.0, 0.1, 0.1, 0.1, 0.1)},
    ),
    25: ("5 min sessions", {"duration": 300.0}),
    26: ("2.5 min sessions", {"duration": 150.0}),
    27: ("2.5 min sessions, less noise", {"duration": 150.0, "noise_sd": 0.1}),
    28: ("5 min sessions, less noise", {"duration": 300.0, "noise_sd": 0.1}),
}

_SIM_NOT_REPRODUCED: dict[int, tuple[str, ...]] = {
    8: ("the weights are not copied from sim 1 (NetSim's sim 8 reused sim 1's net)",),
    12: (
        "NetSim mixed already-mixed series for the subjects that wrap around; here every "
        "node mixes in the unmixed series of subject s + n + 1",
    ),
    21: ("subjects 1-25 are not copies of sim 1's subjects 1-25",),
    22: (
        "NetSim also integrated the five hidden modulator nodes neurally and "
        "haemodynamically before dropping them; only their inputs matter and only those "
        "are simulated here",
    ),
}


def netsim_scenario(sim: int, *, stream: str | None = None) -> Scenario:
    """The scenario of NetSim simulation ``sim`` (1–28), graph from the real NetSim truth."""
    if sim not in NETSIM:
        raise ValueError(f"NetSim simulations are numbered 1-28, not {sim}")
    title, overrides = NETSIM[sim]
    truth = netsim_truth(sim, forward_only=sim == 13)
    label = f"NetSim sim {sim} graph" + (" (forward edges)" if sim == 13 else "")
    return Scenario(
        graph=FixedGraph(truth, label),
        stream=stream or f"sim{sim}",
        paired=True,
        title=title,
        not_reproduced=_NOT_REPRODUCED_ALL + _SIM_NOT_REPRODUCED.get(sim, ()),
        **overrides,
    )
