"""Registered datasets. Importing this package registers every dataset family."""

# TEMPORARY during parallel development: import the modules that exist.
import importlib as _il
from pathlib import Path as _P

for _m in ("smith",):
    if (_P(__file__).parent / f"{_m}.py").exists():
        _il.import_module(f"bench.datasets.{_m}")
