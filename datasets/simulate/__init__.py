"""NetSim-style simulation of BOLD fMRI from known directed networks (Smith et al. 2011).

* :mod:`.model` — the equations (DCM neural model, balloon–Windkessel haemodynamics,
  observation) and their vectorised Euler integration;
* :mod:`.graphs` — network designs: NetSim's graphs, 5-node block graphs, random graphs;
* :mod:`.scenario` — :class:`Scenario` (a graph plus every generator setting),
  :func:`netsim_scenario` for NetSim sims 1–28 and :func:`simulate`.

Example::

    from bench.datasets.simulate import RandomGraph, Scenario, simulate
    sim = simulate(Scenario(RandomGraph(20, 0.1, 0.2), stream="demo", n_subjects=10), seed=0)
    sim.series.shape  # (10, 200, 20): subjects x time points x nodes

The registered dataset family is ``netsim-sim`` (:mod:`bench.datasets.netsim_sim`).
"""

from .graphs import BlockGraph, FixedGraph, RandomGraph, netsim_truth
from .scenario import NETSIM, Scenario, Simulation, netsim_scenario, simulate

__all__ = [
    "NETSIM",
    "BlockGraph",
    "FixedGraph",
    "RandomGraph",
    "Scenario",
    "Simulation",
    "netsim_scenario",
    "netsim_truth",
    "simulate",
]
