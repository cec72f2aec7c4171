"""Checksummed storage of vendored dataset files (shared by every dataset family).

A data folder holds ``.npz`` files and a ``SHA256SUMS`` file in the format of ``sha256sum``
(``<64 hex digits>  <file name>`` per line, names relative to the folder). Loading a file
first checks its SHA-256 against that list, then reads every array of the ``.npz`` eagerly
(``allow_pickle=False``). Any problem (missing file, no checksum entry, checksum mismatch,
unreadable or truncated archive) raises :class:`~bench.types.DataError` with a one-line
message that names the file.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from pathlib import Path

import numpy as np

from bench.types import DataError

SUMS_NAME = "SHA256SUMS"


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_checksums(sums: Path) -> dict[str, str]:
    """Parse a ``sha256sum``-style file into ``{file name: hex digest}``."""
    try:
        text = sums.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"{sums}: cannot read the checksum list ({exc.strerror or exc})") from exc
    out: dict[str, str] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise DataError(f"{sums}:{lineno}: malformed checksum line {line!r}")
        out[name.strip().lstrip("*")] = digest.lower()
    return out


def verify_file(path: Path, sums: Path | None = None) -> str:
    """Check ``path`` against its entry in ``sums`` (default: ``SHA256SUMS`` beside it).

    Returns the verified digest; raises :class:`DataError` naming the file otherwise.
    """
    path = Path(path)
    sums = path.parent / SUMS_NAME if sums is None else Path(sums)
    if not path.is_file():
        raise DataError(f"{path}: data file is missing (reinstall the package or re-vendor it)")
    expected = read_checksums(sums).get(path.name)
    if expected is None:
        raise DataError(f"{path}: no checksum entry in {sums}")
    actual = sha256_file(path)
    if actual != expected:
        raise DataError(
            f"{path}: checksum mismatch (SHA-256 {actual[:12]}…, expected {expected[:12]}…); "
            "the file is corrupt or was modified"
        )
    return actual


def load_npz(path: Path, sums: Path | None = None) -> dict[str, np.ndarray]:
    """Verify ``path`` against ``sums`` (see :func:`verify_file`), then read all its arrays."""
    path = Path(path)
    verify_file(path, sums)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {key: z[key] for key in z.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise DataError(f"{path}: unreadable or truncated .npz ({reason})") from exc
