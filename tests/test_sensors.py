"""Sensor model: resolution, noise, bias and sample rate behave as specified."""

from __future__ import annotations

import numpy as np
import pytest

from cabinleak.physics.units import MMHG_PA
from cabinleak.simulate import simulate
from cabinleak.simulate.sensors import sample
from cabinleak.station import Sensor, load_station


@pytest.fixture(scope="module")
def chamber_run():  # type: ignore[no-untyped-def]
    return simulate(load_station("test-chamber"), 600.0, n_out=601)


def test_noise_bias_and_quantisation(chamber_run) -> None:  # type: ignore[no-untyped-def]
    res = 0.1 * MMHG_PA
    s = Sensor(id="p", module="chamber", resolution=res, noise_sd=0.5 * MMHG_PA,
               bias=-0.3 * MMHG_PA, rate_Hz=5.0)
    t, out = sample(chamber_run, [s], rng=np.random.default_rng(7))
    truth = np.interp(t, chamber_run.time_s, chamber_run.pressure("chamber"))
    err = out["p"] - truth
    # readings sit on the resolution grid
    assert np.allclose(out["p"] / res, np.round(out["p"] / res), atol=1e-6)
    # mean error is the bias; spread is noise plus uniform quantisation error, sqrt(σ² + q²/12)
    n = err.size
    assert err.mean() == pytest.approx(s.bias, abs=4 * s.noise_sd / np.sqrt(n))
    expected_sd = np.sqrt(s.noise_sd**2 + res**2 / 12)
    assert err.std() == pytest.approx(expected_sd, rel=4 / np.sqrt(2 * n), abs=0)


def test_rates_and_reproducibility(chamber_run) -> None:  # type: ignore[no-untyped-def]
    fast = Sensor(id="fast", module="chamber", rate_Hz=1.0)
    slow = Sensor(id="slow", module="chamber", quantity="temperature", resolution=0.1,
                  noise_sd=0.05, rate_Hz=0.1)
    t, out = sample(chamber_run, [fast, slow], rng=3)
    assert t[1] - t[0] == pytest.approx(1.0, abs=0)
    assert np.isfinite(out["fast"]).all()
    assert np.isfinite(out["slow"]).sum() == pytest.approx(t.size / 10, abs=1)
    assert np.nanmean(out["slow"]) == pytest.approx(295.0, abs=0.05)
    _, out2 = sample(chamber_run, [fast, slow], rng=3)
    np.testing.assert_array_equal(out["fast"], out2["fast"])


def test_noiseless_sensor_reads_truth(chamber_run) -> None:  # type: ignore[no-untyped-def]
    s = Sensor(id="p", module="chamber", resolution=0.0, noise_sd=0.0, rate_Hz=1.0)
    t, out = sample(chamber_run, [s])
    truth = np.interp(t, chamber_run.time_s, chamber_run.pressure("chamber"))
    np.testing.assert_allclose(out["p"], truth, rtol=1e-12)
