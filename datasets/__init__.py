"""Registered datasets. Importing this package registers every dataset family.

The import order is the order of ``bench list datasets`` and of ``--datasets all``.
"""

# ruff: noqa: I001
from bench.datasets import smith  # noqa: F401
from bench.datasets import sanchez  # noqa: F401
from bench.datasets import cdrl  # noqa: F401
from bench.datasets import netsim_sim  # noqa: F401
from bench.datasets import folder  # noqa: F401
from bench.datasets import canary  # noqa: F401
from bench.datasets import cohort  # noqa: F401
