"""Deliberately faulty test methods, loaded with ``BENCH_PLUGINS=tests/plugins/faulty.py``.

Each behaves normally except on the subject named by ``on`` (default ``sub02``), where it
raises, hangs, crashes its process, or runs out of memory. Registered with ``in_all=False``.
"""

from __future__ import annotations

import os
import signal
import time

import numpy as np

from bench.canaries import Canary
from bench.methods.base import Estimator
from bench.registry import register_method


class _Faulty(Estimator):
    def __init__(self, *, on: str = "sub02"):
        self.on = on

    def fault(self) -> None:
        raise NotImplementedError

    def fit(self, X, context=None):
        if context is not None and context.dataset.endswith(self.on):
            self.fault()
        n = np.asarray(X).shape[1]
        self.adjacency_ = np.zeros((n, n), bool)
        self.adjacency_[0, 1] = True
        self.scores_ = None
        return self


def _register(name: str, description: str):
    return register_method(
        name,
        citation="test",
        description=description,
        scores=None,
        in_all=False,
        canary=Canary("chain-lagged"),  # never run: plugins are outside the common checks
    )


@_register("test-raise", "raises RuntimeError on one subject")
class Raise(_Faulty):
    def fault(self) -> None:
        raise RuntimeError("deliberate failure")


@_register("test-hang", "sleeps for an hour on one subject")
class Hang(_Faulty):
    def fault(self) -> None:
        time.sleep(3600)


@_register("test-segfault", "kills its own process with SIGSEGV on one subject")
class Segfault(_Faulty):
    def fault(self) -> None:
        os.kill(os.getpid(), signal.SIGSEGV)


@_register("test-oom", "raises MemoryError on one subject")
class OutOfMemory(_Faulty):
    def fault(self) -> None:
        raise MemoryError("deliberate: could not allocate")


@_register("test-sleep", "sleeps `seconds` in every fit (for interruption tests)")
class Sleep(Estimator):
    def __init__(self, *, seconds: float = 0.1, stamps: str = ""):
        self.seconds = seconds
        self.stamps = stamps  # a folder: each fit writes "start end" (monotonic) to a file

    def fit(self, X, context=None):
        start = time.monotonic()
        time.sleep(self.seconds)
        if self.stamps:
            name = f"{os.getpid()}-{time.monotonic_ns()}.txt"
            with open(os.path.join(self.stamps, name), "w") as fh:
                fh.write(f"{start} {time.monotonic()}")
        n = np.asarray(X).shape[1]
        self.adjacency_ = np.zeros((n, n), bool)
        self.adjacency_[0, 1] = True
        self.scores_ = np.abs(np.corrcoef(np.asarray(X).T))
        return self


@_register("test-labelled", "names its setting in its label (display_label / extra_['label'])")
class Labelled(Estimator):
    def __init__(self, *, width: int = 3):
        self.width = width

    @classmethod
    def display_label(cls, params):
        return f"Labelled (width {params['width']})"

    def fit(self, X, context=None):
        n = np.asarray(X).shape[1]
        self.adjacency_ = np.zeros((n, n), bool)
        self.adjacency_[0, 1] = True
        self.scores_ = None
        self.extra_ = {"label": f"Labelled (width {self.width}, fitted)"}
        return self
