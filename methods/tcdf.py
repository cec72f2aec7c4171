"""TCDF, the Temporal Causal Discovery Framework (Nauta, Bucur & Seifert 2019).

Model: one attention-based dilated depthwise CNN per target (Nauta et al. 2019)
------------------------------------------------------------------------------
For target j the input has one channel per series: x_i[t] for every i ≠ j (so delay 0, an
instantaneous effect, is allowed) and the target's own past x_j[t−1] (shifted by one, 0 at
t = 0). Each channel i is scaled by its attention weight, the softmax over the N raw attention
scores a_{·j} (initialised to 1, trained with the network):

    z_i[t] = softmax(a_{·j})_i · x̃_i[t].

The channels stay separate (depthwise) through L = ``hidden_layers`` + 1 causal convolutions of
kernel size K (``kernel_size``) and dilation c^l (``dilation``, l = 0..L−1), each output
``y[t] = Σ_m w[m] z[t − (K−1−m)·c^l] + b``:

* layer 0: convolution, then PReLU (one slope per channel, initial 0.25);
* layers 0 < l < L−1: convolution, residual, PReLU: PReLU(conv(z) + z);
* the last layer when L > 1: convolution, residual, then a linear map across the N channels at
  each time step: Linear(conv(z) + z);

and a pointwise (1 × 1) convolution mixes the N channels into the prediction x̂_j[t]. The loss
is the MSE over all T time points, minimised full-batch with Adam (``lr``) for ``epochs``
epochs. Initialisation follows the authors' code: convolution weights N(0, 0.1²), the last
layer's linear map N(0, 0.01²), other weights and biases torch's defaults
U(−1/√fan_in, 1/√fan_in), from a generator seeded by ``random_state``. The N networks are
trained side by side in one grouped convolution; the loss is the sum of the N per-target MSEs,
so each network's gradient, and hence its Adam update, is that of its own loss.

Attention interpretation: the potential causes (the paper and the authors' ``TCDF.py``)
-------------------------------------------------------------------------------------
With the trained raw scores a_{·j} sorted in decreasing order, s_1 ≥ s_2 ≥ ... ≥ s_N:

* N ≤ 5: the potential causes are the series with a_{ij} > 1 (scores that grew from their
  initial value 1);
* N > 5: the gaps g_k = s_k − s_{k+1} are formed for the k with s_k ≥ 1; the threshold τ_j lies
  at the largest gap with 1 < k < (N+1)/2 in 1-based ranks (the gap not after the first score,
  and in the first half of the list, so at most half of the series are causes); the
  potential causes are the k series above that gap. If no gap qualifies, only the top series
  (s_1 ≥ 1) is a potential cause; if no score reaches 1, there is none.

This is the paper's rule τ_j ≥ 1 with "the largest gap in the first half" as written in the
authors' code (``findcauses``), which adds the N ≤ 5 case.

Causal validation: the permutation importance validation method (PIVM)
----------------------------------------------------------------------
For every potential cause i of target j the trained network is evaluated once more with the
values of input channel i randomly permuted in time (the other channels intact). With L_first
the loss of the initial network, L_final that of the trained one and L_perm the permuted loss,

    i is a validated cause of j  ⇔  L_first − L_perm ≤ s · (L_first − L_final),

with s = ``significance`` (default 0.8): permuting a true cause destroys a significant part of
the loss decrease the training achieved. (The authors' code takes L_final as the loss of the
last training epoch, before its update; here it is the trained network's loss, a negligible
difference.)

Delay discovery: for a validated cause, in each layer l the kernel tap m with the largest
|weight| of channel i gives (K−1−m)·c^l time steps (0 when the two largest are equal); the
delay is their sum, +1 for the target's own (shifted) past. ``extra_["delays"]`` holds them
(−1 where i is not a validated cause of j).

Scores and decision (orientation: ``A[i, j]`` = i → j, row = source)
---------------------------------------------------------------------
The network of target j gives column j::

    scores_[i, j]    = softmax(a_{·j})_i      (the attention weight input i gets, in (0, 1))
    adjacency_[i, j] = i is a validated cause of j (i ≠ j)

The scores rank every pair, not only the validated ones, so AUROC/AUPRC are threshold-free;
the decision is TCDF's own. ``extra_["attention"]`` holds the raw a_{ij} (same orientation).
The authors' code stores causes per target (``validatedcauses[j] = [i, ...]``, printed as
"i causes j"); this is its transpose into the bench orientation. The self-cause (the target's
own past, i = j) is part of the model, as in the paper, but is never scored.

Note on TCDF's published NetSim results (Nauta et al. 2019, the "FMRI" benchmark)
---------------------------------------------------------------------------------
The paper scores TCDF on the NetSim copies of subject 1 that this project vendors
(``netsim_smith2011/tcdf_subject1``). Their ground-truth files ``simK_gt_processed.csv`` list
``effect, cause, delay`` per row (checked against NetSim's ``net`` matrices for sims 1-4 and 8 by
``datasets/_vendor_netsim.py``; ``net[i, j] ≠ 0`` means i → j), but the authors' evaluation
(``runTCDF.py``, ``getextendeddelays``) reads column 0 as the cause and column 1 as the effect, as
its ``--ground_truth`` help states. TCDF's NetSim precision/recall/F1 were therefore computed
against the transposed (reversed) graph, with the self-loops the files also list (rows ``i, i,
1``) counted as true causes. Numbers from this adapter (true orientation, self-loops never
scored) are not comparable with those figures. Measured with this adapter (defaults, seed 0,
subject 1 of each of the 28 sims; ``tests/benchmarks/neural_netsim.py tcdf-eval``): directed
F1 0.42 ± 0.19 in the bench protocol, 0.63 ± 0.13 under the authors' evaluation (truth
transposed, self-loops counted), 0.65 ± 0.12 with the self-loops counted but the truth the right
way round, 0.39 ± 0.16 transposed without self-loops. The self-loops, which TCDF's self-cause
nearly always hits, make most of the difference; the transposition makes little, because TCDF
decides about as many true edges backwards as forwards there (100 against 103).

Defaults and their source
-------------------------
``epochs=1000``, ``kernel_size=4``, ``dilation=4``, ``hidden_layers=0``, ``lr=0.01`` (Adam) and
``significance=0.8`` are the defaults of the authors' ``runTCDF.py``.

Reference
---------
M. Nauta, D. Bucur, C. Seifert (2019), Causal discovery with attention-based convolutional
neural networks, Machine Learning and Knowledge Extraction 1(1), 312–340,
doi:10.3390/make1010019; authors' code ``M-Nauta/TCDF`` (PyTorch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.canaries import Canary
from bench.methods._graph import series_name, zero_diagonal
from bench.methods.base import Estimator, check_series
from bench.methods.ngc import check_device, resolve_device, torch_threads
from bench.registry import register_method
from bench.types import FitContext


def tcdf_inputs(x: np.ndarray) -> np.ndarray:
    """The inputs of the N target networks, ``(N_target, N_input, T)``: channel i of target j
    is ``x[:, i]``, except channel j, which is ``x[t−1, j]`` (0 at t = 0)."""
    n = x.shape[1]
    base = x.T
    out = np.repeat(base[None], n, axis=0)
    shifted = np.concatenate([np.zeros((n, 1)), base[:, :-1]], axis=1)
    out[np.arange(n), np.arange(n)] = shifted
    return out


def potential_causes(attention: np.ndarray) -> list[int]:
    """Indices of the potential causes from one target's raw attention scores (module
    docstring: ``a > 1`` for N ≤ 5, else the largest-gap rule with τ ≥ 1)."""
    a = np.asarray(attention, dtype=np.float64)
    n = a.size
    if n <= 5:
        return [int(i) for i in np.flatnonzero(a > 1.0)]
    order = np.argsort(-a, kind="stable")
    s = a[order]
    gaps = []
    for k in range(n - 1):
        if s[k] < 1.0:  # the threshold must be >= 1: only gaps below scores >= 1
            break
        gaps.append(s[k] - s[k + 1])
    if not gaps:
        return []
    ind = 0
    for k in sorted(range(len(gaps)), key=lambda g: -gaps[g]):  # largest gap first
        if 0 < k < (n - 1) / 2:
            ind = k
            break
    return [int(i) for i in order[: ind + 1]]


def pivm_validates(loss_first: float, loss_final: float, loss_permuted: float, s: float) -> bool:
    """PIVM: a potential cause is validated when permuting it undoes more than a fraction
    1 − s of the training's loss decrease, ``L_first − L_perm ≤ s·(L_first − L_final)``."""
    return loss_first - loss_permuted <= s * (loss_first - loss_final)


@dataclass
class TCDFNet:
    """Parameters of the N target networks, stacked (channel c = j·N + i)."""

    attention: Any  # (N, N) raw scores a[j, i]
    conv_w: list[Any]  # per layer (N·N, 1, K)
    conv_b: list[Any]  # per layer (N·N,)
    prelu: list[Any]  # per PReLU layer (N·N,)
    last_w: Any | None  # (N, N, N) linear map of the last layer when L > 1
    last_b: Any | None  # (N, N)
    point_w: Any  # (N, N) pointwise weights [j, i]
    point_b: Any  # (N,)
    kernel_size: int
    dilation: int

    def parameters(self) -> list[Any]:
        extra = [] if self.last_w is None else [self.last_w, self.last_b]
        return [
            self.attention,
            *self.conv_w,
            *self.conv_b,
            *self.prelu,
            *extra,
            self.point_w,
            self.point_b,
        ]

    def forward(self, inputs: Any) -> Any:
        """Predictions ``(N_target, T)`` for inputs ``(N_target, N_input, T)``."""
        import torch
        import torch.nn.functional as F

        n, _, t = inputs.shape
        z = inputs * torch.softmax(self.attention, dim=1)[:, :, None]
        h = z.reshape(1, n * n, t)
        levels = len(self.conv_w)
        for level in range(levels):
            d = self.dilation**level
            pad = (self.kernel_size - 1) * d
            out = F.conv1d(
                F.pad(h, (pad, 0)), self.conv_w[level], self.conv_b[level], dilation=d, groups=n * n
            )
            if level == 0:
                h = F.prelu(out, self.prelu[0])
            elif level < levels - 1:
                h = F.prelu(out + h, self.prelu[level])
            else:
                v = (out + h).reshape(n, n, t)  # (target, channel, time)
                h = (
                    torch.einsum("jki,jit->jkt", self.last_w, v) + self.last_b[:, :, None]
                ).reshape(1, n * n, t)
        h = h.reshape(n, n, t)
        return torch.einsum("jit,ji->jt", h, self.point_w) + self.point_b[:, None]


def init_net(
    n: int, kernel_size: int, dilation: int, levels: int, gen: Any, device: str
) -> TCDFNet:
    """The initial networks (module docstring: the authors' initialisation)."""
    import torch

    def uniform(shape: tuple[int, ...], fan_in: int) -> Any:
        bound = 1.0 / np.sqrt(fan_in)
        return torch.rand(shape, generator=gen) * 2 * bound - bound

    def normal(shape: tuple[int, ...], std: float) -> Any:
        return torch.randn(shape, generator=gen) * std

    c = n * n
    conv_w = [normal((c, 1, kernel_size), 0.1) for _ in range(levels)]
    conv_b = [uniform((c,), kernel_size) for _ in range(levels)]
    n_prelu = levels if levels == 1 else levels - 1
    prelu = [torch.full((c,), 0.25) for _ in range(n_prelu)]
    last_w = last_b = None
    if levels > 1:
        last_w, last_b = normal((n, n, n), 0.01), uniform((n, n), n)
    point_w, point_b = uniform((n, n), n), uniform((n,), n)

    def leaf(t: Any) -> Any:
        return None if t is None else t.to(device=device, dtype=torch.float32).requires_grad_(True)

    return TCDFNet(
        attention=leaf(torch.ones((n, n))),
        conv_w=[leaf(w) for w in conv_w],
        conv_b=[leaf(b) for b in conv_b],
        prelu=[leaf(p) for p in prelu],
        last_w=leaf(last_w),
        last_b=leaf(last_b),
        point_w=leaf(point_w),
        point_b=leaf(point_b),
        kernel_size=kernel_size,
        dilation=dilation,
    )


def per_target_loss(net: TCDFNet, inputs: Any, targets: Any) -> Any:
    """The N per-target MSEs ``(N,)`` over all time points."""
    import torch

    return torch.mean((net.forward(inputs) - targets) ** 2, dim=1)


def kernel_delays(net: TCDFNet, target: int, cause: int) -> int:
    """TCDF's delay of ``cause`` → ``target`` from the kernel weights (module docstring)."""
    n = net.attention.shape[0]
    total = 0
    for level, w in enumerate(net.conv_w):
        row = w[target * n + cause, 0].detach().abs().cpu().numpy()
        top = np.sort(row)[::-1]
        tap = int(np.argmax(row)) if top[0] > top[1] else row.size - 1
        total += (row.size - 1 - tap) * net.dilation**level
    return total + 1 if target == cause else total


@dataclass
class TCDFResult:
    """Raw attention ``[j, i]``, validated causes per target, delays ``[j, i]`` and losses."""

    attention: np.ndarray
    softmax: np.ndarray
    potential: list[list[int]]
    validated: list[list[int]]
    delays: np.ndarray
    loss_first: np.ndarray
    loss_final: np.ndarray


def fit_tcdf(
    x: np.ndarray,
    *,
    epochs: int,
    kernel_size: int,
    dilation: int,
    hidden_layers: int,
    lr: float,
    significance: float,
    seed: int,
    device: str = "cpu",
) -> TCDFResult:
    """Train the N target networks on ``x`` ``(T, N)``, interpret and validate (docstring)."""
    import torch

    n = x.shape[1]
    gen = torch.Generator().manual_seed(int(seed))
    rng = np.random.default_rng(int(seed))
    inputs = torch.as_tensor(tcdf_inputs(x), dtype=torch.float32, device=device)
    targets = torch.as_tensor(x.T, dtype=torch.float32, device=device)
    net = init_net(n, kernel_size, dilation, hidden_layers + 1, gen, device)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    with torch.no_grad():
        first = per_target_loss(net, inputs, targets).cpu().numpy().astype(np.float64)
    for _ in range(epochs):
        optimizer.zero_grad()
        per_target_loss(net, inputs, targets).sum().backward()
        optimizer.step()
    with torch.no_grad():
        final = per_target_loss(net, inputs, targets).cpu().numpy().astype(np.float64)
        attention = net.attention.detach().cpu().numpy().astype(np.float64)
        soft = torch.softmax(net.attention, dim=1).cpu().numpy().astype(np.float64)
        potential = [potential_causes(attention[j]) for j in range(n)]
        validated: list[list[int]] = []
        delays = np.full((n, n), -1, dtype=np.int64)
        for j in range(n):
            keep = []
            for i in potential[j]:
                permuted = inputs.clone()
                perm = torch.as_tensor(rng.permutation(inputs.shape[2]), device=device)
                permuted[j, i] = inputs[j, i, perm]
                loss_perm = float(per_target_loss(net, permuted, targets)[j])
                if pivm_validates(first[j], final[j], loss_perm, significance):
                    keep.append(i)
                    delays[j, i] = kernel_delays(net, j, i)
            validated.append(keep)
    return TCDFResult(attention, soft, potential, validated, delays, first, final)


def _check_int(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"tcdf: {name} must be an integer >= {minimum}, got {value!r}")


@register_method(
    "tcdf",
    level="subject",
    deterministic=False,
    needs_gpu=True,
    requires=("torch",),
    citation=(
        "Nauta, Bucur & Seifert (2019), Causal discovery with attention-based convolutional "
        "neural networks, Mach. Learn. Knowl. Extr. 1(1), 312-340; code M-Nauta/TCDF"
    ),
    description=(
        "TCDF: one attention-based dilated depthwise causal CNN per target (kernel 4, dilation "
        "4, 1000 Adam epochs); potential causes by the attention threshold (a > 1 for N <= 5, "
        "else the largest gap), decision: causes validated by the permutation test (s = 0.8)"
    ),
    scores="softmax attention weight of input i in target j's network",
    canary=Canary("chain-lagged", n=500, params={"epochs": 300}),
    test_params={"epochs": 20},
)
class TCDF(Estimator):
    """Temporal Causal Discovery Framework; the maths is in the module docstring.

    Parameters
    ----------
    epochs : full-batch Adam epochs per target network.
    kernel_size : K, the kernel size of every causal convolution (largest delay K − 1 per layer).
    dilation : c, the dilation coefficient (layer l has dilation c^l).
    hidden_layers : the number of layers after the first (L = hidden_layers + 1 convolutions).
    lr : Adam's learning rate.
    significance : s of the permutation test.
    device : ``"auto"`` (CUDA when visible, else CPU), ``"cpu"`` or ``"cuda[:k]"``.
    random_state : seed of the initialisation and of the permutations.
    """

    def __init__(
        self,
        *,
        epochs: int = 1000,
        kernel_size: int = 4,
        dilation: int = 4,
        hidden_layers: int = 0,
        lr: float = 0.01,
        significance: float = 0.8,
        device: str = "auto",
        random_state: int | None = None,
    ) -> None:
        self.epochs = epochs
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.hidden_layers = hidden_layers
        self.lr = lr
        self.significance = significance
        self.device = device
        self.random_state = random_state

    def check_params(self) -> None:
        _check_int("epochs", self.epochs, 1)
        _check_int("kernel_size", self.kernel_size, 2)
        _check_int("dilation", self.dilation, 1)
        _check_int("hidden_layers", self.hidden_layers, 0)
        lr = self.lr
        if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not (0 < lr < np.inf):
            raise ValueError(f"tcdf: lr must be a number > 0, got {lr!r}")
        s = self.significance
        if not isinstance(s, (int, float)) or isinstance(s, bool) or not 0 <= s <= 1:
            raise ValueError(f"tcdf: significance must lie in [0, 1], got {s!r}")
        check_device(self.device, "tcdf")

    def fit(self, X: Any, context: FitContext | None = None) -> TCDF:
        self.check_params()
        x = check_series(X, name=series_name(context, "tcdf"), min_length=int(self.kernel_size))
        seed = self.random_state
        if seed is None:
            seed = context.seed if context is not None and context.seed is not None else 0
        device = resolve_device(str(self.device), "tcdf")
        with torch_threads(device):
            r = fit_tcdf(
                x,
                epochs=int(self.epochs),
                kernel_size=int(self.kernel_size),
                dilation=int(self.dilation),
                hidden_layers=int(self.hidden_layers),
                lr=float(self.lr),
                significance=float(self.significance),
                seed=int(seed),
                device=device,
            )
        n = x.shape[1]
        adj = np.zeros((n, n), dtype=bool)
        for j, causes in enumerate(r.validated):
            adj[causes, j] = True
        self.scores_ = zero_diagonal(r.softmax.T)
        self.adjacency_ = zero_diagonal(adj)
        self.extra_ = {
            "attention": r.attention.T.copy(),
            "delays": r.delays.T.copy(),
            "n_potential": int(sum(len(p) for p in r.potential)),
            "n_validated": int(sum(len(v) for v in r.validated)),
            "loss_first_mean": float(r.loss_first.mean()),
            "loss_final_mean": float(r.loss_final.mean()),
            "device": device,
        }
        return self
