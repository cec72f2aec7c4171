"""Benchmark of the NetSim-style simulator; prints figures, asserts nothing.

Usage::

    .venv/bin/python tests/benchmarks/simulate.py              # a few minutes
    .venv/bin/python tests/benchmarks/simulate.py --repeats 5  # more repeats of the main case
    .venv/bin/python tests/benchmarks/simulate.py --full       # the N scan at 10 min (long)

1. The main case: 50 subjects x 10 min x 5 nodes at 5 ms steps (NetSim sim 1: 120,000 Euler
   steps, 200 samples at TR 3 s). Wall and CPU time as the median (and range) of
   ``--repeats`` runs; peak memory traced by ``tracemalloc`` in one more, untimed run (numpy
   reports its buffers to it), and the peak resident size of the process.
2. Growth with the number of nodes N = 5 ... 200 (the ``n5`` ... ``n200`` presets: NetSim
   blocks joined by cross-links), 50 subjects, ``--n-minutes`` of session (2 by default,
   10 with ``--full``): seconds, microseconds per Euler step, that rate times the 120,000
   steps of a 10-minute session, and the traced peak memory of a 30-s run (the buffers
   do not grow with the session length; the output grows by S x T x N x 8 bytes).
3. Growth with the session length, 5 nodes, 50 subjects: 1 ... 20 minutes.

The load average is printed before and after: on a shared machine the times move with it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
import tracemalloc
from dataclasses import replace

from bench.datasets.simulate import BlockGraph, Scenario, netsim_scenario, simulate
from bench.datasets.simulate.model import DT


def timed(sc: Scenario, seed: int = 0) -> tuple[float, float]:
    """Wall and CPU seconds of one simulation (CPU time moves less with the machine's load)."""
    w0, c0 = time.perf_counter(), time.process_time()
    simulate(sc, seed)
    return time.perf_counter() - w0, time.process_time() - c0


def traced_peak(sc: Scenario) -> float:
    """Peak MiB allocated during one simulation, traced by tracemalloc (slow: not timed)."""
    tracemalloc.start()
    simulate(sc, 0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def steps(sc: Scenario) -> int:
    return sc.n_samples * int(round(sc.tr / sc.dt))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main_case(repeats: int) -> None:
    sc = netsim_scenario(1)
    print(
        f"== main case: {sc.n_subjects} subjects x {sc.duration / 60:g} min x {sc.n_nodes} nodes, "
        f"dt {DT * 1000:g} ms ({steps(sc):,} Euler steps)",
        flush=True,
    )
    runs = [timed(sc, seed) for seed in range(repeats)]
    wall, cpu = [r[0] for r in runs], [r[1] for r in runs]
    print(
        f"wall time: median {statistics.median(wall):.2f} s over {repeats} runs "
        f"(min {min(wall):.2f}, max {max(wall):.2f}); CPU time: median "
        f"{statistics.median(cpu):.2f} s (min {min(cpu):.2f}); per step "
        f"{statistics.median(wall) / steps(sc) * 1e6:.1f} us wall"
    )
    peak = traced_peak(sc)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak traced memory {peak:.1f} MiB; peak RSS of this process {rss:.0f} MiB")


def node_scan(minutes: float) -> None:
    print(f"== growth with N: 50 subjects x {minutes:g} min (block graphs)", flush=True)
    print(
        f"{'N':>5} {'edges':>6} {'wall s':>8} {'CPU s':>8} {'us/step':>8} "
        f"{'10 min (s)':>11} {'peak MiB':>9}"
    )
    for n in (5, 10, 20, 50, 100, 200):
        sc = Scenario(graph=BlockGraph(n), stream=f"n{n}", duration=60.0 * minutes)
        wall, cpu = timed(sc)
        peak = traced_peak(replace(sc, duration=30.0))
        per = wall / steps(sc)
        print(
            f"{n:>5} {sc.graph.n_edges:>6} {wall:>8.2f} {cpu:>8.2f} {per * 1e6:>8.1f} "  # type: ignore[attr-defined]
            f"{per * 120_000:>11.1f} {peak:>9.1f}",
            flush=True,
        )


def duration_scan() -> None:
    print("== growth with session length: 50 subjects x 5 nodes (sim 1 design)", flush=True)
    print(f"{'minutes':>8} {'steps':>9} {'wall s':>8} {'CPU s':>8} {'us/step':>8}")
    for minutes in (1, 2.5, 5, 10, 20):
        sc = replace(netsim_scenario(1), duration=60.0 * minutes)
        wall, cpu = timed(sc)
        print(
            f"{minutes:>8g} {steps(sc):>9,} {wall:>8.2f} {cpu:>8.2f} "
            f"{wall / steps(sc) * 1e6:>8.1f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-minutes", type=float, default=2.0)
    parser.add_argument("--full", action="store_true", help="N scan at 10 min sessions")
    args = parser.parse_args()
    print(load())
    main_case(args.repeats)
    node_scan(10.0 if args.full else args.n_minutes)
    duration_scan()
    print(load())


if __name__ == "__main__":
    main()
