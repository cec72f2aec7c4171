"""Registered EC estimators. Importing this package registers every method.

Method modules must stay cheap to import: heavy libraries are imported inside ``fit``.
"""

from bench.methods import granger, pc, pcmci  # noqa: F401
