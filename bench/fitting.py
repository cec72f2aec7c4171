"""The fitting done in a worker process: one estimator fit → one :class:`FitOutcome`.

:func:`execute_fit` never raises. It limits BLAS/OpenMP/torch threads (:func:`limit_threads`),
builds the estimator from the method name and parameters, fits it on the series, checks the
estimate against the contract (:meth:`bench.methods.base.Estimator.estimate`) and reports:

* ``ok`` with the estimate;
* ``unavailable`` when a required package or model is missing;
* ``failed`` when the fit raised (the message names the exception and where it was raised), or
  when its maths went **non-finite**: any NumPy overflow, invalid operation (a NaN made from
  numbers) or division by zero during the fit fails it with the message saying so, even if the
  method carried on and returned a graph (e.g. a correlation matrix of NaN from values whose
  squares overflow). A fit whose maths went non-finite is never ``ok``.

Warnings other than those are collected into ``FitOutcome.warnings`` instead of being printed
from the worker; the driver summarises them per method.
"""

from __future__ import annotations

import os
import re
import resource
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from bench.registry import get_method
from bench.types import BenchError, FitContext, FitOutcome, UnavailableError

# NumPy's floating-point RuntimeWarnings that mean a non-finite number was made.
NONFINITE = re.compile(r"overflow encountered|invalid value encountered|divide by zero encountered")


def limit_threads(n: int) -> None:
    """Limit BLAS/OpenMP (threadpoolctl and the usual variables) and torch to ``n`` threads."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n)
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def peak_rss_mb() -> float:
    """The process's resident-set high-water mark in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _where(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    return f" (at {Path(tb[-1].filename).name}:{tb[-1].lineno})" if tb else ""


def failure(subject: str, exc: BaseException, wall: float = 0.0) -> FitOutcome:
    """The outcome of a fit that raised ``exc``: ``unavailable`` or ``failed``, one line."""
    status = "unavailable" if isinstance(exc, UnavailableError) else "failed"
    if isinstance(exc, BenchError):
        msg = str(exc)
    else:
        msg = f"{type(exc).__name__}: {exc}{_where(exc)}"
    first = msg.splitlines()[0] if msg.strip() else type(exc).__name__
    return FitOutcome(subject, status, first, None, wall, peak_rss_mb())


def _nonfinite(caught: list[warnings.WarningMessage]) -> str:
    """A one-line account of the non-finite arithmetic among ``caught`` ('' if none)."""
    bad = [w for w in caught if NONFINITE.search(str(w.message))]
    if not bad:
        return ""
    w = bad[0]
    return (
        f"the fit's maths went non-finite: {str(w.message).strip()} (at "
        f"{Path(w.filename).name}:{w.lineno}; {len(bad)} such warning(s))"
    )


def execute_fit(
    method: str,
    params: dict[str, Any],
    context: dict[str, Any],
    item: tuple[str, int | None, Any],
) -> FitOutcome:
    """Fit ``method`` on ``item`` = ``(subject, random_state, X)``; never raises (see module)."""
    subject, random_state, x = item
    try:
        info = get_method(method)
    except Exception as exc:  # pragma: no cover - names are resolved before planning
        return failure(subject, exc)
    missing = info.missing_packages()
    if missing:
        msg = f"missing package(s): {', '.join(missing)}"
        return FitOutcome(subject, "unavailable", msg, None, 0.0, peak_rss_mb())
    t0 = time.perf_counter()
    caught: list[warnings.WarningMessage] = []
    try:
        p = dict(params)
        if random_state is not None and "random_state" in info.defaults:
            p["random_state"] = random_state
        est = info.make(**p)
        ctx = FitContext(**{**context, "dataset": f"{context['dataset']} {subject}"})
        with (
            warnings.catch_warnings(record=True) as caught,
            np.errstate(divide="warn", over="warn", invalid="warn"),
        ):
            warnings.simplefilter("always")
            est.fit(x, ctx)
            result = est.estimate()
            if ctx.model_dir and getattr(est, "transferable", False):
                est.save_model(ctx.model_dir)  # bench transfer: the fitted model, for reuse
    except Exception as exc:
        out = failure(subject, exc, time.perf_counter() - t0)
        cause = _nonfinite(caught)
        if cause:  # the maths went non-finite first: that is the cause to name
            out.error = f"{cause}; then {out.error}"
        return out
    wall = time.perf_counter() - t0
    cause = _nonfinite(caught)
    if cause:
        msg = f"{cause}; the result is not used"
        return FitOutcome(subject, "failed", msg, None, wall, peak_rss_mb())
    seen = list(dict.fromkeys(f"{w.category.__name__}: {str(w.message).strip()}" for w in caught))
    return FitOutcome(subject, "ok", "", result, wall, peak_rss_mb(), seen[:10])
