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
        """SHA-256 over the series and truth bytes (a cache key component)."""
        h = hashlib.sha256()
        h.update(self.name.encode())
        for sid, x in zip(self.subjects, self.series, strict=True):
            h.update(sid.encode())
            h.update(np.ascontiguousarray(x, dtype=np.float64).tobytes())
        for sid in self.subjects:
            h.update(np.ascontiguousarray(self.truth_for(sid), dtype=np.uint8).tobytes())
        return h.hexdigest()[:16]

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


@dataclass
class Estimate:
    """The result of one fit: continuous scores, binary decision, optional extras."""

    adjacency: np.ndarray
    scores: np.ndarray | None = None
    lag_scores: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)
