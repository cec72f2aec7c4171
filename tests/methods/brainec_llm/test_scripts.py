"""The BrainEC-LLM benchmark scripts run end to end (CPU smoke modes, tiny backbone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _run(script: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    env.pop("BENCH_LLM_PATH", None)
    return subprocess.run(
        [sys.executable, str(ROOT / "tests" / "benchmarks" / script), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_gpu_script_smoke_mode(tmp_path: Path) -> None:
    """``brainec_gpu.py --smoke``: both prompt modes, bf16 backbone, numbers printed and saved."""
    out = tmp_path / "gpu.json"
    proc = _run("brainec_gpu.py", "--smoke", "--json", str(out), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "[shared prompt] honest F1" in proc.stdout
    assert "[repeated prompt (reference)] honest F1" in proc.stdout
    assert "ORACLE best F1" in proc.stdout and "dtype bfloat16" in proc.stdout
    got = json.loads(out.read_text())
    assert got["backbone"] == "tiny" and got["epochs"] == 1
    for mode in ("shared", "repeated"):
        assert 0.0 <= got[mode]["honest_f1"] <= 1.0 and got[mode]["peak_mb"] > 0
    assert got["time_ratio"] > 0 and got["memory_ratio"] > 0


def test_gpu_script_without_cuda_says_so(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is visible: the script would run the real GPU check")
    proc = _run("brainec_gpu.py", "--epochs", "1", tmp_path=tmp_path)
    assert proc.returncode == 2
    assert "no CUDA device visible" in proc.stdout


def test_canary_script_one_config(tmp_path: Path) -> None:
    out = tmp_path / "canary.json"
    proc = _run(
        "brainec_canary.py",
        "--epochs", "1", "--seeds", "0", "--configs", "reference",
        "--subjects", "2", "--length", "64", "--json", str(out),
        tmp_path=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "summary (per config, over seeds)" in proc.stdout
    (row,) = json.loads(out.read_text())["rows"]
    assert row["config"] == "reference" and isinstance(row["honest"], bool)
    assert 0.0 <= row["epochs_ok"] <= 1.0 and len(row["A"]) == 3


def test_canary_script_rejects_unknown_config(tmp_path: Path) -> None:
    proc = _run("brainec_canary.py", "--configs", "nope", tmp_path=tmp_path)
    assert proc.returncode == 2 and "unknown config" in proc.stderr


def test_cli_run_shows_epoch_progress_and_oracle_tables(tmp_path: Path) -> None:
    """``bench run`` on a group-level BrainEC-LLM fit: epochs on stderr, oracle tables apart."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("BENCH_LLM_PATH", None)
    results = tmp_path / "r"
    proc = subprocess.run(
        [
            sys.executable, "-m", "bench.cli", "run", "--methods", "brainec-llm",
            "--datasets", "smith:1@1-4", "--seeds", "0", "--no-track", "--results", str(results),
            "--param", "brainec-llm.backbone=tiny", "--param", "brainec-llm.llm_layers=1",
            "--param", "brainec-llm.epochs=2", "--param", "brainec-llm.num_tokens=20",
            "--param", "brainec-llm.lora_r=4",
        ],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "brainec-llm smith:1@1-4" in proc.stderr
    assert ": epoch 1/2: loss " in proc.stderr and ": epoch 2/2: loss " in proc.stderr
    assert "is_gradient_checkpointing" not in proc.stderr
    assert (results / "tables" / "bench" / "f1.md").is_file()
    oracle = (results / "tables" / "bench" / "oracle" / "f1.md").read_text()
    # the row names the configuration (the method's label), then the oracle protocol
    assert "BrainEC-LLM (tiny random Llama ×1, 2 ep." in oracle
    assert "(oracle best epoch)" in oracle
