"""Executors: where fits run. Every fit runs in a worker process, never in the driver.

* :class:`LocalExecutor` keeps ``jobs`` worker processes (started by ``forkserver`` on Linux,
  ``spawn`` elsewhere). Each worker runs one fit at a time and sends its result back through a
  pipe. The driver watches every worker:

  - a fit that runs past its time limit gets its worker killed (SIGKILL) and is recorded with
    status ``timeout``; the limit counts from the moment the worker starts the fit, so a fresh
    worker's start-up (forkserver, imports) never counts against it;
  - a worker that dies (segmentation fault, the kernel's out-of-memory killer, ``os._exit``)
    takes only its current fit with it: that fit is recorded as ``crashed`` with the signal or
    exit code, and a fresh worker takes its place;
  - an exception inside a fit (``MemoryError`` included) is caught in the worker and recorded as
    ``failed`` (``unavailable`` for a missing package or model).

  Worker processes limit BLAS/OpenMP/torch threads to ``threads`` so that ``jobs`` workers share
  the cores without oversubscription.
* :class:`RayExecutor` (``--executor ray``, optional extra ``bench-ec[ray]``) sends the same fits
  to a Ray cluster as remote tasks (a GPU method asks Ray for a GPU); results come back to the
  driver, which alone writes records and MLflow.

Both take :class:`Job` objects and call ``on_result(job, outcome)`` in the driver as results
arrive; ``outcome`` is the :class:`bench.types.FitOutcome` of :func:`bench.fitting.execute_fit`
(or one made here for a fit whose worker timed out or died). A worker that dies before it
receives its job (the pipe breaks on submit) costs only that fit, recorded as ``crashed``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from bench.types import BenchError, FitOutcome


@dataclass
class Job:
    """One fit to run: the payload for :func:`bench.fitting.execute_fit` and its time limit."""

    id: int
    method: str
    params: dict[str, Any]
    context: dict[str, Any]
    item: tuple[str, int | None, Any]  # (subject, random_state, X)
    timeout: float | None = None
    needs_gpu: bool = False
    threads: int | None = None  # None: the executor's default


OnResult = Callable[[Job, FitOutcome], None]


def _status_result(subject: str, status: str, error: str, wall: float) -> FitOutcome:
    return FitOutcome(subject, status, error, None, wall, 0.0)  # type: ignore[arg-type]


def describe_exit(code: int | None) -> str:
    """A readable reason for a worker's exit code (negative = killed by a signal)."""
    if code is None:
        return "unknown exit"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"killed by {name}{hint}"
    return f"exited with code {code}"


def _worker_main(conn: Connection, threads: int, plugins: str) -> None:
    """Worker loop: receive a job, run it, send the result; stop on ``None`` or a closed pipe.

    ``plugins`` is the driver's ``BENCH_PLUGINS`` when the worker started (the forkserver that
    forks workers may be older than the driver's current environment).
    """
    from bench.fitting import execute_fit, limit_threads
    from bench.registry import PLUGINS_ENV

    os.environ[PLUGINS_ENV] = plugins
    limit_threads(threads)
    _progress_to_stderr()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job_id, method, params, context, item = msg
        try:
            conn.send(("start", job_id))  # the time limit counts from here, not from start-up
        except (BrokenPipeError, OSError):
            return
        result = execute_fit(method, params, context, item)
        try:
            conn.send(("done", job_id, result))
        except (BrokenPipeError, OSError):
            return


def _progress_to_stderr() -> None:
    """Show methods' INFO progress lines (e.g. BrainEC-LLM's epochs) on the worker's stderr.

    Long group-level fits would otherwise show nothing but a still progress bar for minutes.
    """
    import logging

    logger = logging.getLogger("bench.methods")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        # on a terminal the driver's progress bar is on the current line: go back to its start
        # and clear it first, so the line stands alone (the bar is redrawn at its next update)
        start = "\r\x1b[2K" if sys.stderr.isatty() else ""
        handler.setFormatter(logging.Formatter(start + "%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


# The heavy modules behind a method's ``requires`` entry, imported once in the forkserver so that
# every worker it forks (a fresh one after each timeout or crash included) starts with them loaded
# instead of importing them again (about 5 s for causal-learn + tigramite + statsmodels).
PRELOAD = {
    "causallearn": (
        "causallearn.search.ConstraintBased.PC",
        "causallearn.search.ScoreBased.GES",
        "causallearn.search.FCMBased.lingam",
    ),
    "tigramite": ("tigramite.pcmci", "tigramite.independence_tests.parcorr"),
    "statsmodels": ("statsmodels.tsa.api",),
    "sklearn": ("sklearn.linear_model",),
}
# Never preloaded: forking a process that holds torch's thread pools is not safe.
NO_PRELOAD = ("torch", "transformers", "peft")


def preload_modules(requires: Iterable[str]) -> list[str]:
    """The modules to preload in the forkserver for methods that require ``requires``."""
    out = ["bench.fitting", "bench.methods", "bench.datasets"]
    for name in requires:
        if name.split(".")[0] in NO_PRELOAD:
            continue
        for mod in PRELOAD.get(name, (name,)):
            if mod not in out:
                out.append(mod)
    return out


def _context(preload: Iterable[str] = ()) -> mp.context.BaseContext:
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(preload) or ["bench.fitting"])
        return ctx
    return mp.get_context("spawn")


class _Worker:
    def __init__(self, ctx: mp.context.BaseContext, threads: int) -> None:
        self.threads = threads
        self.conn, child = ctx.Pipe()
        plugins = os.environ.get("BENCH_PLUGINS", "")
        self.proc = ctx.Process(target=_worker_main, args=(child, threads, plugins), daemon=True)
        self.proc.start()
        child.close()
        self.job: Job | None = None
        self.started = 0.0
        self.running = False  # the worker said it started the job (its time limit runs)

    def submit(self, job: Job) -> bool:
        """Send ``job``; False when the worker is gone (its pipe is broken)."""
        self.job, self.started, self.running = job, time.monotonic(), False
        try:
            self.conn.send((job.id, job.method, job.params, job.context, job.item))
        except (BrokenPipeError, ConnectionResetError, EOFError, OSError):
            return False
        return True

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(2)
        self.conn.close()


class LocalExecutor:
    """A pool of worker processes with per-fit time limits and crash isolation."""

    def __init__(self, jobs: int, threads: int | None = None, preload: Iterable[str] = ()) -> None:
        self.jobs = max(1, jobs)
        self.threads = threads or max(1, (os.cpu_count() or 1) // self.jobs)
        self.preload = list(preload)

    def describe(self) -> str:
        return f"{self.jobs} local worker process(es), {self.threads} thread(s) each"

    def _fits_budget(self, job: Job, pool: list[_Worker]) -> bool:
        """Whether ``job`` may start now without oversubscribing the cores.

        Budget: ``max(cores, jobs × default threads)``, so ``--jobs N`` of ordinary fits runs
        N at a time as asked; a job that wants more threads (a group-level fit takes every
        core) starts only when its threads fit beside the busy ones, or when nothing runs.
        """
        busy = sum(w.threads for w in pool if w.job is not None)
        if busy == 0:
            return True
        budget = max(os.cpu_count() or 1, self.jobs * self.threads)
        return busy + (job.threads or self.threads) <= budget

    def run(self, jobs: Iterable[Job], on_result: OnResult) -> None:
        queue = deque(jobs)
        if not queue:
            return
        ctx = _context(self.preload)
        pool: list[_Worker] = []
        try:
            while queue or any(w.job is not None for w in pool):
                # start workers lazily, up to `jobs`, and give idle ones work
                while queue and len(pool) < self.jobs:
                    pool.append(_Worker(ctx, queue[0].threads or self.threads))
                for w in pool:
                    if w.job is None and queue:
                        if not self._fits_budget(queue[0], pool):
                            break  # a multi-threaded fit waits for cores to free up
                        job = queue.popleft()
                        if (job.threads or self.threads) != w.threads:
                            w.stop()
                            pool[pool.index(w)] = w = _Worker(ctx, job.threads or self.threads)
                        if not w.submit(job):  # the worker died before it got the job
                            w.proc.join(1)
                            why = describe_exit(w.proc.exitcode)
                            w.kill()
                            pool[pool.index(w)] = _Worker(ctx, w.threads)
                            msg = f"worker process {why} before it received the fit"
                            on_result(job, _status_result(job.item[0], "crashed", msg, 0.0))
                busy = [w for w in pool if w.job is not None]
                deadlines = [
                    w.started + w.job.timeout - time.monotonic()
                    for w in busy
                    if w.job is not None and w.job.timeout and w.running
                ]
                wait_for = max(0.0, min(deadlines)) if deadlines else 1.0
                ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], wait_for)
                for k, w in enumerate(pool):
                    job = w.job
                    if job is None:
                        continue
                    now = time.monotonic()
                    if w.conn in ready or w.conn.poll():
                        try:
                            msg = w.conn.recv()
                        except (EOFError, OSError, ConnectionResetError):
                            msg = None
                        if msg is not None and msg[0] == "start" and msg[1] == job.id:
                            w.started, w.running = now, True  # worker start-up not counted
                            continue
                        if msg is not None and msg[0] == "done" and msg[1] == job.id:
                            w.job = None
                            on_result(job, msg[2])
                            continue
                    if not w.proc.is_alive():
                        w.kill()
                        pool[k] = _Worker(ctx, w.threads)
                        msg = f"worker process {describe_exit(w.proc.exitcode)} during the fit"
                        on_result(job, _status_result(job.item[0], "crashed", msg, now - w.started))
                    elif job.timeout and w.running and now - w.started > job.timeout:
                        w.kill()
                        pool[k] = _Worker(ctx, w.threads)
                        msg = f"exceeded the time limit of {job.timeout:g} s"
                        on_result(job, _status_result(job.item[0], "timeout", msg, now - w.started))
        finally:
            for w in pool:
                if w.job is not None:
                    w.kill()
                else:
                    w.stop()


class RayExecutor:
    """Runs the fits as Ray tasks (``ray.init(address)``; a local instance when ``None``)."""

    def __init__(self, address: str | None = None, threads: int | None = None) -> None:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise BenchError(
                "--executor ray needs Ray: pip install 'bench-ec[ray]' (or pip install ray)"
            ) from None
        self.address = address
        self.threads = threads or 1

    def describe(self) -> str:
        return f"Ray ({self.address or 'local instance'})"

    def connect(self) -> None:
        """Start or join Ray now, so that an unreachable cluster fails before any fit.

        A ``host:port`` (or ``ray://host:port``) address is first probed with a plain TCP
        connection (5 s), since Ray itself keeps retrying an unreachable address for minutes.
        """
        import ray

        if ray.is_initialized():
            return
        where = self.address or "a local instance"
        if self.address and self.address != "auto":
            hostport = self.address.split("://", 1)[-1]
            host, _, port = hostport.rpartition(":")
            try:
                socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
            except (OSError, ValueError) as exc:
                raise BenchError(f"Ray at {where}: cannot connect ({exc})") from None
        try:
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(log_to_driver=False, include_dashboard=False)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise BenchError(f"Ray at {where}: cannot start or connect ({first})") from None

    def run(self, jobs: Iterable[Job], on_result: OnResult) -> None:
        import ray

        from bench.fitting import execute_fit

        jobs = list(jobs)
        if not jobs:
            return
        self.connect()

        @ray.remote(max_retries=0)
        def _fit(method: str, params: dict, context: dict, item: tuple, threads: int) -> Any:
            from bench.fitting import limit_threads

            limit_threads(threads)
            return execute_fit(method, params, context, item)

        # Keep only as many tasks in flight as the cluster has CPUs for, so that a task's time
        # since submission is (close to) its running time, to which the time limit applies.
        cpus = int(ray.cluster_resources().get("CPU", 1))
        queue = deque(jobs)
        pending: dict[Any, tuple[Job, float]] = {}
        while queue or pending:
            while queue and sum(j.threads or self.threads for j, _ in pending.values()) < cpus:
                job = queue.popleft()
                threads = job.threads or self.threads
                opts = {"num_cpus": threads, "num_gpus": 1 if job.needs_gpu else 0}
                ref = _fit.options(**opts).remote(
                    job.method, job.params, job.context, job.item, threads
                )
                pending[ref] = (job, time.monotonic())
            done, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            now = time.monotonic()
            for ref in done:
                job, started = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # the task's worker died
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    msg = f"Ray task failed: {first}"
                    result = _status_result(job.item[0], "crashed", msg, now - started)
                on_result(job, result)
            for ref, (job, started) in list(pending.items()):
                if job.timeout and now - started > job.timeout:
                    ray.cancel(ref, force=True)
                    pending.pop(ref)
                    msg = f"exceeded the time limit of {job.timeout:g} s"
                    on_result(job, _status_result(job.item[0], "timeout", msg, now - started))
