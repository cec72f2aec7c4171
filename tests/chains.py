"""The recursion of the 3-node chain x0 -> x1 -> x2 shared by the test data generators.

It lives in :mod:`bench.canaries` (the reversal canaries of every method use it); this module
re-exports it for ``tests/methods/brainec_llm/brainec_chain.py``.
"""

from bench.canaries import chain_from_noise

__all__ = ["chain_from_noise"]
