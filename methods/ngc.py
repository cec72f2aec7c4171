"""Neural Granger causality with component-wise MLPs (cMLP; Tank, Covert, Foti, Shojaie & Fox).

Model (Tank et al. 2021, the cMLP)
----------------------------------
Each series is standardised (mean 0, unit standard deviation: the penalty λ then does not
depend on the units). For every *target* j one MLP g_j predicts x_j[t] from the last K values
of all N series, x[t−1], ..., x[t−K]. Its first layer is

    h¹[t] = σ( Σ_{k=1..K} W^{(j)}[:, :, k] x[t−k] + b¹ ),   W^{(j)} ∈ R^{H × N × K},

followed by the hidden layers ``hidden[1:]`` (ReLU σ) and a linear output. Input i can influence
x_j only through the group of first-layer weights W^{(j)}[:, i, :], so

    i Granger-causes j  ⇔  W^{(j)}[:, i, :] ≠ 0.

Objective, for each j (the N networks are independent and trained side by side)::

    L_j = 1/(T−K) Σ_t (x_j[t] − g_j(x[t−1..t−K]))² + λ_ridge Σ_{layers ≥ 2} ‖W‖²_F + λ Ω(W^{(j)})

with the group-lasso penalty (``penalty="GL"``)

    Ω(W) = Σ_i ‖W[:, i, :]‖_F

or the hierarchical penalty (``penalty="H"``), whose nested groups, one per lag k,
hold the weights of lags k..K and so zero the far lags first (automatic lag selection)::

    Ω(W) = Σ_i Σ_{k=1..K} ‖W[:, i, k:K]‖_F.

Optimisation: proximal gradient descent (ISTA), as in the paper: a gradient step of size
``lr`` on the smooth part (MSE + ridge), then the proximal step of λΩ on the first-layer
weights, which sets whole groups to exactly zero. For one group g the prox is
w_g · max(0, 1 − lr·λ/‖w_g‖); for the hierarchical (tree-structured) groups it is the
composition of the group proxes from the smallest group (lag K alone) to the largest (all lags)
(Jenatton, Mairal, Obozinski & Bach 2011, JMLR 12; the order of the authors' code). The step
size is fixed (the authors' current code adds a line search, GISTA). Training stops after
``max_iter`` iterations or earlier when the objective, checked every ``check_every``
iterations, changed by less than ``tol`` (relative) since the previous check. Initialisation as
torch's ``Conv1d``/``Linear`` defaults, U(−1/√fan_in, 1/√fan_in) for weights and biases, from a
generator seeded by ``random_state``.

Scores and decision (orientation: ``A[i, j]`` = i → j, row = source)
---------------------------------------------------------------------
The network of target j gives column j::

    scores_[i, j]    = ‖W^{(j)}[:, i, :]‖_F          (the L2 norm of input i's group)
    adjacency_[i, j] = scores_[i, j] > 0             (exactly: a non-zero group)

The authors' code reads the same matrix as ``GC[j, i]`` (row = target, ``cMLP.GC``); it is
transposed here. The decision rule is "norm > 0 exactly", as in the paper and the authors'
``GC(threshold=True)``: the last operation on W is a proximal step, which returns groups with
‖w_g‖ ≤ lr·λ as exact zeros, so no tolerance is needed and any tolerance would be a second,
arbitrary threshold. (A surviving group can still be small; the continuous ``scores_`` keep the
ranking for AUROC.) The self-groups (i = j) are fitted like the others, as in the paper, but the
diagonal is never scored. ``extra_["lag_norms"]`` holds ‖W^{(j)}[:, i, k]‖ per lag,
``(K, N, N)`` in the same orientation.

Defaults and their source
-------------------------
``lag=5``, ``hidden=(10,)`` and ``penalty="H"`` are the authors' cMLP demo on a lagged VAR
(``cmlp_lagged_var_demo.ipynb`` of ``iancovert/Neural-GC``: lag 5, one hidden layer of 10 units,
hierarchical penalty). The paper selects λ along a path and reports AUROC over it; a benchmark
needs one λ fixed in advance. ``lam=0.3``, ``lam_ridge=1e-2``, ``lr=0.05`` and
``max_iter=2000`` were chosen on the synthetic VAR(1) data of the test suite
(``tests/conftest.py::make_var``, T = 200, N = 5 and 10, standardised), never on NetSim or any
truth of the benchmark: there λ = 0.3 gave F1 0.55-0.82 (AUROC 0.87-1.0), λ = 0.2 kept most
null groups (F1 0.43-0.74) and λ = 0.8 zeroed every group; 3000 instead of 1000 iterations
changed at most one decision per fit. The demo's ridge 1e-4 is too weak here: a ReLU MLP is
invariant to scaling its first layer by c and its output by 1/c, so with a negligible ridge the
output weights grow while the penalised first layer shrinks, the penalty loses its grip, and no
group stayed zero for any λ ≤ 0.2 on those data. ``extra_["iterations"]`` and
``extra_["converged"]`` record whether the stopping rule or the cap ended a fit. One λ does not
suit every size: on NetSim (T = 200; measured with ``tests/benchmarks/neural_netsim.py``) the
decision keeps about 6 edges per subject on sim 1 (5 true), 29 on sim 2 (11 true) and 585 on
sim 4 (61 true, of 2450 pairs), where each network has 2500 first-layer weights for 195
samples; pass a larger ``lam`` for large networks.

Reference
---------
A. Tank, I. Covert, N. Foti, A. Shojaie, E. B. Fox (2021), Neural Granger causality, IEEE
Transactions on Pattern Analysis and Machine Intelligence 44(8), 4267–4279; authors' code
``iancovert/Neural-GC`` (PyTorch).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, standardize, zero_diagonal
from bench.methods.base import Estimator, check_series
from bench.registry import register_method
from bench.types import FitContext, UnavailableError

PENALTIES = ("GL", "H")


def resolve_device(device: str, method: str) -> str:
    """``"auto"`` → ``"cuda"`` when a CUDA GPU is visible, else ``"cpu"``; an explicit CUDA
    device without a GPU raises :class:`~bench.types.UnavailableError`."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise UnavailableError(f"{method}: device={device!r} requested but no CUDA GPU is visible")
    return device


@contextmanager
def torch_threads(device: str) -> Iterator[None]:
    """One intra-op torch thread while fitting on the CPU, restored afterwards.

    These networks are small (a few thousand weights, T ≈ 200): the per-operation overhead
    dominates and extra threads only contend. Measured on NetSim sims 1 and 4 (2 cores, shared):
    2 threads were 10-16 times slower per iteration than 1 (ngc 100 vs 6 ms, tcdf 158 vs
    37 ms per epoch on sim 1). The runner's workers already limit threads; this keeps direct use
    (and the test suite) from oversubscribing.
    """
    import torch

    if not device.startswith("cpu"):
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def check_device(device: Any, method: str) -> None:
    """``ValueError`` unless ``device`` is ``"auto"``, ``"cpu"`` or ``"cuda[:k]"``."""
    if not isinstance(device, str) or not (
        device in ("auto", "cpu") or device == "cuda" or device.startswith("cuda:")
    ):
        raise ValueError(f"{method}: device must be 'auto', 'cpu' or 'cuda[:k]', not {device!r}")


def lagged_design(x: np.ndarray, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(T−K, N, K)`` with ``[t, i, k] = x[t+K−(k+1), i]`` (lag k+1) and targets
    ``(T−K, N)`` with ``[t, j] = x[t+K, j]``."""
    t = x.shape[0]
    inputs = np.stack([x[lag - k - 1 : t - k - 1] for k in range(lag)], axis=2)
    return inputs, x[lag:]


def group_prox(w: Any, threshold: float) -> Any:
    """Prox of ``threshold · ‖w‖`` over the group axes (all but the first two): block soft
    thresholding ``w · max(0, 1 − threshold / ‖w‖)`` per (target, input) pair of ``w``
    ``(N, H, N, ...)``; groups with ``‖w‖ ≤ threshold`` become exact zeros."""
    import torch

    norm = torch.sqrt(torch.sum(w * w, dim=1, keepdim=True))
    norm = torch.sqrt(torch.sum(norm * norm, dim=tuple(range(3, w.dim())), keepdim=True))
    scale = torch.clamp(1.0 - threshold / torch.clamp(norm, min=1e-30), min=0.0)
    return w * scale


def prox_penalty(w: Any, threshold: float, penalty: str) -> Any:
    """Prox of ``threshold · Ω`` on the first-layer weights ``w`` ``(N, H, N, K)`` (lag k+1 at
    index k). ``"GL"``: one group per (target, input); ``"H"``: the nested groups of lags
    k+1..K, applied from the smallest (lag K) to the largest (module docstring)."""
    if penalty == "GL":
        return group_prox(w, threshold)
    out = w.clone()
    lag = w.shape[3]
    for k in range(lag - 1, -1, -1):
        out[..., k:] = group_prox(out[..., k:], threshold)
    return out


def penalty_value(w: Any, penalty: str) -> Any:
    """Ω summed over every (target, input) pair (the group norms of :func:`prox_penalty`)."""
    import torch

    if penalty == "GL":
        return torch.sqrt(torch.sum(w * w, dim=(1, 3))).sum()
    lag = w.shape[3]
    return sum(torch.sqrt(torch.sum(w[..., k:] ** 2, dim=(1, 3))).sum() for k in range(lag))


@dataclass
class CMLPFit:
    """What :func:`fit_cmlp` returns: first-layer weights ``(N, H, N, K)`` as numpy, the
    number of ISTA iterations, whether the stopping rule (not the cap) ended them, and the
    final objective and MSE (means over targets)."""

    first_layer: np.ndarray
    iterations: int
    converged: bool
    objective: float
    mse: float


def _init_params(n: int, lag: int, hidden: tuple[int, ...], gen: Any, device: str) -> list[Any]:
    """Weights and biases of the N networks, stacked along a leading target axis: first layer
    ``(N, H1, N, K)`` + bias, hidden layers ``(N, H_{l+1}, H_l)`` + bias, output ``(N, H_L)``
    + bias; each U(−1/√fan_in, 1/√fan_in) as torch's layer defaults."""
    import torch

    def uniform(shape: tuple[int, ...], fan_in: int) -> Any:
        bound = 1.0 / np.sqrt(fan_in)
        u = torch.rand(shape, generator=gen, dtype=torch.float32) * 2 * bound - bound
        return u.to(device).requires_grad_(True)

    params = [uniform((n, hidden[0], n, lag), n * lag), uniform((n, hidden[0]), n * lag)]
    for h_in, h_out in zip(hidden, hidden[1:], strict=False):
        params += [uniform((n, h_out, h_in), h_in), uniform((n, h_out), h_in)]
    params += [uniform((n, hidden[-1]), hidden[-1]), uniform((n,), hidden[-1])]
    return params


def _forward(params: list[Any], inputs: Any) -> Any:
    """Predictions ``(B, N)`` of the N networks for lagged inputs ``(B, N·K)`` (input-major,
    as :func:`lagged_design` flattened): the first layers of all networks are one matrix
    product, the later layers batched products over the target axis."""
    import torch

    w1, b1 = params[0], params[1]
    n, h1, _, lag = w1.shape
    first = inputs @ w1.permute(2, 3, 0, 1).reshape(n * lag, n * h1)
    h = torch.relu(first.view(-1, n, h1) + b1)  # (B, N, H1)
    rest = params[2:-2]
    for w, b in zip(rest[::2], rest[1::2], strict=True):
        h = torch.relu(torch.einsum("bjh,jgh->bjg", h, w) + b)
    return (h * params[-2]).sum(dim=-1) + params[-1]


def fit_cmlp(
    x: np.ndarray,
    *,
    lag: int,
    hidden: tuple[int, ...],
    lam: float,
    lam_ridge: float,
    lr: float,
    penalty: str,
    max_iter: int,
    check_every: int,
    tol: float,
    seed: int,
    device: str = "cpu",
) -> CMLPFit:
    """Train the N component-wise MLPs on ``x`` ``(T, N)`` by ISTA (module docstring)."""
    import torch

    n = x.shape[1]
    inputs_np, targets_np = lagged_design(x, lag)
    flat = inputs_np.reshape(inputs_np.shape[0], -1)
    inputs = torch.as_tensor(flat, dtype=torch.float32, device=device)
    targets = torch.as_tensor(targets_np, dtype=torch.float32, device=device)
    gen = torch.Generator().manual_seed(int(seed))
    params = _init_params(n, lag, hidden, gen, device)
    ridge_params = params[2:-2:2] + [params[-2]]

    def smooth_loss() -> tuple[Any, Any]:
        mse = torch.mean((_forward(params, inputs) - targets) ** 2, dim=0)  # per target
        ridge = sum(torch.sum(w * w) for w in ridge_params)
        # Sum over targets: each network's gradient is that of its own objective L_j.
        return mse.sum() + lam_ridge * ridge, mse

    def objective() -> tuple[float, float]:
        with torch.no_grad():
            smooth, mse = smooth_loss()
            total = smooth + lam * penalty_value(params[0], penalty)
        return float(total) / n, float(mse.mean())

    last, _ = objective()
    it, converged = 0, False
    for it in range(1, max_iter + 1):
        smooth, _ = smooth_loss()
        grads = torch.autograd.grad(smooth, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p -= lr * g
            params[0].copy_(prox_penalty(params[0], lr * lam, penalty))
        if it % check_every == 0:
            now, _ = objective()
            if abs(last - now) <= tol * max(abs(last), 1e-12):
                converged = True
                break
            last = now
    final, mse = objective()
    return CMLPFit(
        first_layer=params[0].detach().cpu().numpy().astype(np.float64),
        iterations=it,
        converged=converged,
        objective=final,
        mse=mse,
    )


def cmlp_scores(first_layer: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(scores, lag_norms)`` in the bench orientation from first-layer weights
    ``(N_target, H, N_input, K)``: ``scores[i, j] = ‖W^{(j)}[:, i, :]‖`` and
    ``lag_norms[k, i, j] = ‖W^{(j)}[:, i, k]‖`` (the transpose of the authors' ``GC[j, i]``)."""
    w = np.asarray(first_layer, dtype=np.float64)
    scores = np.sqrt(np.sum(w * w, axis=(1, 3))).T  # (input, target)
    lag_norms = np.sqrt(np.sum(w * w, axis=1)).transpose(2, 1, 0)  # (K, input, target)
    return scores, lag_norms


def _check_positive(name: str, value: Any, *, integer: bool = False, zero: bool = False) -> None:
    kind = int if integer else (int, float)
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if ok:
        ok = value >= 0 if zero else value > 0
    if not ok or (not integer and not np.isfinite(value)):
        what = "an integer" if integer else "a number"
        bound = ">= 0" if zero else "> 0"
        raise ValueError(f"ngc-cmlp: {name} must be {what} {bound}, got {value!r}")


@register_method(
    "ngc-cmlp",
    level="subject",
    deterministic=False,
    needs_gpu=True,
    requires=("torch",),
    citation=(
        "Tank, Covert, Foti, Shojaie & Fox (2021), Neural Granger causality, IEEE TPAMI 44(8), "
        "4267-4279; code iancovert/Neural-GC"
    ),
    description=(
        "neural Granger causality: one MLP per target on lags 1..5 of all (standardised) series, "
        "hierarchical group lasso on each input's first-layer weights, trained by proximal "
        "gradient (ISTA, fixed lambda 0.3); decision: input groups not exactly zero"
    ),
    scores="L2 norm of input i's first-layer weights in target j's MLP",
    canary=Canary("chain-lagged", n=500, params={"max_iter": 300}),
    test_params={"max_iter": 40, "check_every": 20, "hidden": (4,), "lag": 2},
)
class NeuralGrangerCMLP(Estimator):
    """Component-wise MLP neural Granger causality; the maths is in the module docstring.

    Parameters
    ----------
    lag : K, the number of past time points each MLP sees.
    hidden : units of the hidden layers (ReLU), e.g. ``(10,)``.
    lam : λ, weight of the group penalty on the first-layer weights.
    lam_ridge : weight of the ridge penalty on the later layers.
    penalty : ``"H"`` (hierarchical, lag-nested groups) or ``"GL"`` (group lasso).
    lr : fixed ISTA step size.
    max_iter, check_every, tol : at most ``max_iter`` ISTA iterations; stop when the objective
        changed by less than ``tol`` (relative) over ``check_every`` iterations.
    device : ``"auto"`` (CUDA when visible, else CPU), ``"cpu"`` or ``"cuda[:k]"``.
    random_state : seed of the weight initialisation (set by the runner from the run seed).
    """

    def __init__(
        self,
        *,
        lag: int = 5,
        hidden: tuple[int, ...] = (10,),
        lam: float = 0.3,
        lam_ridge: float = 1e-2,
        penalty: str = "H",
        lr: float = 0.05,
        max_iter: int = 2000,
        check_every: int = 100,
        tol: float = 1e-5,
        device: str = "auto",
        random_state: int | None = None,
    ) -> None:
        self.lag = lag
        self.hidden = hidden
        self.lam = lam
        self.lam_ridge = lam_ridge
        self.penalty = penalty
        self.lr = lr
        self.max_iter = max_iter
        self.check_every = check_every
        self.tol = tol
        self.device = device
        self.random_state = random_state

    def check_params(self) -> None:
        for name in ("lag", "max_iter", "check_every"):
            _check_positive(name, getattr(self, name), integer=True)
        _check_positive("lr", self.lr)
        for name in ("lam", "lam_ridge", "tol"):
            _check_positive(name, getattr(self, name), zero=True)
        h = self.hidden
        if (
            not isinstance(h, (tuple, list))
            or not h
            or not all(isinstance(u, int) and not isinstance(u, bool) and u > 0 for u in h)
        ):
            raise ValueError(
                f"ngc-cmlp: hidden must be a non-empty list of positive ints, got {h!r}"
            )
        if self.penalty not in PENALTIES:
            raise ValueError(f"ngc-cmlp: penalty must be one of {PENALTIES}, got {self.penalty!r}")
        check_device(self.device, "ngc-cmlp")

    def fit(self, X: Any, context: FitContext | None = None) -> NeuralGrangerCMLP:
        self.check_params()
        name = series_name(context, "ngc-cmlp")
        x = standardize(check_series(X, name=name, min_length=int(self.lag) + 3))
        seed = self.random_state
        if seed is None:
            seed = context.seed if context is not None and context.seed is not None else 0
        device = resolve_device(str(self.device), "ngc-cmlp")
        with torch_threads(device):
            result = fit_cmlp(
                x,
                lag=int(self.lag),
                hidden=tuple(int(u) for u in self.hidden),
                lam=float(self.lam),
                lam_ridge=float(self.lam_ridge),
                lr=float(self.lr),
                penalty=str(self.penalty),
                max_iter=int(self.max_iter),
                check_every=int(self.check_every),
                tol=float(self.tol),
                seed=int(seed),
                device=device,
            )
        scores, lag_norms = cmlp_scores(result.first_layer)
        self.scores_ = zero_diagonal(scores)
        self.adjacency_ = zero_diagonal(scores > 0)
        self.extra_ = {
            "iterations": result.iterations,
            "converged": result.converged,
            "objective": result.objective,
            "mse": result.mse,
            "device": device,
            "lag_norms": lag_norms,
        }
        return self
