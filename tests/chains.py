"""The recursion of the 3-node chain x0 -> x1 -> x2 shared by the test data generators.

``tests/conftest.py`` (``chain_data``) and ``tests/methods/brainec_llm/brainec_chain.py`` (the
BrainEC-LLM canary) draw their own noise and burn-in, then call :func:`chain_from_noise`.
"""

from __future__ import annotations

import numpy as np


def chain_from_noise(
    e: np.ndarray, *, autoregressive: float, lagged: float, contemporaneous: float
) -> np.ndarray:
    """Run the chain on the innovations ``e`` (T, 3); row 0 is the zero start (burn-in kept).

    For k = 1, 2, with a = ``autoregressive``, b = ``lagged``, c = ``contemporaneous``::

        x0[t] = a x0[t-1]                               + e0[t]
        xk[t] = a xk[t-1] + b x(k-1)[t-1] + c x(k-1)[t] + ek[t]
    """
    x = np.zeros_like(e)
    a, b, c = autoregressive, lagged, contemporaneous
    for t in range(1, e.shape[0]):
        x[t, 0] = a * x[t - 1, 0] + e[t, 0]
        for k in (1, 2):
            x[t, k] = a * x[t - 1, k] + b * x[t - 1, k - 1] + c * x[t, k - 1] + e[t, k]
    return x
