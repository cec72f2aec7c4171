"""Compile LaTeX table bodies with pdflatex (for the tests that check the ``.tex`` output)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needs_pdflatex = pytest.mark.skipif(
    shutil.which("pdflatex") is None, reason="pdflatex not installed"
)


def compile_tables(body: str, folder: Path) -> str:
    """Compile ``body`` in a booktabs article in ``folder``; assert success; return the log.

    Also asserts that no character was missing from the fonts.
    """
    doc = "\\documentclass{article}\n\\usepackage{booktabs}\n\\begin{document}\n"
    (folder / "t.tex").write_text(doc + body + "\\end{document}\n", encoding="utf-8")
    proc = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    log = (folder / "t.log").read_text(errors="replace")
    assert "Missing character" not in log
    return log
