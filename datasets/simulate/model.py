"""NetSim forward model: DCM neural dynamics, balloon–Windkessel haemodynamics, observation.

This is the generating model of NetSim (Smith et al. 2011), vectorised over subjects and
nodes with numpy: every state is an array ``(S, N)`` (subjects × nodes) and one explicit
Euler step advances all of them at once. Orientation follows the project: ``w[s, i, j]`` is
the strength of the connection **i → j** in subject ``s`` (row = source).

Neural model (DCM form; Friston, Harrison & Penny 2003), for node n of one subject::

    dz_n/dt = σ · ( −z_n + Σ_{i≠n} w[i, n](t) · z_i ) + Σ_p C[n, p] · u_p(t)

* σ = 20 s⁻¹ (``SIGMA``; a neural lag of about 1/σ = 50 ms; 10 s⁻¹ in NetSim sims 19–20).
  The diagonal of ``w`` is ignored: every node decays with rate σ.
* ``C`` maps input channels to nodes; NetSim's default is C = I (one private input per node).
* ``w[i, n](t) = w[i, n] + Σ_m b_m · u_{p_m}(t)`` for the modulated connections of NetSim
  sim 22 (bilinear DCM term inside σ(·); see :class:`Modulation`); otherwise constant.

Inputs: channel p is a two-state Markov chain sampled every ``dt`` (5 ms). It starts "down";
per step it switches up with probability ``p_up·dt`` and down with ``p_down·dt``
(p_up = 0.1 s⁻¹, p_down = 0.4 s⁻¹: mean 10 s down, 2.5 s up). The input value is::

    u_p(t) ~ N(0, (I/20)²) when down,  N(I, (I/20)²) when up,
    I = 80 / Σ_{k=0}^{⌊10d⌋} e^{−k/d},  d = 1/(dt·σ)          (I ≈ 7.6 for σ = 20, dt = 5 ms)

so that the neural response to a sustained "up" state is about the same for any σ.

Haemodynamics (balloon–Windkessel, Friston et al. 2000), per node, driven by z::

    ds/dt   = z − κ·s − γ·(f − 1)                       (vasodilatory signal s)
    df/dt   = s                                          (blood inflow f; = d ln f/dt = s/f)
    τ·dv/dt = f − v^{1/α}                                (venous volume v)
    τ·dq/dt = f·[1 − (1 − E0)^{1/f}]/E0 − v^{1/α}·q/v    (deoxyhaemoglobin q)
    y       = 100·V0·[k1·(1 − q) + k2·(1 − q/v) + k3·(1 − v)]   (BOLD, % signal change)

with V0 = 0.04, k1 = 7·E0, k2 = 2, k3 = 2·E0 − 0.2, and the start s = 0, f = v = q = 1
(rest; z = 0 too). Parameters are drawn per subject and node (floored at 0.1)::

    [κ, γ]     ~ N([0.65, 0.41], [[0.0148, −0.0001], [−0.0001, 0.0018]])
    [τ, α, E0] ~ N([0.98, 0.32, 0.34], H·[[0.0514, 0.0021, 0.0018],
                                          [0.0021, 0.0002, 0.0001],
                                          [0.0018, 0.0001, 0.0001]])

H (``hrf_var``) = 4 gives about ±0.5 s of HRF-delay variability; NetSim sims 18 and 20 use 0
(κ and γ vary in every sim).

Integration: explicit Euler with step ``dt`` = 5 ms for all states (as NetSim), from the
values at t to t + dt. The inflow is stepped as f (``f += dt·s``), which agrees with the
``d ln f/dt = s/f`` form of SPM/the reference to second order in dt and saves an exponential
per step. Two safeguards:

* A floor f ≥ ``F_MIN`` = 0.01. The flow model has a finite-time singularity: after a long,
  strong activation a weakly damped node (small κ) undershoots to f → 0, where
  d ln f/dt = s/f diverges (in about 0.2 % of nodes at NetSim's weights, 1–2 % with the
  stronger weights of sims 15 and 22–24). NetSim's own data show the same events as brief
  large negative BOLD spikes (down to −17 % in sim 1, −22 % in sim 15); with the floor the
  node recovers in the same way instead of producing NaN.
* Before integrating, each subject's neural system and its Euler step must be stable
  (|1 + dt·σ·(λ − 1)| < 1 for every eigenvalue λ of ``w``); after every chunk all states
  must be finite with v, q > 0. Otherwise ``ValueError`` (use a smaller ``dt``).

NetSim's generator switched to a local-linearisation step where the Euler error exceeded
0.01; there is no such fallback here. With NetSim's parameters dt·σ = 0.1 and the balloon
time constants are ≈ 1 s: against dt = 1.25 ms on the same input, the 5 ms BOLD differs by
0.55 % of its SD (RMS; 0.31 % at 2.5 ms).

Observation (:func:`observe`): the BOLD is sampled every TR (the state after each full TR,
the first sample at t = TR) and demeaned (NetSim's generator regressed out a constant
"confound"; without this step the causal filter below leaves a transient of the mean level
in the first ~10 samples, which the released NetSim data do not have, while they do have the
first-sample dip it predicts), white Gaussian noise of SD ``noise_sd`` (% signal change; 1,
or 0.1 in the low-noise sims) is added, and each subject's series is high-pass filtered with
a 4th-order Butterworth filter of cut-off 1/200 Hz (NetSim: ``butter(4, 0.03·TR/3, 'high')``
applied causally with MATLAB's ``filter``, i.e. :func:`scipy.signal.lfilter` from a zero
state) and demeaned again.

References: Smith et al. 2011, NeuroImage 54:875 (NetSim); Friston et al. 2000, NeuroImage
12:466 (balloon model); Friston, Harrison & Penny 2003, NeuroImage 19:1273 (DCM).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import signal, sparse

DT = 0.005  # integration step (s)
SIGMA = 20.0  # neural decay rate σ (1/s)
P_UP = 0.1  # input switch-up rate (1/s): mean 10 s down
P_DOWN = 0.4  # input switch-down rate (1/s): mean 2.5 s up
V0 = 0.04  # resting venous blood volume fraction
FLOW_MEAN = np.array([0.65, 0.41])  # [κ, γ]
FLOW_COV = np.array([[0.0148, -0.0001], [-0.0001, 0.0018]])
BALLOON_MEAN = np.array([0.98, 0.32, 0.34])  # [τ, α, E0]
BALLOON_COV = np.array(
    [[0.0514, 0.0021, 0.0018], [0.0021, 0.0002, 0.0001], [0.0018, 0.0001, 0.0001]]
)
PARAM_FLOOR = 0.1
HIGHPASS_S = 200.0  # high-pass cut-off period (s)
F_MIN = 0.01  # floor on the blood inflow f (see the module docstring)
_CHUNK = 2048  # most Euler steps per block of generated inputs
_CHUNK_ELEMENTS = 2_000_000  # and at most this many (step, subject, node) values per block
_DENSE_MAX_N = 64  # above this many nodes the coupling uses a sparse matrix


def input_amplitude(sigma: float = SIGMA, dt: float = DT) -> float:
    """NetSim's "up" input level I = 80 / Σ_{k=0}^{⌊10d⌋} e^{−k/d} with d = 1/(dt·σ)."""
    d = 1.0 / (dt * sigma)
    k = np.arange(int(np.floor(10 * d + 1e-9)) + 1)
    return float(80.0 / np.exp(-k / d).sum())


@dataclass(frozen=True)
class Haemodynamics:
    """Balloon parameters per subject and node: each an array ``(S, N)``."""

    kappa: np.ndarray
    gamma: np.ndarray
    tau: np.ndarray
    alpha: np.ndarray
    e0: np.ndarray

    @staticmethod
    def draw_one(rng: np.random.Generator, n_nodes: int, hrf_var: float) -> np.ndarray:
        """One subject's parameters as an array ``(5, N)``: rows κ, γ, τ, α, E0."""
        flow = rng.multivariate_normal(FLOW_MEAN, FLOW_COV, size=n_nodes, method="cholesky")
        if hrf_var > 0:
            balloon = rng.multivariate_normal(
                BALLOON_MEAN, hrf_var * BALLOON_COV, size=n_nodes, method="cholesky"
            )
        else:
            balloon = np.tile(BALLOON_MEAN, (n_nodes, 1))
        return np.maximum(np.concatenate([flow, balloon], axis=1), PARAM_FLOOR).T

    @classmethod
    def draw(
        cls, rngs: Sequence[np.random.Generator], n_nodes: int, hrf_var: float = 4.0
    ) -> Haemodynamics:
        """Draw every subject's parameters, one generator per subject."""
        p = np.stack([cls.draw_one(r, n_nodes, hrf_var) for r in rngs], axis=1)  # (5, S, N)
        return cls(*(np.ascontiguousarray(x) for x in p))


class MarkovInputs:
    """The input channels of one subject: two-state Markov chains plus Gaussian jitter.

    The switching times are drawn up front as alternating geometric run lengths (exactly the
    per-step switching of the chain), and stored compactly; :meth:`chunk` expands steps
    ``[t0, t1)`` on demand, so memory does not grow with the session length. Chunks must be
    requested in order, without gaps.
    """

    def __init__(
        self,
        rng_states: np.random.Generator,
        rng_jitter: np.random.Generator,
        n_steps: int,
        p_up: np.ndarray,
        p_down: np.ndarray,
        amplitude: float,
    ) -> None:
        p_up = np.asarray(p_up, dtype=float)
        p_down = np.asarray(p_down, dtype=float)
        self.n_channels = int(p_up.size)
        self.amplitude = float(amplitude)
        self._jitter = rng_jitter
        cycle = 1.0 / p_up + 1.0 / p_down  # mean steps per down+up cycle
        n_pairs = int(np.ceil(1.2 * n_steps / cycle.min())) + 8
        runs = np.empty((0, self.n_channels), dtype=np.int64)
        while True:
            new = np.empty((2 * n_pairs, self.n_channels), dtype=np.int64)
            new[0::2] = rng_states.geometric(p_up, size=(n_pairs, self.n_channels))
            new[1::2] = rng_states.geometric(p_down, size=(n_pairs, self.n_channels))
            runs = np.concatenate([runs, new])
            ends = np.cumsum(runs, axis=0)
            if ends[-1].min() >= n_steps:
                break
        step, channel = np.nonzero(ends < n_steps)
        flips = ends[step, channel]  # the state toggles at these steps
        order = np.argsort(flips, kind="stable")
        self._flip_step = flips[order]
        self._flip_channel = channel[order]
        self._state = np.zeros(self.n_channels, dtype=np.int64)
        self._next = 0

    def chunk(self, t0: int, t1: int) -> np.ndarray:
        """Input values ``(t1 − t0, P)`` for steps ``t0 .. t1 − 1``."""
        if t0 != self._next:
            raise ValueError(f"input chunks must be contiguous: asked {t0}, next is {self._next}")
        k = t1 - t0
        lo, hi = np.searchsorted(self._flip_step, [t0, t1], side="left")
        idx = (self._flip_step[lo:hi] - t0) * self.n_channels + self._flip_channel[lo:hi]
        toggles = np.bincount(idx, minlength=k * self.n_channels).reshape(k, self.n_channels)
        states = (np.cumsum(toggles, axis=0) + self._state) % 2
        self._state = states[-1].copy()
        self._next = t1
        u = np.empty((k, self.n_channels))
        jitter = self._jitter.standard_normal((k, self.n_channels), dtype=np.float32)
        np.multiply(jitter, self.amplitude / 20.0, out=u)  # float32 draws: half the cost
        u += self.amplitude * states
        return u


@dataclass(frozen=True)
class Modulation:
    """Bilinear modulation of connections by input channels (NetSim sim 22).

    Connection ``src[m] → dst[m]`` has strength ``w[src, dst] + coef[m]·u_{channel[m]}(t)``
    (inside σ(·)). NetSim sim 22 modulates the five connections of the 5-node graph with
    coef = −0.12 by five hidden slow Markov inputs, which cancels a connection of strength
    ≈ 0.9 while its modulator is up.
    """

    src: np.ndarray
    dst: np.ndarray
    coef: np.ndarray
    channel: np.ndarray


@dataclass
class BoldResult:
    """Noise-free BOLD ``(S, T, N)`` sampled every TR, and optionally the neural states."""

    bold: np.ndarray
    neural: np.ndarray | None = None


def check_stable(weights: np.ndarray, sigma: float, dt: float) -> None:
    """Raise ``ValueError`` if a subject's neural system or its Euler step is unstable."""
    w = np.array(weights, dtype=float)
    n = w.shape[-1]
    w[..., np.arange(n), np.arange(n)] = 0.0
    lam = np.linalg.eigvals(w)  # (S, N)
    growth = np.abs(1.0 + dt * sigma * (lam - 1.0))
    bad = np.nonzero((lam.real >= 1.0).any(axis=-1) | (growth >= 1.0).any(axis=-1))[0]
    if bad.size:
        raise ValueError(
            f"unstable neural system for subject(s) {bad.tolist()}: an eigenvalue of the "
            "weights has real part >= 1 (or the Euler step dt*sigma is too large)"
        )


def dag_levels(weights: np.ndarray) -> list[np.ndarray] | None:
    """Nodes grouped by generation (parents before children), or ``None`` with a cycle.

    ``weights`` ``(S, N, N)``: the union of all subjects' non-zero off-diagonal entries.
    """
    n = weights.shape[-1]
    adj = (weights != 0).any(axis=0)
    adj[np.arange(n), np.arange(n)] = False
    indeg = adj.sum(axis=0)
    done = np.zeros(n, dtype=bool)
    levels = []
    while not done.all():
        level = np.nonzero(~done & (indeg == 0))[0]
        if level.size == 0:
            return None
        levels.append(level)
        done[level] = True
        indeg = indeg - adj[level].sum(axis=0)
    return levels


def simulate_bold(
    weights: np.ndarray,
    haemo: Haemodynamics,
    inputs: Sequence[MarkovInputs],
    *,
    n_samples: int,
    tr: float,
    dt: float = DT,
    sigma: float = SIGMA,
    input_gain: np.ndarray | None = None,
    modulation: Modulation | None = None,
    return_neural: bool = False,
    f_min: float = F_MIN,
) -> BoldResult:
    """Integrate the neural and haemodynamic equations and sample the BOLD every TR.

    ``weights`` ``(S, N, N)`` (i → j, diagonal ignored); ``haemo`` arrays ``(S, N)``;
    ``inputs`` one :class:`MarkovInputs` per subject with P channels (P ≥ N);
    ``input_gain`` ``(S, N, P)`` is C (default: channel n drives node n with gain 1).
    Returns the noise-free BOLD ``(S, n_samples, N)`` (% signal change), sample k being the
    state at t = (k + 1)·TR, and with ``return_neural`` the neural states z at those times.

    The steps are taken in chunks of up to 2048 (fewer for large S·N, to bound memory; the
    result does not depend on the chunk size). Within a chunk the neural states are computed
    first: for an acyclic graph without modulation, node by node in topological order as a
    first-order recursion along time (:func:`scipy.signal.lfilter`, the same Euler recursion
    in closed loop), otherwise step by step; then the haemodynamic states step by step.
    """
    w = np.array(weights, dtype=float)
    if w.ndim != 3 or w.shape[1] != w.shape[2]:
        raise ValueError(f"weights must be (S, N, N), got {w.shape}")
    n_sub, n = w.shape[0], w.shape[1]
    if len(inputs) != n_sub:
        raise ValueError(f"{len(inputs)} input sets for {n_sub} subjects")
    ratio = tr / dt
    per_tr = int(round(ratio))
    if per_tr < 1 or abs(per_tr - ratio) > 1e-6 * ratio:
        raise ValueError(f"TR {tr} s is not a whole number of steps of {dt} s")
    check_stable(w, sigma, dt)
    w[:, np.arange(n), np.arange(n)] = 0.0
    decay = 1.0 - dt * sigma
    coupling = dt * sigma * w  # z_j(t + dt) gets coupling[i, j]·z_i(t)
    levels = None if modulation is not None else dag_levels(w)
    if levels is None:
        # Step-by-step neural map: z <- z·M + dt·C·u with M = decay·I + dt·σ·w.
        m = np.eye(n)[None] * decay + coupling
        if n <= _DENSE_MAX_N:
            m3 = np.ascontiguousarray(m)

            def propagate(z: np.ndarray) -> np.ndarray:
                return np.matmul(z[:, None, :], m3)[:, 0, :]

        else:
            big = sparse.block_diag([m[s].T for s in range(n_sub)], format="csr")
            big.eliminate_zeros()

            def propagate(z: np.ndarray) -> np.ndarray:
                return (big @ z.ravel()).reshape(n_sub, n)

    else:
        parents = [np.nonzero((w[:, :, lev] != 0).any(axis=(0, 2)))[0] for lev in levels]
        level_w = [
            np.ascontiguousarray(coupling[:, par][:, :, lev])
            for par, lev in zip(parents, levels, strict=True)
        ]
    if modulation is not None:
        scatter = np.zeros((modulation.src.size, n))
        scatter[np.arange(modulation.src.size), modulation.dst] = 1.0
        mod_coef = dt * sigma * np.asarray(modulation.coef, dtype=float)

    # Haemodynamic constants, all (S, N).
    s_keep = 1.0 - dt * haemo.kappa  # s(t + dt) = s_keep·s + dt·z + dtγ − dtγ·f
    dt_gamma = dt * haemo.gamma
    dt_tau = dt / haemo.tau
    inv_alpha = 1.0 / haemo.alpha
    dt_tau_e0 = dt_tau / haemo.e0
    log_1m_e0_dt = np.log(1.0 - haemo.e0) / dt  # (1 − E0)^{1/f} = exp(ln(1 − E0)/dt · dt/f)
    k1, k3 = 7.0 * haemo.e0, 2.0 * haemo.e0 - 0.2

    shape = (n_sub, n)
    z = np.zeros(shape)
    s = np.zeros(shape)
    f = np.ones(shape)
    v = np.ones(shape)
    q = np.ones(shape)
    dt_f, vp, out_flow, ext, g, q_out, tmp, ds = (np.empty(shape) for _ in range(8))
    n_steps = n_samples * per_tr
    bold = np.empty((n_sub, n_samples, n))
    neural = np.empty((n_sub, n_samples, n)) if return_neural else None

    chunk = int(min(_CHUNK, max(64, _CHUNK_ELEMENTS // (n_sub * max(n, inputs[0].n_channels)))))
    for c0 in range(0, n_steps, chunk):
        c1 = min(c0 + chunk, n_steps)
        n_k = c1 - c0
        u = np.stack([inp.chunk(c0, c1) for inp in inputs], axis=1)  # (K, S, P)
        if input_gain is None:
            drive = dt * u[:, :, :n]
        else:
            drive = dt * np.einsum("ksp,snp->ksn", u, input_gain)
        # Neural states z(t) for t = c0 .. c1 − 1 (zs[k]), and z(c1) for the next chunk.
        zs = np.zeros((n_k, n_sub, n))
        zs[0] = z
        if levels is not None:
            z_next = np.empty(shape)
            for par, lev, lw in zip(parents, levels, level_w, strict=True):
                c = drive[:, :, lev]
                if par.size:
                    c = c + np.matmul(zs[:, :, par].transpose(1, 0, 2), lw).transpose(1, 0, 2)
                out, _ = signal.lfilter([1.0], [1.0, -decay], c, axis=0, zi=decay * z[None, :, lev])
                zs[1:, :, lev] = out[:-1]
                z_next[:, lev] = out[-1]
            z = z_next
        else:
            if modulation is not None:
                mod_u = u[:, :, modulation.channel] * mod_coef  # (K, S, M)
            for k in range(n_k):
                z_new = propagate(z)
                z_new += drive[k]
                if modulation is not None:
                    z_new += (mod_u[k] * z[:, modulation.src]) @ scatter
                z = z_new
                if k + 1 < n_k:
                    zs[k + 1] = z
        # Haemodynamics, Euler from the states at t (each update uses only old values).
        # Written with in-place operations on preallocated buffers: the arrays are small,
        # so the cost is the number of numpy calls per step.
        z_term = dt * zs
        z_term += dt_gamma
        for k in range(n_k):
            np.divide(dt, f, out=dt_f)  # dt/f
            np.power(v, inv_alpha, out=vp)  # v^{1/α}
            np.multiply(dt_tau, vp, out=out_flow)  # dt/τ·v^{1/α}
            np.multiply(log_1m_e0_dt, dt_f, out=ext)
            np.exp(ext, out=ext)  # (1 − E0)^{1/f}
            np.multiply(dt_tau_e0, f, out=g)  # dt/τ·f/E0
            np.multiply(out_flow, q, out=q_out)
            q_out /= v  # dt/τ·v^{1/α}·q/v
            np.multiply(g, ext, out=tmp)
            q += g  # q += dt/τ·(f·[1 − (1 − E0)^{1/f}]/E0 − v^{1/α}·q/v)
            q -= tmp
            q -= q_out
            np.multiply(dt_tau, f, out=tmp)
            v += tmp  # v += dt/τ·(f − v^{1/α})
            v -= out_flow
            np.multiply(dt_gamma, f, out=tmp)  # dt·γ·f (old f, for s below)
            np.multiply(s, dt, out=ds)
            f += ds  # f += dt·s
            np.maximum(f, f_min, out=f)
            s *= s_keep  # s += dt·(z − κ·s − γ·(f − 1))
            s += z_term[k]
            s -= tmp
            t = c0 + k + 1
            if t % per_tr == 0:
                j = t // per_tr - 1
                bold[:, j, :] = 100.0 * V0 * (k1 * (1.0 - q) + 2.0 * (1.0 - q / v) + k3 * (1.0 - v))
                if neural is not None:
                    # z at time t: the next state (zs[k + 1], or z after the chunk).
                    neural[:, j, :] = zs[k + 1] if k + 1 < n_k else z
        if not (np.isfinite(z).all() and np.isfinite(f).all() and (v > 0).all() and (q > 0).all()):
            raise ValueError(
                f"the integration diverged before t = {c1 * dt:.1f} s; use a smaller dt"
            )
    return BoldResult(bold=bold, neural=neural)


def highpass(
    x: np.ndarray, tr: float, cutoff_s: float = HIGHPASS_S, *, causal: bool = True, axis: int = -2
) -> np.ndarray:
    """4th-order Butterworth high-pass at 1/``cutoff_s`` Hz along ``axis`` (time).

    ``causal`` applies the filter forwards from a zero state (MATLAB ``filter``, as NetSim);
    otherwise forwards and backwards (zero phase, :func:`scipy.signal.filtfilt`).
    """
    wn = 2.0 * tr / cutoff_s  # cut-off as a fraction of the Nyquist frequency
    if not 0.0 < wn < 1.0:
        raise ValueError(f"high-pass cut-off {cutoff_s} s is not above 2 TR ({2 * tr} s)")
    b, a = signal.butter(4, wn, btype="high")
    if causal:
        return signal.lfilter(b, a, x, axis=axis)
    return signal.filtfilt(b, a, x, axis=axis)


def observe(
    bold: np.ndarray,
    rngs: Sequence[np.random.Generator],
    *,
    noise_sd: float,
    tr: float,
    highpass_s: float | None = HIGHPASS_S,
    causal: bool = True,
) -> np.ndarray:
    """Demean, add white noise (one generator per subject), high-pass filter, demean again.

    ``bold`` is ``(S, T, N)``; returns a new array of the same shape.
    """
    y = np.array(bold, dtype=float)
    y -= y.mean(axis=1, keepdims=True)
    if noise_sd > 0:
        for k, rng in enumerate(rngs):
            y[k] += noise_sd * rng.standard_normal(y.shape[1:])
    if highpass_s is not None:
        y = highpass(y, tr, highpass_s, causal=causal, axis=1)
    y -= y.mean(axis=1, keepdims=True)
    return y
