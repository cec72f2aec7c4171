"""The bad-input catalogue: every entry point fed bad input answers with one clear line.

For input that is bad before any work starts (names, parameters, files, folders, config), the
CLI prints exactly one line ``bench: error: ...`` naming the file, subject or parameter, exits
with status 2, shows no traceback, and leaves nothing half-written (no records, tables or MLflow
store). Data that only one method cannot handle (too few time points for its lags) is a failed
fit: the run completes, the warning names the subject, and the exit status is 1.
"""

import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.datasets.smith import DATA_DIR

PLUGINS = Path(__file__).resolve().parent.parent / "plugins"


def _study(root: Path, series=None, truth=None, n=3, t=60) -> Path:
    """A valid folder dataset (2 subjects), with one subject or the truth replaced if given."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    np.save(root / "sub-01.npy", rng.normal(size=(t, n)) if series is None else series)
    np.save(root / "sub-02.npy", rng.normal(size=(t, n)))
    tr = np.zeros((n, n), int)
    tr[0, 1] = 1
    np.savetxt(root / "truth.csv", tr if truth is None else truth, fmt="%g", delimiter=",")
    return root


def _with_nan(n=3, t=60):
    x = np.random.default_rng(1).normal(size=(t, n))
    x[7, 1] = np.nan
    return x


def _with_inf(n=3, t=60):
    x = np.random.default_rng(1).normal(size=(t, n))
    x[3, 0] = np.inf
    return x


def _constant(n=3, t=60):
    x = np.random.default_rng(1).normal(size=(t, n))
    x[:, 2] = 4.0
    return x


def _run(tmp, *extra):
    return [
        "run",
        "--results",
        str(tmp / "results"),
        "--no-track",
        "--quiet",
        "--jobs",
        "1",
        *extra,
    ]


def _folder_case(**kw):
    def make(tmp):
        return _run(
            tmp, "--methods", "granger", "--datasets", f"folder:{_study(tmp / 'study', **kw)}"
        )

    return make


def _file_case(write):
    def make(tmp):
        study = _study(tmp / "study")
        write(study / "sub-01.npy")
        return _run(tmp, "--methods", "granger", "--datasets", f"folder:{study}")

    return make


def _smith_copy_case(corrupt):
    def make(tmp, monkeypatch=None):
        root = tmp / "netsim"
        shutil.copytree(DATA_DIR, root)
        corrupt(root / "sim1.npz")
        return _run(tmp, "--methods", "granger", "--datasets", "smith-copy:1")

    return make


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _config(text):
    def make(tmp):
        (tmp / "bench.toml").write_text(text)
        return _run(tmp, "--config", str(tmp / "bench.toml"), "--datasets", "smith:1")

    return make


def _under_a_file(tmp):
    (tmp / "afile").write_text("")
    return [
        "run",
        "--methods",
        "granger",
        "--datasets",
        "smith:1",
        "--no-track",
        "--results",
        str(tmp / "afile" / "results"),
    ]


def _huge(n=3, t=60):
    x = np.random.default_rng(1).normal(size=(t, n))
    x[:, 1] *= 1e300  # squares overflow float64
    return x


def _unresolvable(n=3, t=60):
    x = np.random.default_rng(1).normal(size=(t, n))
    x[:, 2] = 1e6 + 1e-9 * x[:, 2]  # variation below float64's resolution at 1e6
    return x


def _records_a_file(tmp):
    (tmp / "r2").mkdir()
    (tmp / "r2" / "records").write_text("")  # the run cannot write its records there
    args = _run(tmp, "--methods", "granger", "--datasets", "smith:1@1")
    args[args.index("--results") + 1] = str(tmp / "r2")
    return args


def _subject_folder(tmp):
    study = _study(tmp / "study")
    (study / "sub-03.npy").mkdir()
    return _run(tmp, "--methods", "granger", "--datasets", f"folder:{study}")


def _symlink_loop(tmp):
    (tmp / "loop").symlink_to(tmp / "loop")
    return _run(tmp, "--methods", "granger", "--datasets", f"folder:{tmp / 'loop'}")


def _mat_mismatch(tmp):
    from scipy.io import savemat

    study = _study(tmp / "study")
    (study / "sub-01.npy").unlink()
    ts = np.random.default_rng(3).normal(size=(100, 3))
    savemat(study / "sub-01.mat", {"ts": ts, "Nsubjects": 2, "Ntimepoints": 60})
    return _run(tmp, "--methods", "granger", "--datasets", f"folder:{study}")


def _unreachable_server(tmp):
    return [
        "run",
        "--methods",
        "granger",
        "--datasets",
        "smith:1@1",
        "--quiet",
        "--results",
        str(tmp / "results"),
        "--tracking-uri",
        "http://127.0.0.1:9",
    ]


# (case id, args factory, text the one line must contain)
CASES = [
    ("huge-values", _folder_case(series=_huge()), "overflow"),
    ("unresolvable-variation", _folder_case(series=_unresolvable()), "cannot resolve"),
    ("records-not-a-folder", _records_a_file, "records"),
    ("subject-is-a-folder", _subject_folder, "sub-03.npy: is a folder"),
    ("symlink-loop", _symlink_loop, "symbolic link loop"),
    ("mat-nsubjects-mismatch", _mat_mismatch, "Nsubjects × Ntimepoints"),
    ("unreachable-tracking-server", _unreachable_server, "Connection refused"),
    ("unknown-subject", lambda tmp: _run(tmp, "--methods", "pc", "--datasets", "smith:1@99"), "99"),
    (
        "parameter-wrong-type",
        lambda tmp: _run(
            tmp, "--methods", "pc", "--datasets", "smith:1", "--param", "pc.alpha=nan"
        ),
        "pc.alpha: expected a number",
    ),
    (
        "parameter-not-finite",
        lambda tmp: _run(
            tmp, "--methods", "pc", "--datasets", "smith:1", "--param", "pc.alpha=NaN"
        ),
        "pc.alpha: must be a finite number",
    ),
    (
        "parameter-not-an-integer",
        lambda tmp: _run(
            tmp, "--methods", "granger", "--datasets", "smith:1", "--param", "granger.max_lag=2.5"
        ),
        "granger.max_lag: expected an integer",
    ),
    ("nan-in-series", _folder_case(series=_with_nan()), "sub-01"),
    ("inf-in-series", _folder_case(series=_with_inf()), "sub-01"),
    ("constant-node", _folder_case(series=_constant()), "constant"),
    ("one-node", _folder_case(series=np.random.default_rng(2).normal(size=(60, 1)), n=3), "sub-01"),
    ("truth-wrong-shape", _folder_case(truth=np.zeros((4, 4))), "truth.csv"),
    ("truth-not-square", _folder_case(truth=np.zeros((3, 2))), "truth.csv"),
    (
        "truth-non-binary",
        _folder_case(truth=np.array([[0, 2, 0], [0, 0, 0], [0, 0, 0]])),
        "truth.csv",
    ),
    ("truth-self-loop", _folder_case(truth=np.eye(3)), "truth.csv"),
    ("empty-data-file", _file_case(lambda p: p.write_bytes(b"")), "sub-01.npy"),
    (
        "truncated-data-file",
        _file_case(lambda p: p.write_bytes(p.read_bytes()[:100])),
        "sub-01.npy",
    ),
    ("checksum-mismatch", _smith_copy_case(_flip_byte), "sim1.npz"),
    ("vendored-file-empty", _smith_copy_case(lambda p: p.write_bytes(b"")), "sim1.npz"),
    ("vendored-file-missing", _smith_copy_case(lambda p: p.unlink()), "sim1.npz"),
    (
        "unknown-method",
        lambda tmp: _run(tmp, "--methods", "grnager", "--datasets", "smith:1"),
        "granger",
    ),
    ("unknown-dataset", lambda tmp: _run(tmp, "--methods", "pc", "--datasets", "smiht:1"), "smith"),
    ("unknown-member", lambda tmp: _run(tmp, "--methods", "pc", "--datasets", "smith:29"), "29"),
    (
        "unknown-metric",
        lambda tmp: _run(tmp, "--methods", "pc", "--datasets", "smith:1", "--metrics", "f2"),
        "f1",
    ),
    ("seeds-not-integers", lambda tmp: _run(tmp, "--methods", "pc", "--seeds", "0", "one"), "one"),
    ("seeds-negative", lambda tmp: _run(tmp, "--methods", "pc", "--seeds", "-3"), "-3"),
    (
        "invalid-parameter-value",
        lambda tmp: _run(
            tmp, "--methods", "granger", "--datasets", "smith:1", "--param", "granger.alpha=1.5"
        ),
        "alpha",
    ),
    (
        "unknown-parameter",
        lambda tmp: _run(
            tmp, "--methods", "granger", "--datasets", "smith:1", "--param", "granger.alhpa=0.1"
        ),
        "alhpa",
    ),
    (
        "malformed-parameter",
        lambda tmp: _run(tmp, "--methods", "granger", "--param", "alpha0.1"),
        "alpha0.1",
    ),
    (
        "invalid-timeout",
        lambda tmp: _run(tmp, "--methods", "granger", "--timeout", "-5"),
        "timeout",
    ),
    ("unwritable-results-folder", _under_a_file, "afile"),
    ("config-unknown-key", _config('methds = "pc"\n'), "methds"),
    ("config-unparseable", _config("methods = [\n"), "bench.toml"),
    ("config-missing", lambda tmp: _run(tmp, "--config", str(tmp / "none.toml")), "none.toml"),
]


@pytest.mark.parametrize("case, make, needle", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_clear_line(case, make, needle, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BENCH_PLUGINS", str(PLUGINS / "smith_copy.py"))
    monkeypatch.setenv("BENCH_TEST_SMITH_ROOT", str(tmp_path / "netsim"))
    monkeypatch.chdir(tmp_path)
    code = main(make(tmp_path))
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("bench: error: "), err
    assert needle in lines[0]
    assert "Traceback" not in err
    results = tmp_path / "results"
    for leftover in ("records", "tables", "mlflow.db"):
        assert not (results / leftover).exists(), leftover
    assert not results.exists(), "a run stopped by bad input leaves no results folder"


def test_unreachable_tracking_server_leaves_no_results_folder(tmp_path, capsys):
    code = main(_unreachable_server(tmp_path))
    err = capsys.readouterr().err
    assert code == 2 and "Connection refused" in err and len(err.strip().splitlines()) == 1
    assert len(err) < 300
    assert not (tmp_path / "results").exists()


def test_too_few_time_points_for_the_lags_is_a_failed_fit(tmp_path, capsys):
    """Granger needs T >= 2N + 2: with T = 8 on 5 nodes each fit fails, naming the subject."""
    study = _study(tmp_path / "study", n=5, t=8)
    code = main(_run(tmp_path, "--methods", "granger,pc", "--datasets", f"folder:{study}"))
    err = capsys.readouterr().err
    assert code == 1
    assert "granger on folder:" in err and "sub-01: failed:" in err and "too few" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "args, needle",
    [
        (["report", "--results", "nowhere"], "nowhere"),
        (["ui", "--results", "nowhere"], "nowhere"),
        (["list", "things"], "invalid choice"),
    ],
)
def test_other_commands(args, needle, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) if args[0] == "list" else _nothing():
        code = main(args)
        assert code == 2
    assert needle in capsys.readouterr().err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
