"""Provenance of a run: package versions, the source revision, and hashes of source code.

A record's key holds the hash of the method's code (:func:`bench.plan.method_code_version`), and
what a tracked MLflow run holds depends on the scoring code too (:data:`SCORING_VERSION`), so a
changed method or metric never hides behind an old cached value.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from bench import __version__

KEY_PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "statsmodels",
    "causal-learn",
    "tigramite",
    "torch",
    "transformers",
    "peft",
    "mlflow",
)

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def package_versions() -> dict[str, str]:
    """Installed versions of the key packages (``missing`` when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"bench": __version__, "python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "missing"
    return out


def code_revision() -> str:
    """The git commit of the source tree (``+dirty`` when modified), or ``unknown``."""
    try:
        rev = subprocess.run(
            ["git", "-C", str(SOURCE_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(SOURCE_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
        return rev + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def files_hash(files: Iterable[Path]) -> str:
    """SHA-256 (first 12 hex digits) over the names and bytes of ``files`` (sorted)."""
    h = hashlib.sha256()
    for f in sorted(set(files)):
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def scoring_version() -> str:
    """Hash of the scoring code: ``bench/metrics.py`` and ``bench/scoring.py``.

    It is part of what makes a tracked MLflow run current: after a change to a metric, every
    unit is re-scored from its stored estimates and its MLflow run is replaced.
    """
    here = Path(__file__).resolve().parent
    return files_hash([here / "metrics.py", here / "scoring.py"])
