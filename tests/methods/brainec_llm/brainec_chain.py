"""The 3-node chain used by the BrainEC-LLM canary test and ``tests/benchmarks/brainec_canary.py``.

``x0 → x1 → x2``: each node is AR(1) with coefficient 0.3; each edge carries the source's
present and lag-1 value with weight 0.5; unit Gaussian innovations; 50 burn-in steps dropped.
Truth in the bench orientation: ``A[0, 1] = A[1, 2] = 1`` (row = source).
"""

from __future__ import annotations

import numpy as np
from chains import chain_from_noise


def chain_subjects(n_subjects: int = 4, t: int = 64, seed: int = 0) -> list[np.ndarray]:
    """``n_subjects`` arrays ``(t, 3)`` of the chain, drawn from ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_subjects):
        e = rng.standard_normal((t + 50, 3))
        x = chain_from_noise(e, autoregressive=0.3, lagged=0.5, contemporaneous=0.5)
        out.append(x[50:])
    return out


def chain_direction_ok(a: np.ndarray) -> bool:
    """Both edges stronger in the true direction: ``A[0,1] > A[1,0]``, ``A[1,2] > A[2,1]``."""
    return bool(a[0, 1] > a[1, 0] and a[1, 2] > a[2, 1])
