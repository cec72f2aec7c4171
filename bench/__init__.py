"""bench: a benchmarking harness for brain effective-connectivity estimators."""

__version__ = "0.1.0"
