"""Config files and CLI overrides."""

import pytest

from bench.config import build_config
from bench.types import BenchError


def test_defaults():
    cfg = build_config()
    assert cfg.seeds == [0, 1, 2]
    assert cfg.methods == ["all"] and cfg.datasets == ["smith"]


def test_toml_file_and_overrides(tmp_path):
    f = tmp_path / "b.toml"
    f.write_text(
        'name = "x"\nmethods = "pc"\nseeds = [4, 5]\nrerun = true\n[params.pc]\nalpha = 0.01\n'
    )
    cfg = build_config(str(f))
    assert (cfg.name, cfg.methods, cfg.seeds, cfg.rerun) == ("x", ["pc"], [4, 5], True)
    assert cfg.params == {"pc": {"alpha": 0.01}}
    # a False given on the command line wins over a True in the file
    cfg = build_config(str(f), rerun=False, seeds=[7])
    assert cfg.rerun is False and cfg.seeds == [7]


def test_yaml_file(tmp_path):
    f = tmp_path / "b.yaml"
    f.write_text("datasets: [smith:1]\njobs: 1\n")
    cfg = build_config(str(f))
    assert cfg.datasets == ["smith:1"] and cfg.jobs == 1


@pytest.mark.parametrize(
    "text, match",
    [
        ("methds = 'pc'\n", "unknown key"),
        ("seeds = ['a']\n", "not an integer"),
        ("seeds = [1, 1]\n", "duplicates"),
        ("jobs = -1\n", "jobs"),
        ("name = 'a/b'\n", "name"),
        ("seeds = [\n", "cannot parse"),
    ],
)
def test_bad_config_files(tmp_path, text, match):
    f = tmp_path / "b.toml"
    f.write_text(text)
    with pytest.raises(BenchError, match=match):
        build_config(str(f))


def test_missing_and_wrong_suffix(tmp_path):
    with pytest.raises(BenchError, match="not found"):
        build_config(str(tmp_path / "none.toml"))
    f = tmp_path / "b.json"
    f.write_text("{}")
    with pytest.raises(BenchError, match="toml"):
        build_config(str(f))


def test_params_and_timeouts_merge_with_the_file(tmp_path):
    f = tmp_path / "b.toml"
    f.write_text("[params.pc]\nalpha = 0.01\nstable = false\n[timeouts]\npc = 5\n")
    cfg = build_config(
        str(f), params={"pc": {"alpha": 0.1}, "granger": {"max_lag": 2}}, timeouts={"granger": 9}
    )
    assert cfg.params == {"pc": {"alpha": 0.1, "stable": False}, "granger": {"max_lag": 2}}
    assert cfg.timeouts == {"pc": 5, "granger": 9}
