"""bench: a benchmarking harness for brain effective-connectivity estimators.

The public API is :func:`bench.run` and :func:`bench.report`, and the protocols
:func:`bench.sweep` and :func:`bench.classify` (see :mod:`bench.api`); they are
imported on first use, so ``import bench`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "classify", "report", "run", "sweep"]


def __getattr__(name: str) -> Any:
    if name in ("run", "report", "sweep", "classify"):
        from bench import api

        return getattr(api, name)
    raise AttributeError(f"module 'bench' has no attribute {name!r}")
