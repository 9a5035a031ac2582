"""Leak-test thresholds calibrated on the record's own correlated noise (estimate.calibrate).

The Monte Carlo checks use a high false-alarm target (20 per year) so that a few
simulated years hold enough alarms; seeds are fixed, so they are deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.signal import lfilter

from cabinleak.estimate.calibrate import (
    fit_wander_model,
    ou_allan_var,
    ou_structure,
    sine_structure,
)
from cabinleak.estimate.detect import YEAR_S, detect_leak
from cabinleak.estimate.noise import rate_noise

DAY_S = 86400.0


def _slope_weights(n: int, level: bool) -> np.ndarray:
    u = (np.arange(n) + 0.5) / n
    return 12.0 * (u - 0.5) if level else 6.0 * u * (1.0 - u)


@pytest.mark.parametrize("level", [False, True])
@pytest.mark.parametrize(("tau", "lag"), [(0.3, 1), (1.0, 1), (1.0, 3), (5.0, 2)])
def test_ou_structure_against_a_direct_double_integral(level: bool, tau: float,
                                                       lag: int) -> None:
    """½E[(q_{i+k} − q_i)²] of block slopes (W = 1) by brute-force quadrature of
    ∬ D(u)D(v) e^(−|u−v|/τ) over the two blocks' weights."""
    n = 600
    w = _slope_weights(n, level) / n
    x = np.concatenate([np.arange(n), lag * n + np.arange(n)]) / n
    d = np.concatenate([-w, w])
    r = np.exp(-np.abs(x[:, None] - x[None, :]) / tau)
    brute = 0.5 * d @ r @ d
    assert ou_structure(1.0, tau, lag, level=level) == pytest.approx(brute, rel=2e-3, abs=0)
    if lag == 1 and not level:
        assert ou_allan_var(1.0, tau) == pytest.approx(brute, rel=2e-3, abs=0)


def test_white_limits_and_a_cycle() -> None:
    # τ ≪ W: white rate noise of density 2τ, ∫k² = 1.2/W (rate) and 12/W³ (level)
    assert ou_structure(1.0, 0.005, 1) == pytest.approx(2.4 * 0.005, rel=1e-12, abs=0)
    assert ou_structure(1.0, 0.005, 1, level=True) == pytest.approx(24 * 0.005, rel=1e-12,
                                                                    abs=0)
    # a cycle whose period is the block: each block's slope the same, no scatter
    assert sine_structure(3600.0, 3600.0, 1) == pytest.approx(0.0, abs=1e-20)
    # a slow cycle: the level's slope is its derivative, 1σ ω·1 for a unit level 1σ
    period = 1000 * 3600.0
    w = 2 * math.pi / period
    # two slopes half a period apart differ by twice the amplitude √2: ½·(2√2·ω)²/2 = 2ω²
    half = round(period / 2 / 3600.0)
    assert sine_structure(3600.0, period, half) == pytest.approx(2.0 * w * w, rel=1e-4,
                                                                 abs=0)


def _record(n: int, dt: float, sd_kg: float, rate_sd: float, tau_s: float,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """White mass noise plus the integral of an AR(1) (OU) outflow rate."""
    a = math.exp(-dt / tau_s)
    e = rng.standard_normal(n)
    e[1:] *= math.sqrt(1.0 - a * a)
    rate = rate_sd * lfilter([1.0], [1.0, -a], e)
    t = np.arange(n) * dt
    m = 1000.0 - np.cumsum(rate) * dt + sd_kg * rng.standard_normal(n)
    return t, m, np.full(n, sd_kg)


def _alarms_per_year(calibrate: bool, wander, rng: np.random.Generator,  # type: ignore[no-untyped-def]
                     far: float) -> tuple[float, int]:
    dt, span, total_s, alarms = 300.0, 40 * DAY_S, 0.0, 0
    for _ in range(20):
        t, m, s = _record(int(span / dt), dt, 0.05, 2.0 / DAY_S, 3 * 3600.0, rng)
        total_s += t[-1]
        start = 0.0
        while True:
            k = t >= start
            if k.sum() < 64:
                break
            det = detect_leak(t[k], m[k], s[k], wander=wander, false_alarms_per_year=far,
                              calibrate=calibrate)
            if not det.alarm or det.alarm_time_s is None:
                break
            alarms += 1
            start = det.alarm_time_s
    return alarms / (total_s / YEAR_S), alarms


def test_calibrated_bank_alarms_at_the_asked_rate_on_correlated_noise() -> None:
    """White noise plus an OU outflow (2 kg/day, 3 h): the wander measured on one long
    record sets the test for 20 fresh records of 40 days (2.2 years), restarted after
    each alarm. Asked 20 per year; the calibrated bank gives it within a factor 1.5, the
    earlier inflation (each block's variance carried down from the longest runs) a
    small fraction of it."""
    rng = np.random.default_rng(20261202)
    t, m, s = _record(int(200 * DAY_S / 300.0), 300.0, 0.05, 2.0 / DAY_S, 3 * 3600.0, rng)
    wander = rate_noise(t, m, s)
    assert wander.wander_seen and fit_wander_model(wander) is not None
    far = 20.0
    rate, n = _alarms_per_year(True, wander, np.random.default_rng(1), far)
    assert n > 20
    assert far / 1.5 < rate < far * 1.5
    old, _ = _alarms_per_year(False, wander, np.random.default_rng(1), far)
    assert old < far / 3


def test_a_long_record_calibrates_on_itself_and_a_leak_in_it_does_not_blunt_it() -> None:
    """90 days of the same noise: two months or more, so the thresholds come from copies
    of the record. A leak of 15 kg/day (about 7σ of a 50-min block) from day 80 is found
    within hours, because the copies are of the stretch before the fitted model's first
    alarm: the leak's own power does not raise the thresholds."""
    rng = np.random.default_rng(5)
    t, m, s = _record(int(90 * DAY_S / 300.0), 300.0, 0.05, 2.0 / DAY_S, 3 * 3600.0, rng)
    wander = rate_noise(t, m, s)
    quiet = detect_leak(t, m, s, wander=wander)
    assert quiet.design.calibrated_on == "the record's own block rates"
    onset = 80 * DAY_S
    leaky = m - 15.0 / DAY_S * np.clip(t - onset, 0.0, None)
    det = detect_leak(t, leaky, s, wander=wander)
    assert det.design.calibrated_on == "the record's own block rates"
    assert det.alarm and det.alarm_time_s is not None
    assert onset < det.alarm_time_s < onset + 12 * 3600.0
    np.testing.assert_allclose(det.design.thresholds, quiet.design.thresholds, rtol=0.3)
