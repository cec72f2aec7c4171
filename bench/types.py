"""Data contracts shared by every part of ``bench``.

Conventions (see DESIGN.md; these define correctness):

* **Orientation.** An EC matrix ``A`` has shape ``(N, N)`` and ``A[i, j]`` is the strength of
  the edge **i → j** (row = source, column = target). Every adapter converts its library's
  encoding to this one.
* **Time series.** One subject is a float array ``(T, N)``: T time points, N nodes.
* **Estimates.** An estimator returns continuous ``scores`` ``(N, N)`` (non-negative strength or
  confidence), or ``None`` when the method has no natural continuous score, and a binary
  ``adjacency`` ``(N, N)`` (the method's own decision). Lagged methods may also return
  ``lag_scores`` ``(L, N, N)``; the summary graph is the max over lags. The diagonal is never
  scored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Level = Literal["subject", "group"]


class BenchError(Exception):
    """An error whose message is complete and meant for the user (one line, no traceback)."""


class DataError(BenchError, ValueError):
    """Bad input data: NaN, constant series, wrong shape, corrupt file, ..."""


class UnavailableError(BenchError, RuntimeError):
    """A method or dataset cannot run here (missing package, model weights, GPU)."""


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata of a dataset family (e.g. ``smith``)."""

    name: str
    title: str
    citation: str
    licence: str
    description: str
    tr: float | None = None
    notes: str = ""
    # Short text used to describe the data to estimators that take a description (BrainEC-LLM).
    kind: str = "generic"


@dataclass
class Dataset:
    """One scorable unit of a dataset family: e.g. NetSim simulation 1 (``smith:1``).

    ``series[k]`` is subject ``subjects[k]`` as a float ``(T, N)`` array. ``truth`` is the
    binary ground truth ``(N, N)`` (``truth[i, j]`` = i → j) shared by all subjects, or
    ``truth_per_subject`` maps a subject id to its own truth. ``weights`` optionally holds the
    true connection strengths in the same orientation.
    """

    name: str
    family: str
    member: str
    subjects: list[str]
    series: list[np.ndarray]
    truth: np.ndarray | None
    tr: float | None
    info: DatasetInfo
    truth_per_subject: dict[str, np.ndarray] | None = None
    weights: np.ndarray | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # Subjects that could not be loaded (subject id -> reason, naming the file): reported by the
    # runner in every run and in per_subject.csv, never silently dropped.
    missing: dict[str, str] = field(default_factory=dict)
    _hash: str | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.subjects) != len(self.series):
            raise DataError(
                f"dataset {self.name}: {len(self.subjects)} subject ids for "
                f"{len(self.series)} series"
            )
        if self.truth is None and self.truth_per_subject is None:
            raise DataError(f"dataset {self.name}: no ground truth")

    @property
    def n_nodes(self) -> int:
        return int(self.series[0].shape[1])

    def truth_for(self, subject: str) -> np.ndarray:
        """The binary ``(N, N)`` truth that ``subject`` is scored against."""
        if self.truth_per_subject is not None:
            return self.truth_per_subject[subject]
        assert self.truth is not None
        return self.truth

    def group_truth(self) -> np.ndarray:
        """The truth a group-level estimate is scored against (the shared truth)."""
        if self.truth is None:
            raise DataError(
                f"dataset {self.name}: the truth differs per subject, so a group-level "
                "estimate cannot be scored"
            )
        return self.truth

    def data_hash(self) -> str:
        """SHA-256 over the series and truth bytes (a cache key component; computed once)."""
        if self._hash is not None:
            return self._hash
        h = hashlib.sha256()
        h.update(self.name.encode())
        for sid, x in zip(self.subjects, self.series, strict=True):
            h.update(sid.encode())
            h.update(np.ascontiguousarray(x, dtype=np.float64).tobytes())
        for sid in self.subjects:
            h.update(np.ascontiguousarray(self.truth_for(sid), dtype=np.uint8).tobytes())
        self._hash = h.hexdigest()[:16]
        return self._hash

    def subset(self, subjects: list[str]) -> Dataset:
        """A copy restricted to ``subjects`` (in the given order)."""
        index = {s: k for k, s in enumerate(self.subjects)}
        missing = [s for s in subjects if s not in index]
        if missing:
            raise DataError(f"dataset {self.name}: unknown subjects {missing}")
        return Dataset(
            name=self.name,
            family=self.family,
            member=self.member,
            subjects=list(subjects),
            series=[self.series[index[s]] for s in subjects],
            truth=self.truth,
            tr=self.tr,
            info=self.info,
            truth_per_subject=self.truth_per_subject,
            weights=self.weights,
            notes=self.notes,
            extra=dict(self.extra),
            missing=dict(self.missing),
        )


@dataclass(frozen=True)
class FitContext:
    """What an estimator may know about the data besides the series: never the truth."""

    dataset: str = ""
    family: str = "generic"
    description: str = ""
    tr: float | None = None
    seed: int | None = None
    # Folder where the estimator may write training curves or checkpoints (optional).
    workdir: str | None = None
    # Folder where the worker saves a transferable estimator's fitted model after the fit
    # (``Estimator.save_model``; set by ``run_benchmark(save_models=True)``, bench transfer).
    model_dir: str | None = None


@dataclass
class Estimate:
    """The result of one fit: continuous scores, binary decision, optional extras."""

    adjacency: np.ndarray
    scores: np.ndarray | None = None
    lag_scores: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


FitStatus = Literal["ok", "failed", "unavailable", "timeout", "crashed"]


@dataclass
class FitOutcome:
    """What one fit produced, as a worker (or the executor, for a killed worker) reports it.

    ``status``: ``ok`` (``estimate`` set), ``failed`` (the fit raised, or its maths went
    non-finite), ``unavailable`` (a missing package or model), ``timeout`` (killed at its time
    limit), ``crashed`` (its worker process died). ``error`` is one line; ``warnings`` holds the
    distinct warning messages the fit emitted (the driver summarises them per method);
    ``peak_rss_mb`` is the worker's high-water mark after the fit.
    """

    subject: str
    status: FitStatus
    error: str = ""
    estimate: Estimate | None = None
    wall_time_s: float = 0.0
    peak_rss_mb: float = 0.0
    warnings: list[str] = field(default_factory=list)


# Largest magnitude a series may hold: squares and sums of squares over T points of values
# beyond it overflow or lose all precision in float64 (its largest number is about 1.8e308).
MAX_ABS_VALUE = 1e100
# Smallest relative variation a node may have: below it, float64 (about 16 digits) cannot
# resolve the node's changes around its level, so every method would see rounding noise.
MIN_RELATIVE_SPREAD = 1e-12


def check_values(x: np.ndarray, where: str) -> None:
    """Raise :class:`DataError` when a ``(T, N)`` series holds values no method can use.

    Checked, in order, each message naming ``where`` (a file, or a dataset and subject) and the
    node (0-based column): non-finite values; magnitudes above :data:`MAX_ABS_VALUE`; a node
    whose values are all below ``1 / MAX_ABS_VALUE`` in magnitude (their squares underflow); a
    node whose standard deviation is below :data:`MIN_RELATIVE_SPREAD` times its largest
    magnitude (its variation is lost to rounding), constant nodes included.
    """
    a = np.asarray(x, dtype=np.float64)
    bad = ~np.isfinite(a)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"{where}: {int(bad.sum())} non-finite value(s) (NaN/Inf), first at time {row}, "
            f"node {col}"
        )
    peak = np.abs(a).max(axis=0)
    huge = np.flatnonzero(peak > MAX_ABS_VALUE)
    if huge.size:
        c = int(huge[0])
        raise DataError(
            f"{where}: node {c} holds values up to {peak[c]:.3g} in magnitude; beyond "
            f"{MAX_ABS_VALUE:.0e} their squares overflow float64 (rescale the data)"
        )
    tiny = np.flatnonzero((peak < 1.0 / MAX_ABS_VALUE) & (peak > 0))
    if tiny.size:
        c = int(tiny[0])
        raise DataError(
            f"{where}: node {c} holds values of at most {peak[c]:.3g} in magnitude; below "
            f"{1.0 / MAX_ABS_VALUE:.0e} their squares underflow float64 (rescale the data)"
        )
    spread = a.std(axis=0)
    flat = np.flatnonzero(spread <= MIN_RELATIVE_SPREAD * peak)
    if flat.size:
        c = int(flat[0])
        if spread[c] == 0:
            raise DataError(f"{where}: node {c} is constant ({a[0, c]:g} at all time points)")
        raise DataError(
            f"{where}: node {c} varies by {spread[c]:.3g} (SD) around values of {peak[c]:.3g}: "
            f"below {MIN_RELATIVE_SPREAD:.0e} of its magnitude, float64 cannot resolve it"
        )
