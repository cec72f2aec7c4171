"""The ``cdrl`` dataset family: the synthetic-data generator of CDRL (Zhu, Ng & Chen, ICLR 2020).

A re-implementation of ``generate_W`` + ``gen_data_given_model`` (linear) and
``gen_data_given_model_2nd_order`` (quadratic) of huawei-noah/trustworthyAI
``datasets/synthetic_datasets.py`` with LiNGAM-style noise, as used by BrainEC-LLM (5- and 7-node
graphs, 10000 samples as 50 "subjects"). No scikit-learn is needed: the quadratic terms are built
here in ``PolynomialFeatures(degree=2)`` order (tested against scikit-learn).

**The samples are i.i.d. draws from a structural equation model, not time series**: there is no
temporal dynamics, no HRF and no TR; the row order carries no information, and lag-based methods
(Granger, PCMCI) have nothing to find.

Generator (``d`` nodes, ``n`` samples; the upstream matrix ``B`` has rows = children, so
``B[i, j] ≠ 0`` means j → i):

* Graph: ``M = tril(U(0,1)^{d×d} < prob, -1)`` (a random DAG in the causal order 0, 1, ...,
  d−1), weights ``W = M ⊙ (±round(U(0.5, 2.0), 1))`` with a random sign (``N(0,1) < 0`` flips).
* Noise: ``e_i = sign(z)|z|^{q_i}``, ``z ~ N(0, 1)``, ``q_i ~ U(0.5, 1.6)`` shifted by +0.4
  when above 0.8 (so ``q ∈ [0.5, 0.8] ∪ [1.2, 2.0]``: sub- or super-Gaussian), each column
  rescaled to standard deviation ``s = 1`` over the n samples; means ``c = 0``.
* ``linear``: ``x_i = e_i + Σ_j W[i, j] x_j``; the truth is ``W ≠ 0``.
* ``quadratic``: with ``P_i = {j: |W[i, j]| > 0.3}`` (all of ``M``'s parents),
  ``x_i = e_i + Σ_k U_k φ_k(x_{P_i})`` over the degree-1 and degree-2 monomials ``φ`` of the
  parents (``x_j``, ``x_j²``, ``x_j x_l``), ``U_k = ±round(U(0.5, 1.5), 1)``, each ``U_k`` then
  zeroed with probability 1/2. The truth marks j → i when some monomial involving ``x_j`` keeps a
  non-zero coefficient (upstream: ``|U_k| > 0.3``), so a parent whose terms were all zeroed is
  not an edge. The values can be large and heavy-tailed (squares of squares down a chain).

Random draws follow the upstream call order on a ``numpy.random.RandomState(seed)`` (a stream
that numpy keeps stable across versions): graph mask, weights, signs; exponents ``q``; noise;
then per child the term coefficients, their signs and their zero mask. The same seed therefore
gives the same graph ``M`` for ``linearD`` and ``quadD``.

Our orientation: ``truth = (B ≠ 0).T``, so ``truth[i, j]`` is True when i → j (row = source);
``weights`` (linear presets) is ``W.T`` repeated per subject, shape ``(S, d, d)``. The causal order
is the node order (no permutation, as upstream by default): every true edge has i < j.

Presets (members; BrainEC-LLM's settings): ``linear5``, ``linear7``, ``quad5``, ``quad7``, each
``prob = 0.5`` (upstream default; BrainEC-LLM's value is not stated) and 10000 samples drawn at
once and split into 50 subjects × 200 consecutive samples (``sub01`` = rows 0-199, ...). The
graph is shared by all subjects. ``seeded = True``: the runner loads each member once per run
seed, ``load(member, seed)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bench.registry import DatasetFamily, did_you_mean, register_dataset
from bench.types import BenchError, Dataset, DatasetInfo

Model = Literal["linear", "quadratic"]

CITATION = (
    "Zhu, S., Ng, I., & Chen, Z. (2020). Causal Discovery with Reinforcement Learning. "
    "International Conference on Learning Representations (ICLR). "
    "https://openreview.net/forum?id=S1g2skStPB"
)


@dataclass(frozen=True)
class Preset:
    """One named generator setting."""

    model: Model
    nodes: int
    subjects: int = 50
    samples_per_subject: int = 200
    prob: float = 0.5

    @property
    def samples(self) -> int:
        return self.subjects * self.samples_per_subject


PRESETS: dict[str, Preset] = {
    "linear5": Preset("linear", 5),
    "linear7": Preset("linear", 7),
    "quad5": Preset("quadratic", 5),
    "quad7": Preset("quadratic", 7),
}


@dataclass
class CdrlSample:
    """Output of :func:`generate_cdrl` (our orientation: ``A[i, j]`` = i → j)."""

    x: np.ndarray  # float64 (n_samples, d), i.i.d. rows
    truth: np.ndarray  # bool (d, d)
    weights: np.ndarray | None  # float64 (d, d) for the linear model, else None
    parents: np.ndarray  # the upstream child-row matrix B (B[i, j] != 0: j -> i), float64


def generate_w(
    d: int, rs: np.random.RandomState, prob: float = 0.5, low: float = 0.5, high: float = 2.0
) -> np.ndarray:
    """Upstream ``generate_W``: a strictly lower-triangular weighted DAG, rows = children."""
    mask = np.tril((rs.rand(d, d) < prob).astype(np.float64), -1)
    u = np.round(rs.uniform(low=low, high=high, size=(d, d)), 1)
    u[rs.randn(d, d) < 0] *= -1
    return (mask != 0).astype(np.float64) * u


def lingam_noise(n: int, d: int, rs: np.random.RandomState, scale: float = 1.0) -> np.ndarray:
    """``sign(z)|z|^q`` per column, ``q ∈ [0.5, 0.8] ∪ [1.2, 2.0]``, rescaled to std ``scale``."""
    q = rs.rand(d) * 1.1 + 0.5
    q[q > 0.8] += 0.4
    z = rs.randn(n, d)
    e = np.sign(z) * np.abs(z) ** q
    return e / np.std(e, axis=0) * scale


def quadratic_terms(xp: np.ndarray) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Degree-1 and degree-2 monomials of the columns of ``xp``, in PolynomialFeatures order.

    Returns the ``(n, K)`` term matrix and, per term, the tuple of the column indices it
    multiplies: ``(0,), (1,), ..., (0, 0), (0, 1), ..., (p-1, p-1)``.
    """
    p = xp.shape[1]
    combos: list[tuple[int, ...]] = [(j,) for j in range(p)]
    combos += list(itertools.combinations_with_replacement(range(p), 2))
    terms = np.column_stack([np.prod(xp[:, list(c)], axis=1) for c in combos])
    return terms, combos


def generate_cdrl(
    model: Model, d: int, n: int, seed: int, *, prob: float = 0.5, scale: float = 1.0
) -> CdrlSample:
    """Draw a CDRL graph and ``n`` i.i.d. samples (see the module docstring for the maths)."""
    if model not in ("linear", "quadratic"):
        raise ValueError(f"model must be 'linear' or 'quadratic', not {model!r}")
    if d < 2 or n < 2:
        raise ValueError(f"need at least 2 nodes and 2 samples (got d={d}, n={n})")
    rs = np.random.RandomState(seed)
    w = generate_w(d, rs, prob=prob)
    e = lingam_noise(n, d, rs, scale=scale)
    x = np.zeros((n, d))
    if model == "linear":
        for i in range(d):
            x[:, i] = e[:, i] + x @ w[i]
        b = w
    else:
        b = np.zeros((d, d))
        for i in range(d):
            x[:, i] = e[:, i]
            parents = np.flatnonzero(np.abs(w[i]) > 0.3)
            if parents.size == 0:
                continue
            terms, combos = quadratic_terms(x[:, parents])
            k = len(combos)
            u = np.round(rs.uniform(low=0.5, high=1.5, size=k), 1)
            u[rs.randn(k) < 0] *= -1
            u[rs.randn(k) < 0] *= 0
            x[:, i] += np.sum(u * terms, axis=1)  # upstream summation order
            for coef, combo in zip(u, combos, strict=True):
                if abs(coef) > 0.3:
                    b[i, parents[list(combo)]] = 1.0
    truth = (b != 0).T.copy()
    weights = w.T + 0.0 if model == "linear" else None  # + 0.0 turns -0.0 into 0.0
    return CdrlSample(x=x, truth=truth, weights=weights, parents=b + 0.0)


@register_dataset("cdrl")
class CdrlGenerated(DatasetFamily):
    """Data from the CDRL generator, drawn per run seed (``load(member, seed)``)."""

    seeded = True
    info = DatasetInfo(
        name="cdrl",
        title="CDRL synthetic data (Zhu, Ng & Chen 2020), as used by BrainEC-LLM",
        citation=CITATION,
        licence=(
            "Generated locally by a re-implementation of the CDRL generator "
            "(huawei-noah/trustworthyAI, Apache-2.0); cite Zhu, Ng & Chen 2020"
        ),
        description=(
            "Synthetic non-fMRI data from a random DAG (5 or 7 nodes, edge probability 0.5) "
            "with linear or quadratic structural equations and non-Gaussian (LiNGAM-style) "
            "noise. The samples are i.i.d., not time series: 10000 samples split into 50 "
            "subjects of 200 samples."
        ),
        tr=None,
        notes=(
            "The samples are i.i.d. draws, not time series (no dynamics, no HRF, no TR): row "
            "order carries no information. Generated per run seed; the same seed gives the same "
            "graph for linearD and quadD. The causal order is the node order (every true edge "
            "goes from a lower to a higher index). Quadratic data are heavy-tailed."
        ),
        kind="cdrl",
    )

    def members(self) -> list[str]:
        return list(PRESETS)

    def describe_member(self, member: str) -> str:
        p = PRESETS[self._check(member)]
        return (
            f"{p.model}, {p.nodes} nodes, edge prob {p.prob:g}, {p.subjects} subjects x "
            f"{p.samples_per_subject} i.i.d. samples, generated per seed"
        )

    def load(self, member: str, seed: int | None = None) -> Dataset:
        """Generate ``member`` with ``seed`` (``None`` means 0)."""
        p = PRESETS[self._check(member)]
        seed = 0 if seed is None else seed
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise BenchError(f"dataset cdrl:{member}: seed must be a non-negative integer")
        sample = generate_cdrl(p.model, p.nodes, p.samples, int(seed), prob=p.prob)
        blocks = sample.x.reshape(p.subjects, p.samples_per_subject, p.nodes)
        weights = None
        if sample.weights is not None:
            weights = np.repeat(sample.weights[None], p.subjects, axis=0)
        return Dataset(
            name=f"cdrl:{member}",
            family="cdrl",
            member=member,
            subjects=[f"sub{k + 1:02d}" for k in range(p.subjects)],
            series=[np.ascontiguousarray(b) for b in blocks],
            truth=sample.truth,
            tr=None,
            info=self.info,
            weights=weights,
            notes=(
                f"Generated with seed {seed}: {self.describe_member(member)}. I.i.d. samples, "
                "not time series."
            ),
            extra={"seed": int(seed), "model": p.model, "prob": p.prob, "iid": True},
        )

    def _check(self, member: str) -> str:
        member = str(member)
        if member not in PRESETS:
            raise did_you_mean("cdrl member", member, self.members())
        return member
