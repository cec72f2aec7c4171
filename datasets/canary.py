"""The ``canary`` dataset family: an identifiability suite of small known structures.

``bench run --methods all --datasets canary`` shows in one table what each method can and cannot
identify: e.g. that LiNGAM-type methods orient only non-Gaussian data, that lag-based methods
orient only lagged effects, or that a symmetric method orients nothing. Each member is one
structure × one noise × one dynamics, at an easy signal level (edge weight 0.6, 500 time points,
10 subjects drawn from the run seed):

Structures (truth ``T[i, j]`` = i → j, row = source; 4 nodes, the unused ones independent):

* ``chain``: 0 → 1 → 2;
* ``fork``: 1 ← 0 → 2 (a common cause);
* ``collider``: 0 → 2 ← 1 (a v-structure: orientable from conditional independences);
* ``cycle``: 0 ⇄ 1 (a 2-cycle, as in every Sanchez-Romero network) and 2 → 3;
* ``confounded``: 0 and 1 share a hidden common cause h (weight 0.6 to each, h not observed:
  **no** edge between 0 and 1 in the truth), and 2 → 3 as a reference edge of the same weight.

Noise (unit variance): ``gauss`` (Gaussian) or ``skew`` (a centred exponential, skewness 2:
non-Gaussian and asymmetric, so that both LiNGAM-type and skewness-based orientation rules
apply).

Dynamics:

* ``var``: a lag-1 VAR, ``x[t] = 0.3 x[t−1] + W' x[t−1] + e[t]`` (every effect lagged by one
  step; a 2-cycle is a pair of lagged effects), 100 burn-in steps dropped;
* ``sem``: an i.i.d. linear SEM, ``x = W' x + e`` solved as ``x = (I − W')⁻¹ e`` (every effect
  contemporaneous; the 2-cycle is the equilibrium of a cyclic SEM).

Members are ``<structure>-<noise>-<dynamics>``, e.g. ``canary:chain-skew-sem``; select several
with globs (``canary:*-sem``) or ranges of the listed order. The metric ``structure_recovered``
(:mod:`bench.metrics`) says per subject whether the true edges rank above their reverses and
above every non-edge; its mean over subjects is the fraction of subjects recovered, and the
structure counts as **identified** by a method when that fraction is above 0.5.
"""

from __future__ import annotations

import itertools
import zlib

import numpy as np

from bench.registry import DatasetFamily, did_you_mean, register_dataset
from bench.types import Dataset, DatasetInfo

STRUCTURES = ("chain", "fork", "collider", "cycle", "confounded")
NOISES = ("gauss", "skew")
DYNAMICS = ("var", "sem")
N_NODES = 4
N_SUBJECTS = 10
N_TIME = 500
WEIGHT = 0.6
AUTOREGRESSION = 0.3
BURN_IN = 100

EDGES = {
    "chain": ((0, 1), (1, 2)),
    "fork": ((0, 1), (0, 2)),
    "collider": ((0, 2), (1, 2)),
    "cycle": ((0, 1), (1, 0), (2, 3)),
    "confounded": ((2, 3),),
}

INFO = DatasetInfo(
    name="canary",
    title="Identifiability suite (bench)",
    citation="bench's identifiability suite (datasets/canary.py)",
    licence="CC0 (generated)",
    description=(
        "Small known structures (chain, fork, collider, 2-cycle, confounded pair) on 4 nodes with "
        "Gaussian or skewed noise, as lag-1 VAR or i.i.d. SEM data."
    ),
    tr=None,
    kind="generic",
)


def truth_of(structure: str) -> np.ndarray:
    """The binary truth of ``structure`` (``T[i, j]`` = i → j)."""
    t = np.zeros((N_NODES, N_NODES), dtype=bool)
    for i, j in EDGES[structure]:
        t[i, j] = True
    return t


def _noise(rng: np.random.Generator, kind: str, shape: tuple[int, ...]) -> np.ndarray:
    if kind == "gauss":
        return rng.standard_normal(shape)
    return rng.exponential(1.0, shape) - 1.0  # mean 0, variance 1, skewness 2


def simulate(structure: str, noise: str, dynamics: str, t: int, seed: int) -> np.ndarray:
    """One subject ``(t, 4)`` of a member (see the module docstring)."""
    rng = np.random.default_rng(seed)
    w = truth_of(structure).astype(float) * WEIGHT  # w[i, j]: effect of i on j
    latent = structure == "confounded"
    if dynamics == "sem":
        e = _noise(rng, noise, (t, N_NODES + 1))
        x = e[:, :N_NODES] @ np.linalg.inv(np.eye(N_NODES) - w)  # x = x W + e (rows as samples)
        if latent:
            x[:, :2] += WEIGHT * e[:, [N_NODES]]
        return x
    e = _noise(rng, noise, (t + BURN_IN, N_NODES + 1))
    x = np.zeros((t + BURN_IN, N_NODES))
    h = np.zeros(t + BURN_IN)
    for k in range(1, t + BURN_IN):
        x[k] = AUTOREGRESSION * x[k - 1] + x[k - 1] @ w + e[k, :N_NODES]
        if latent:
            h[k] = AUTOREGRESSION * h[k - 1] + e[k, N_NODES]
            x[k, :2] += WEIGHT * h[k - 1]
    return x[BURN_IN:]


@register_dataset("canary")
class Canary(DatasetFamily):
    """The identifiability suite; members ``<structure>-<noise>-<dynamics>``."""

    info = INFO
    seeded = True

    def members(self) -> list[str]:
        return [f"{s}-{n}-{d}" for s, n, d in itertools.product(STRUCTURES, NOISES, DYNAMICS)]

    def describe_member(self, member: str) -> str:
        s, n, d = member.split("-")
        edges = ", ".join(f"{i}->{j}" for i, j in EDGES[s])
        hidden = "; 0, 1 confounded by a hidden node" if s == "confounded" else ""
        kind = "lag-1 VAR" if d == "var" else "i.i.d. SEM"
        return f"{s}: {edges}{hidden}; {'Gaussian' if n == 'gauss' else 'skewed'} noise; {kind}"

    def load(self, member: str, seed: int | None = None) -> Dataset:
        if member not in self.members():
            raise did_you_mean("canary member", member, self.members())
        s, n, d = member.split("-")
        base = zlib.crc32(member.encode())
        seed = 0 if seed is None else int(seed)
        series = [
            simulate(
                s, n, d, N_TIME, int(np.random.SeedSequence([seed, base, k]).generate_state(1)[0])
            )
            for k in range(N_SUBJECTS)
        ]
        return Dataset(
            name=f"canary:{member}",
            family="canary",
            member=member,
            subjects=[f"sub{k + 1:02d}" for k in range(N_SUBJECTS)],
            series=series,
            truth=truth_of(s),
            tr=None,
            info=INFO,
            notes=self.describe_member(member),
        )
