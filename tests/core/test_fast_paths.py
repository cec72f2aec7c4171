"""Every method with a fast kernel gives the per-subject table of its library reference.

The per-method tests (``tests/methods/test_*_fast.py``, ``test_pcmci.py``, …) compare the
estimators' arrays; this one pins what a user reads: the rows of ``per_subject.csv`` made by
the pipeline (:func:`bench.fitting.execute_fit` then :func:`bench.scoring.score`, the driver's
two steps) with ``impl="fast"`` (the default) and ``impl="reference"`` (the library call), on a
sample of NetSim subjects. Every metric must be equal; the continuous-score metrics (AUROC,
AUPRC, c-sensitivity, oracle max F1) are rank statistics of scores that agree to ~1e-15, so they
are equal unless two scores tie within that, which the tolerance 1e-12 allows for.
``tests/benchmarks/speed_*.py`` check every subject of smith:1-4.
"""

from __future__ import annotations

import inspect
import math

import pytest

from bench.fitting import execute_fit
from bench.registry import load_dataset
from bench.runner import fit_context
from bench.scoring import score

# Every registered method whose constructor takes impl='fast' | 'reference'.
FAST = [
    "pc",
    "ges",
    "direct-lingam",
    "var-lingam",
    "granger-pairwise",
    "pcmci",
    "pcmci-plus",
    "fask",
    "pwling",
]
SAMPLE = [("smith:1", 1), ("smith:2", 7)]  # 5 and 10 nodes; sim 4 is in the benchmarks


def test_the_list_is_every_method_with_a_fast_path() -> None:
    from bench import registry

    registry._load_plugins()
    have = {
        name
        for name, info in registry.METHODS.items()
        if "impl" in inspect.signature(info.cls.__init__).parameters
        and info.defaults.get("impl") == "fast"
    }
    slow_ones = {"two-step"}  # fast path too, but minutes per fit: its own slow test
    assert have - slow_ones == set(FAST)


def _row(method: str, impl: str, dataset: str, subject_pos: int) -> dict[str, float]:
    ds = load_dataset(dataset)
    sid = ds.subjects[subject_pos - 1]
    context = fit_context(ds, 0)  # as the driver builds it
    out = execute_fit(method, {"impl": impl}, context, (sid, None, ds.series[subject_pos - 1]))
    assert out.status == "ok", out.error
    return dict(score(ds.truth_for(sid), out.estimate))


@pytest.mark.parametrize("dataset, pos", SAMPLE)
@pytest.mark.parametrize("method", FAST)
def test_per_subject_metrics_equal_reference(method: str, dataset: str, pos: int) -> None:
    fast = _row(method, "fast", dataset, pos)
    ref = _row(method, "reference", dataset, pos)
    assert fast.keys() == ref.keys()
    for name, value in ref.items():
        other = fast[name]
        if value is None or other is None:
            assert value is other, name
        elif isinstance(value, float) and math.isnan(value):
            assert math.isnan(other), name
        else:
            assert other == pytest.approx(value, rel=1e-12, abs=1e-12), name
    assert fast["n_pred"] == ref["n_pred"] and fast["f1"] == ref["f1"]
