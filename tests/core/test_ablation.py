"""The ablation protocol (bench.ablations) and its tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.ablations import ablation_methods, ablation_params
from bench.cli import main
from bench.methods.brainec_llm.estimator import TEST_PARAMS
from bench.registry import get_method
from bench.types import BenchError

VARIANTS = [
    "brainec-llm",
    "brainec-llm-no-llm",
    "brainec-llm-no-prompt",
    "brainec-llm-one-scale",
    "brainec-llm-no-contrastive",
]


def test_the_variants_come_from_the_registry() -> None:
    assert ablation_methods("brainec-llm") == VARIANTS
    assert all(get_method(v).ablation_of == "brainec-llm" for v in VARIANTS[1:])
    with pytest.raises(BenchError, match="ablation_of='pc'"):
        ablation_methods("pc")


def test_a_parameter_of_the_method_reaches_every_variant_but_its_own_ablation() -> None:
    p = ablation_params("brainec-llm", VARIANTS, {"brainec-llm": {"llm_layers": 2, "epochs": 1}})
    assert p["brainec-llm-no-llm"] == {"epochs": 1}  # llm_layers=0 is the ablation itself
    assert p["brainec-llm-no-prompt"] == {"llm_layers": 2, "epochs": 1}
    labels = {v: get_method(v).display_label(p.get(v)) for v in VARIANTS}
    assert labels["brainec-llm-no-llm"].startswith("BrainEC-LLM w/o LLM")
    assert len(set(labels.values())) == 5


@pytest.mark.slow
def test_cli_ablation_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "ablation",
            "brainec-llm",
            "--datasets",
            "smith:1@1-2",
            "--seeds",
            "0",
            *[f"--param=brainec-llm.{k}={v}" for k, v in TEST_PARAMS.items()],
            "--results",
            str(tmp_path / "r"),
            "--jobs",
            "1",
            "--no-track",
            "--quiet",
        ]
    )
    assert code == 0
    assert "7 fits (7 computed" in capsys.readouterr().out  # 5 group fits + 2 subjects
    tables = tmp_path / "r" / "tables" / "ablation"
    md = (tables / "ablation.md").read_text().splitlines()
    rows = [line for line in md if line.startswith("| BrainEC-LLM") or line.startswith("| random")]
    assert len(rows) == 6  # five variants + the random floor
    assert any("w/o LLM" in r for r in rows) and any("(floor)" in r for r in rows)
    assert "| variant | F1 ↑ | SHD ↓ | precision ↑ | recall ↑ | AUROC ↑ |" in md
    oracle = (tables / "oracle" / "ablation.md").read_text()
    assert "ORACLE (chosen against the truth)" in oracle and "F1 (best epoch)" in oracle
    floor = next(line for line in oracle.splitlines() if line.startswith("| random"))
    assert floor.count("–") >= 4  # no epochs: no best-epoch numbers
    assert (tables / "ablation.tex").is_file() and (tables / "ablation.csv").is_file()
    assert (tables / "f1.md").is_file()  # the ordinary run's tables too
