"""Registered datasets. Importing this package registers every dataset family."""

from bench.datasets import smith  # noqa: F401
