"""PCMCI with CMIknn: registration as slow, NumPy-2 shim, reversal canary (slow, needs numba)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.methods.pcmci_cmi import PCMCICMI, acf
from bench.plan import resolve_methods
from bench.registry import METHODS


def test_registered_slow_and_left_out_of_all() -> None:
    info = METHODS["pcmci-cmi"]
    assert info.slow and info.lagged and not info.deterministic
    assert "numba" in info.requires and "random_state" in info.defaults
    chosen, skipped = resolve_methods(["all"])
    assert "pcmci-cmi" not in [m.name for m in chosen] and "slow" in skipped["pcmci-cmi"]


def test_acf_matches_pandas(var_data) -> None:
    import pandas as pd

    s = var_data(n=200, n_nodes=2, seed=0)[:, 0]
    out = acf(s, max_lag=6)
    assert out[0] == 1.0 and out.shape == (7,)
    for lag in range(1, 7):
        assert out[lag] == pytest.approx(pd.Series(s).autocorr(lag), rel=1e-10)
    assert len(acf(s)) == 21  # tigramite's default max_lag: max(5, 0.1 T)


@pytest.mark.parametrize("params", [{"sig_samples": 0}, {"knn": -1}, {"pc_alpha": 1.0}])
def test_bad_parameters(params: dict) -> None:
    with pytest.raises(ValueError, match="pcmci-cmi"):
        PCMCICMI(**params).check_params()


@pytest.mark.slow
def test_reversal_canary_lagged_chain(chain_data) -> None:
    pytest.importorskip("numba")
    x = chain_data(n=300, seed=0, contemporaneous=0.0)
    est = PCMCICMI(sig_samples=100, random_state=0).fit(x)
    a, s = est.adjacency_, est.scores_
    assert a[0, 1] and a[1, 2]
    assert not a[1, 0] and not a[2, 1]
    assert s[0, 1] > s[1, 0] and s[1, 2] > s[2, 1]
    again = PCMCICMI(sig_samples=100, random_state=0).fit(x)
    np.testing.assert_array_equal(again.adjacency_, a)
