"""The Ray executor gives the same results as the local one (on a local Ray instance)."""

import pandas as pd
import pytest

from bench.cli import main

ray = pytest.importorskip("ray")


def test_ray_matches_local(tmp_path):
    frames = {}
    for executor in ("local", "ray"):
        res = tmp_path / executor
        code = main(
            [
                "run",
                "--methods",
                "granger,pc",
                "--datasets",
                "smith:1",
                "--seeds",
                "0",
                "--results",
                str(res),
                "--executor",
                executor,
                "--jobs",
                "2",
                "--no-track",
                "--quiet",
            ]
        )
        assert code == 0
        df = pd.read_csv(res / "tables" / "bench" / "per_subject.csv")
        frames[executor] = df.drop(columns=["wall_time_s", "peak_rss_mb"])
    try:
        ray.shutdown()
    finally:
        pd.testing.assert_frame_equal(frames["local"], frames["ray"], check_exact=True)
    assert len(frames["ray"]) == 100 and (frames["ray"]["status"] == "ok").all()


def test_unreachable_ray_address_fails_before_computing(tmp_path, capsys):
    code = main(
        [
            "run",
            "--methods",
            "granger",
            "--datasets",
            "smith:1",
            "--results",
            str(tmp_path),
            "--executor",
            "ray",
            "--ray-address",
            "127.0.0.1:1",
            "--no-track",
        ]
    )
    assert code == 2
    assert "Ray at 127.0.0.1:1" in capsys.readouterr().err
    assert not (tmp_path / "records").exists()
