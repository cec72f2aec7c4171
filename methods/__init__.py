"""Registered EC estimators. Importing this package registers every method.

Method modules must stay cheap to import: heavy libraries are imported inside ``fit``. The
import order is the order of ``bench list methods`` and of ``--methods all``.
"""

# ruff: noqa: I001
from bench.methods import pc, granger, pcmci  # noqa: F401
from bench.methods import pcmci_plus, pcmci_cmi, ges, lingam, granger_pairwise  # noqa: F401
from bench.methods import patel, correlation, random_baseline  # noqa: F401
from bench.methods import brainec_llm  # noqa: F401
from bench.methods import fask, two_step, pwling, rdcm, notears, dynotears  # noqa: F401
from bench.methods import ngc, tcdf  # noqa: F401
