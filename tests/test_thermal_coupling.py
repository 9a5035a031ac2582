"""The temperature sensor's gain, lag and level, fitted from a pressure record.

The worlds are built here from the gas law p = m·R·T/V with a known gas temperature and a
sensor that sees it at a known gain, lag and offset; the fit must find them.
"""

from __future__ import annotations

import numpy as np
import pytest

from cabinleak.estimate.thermal import fit_coupling

R_AIR = 287.05  # J/(kg·K), dry air
V_M3 = 100.0
MMHG_PA = 133.322387415


def world(*, gain_of_sensor: float, lag_s: float, offset_K: float, noise_K: float = 0.02,
          own_swing_K: float = 0.0, seed: int = 1) -> tuple[np.ndarray, ...]:
    """A day at 10 s: gas temperature with an orbital (92 min) and a daily swing, a leak
    of 1 kg/day, the pressure read to 0.1 mmHg; a sensor reading ``gain_of_sensor`` times
    the gas's swing, ``lag_s`` late, offset, noisy, plus a swing of its own."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, 86400.0, 10.0)
    t_gas = 295.0 + 0.4 * np.sin(2 * np.pi * t / 5520) + 0.6 * np.sin(2 * np.pi * t / 86400)
    m = 118.0 - 1.0 / 86400 * t
    p = np.round(m * R_AIR * t_gas / V_M3 / (0.1 * MMHG_PA)) * 0.1 * MMHG_PA
    seen = np.interp(t - lag_s, t, t_gas)
    sensor = (295.0 + offset_K + gain_of_sensor * (seen - 295.0)
              + own_swing_K * np.sin(2 * np.pi * t / 7000 + 1.0)
              + noise_K * rng.standard_normal(t.size))
    return t, p, sensor


def test_an_inlet_sensor_seeing_three_times_the_gas_swing_late() -> None:
    """The sensor swings 3× the gas, 10 min late: β = 1/3, lag 600 s."""
    t, p, s = world(gain_of_sensor=3.0, lag_s=600.0, offset_K=0.0)
    c = fit_coupling(t, p, s, sensor_sd_K=0.02)
    assert c.fitted and c.follows
    assert c.gain == pytest.approx(1 / 3, abs=0.03)
    assert c.lag_s == pytest.approx(600.0, abs=600.0)  # the lag grid's step
    # the implied gas temperature follows the true one to a few hundredths of a kelvin
    t_gas = 295.0 + 0.4 * np.sin(2 * np.pi * t / 5520) + 0.6 * np.sin(2 * np.pi * t / 86400)
    err = c.gas_temperature(t, s) - t_gas
    assert float(np.std(err[100:-400])) < 0.05


def test_a_sensor_in_the_bulk_gas_keeps_the_gas_law() -> None:
    t, p, s = world(gain_of_sensor=1.0, lag_s=0.0, offset_K=0.0)
    c = fit_coupling(t, p, s, sensor_sd_K=0.02)
    assert not c.fitted and c.gain == 1.0
    np.testing.assert_array_equal(c.gas_temperature(t, s), s)


def test_a_warm_board_that_swings_on_its_own_is_not_used() -> None:
    """An Astro Pi-like board: 10 K warm, its own 2 K swing, blind to the gas."""
    t, p, s = world(gain_of_sensor=0.0, lag_s=0.0, offset_K=10.0, own_swing_K=2.0)
    c = fit_coupling(t, p, s, sensor_sd_K=0.02)
    assert c.fitted and not c.follows
    assert c.level_K == 295.0  # not a cabin temperature: the nominal level
    assert "does not follow the gas" in c.note


def test_a_steady_drift_is_not_fitted() -> None:
    """A ground test drifting 0.3 K in 12 h: the gain cannot be told, the gas law stays."""
    t = np.arange(0.0, 12 * 3600.0, 10.0)
    temp = 293.15 + 0.3 * t / t[-1]
    p = 118.0 * R_AIR * temp / V_M3
    c = fit_coupling(t, p, temp, sensor_sd_K=1e-6)
    assert not c.fitted


def test_mass_series_uses_the_fitted_gas_temperature_and_scales_its_noise() -> None:
    """Through mass_series: the gas temperature is the fitted one, and the sensor's noise
    enters the mass's 1σ scaled by the gain (a sensor that swings 3× the gas has a third
    of its noise in the gas temperature)."""
    from cabinleak.estimate.mass import mass_series
    from cabinleak.telemetry import Channel, Telemetry

    t, p, s = world(gain_of_sensor=3.0, lag_s=0.0, offset_K=0.0, noise_K=0.02)
    tel = Telemetry("w.csv", t, (Channel("x_pressure_Pa", "x", "pressure", "Pa", p, 0.1 * MMHG_PA),
                                 Channel("x_T_K", "x", "temperature", "K", s)))
    ms = mass_series(tel, tel.of("pressure"), tel.of("temperature"), volume_m3=V_M3,
                     label="x", gas_constant=R_AIR, temperature_sd_K=0.3)
    assert "follows the gas at a gain of 0.3" in ms.temperature_note
    gain = 1 / 3
    t_gas = 295.0 + 0.4 * np.sin(2 * np.pi * t / 5520) + 0.6 * np.sin(2 * np.pi * t / 86400)
    assert float(np.std(ms.temperature_K - t_gas)) < 0.05
    # 1σ of the mass: p's and the gas temperature's, the latter the sensor's times the gain
    rel = np.sqrt((ms.pressure_sd_Pa / ms.pressure_Pa) ** 2
                  + (0.3 * gain / ms.temperature_K) ** 2)
    np.testing.assert_allclose(ms.mass_sd_kg, ms.mass_kg * rel, rtol=0.05, atol=0)
