"""Typed result records: one per (method, parameters, dataset, subject, seed), written atomically.

A record is the source of truth and the cache. On disk it is two files under
``<results>/records/<method>/<dataset>/``:

* ``<stem>.npz``: the estimate (``adjacency``, optionally ``scores``, ``lag_scores`` and array
  extras such as ``epoch_adjacency``), written first;
* ``<stem>.json``: everything else (method, parameters, dataset and its data hash, subject, seed,
  status, error, wall time, peak memory, versions, small extras), written last.

Both are written to a temporary name and renamed into place (``os.replace`` is atomic on
POSIX), and the JSON is the commit marker: a record exists once its JSON exists. An interrupted
write (Ctrl-C, ``kill -9``, a crashed worker or driver) leaves at most a stray temporary or an
orphan ``.npz``, never a half-written record. The files are not ``fsync``-ed (at two syncs per
fit that was most of the driver's time on a large benchmark): after a crash of the whole machine
a record may come back empty or cut short, and :meth:`RecordStore.load_ok` then treats it as
missing, so that fit is computed again.

``stem`` = ``<subject>__<seedtag>__<key>``, where ``seedtag`` is ``det`` for a deterministic
method (one result serves every seed) or ``s<seed>``, and ``key`` is a hash of everything that
determines the estimate (see :func:`record_key`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from bench.types import Estimate

SCHEMA = 1


def record_key(
    method: str, params: dict[str, Any], dataset: str, data_hash: str, seed: int | None, code: str
) -> str:
    """SHA-256 (first 16 hex digits) of what determines an estimate."""
    payload = json.dumps(
        {
            "method": method,
            "params": params,
            "dataset": dataset,
            "data": data_hash,
            "seed": seed,
            "code": code,
        },
        sort_keys=True,
        default=repr,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass
class Record:
    """One fit's result: ``status`` is ``ok``, ``failed``, ``unavailable``, ``timeout`` or
    ``crashed``; ``metrics`` are filled by the driver's scoring before the record is written."""

    key: str
    method: str
    params: dict[str, Any]
    dataset: str
    data_hash: str
    subject: str
    seed: int | None
    status: str
    error: str = ""
    wall_time_s: float = 0.0
    peak_rss_mb: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    code_version: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)
    scoring_version: str = ""  # the scoring code that computed ``metrics`` (bench.provenance)
    warnings: list[str] = field(default_factory=list)  # distinct warnings the fit emitted
    estimate: Estimate | None = None
    schema: int = SCHEMA

    @property
    def seedtag(self) -> str:
        return "det" if self.seed is None else f"s{self.seed}"

    @property
    def stem(self) -> str:
        return f"{self.subject}__{self.seedtag}__{self.key}"

    def to_json(self) -> dict[str, Any]:
        """The record's fields but the estimate, for ``json.dumps``. Shallow (the values are
        plain dicts, lists and scalars): ``dataclasses.asdict`` would deep-copy the estimate's
        arrays only to drop them, which cost the driver about 1 ms a fit."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "estimate"}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()  # what open() would give a new file under the user's umask


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp makes 0600; a record is an ordinary file
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    _atomic_write(Path(path), lambda fh: fh.write(text.encode()))


class RecordStore:
    """Records under ``<root>/records``; lookups by key for the cache."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root) / "records"

    def folder(self, method: str, dataset: str) -> Path:
        """``records/<method>/<dataset slug>``; a name with other characters than letters,
        digits, ``._-`` (e.g. ``folder:/path/to/study``) gets a slug plus a short hash."""
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", dataset.replace(":", "_")).strip("_")
        if slug != dataset.replace(":", "_"):
            slug = f"{slug[-60:]}-{hashlib.sha256(dataset.encode()).hexdigest()[:8]}"
        return self.root / method / slug

    def path(self, rec: Record) -> Path:
        return self.folder(rec.method, rec.dataset) / f"{rec.stem}.json"

    def write(self, rec: Record, *, estimate: bool = True) -> Path:
        """Write the estimate (``.npz``) then the record (``.json``), each atomically.

        ``estimate=False`` rewrites the JSON only (a cached record re-scored by new scoring
        code keeps its estimate file).
        """
        folder = self.folder(rec.method, rec.dataset)
        if estimate and rec.estimate is not None:
            arrays: dict[str, np.ndarray] = {"adjacency": rec.estimate.adjacency}
            if rec.estimate.scores is not None:
                arrays["scores"] = rec.estimate.scores
            if rec.estimate.lag_scores is not None:
                arrays["lag_scores"] = rec.estimate.lag_scores
            for k, v in rec.estimate.extra.items():
                if isinstance(v, np.ndarray):
                    arrays[f"extra__{k}"] = v
            # uncompressed: compressing every small estimate cost more driver time than it saved
            _atomic_write(folder / f"{rec.stem}.npz", lambda fh: np.savez(fh, **arrays))
        body = rec.to_json()
        body["has_estimate"] = rec.estimate is not None
        text = json.dumps(body, indent=1, sort_keys=True, default=_json_default)
        path = folder / f"{rec.stem}.json"
        _atomic_write(path, lambda fh: fh.write(text.encode()))
        return path

    def find(self, method: str, dataset: str, subject: str, seed: int | None, key: str) -> Path:
        tag = "det" if seed is None else f"s{seed}"
        return self.folder(method, dataset) / f"{subject}__{tag}__{key}.json"

    def read(self, path: Path, *, with_estimate: bool = True) -> Record:
        body = json.loads(Path(path).read_text())
        has_est = body.pop("has_estimate", False)
        body.pop("schema", None)
        rec = Record(**body)
        if with_estimate and has_est:
            with np.load(Path(path).with_suffix(".npz")) as z:
                extra = {k[len("extra__") :]: z[k] for k in z.files if k.startswith("extra__")}
                rec.estimate = Estimate(
                    adjacency=z["adjacency"].astype(bool),
                    scores=z["scores"] if "scores" in z.files else None,
                    lag_scores=z["lag_scores"] if "lag_scores" in z.files else None,
                    extra={**rec.extra, **extra},
                )
        return rec

    def load_ok(self, path: Path) -> Record | None:
        """The record at ``path`` if it exists, is readable and succeeded; else ``None``."""
        if not path.is_file():
            return None
        try:
            rec = self.read(path)
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
            return None  # unreadable (e.g. cut short by a crashed machine): recompute
        return rec if rec.status == "ok" and rec.estimate is not None else None


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return repr(o)
