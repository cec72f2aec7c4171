"""One run at a time per results folder: an exclusive lock with the holder's PID.

``bench run`` takes ``<results>/.bench.lock`` before it loads anything into the folder (MLflow's
schema set-up included) and keeps it until it exits. The lock is an ``fcntl.flock`` on that file,
which the kernel releases when the holder's process ends in any way (exit, crash, ``kill -9``),
so a lock left by a dead run is never stale: the next run simply takes it. The file holds the
holder's PID and command line, for the message a second run prints.

A second run on the same folder **refuses** at once with a one-line error naming the folder and
the holder's PID (exit status 2) instead of waiting: two benchmarks racing for one folder is
almost always a mistake, and the user can wait for the first (``--results`` another folder, or
run again once it has finished; the records it wrote are then reused).
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path
from types import TracebackType

from bench.types import BenchError

LOCK_NAME = ".bench.lock"
_HELD: dict[Path, int] = {}  # folders this process holds, with nesting depth (re-entrant)


class ResultsLock:
    """``with ResultsLock(folder):`` holds the folder's lock; a held lock raises BenchError."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self._fd: int | None = None
        self._created: list[Path] = []  # folders this lock created (removed again if left empty)

    def acquire(self) -> None:
        key = self.folder.absolute()
        if key in _HELD:  # this process holds it already (e.g. bench.run around run_benchmark)
            _HELD[key] += 1
            self._nested = True
            return
        self._nested = False
        missing = []
        p = self.folder.absolute()
        while not p.exists() and p != p.parent:
            missing.append(p)
            p = p.parent
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BenchError(
                f"results folder {self.folder}: not writable ({exc.strerror})"
            ) from None
        self._created = missing  # innermost first
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            self._remove_if_unused()
            raise BenchError(
                f"results folder {self.folder}: not writable ({exc.strerror})"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise BenchError(
                f"results folder {self.folder} is in use by another bench run ({holder}); "
                "wait for it to finish or use another --results folder"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {' '.join(sys.argv)[:500]}\n".encode())
        os.fsync(fd)
        self._fd = fd
        _HELD[key] = 1

    def release(self) -> None:
        key = self.folder.absolute()
        if getattr(self, "_nested", False):
            _HELD[key] -= 1
            return
        _HELD.pop(key, None)
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self._remove_if_unused()

    def _remove_if_unused(self) -> None:
        """A folder this lock created that holds nothing but the lock file is removed again,
        so a run stopped by bad input leaves nothing behind."""
        if not self._created:
            return
        try:
            if [p.name for p in self.folder.iterdir()] != [LOCK_NAME]:
                return
            self.path.unlink()
            for p in self._created:
                p.rmdir()  # innermost first; stops at a folder someone else filled
        except OSError:
            pass
        self._created = []

    def __enter__(self) -> ResultsLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 600, 0).decode(errors="replace").strip()
    except OSError:
        text = ""
    if not text:
        return "PID unknown"
    pid, _, cmd = text.partition(" ")
    return f"PID {pid}: {cmd}" if cmd else f"PID {pid}"
