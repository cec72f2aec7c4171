"""A ``smith-copy`` dataset family reading a copy of the vendored NetSim files from
``$BENCH_TEST_SMITH_ROOT`` (for tests that corrupt files). Load with ``BENCH_PLUGINS``."""

import os

from bench.datasets.smith import SmithNetSim
from bench.registry import register_dataset


@register_dataset("smith-copy")
class SmithCopy(SmithNetSim):
    def __init__(self) -> None:
        super().__init__(root=os.environ.get("BENCH_TEST_SMITH_ROOT", "/nonexistent"))
