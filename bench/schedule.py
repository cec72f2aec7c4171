"""The fit order and the progress estimate, from one cost model.

A benchmark mixes fits that take milliseconds (5-node sims) with fits that take seconds (the
50-node sim 4). Run in plan order, the long fits all come at the end of each method, the two
workers idle while one finishes the last of them, and an ETA from fit counts swings by hours. So
the driver runs the fits **longest first** (subject-level ones; group-level fits, which take
every core, still run last) and bases the progress bar and its ETA on the expected seconds of
work, not on the number of fits.

Cost model: the expected seconds of one fit of method ``m`` on a ``(T, N)`` series are

    cost = c_m · (N / 10)^a_m · (T / 200)

with a prior ``(c_m, a_m)`` per method (:data:`PRIORS`, measured on a 2-core machine; a method
without a prior gets :data:`DEFAULT_PRIOR`), refined by the fits already done: the wall times of
cached records in the results folder (and of the fits finished so far in this run) give, per
method, the least-squares fit of ``log wall = log c + a log(N / 10) + log(T / 200)`` when they span
at least two node counts (only ``c`` otherwise; ``a`` stays in [0.5, 4]). Only the order and the
ETA depend on it: no result does.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

# Seconds per fit at N = 10 nodes, T = 200 points, and the exponent of N, per method.
PRIORS: dict[str, tuple[float, float]] = {
    "pc": (0.02, 2.0),
    "granger": (0.01, 1.5),
    "granger-pairwise": (0.01, 2.0),
    "pcmci": (0.05, 2.0),
    "pcmci-plus": (0.08, 2.0),
    "pcmci-cmi": (60.0, 2.0),
    "ges": (0.05, 2.5),
    "direct-lingam": (0.05, 2.5),
    "var-lingam": (0.08, 2.5),
    "patel": (0.002, 2.0),
    "correlation": (0.001, 1.0),
    "partial-correlation": (0.001, 1.0),
    "random": (0.001, 1.0),
}
DEFAULT_PRIOR = (0.05, 2.0)


class CostModel:
    """Expected seconds of a fit from its method, nodes and time points (module docstring)."""

    def __init__(self, observations: Iterable[tuple[str, int, int, float]] = ()) -> None:
        self._obs: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self._fitted: dict[str, tuple[float, float]] = {}
        for method, n, t, wall in observations:
            self.observe(method, n, t, wall)

    @staticmethod
    def _x(n: int) -> float:
        return math.log(max(n, 1) / 10.0)

    def observe(self, method: str, n: int, t: int, wall: float) -> None:
        """Add one finished fit (its wall time in seconds) to the evidence for ``method``."""
        if wall <= 0 or not math.isfinite(wall):
            return
        y = math.log(wall) - math.log(max(t, 1) / 200.0)  # log(c) + a · x
        self._obs[method].append((self._x(n), y))
        self._fitted.pop(method, None)

    def params(self, method: str) -> tuple[float, float]:
        """``(c, a)`` for ``method``: fitted to its observations, else its prior."""
        if method in self._fitted:
            return self._fitted[method]
        c0, a0 = PRIORS.get(method, DEFAULT_PRIOR)
        obs = self._obs.get(method, [])
        if not obs:
            return c0, a0
        xs = [x for x, _ in obs]
        ys = [y for _, y in obs]
        a = a0
        mx = sum(xs) / len(xs)
        sxx = sum((x - mx) ** 2 for x in xs)
        if sxx > 1e-6:  # two or more node counts: fit the exponent too
            my = sum(ys) / len(ys)
            a = min(4.0, max(0.5, sum((x - mx) * (y - my) for x, y in obs) / sxx))
        log_c = sum(y - a * x for x, y in obs) / len(obs)
        self._fitted[method] = (math.exp(log_c), a)
        return self._fitted[method]

    def cost(self, method: str, n: int, t: int) -> float:
        c, a = self.params(method)
        return c * (max(n, 1) / 10.0) ** a * (max(t, 1) / 200.0)
