"""bench: a benchmarking harness for brain effective-connectivity estimators.

The public API is :func:`bench.run` and :func:`bench.report`, and the protocols
:func:`bench.sweep`, :func:`bench.classify`, :func:`bench.transfer` and
:func:`bench.ablation` (see :mod:`bench.api`); they are
imported on first use, so ``import bench`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "ablation", "classify", "report", "run", "sweep", "transfer"]


def __getattr__(name: str) -> Any:
    if name in ("run", "report", "sweep", "classify", "transfer", "ablation"):
        from bench import api

        return getattr(api, name)
    raise AttributeError(f"module 'bench' has no attribute {name!r}")
