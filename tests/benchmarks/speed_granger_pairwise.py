"""Fast vs reference ``granger-pairwise`` on NetSim: equality on every subject, and speed.

Prints figures, asserts nothing (not collected by pytest). Same parts and options as
``speed_lingam.py`` (whose machinery this reuses), for the default ``lag_rule="ic"`` (BIC order
per pair, VAR F-test) and for ``lag_rule="min-p"``::

    .venv/bin/python tests/benchmarks/speed_granger_pairwise.py
    .venv/bin/python tests/benchmarks/speed_granger_pairwise.py --reference-only

The "order" column counts subjects whose per-pair lag orders (``extra_["lag_orders"]`` /
``["min_p_lags"]``, counts by lag) differ.
"""

from __future__ import annotations

import sys

from speed_lingam import Spec, main

SPECS = [Spec("granger-pairwise"), Spec("granger-pairwise", (("lag_rule", "min-p"),))]

if __name__ == "__main__":
    sys.exit(main(SPECS))
