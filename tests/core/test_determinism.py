"""The same command twice gives identical metrics: bit-identical for deterministic methods, and
identical for seeded stochastic ones on the same hardware."""

import pandas as pd

from bench.cli import main
from bench.registry import METHODS, _load_plugins


def test_two_runs_are_identical(tmp_path):
    _load_plugins()
    methods = ["pc", "granger", "pcmci"]
    stochastic = [
        n
        for n, m in METHODS.items()
        if not m.deterministic and not m.needs_gpu and not m.slow and m.in_all
    ]
    methods += stochastic[:1]
    frames = []
    for k in range(2):
        res = tmp_path / f"r{k}"
        code = main(
            [
                "run",
                "--methods",
                ",".join(methods),
                "--datasets",
                "smith:1",
                "--seeds",
                "0",
                "1",
                "--results",
                str(res),
                "--jobs",
                "2",
                "--no-track",
                "--quiet",
            ]
        )
        assert code == 0
        df = pd.read_csv(res / "tables" / "bench" / "per_subject.csv")
        frames.append(df.drop(columns=["wall_time_s", "peak_rss_mb"]))
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)
    assert set(frames[0]["method"]) == set(methods)
    if stochastic:  # a seeded method differs between seeds but not between runs
        s = frames[0][frames[0]["method"] == stochastic[0]]
        a = s[s["seed"] == 0]["f1"].to_numpy()
        b = s[s["seed"] == 1]["f1"].to_numpy()
        assert len(a) == len(b) == 50 and (a != b).any()
