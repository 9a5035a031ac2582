"""Sequential leak detection: threshold calibration, one-sidedness, robustness, delay, dP/dt.

The Monte Carlo checks use short false-alarm targets (a few thousand blocks) so they run
in seconds; the seeds are fixed, so they are deterministic.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.special import zeta
from scipy.stats import norm

from cabinleak.estimate.checks import EstimateError
from cabinleak.estimate.detect import (
    YEAR_S,
    bank_arl0,
    bank_threshold,
    design_leak_test,
    detect_leak,
    detectable_rate_kg_per_s,
    lorden_delay_s,
    overshoot_nu,
    slope_sd,
)
from cabinleak.estimate.dpdt import DEFAULT_DPDT_THRESHOLD_PA_PER_S, dpdt_alarm, dpdt_threshold_for
from cabinleak.physics.units import DAY_S, MMHG_PA


def page_arl(threshold: float, c: float, n: int = 200) -> float:
    """Mean run length of one Page CUSUM on N(0, 1) data, by Page's (1954) integral equation.

    LLR increments X ~ N(−c²/2, c²); L(u) = 1 + L(0)·P(u + X ≤ 0) + ∫₀ʰ L(y) f(y − u) dy,
    solved by Nyström's method on Gauss–Legendre nodes, with L(0) as one more unknown.
    """
    mu, s = -c * c / 2.0, c
    x, w = np.polynomial.legendre.leggauss(n)
    y, w = threshold * (x + 1.0) / 2.0, w * threshold / 2.0
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = np.eye(n) - w[None, :] * norm.pdf(y[None, :] - y[:, None], mu, s)
    a[:n, n] = -norm.cdf((-y - mu) / s)
    a[n, :n] = -w * norm.pdf(y, mu, s)
    a[n, n] = 1.0 - norm.cdf(-mu / s)
    return float(np.linalg.solve(a, np.ones(n + 1))[n])


def noise_record(n: int, sd: float, dt: float, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    t = np.arange(n) * dt
    return t, 1000.0 + sd * rng.standard_normal(n), np.full(n, sd)


# ---------------------------------------------------------------- calibration


@pytest.mark.parametrize("c", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("h", [6.0, 10.0])
def test_single_chart_arl_matches_page_integral_equation(c: float, h: float) -> None:
    # eq. (1) with c1 = c2 is e^h/(c²ν²/2): Siegmund's asymptotic, within 3 % of the exact
    # ARL for c <= 2 (it degrades beyond: 6 % at c = 4)
    assert bank_arl0(h, c, c) == pytest.approx(page_arl(h, c), rel=0.03, abs=0)
    # and Siegmund's closed form with the 1.166 correction agrees for small shifts
    a = h + 1.166 * c
    siegmund = (math.exp(a) - a - 1.0) / (c * c / 2.0)
    assert siegmund == pytest.approx(page_arl(h, c), rel=0.03 if c <= 1 else 0.08, abs=0)


def test_overshoot_function() -> None:
    # ν(x) ≈ exp(−0.583x) for small x (Siegmund 1979); 0.583 = −ζ(1/2)/√(2π)
    assert -zeta(0.5) / math.sqrt(2 * math.pi) == pytest.approx(0.583, abs=5e-4)
    x = np.array([0.1, 0.3])
    np.testing.assert_allclose(overshoot_nu(x), np.exp(-0.583 * x), rtol=2e-3)
    # the interpolated table against the series summed to 10⁶ terms, and against the
    # closed-form approximation of Siegmund & Yakir (2007), good to a few per cent
    x = np.array([0.5, 1.0, 2.0, 4.0])
    n = np.arange(1, 1_000_001, dtype=float)
    series = [2 / v**2 * np.exp(-2 * np.sum(norm.cdf(-v * np.sqrt(n) / 2) / n)) for v in x]
    np.testing.assert_allclose(overshoot_nu(x), series, rtol=1e-4)
    closed = (2 / x) * (norm.cdf(x / 2) - 0.5) / (x / 2 * norm.cdf(x / 2) + norm.pdf(x / 2))
    np.testing.assert_allclose(overshoot_nu(x), closed, rtol=0.03)
    assert bank_threshold(bank_arl0(8.0, 0.7, 4.0), 0.7, 4.0) == pytest.approx(8.0, abs=1e-6)


def test_false_alarm_calibration_one_block_length() -> None:
    """Mean run length to a false alarm, by Monte Carlo through detect_leak: ±30 %."""
    block, dt, sd = 3600.0, 900.0, 1.0  # 4 samples a block keeps it fast
    target = 2000.0  # blocks
    far = YEAR_S / block / target
    rng = np.random.default_rng(20240901)
    n_rec, length = 120, int(3 * target * block / dt)
    total, alarms = 0.0, 0
    for _ in range(n_rec):
        t, m, s = noise_record(length, sd, dt, rng)
        det = detect_leak(t, m, s, false_alarms_per_year=far, block_s=block)
        if det.alarm and det.alarm_time_s is not None:
            total, alarms = total + det.alarm_time_s, alarms + 1
        else:
            total += t[-1]
    arl = total / alarms / block  # exponential MLE with censoring
    assert alarms > 60
    assert arl == pytest.approx(target, rel=0.30, abs=0)  # measured 1.17x: eq. (1) is conservative


def test_false_alarm_rate_several_block_lengths_not_exceeded() -> None:
    """The default design (6 block lengths) splits the rate by the union bound: conservative."""
    dt, sd = 60.0, 1.0
    target_s = 1.2e6
    rng = np.random.default_rng(7)
    length = int(3 * target_s / dt)
    total, alarms = 0.0, 0
    for _ in range(80):
        t, m, s = noise_record(length, sd, dt, rng)
        det = detect_leak(t, m, s, false_alarms_per_year=YEAR_S / target_s)
        if det.alarm and det.alarm_time_s is not None:
            total, alarms = total + det.alarm_time_s, alarms + 1
        else:
            total += t[-1]
    assert len(det.design.blocks_s) == 6
    ratio = total / alarms / target_s
    assert 0.8 < ratio < 2.0  # measured 1.41 over 200 records


# ---------------------------------------------------------------- behaviour


def leak_record(rate: float, onset: float, duration: float, rng: np.random.Generator,
                sd: float = 0.1, dt: float = 10.0):  # type: ignore[no-untyped-def]
    t = np.arange(0.0, duration, dt)
    m = 1100.0 - rate * np.clip(t - onset, 0.0, None) + sd * rng.standard_normal(t.size)
    return t, m, np.full(t.size, sd)


def test_clear_leak_alarm_onset_and_rate() -> None:
    rng = np.random.default_rng(3)
    rate, onset = 5.0 / DAY_S, 20000.0
    t, m, s = leak_record(rate, onset, 60000.0, rng)
    det = detect_leak(t, m, s)
    assert det.alarm and det.alarm_time_s is not None and det.onset_time_s is not None
    assert onset < det.alarm_time_s < onset + 3 * 3600
    assert det.excursion_start_s is not None
    assert abs(det.excursion_start_s - onset) <= 2 * det.block_s
    assert abs(det.onset_time_s - onset) <= det.block_s / 2  # the hinge fit sharpens it
    assert det.rate_at_alarm_kg_per_s == pytest.approx(rate, rel=0.3, abs=0)
    assert det.statistic.max() >= 1.0
    assert det.noise_ratio == pytest.approx(1.0, abs=0.05)
    assert str(det).startswith("leak alarm at ") and "false-alarm rate 1 per year" in str(det)
    d = det.to_dict()
    assert json.loads(json.dumps(d)) == d and "statistic" not in d


@pytest.mark.parametrize("kind", ["rise", "step up"])
def test_mass_increase_never_alarms(kind: str) -> None:
    rng = np.random.default_rng(4)
    t, m, s = leak_record(-20.0 / DAY_S if kind == "rise" else 0.0, 10000.0, 86400.0, rng)
    if kind == "step up":
        m = m + np.where(t > 40000.0, 30.0, 0.0)  # an unremoved 30 kg repress
    det = detect_leak(t, m, s)
    assert not det.alarm and det.alarm_time_s is None
    assert str(det).startswith("no leak alarm (test at 1 false alarm per year; smallest leak")


@pytest.mark.parametrize("spike", [-40.0, 40.0])
def test_single_outlier_does_not_alarm(spike: float) -> None:
    rng = np.random.default_rng(5)
    t, m, s = leak_record(0.0, 0.0, 86400.0, rng, dt=1.0)
    i = 30000 + 10  # near a block edge, where a spike moves the slope most
    m[i] += spike  # 400 σ
    det = detect_leak(t, m, s)
    assert not det.alarm
    assert det.samples_dropped == 1


def test_gappy_irregular_sampling() -> None:
    rng = np.random.default_rng(6)
    t = np.sort(rng.uniform(0.0, 2 * DAY_S, 20000))
    t = t[(t < 30000) | (t > 40000)]  # a 10,000 s gap
    rate, onset = 3.0 / DAY_S, 60000.0
    m = 1100.0 - rate * np.clip(t - onset, 0, None) + 0.1 * rng.standard_normal(t.size)
    det = detect_leak(t, m, np.full(t.size, 0.1))
    assert det.alarm and det.alarm_time_s is not None and det.alarm_time_s > onset
    assert not np.any((det.statistic_time_s > 30000 + 600) & (det.statistic_time_s < 40000))


def test_mean_delay_near_lorden_bound() -> None:
    """One block length, a shift of 1.2σ per block: Lorden's bound is ~15 blocks."""
    sd, dt, block = 1.0, 60.0, 600.0
    rate = 1.2 * slope_sd(sd, dt, block)
    bound = lorden_delay_s(rate, mass_sd_kg=sd, sample_s=dt, block_s=block)
    assert bound / block == pytest.approx(math.log(YEAR_S / block) / 0.72, rel=1e-3, abs=0)
    rng = np.random.default_rng(8)
    delays = []
    for _ in range(24):
        onset = rng.uniform(20, 21) * block
        t, m, s = leak_record(rate, onset, onset + 8 * bound, rng, sd=sd, dt=dt)
        det = detect_leak(t, m, s, block_s=block)
        assert det.alarm and det.alarm_time_s is not None and det.alarm_time_s > onset
        delays.append(det.alarm_time_s - onset)
    ratio = float(np.mean(delays)) / bound
    assert 0.6 < ratio < 1.5  # measured 0.95: the bound is asymptotic, not strict at finite γ


def test_design_covers_the_range_and_detectable_rate() -> None:
    d = design_leak_test(0.11, 1.0, min_rate_kg_per_s=0.05 / DAY_S,
                         max_rate_kg_per_s=20.0 / DAY_S)
    assert d.min_rate_kg_per_s == pytest.approx(0.05 / DAY_S, abs=0)
    assert d.max_rate_kg_per_s == pytest.approx(20.0 / DAY_S, abs=0)
    for rates in d.design_rates_kg_per_s:  # spacing no coarser than √2
        assert np.all(np.asarray(rates[:-1]) / np.asarray(rates[1:]) <= math.sqrt(2) + 1e-12)
    q = detectable_rate_kg_per_s(0.11, 1.0)
    assert d.expected_delay_s(2 * q) < DAY_S
    faster = design_leak_test(0.11, 1.0, false_alarms_per_year=100.0)
    assert faster.detectable_rate_kg_per_s() < design_leak_test(0.11, 1.0) \
        .detectable_rate_kg_per_s()


# ---------------------------------------------------------------- dP/dt


def test_dpdt_alarm_on_fast_fall_not_on_noise() -> None:
    rng = np.random.default_rng(9)
    t = np.arange(0.0, 3600.0)
    noise = 3.0 * rng.standard_normal(t.size)
    quiet = dpdt_alarm(t, 101325.0 + noise)
    assert not quiet.alarm and str(quiet).startswith("no dP/dt alarm (steepest fall")
    fall = 2.0 * DEFAULT_DPDT_THRESHOLD_PA_PER_S
    p = 101325.0 - fall * np.clip(t - 1000.0, 0, None) + noise
    hit = dpdt_alarm(t, p)
    assert hit.alarm and hit.alarm_time_s is not None
    assert 1000.0 < hit.alarm_time_s < 1000.0 + 60.0
    assert str(hit).startswith("dP/dt alarm at ") and "0.5 mmHg/min over 60 s" in str(hit)
    assert DEFAULT_DPDT_THRESHOLD_PA_PER_S * 60 / MMHG_PA == pytest.approx(0.5, abs=0)
    assert json.loads(json.dumps(hit.to_dict())) == hit.to_dict()


def test_dpdt_threshold_false_alarm_rate() -> None:
    """Mean time to the first false alarm on white noise, within 35 % of the target."""
    target_s = 2.0e4
    thr = dpdt_threshold_for(YEAR_S / target_s, 1.0, 1.0, 60.0)
    rng = np.random.default_rng(10)
    total, alarms = 0.0, 0
    for _ in range(30):
        t = np.arange(0.0, 1.0e5)
        a = dpdt_alarm(t, rng.standard_normal(t.size), threshold_Pa_per_s=thr)
        if a.alarm_time_s is not None:
            total, alarms = total + a.alarm_time_s - 59.0, alarms + 1
        else:
            total += t[-1]
    assert total / alarms == pytest.approx(target_s, rel=0.35, abs=0)


# ---------------------------------------------------------------- errors


def test_errors_say_what_and_where() -> None:
    t, m, s = np.arange(10.0), np.ones(10), np.ones(10)
    with pytest.raises(EstimateError, match=r"false_alarms_per_year must be > 0 1/yr, got 0"):
        detect_leak(t, m, s, false_alarms_per_year=0)
    with pytest.raises(EstimateError, match=r"must be 1-D of one length, got shapes \(10,\), "
                                            r"\(9,\) and \(10,\)"):
        detect_leak(t, m[:9], s)
    with pytest.raises(EstimateError, match="at least 3 finite mass samples, got 2"):
        detect_leak(t[:2], m[:2], s[:2])
    with pytest.raises(EstimateError, match=r"mass_sd_kg must be > 0 kg, got 0 at t = 4 s"):
        detect_leak(t, m, np.where(t == 4, 0.0, 1.0))
    with pytest.raises(EstimateError, match=r"time_s must increase, but t\[5\] = 3 s follows"):
        detect_leak(np.r_[t[:5], 3.0, t[6:]], m, s)
    with pytest.raises(EstimateError, match="found no usable block of 5 min"):
        detect_leak(t, m, s)  # 10 s of data
    with pytest.raises(EstimateError, match="min_rate_kg_per_s must be < max_rate_kg_per_s"):
        design_leak_test(1.0, 1.0, min_rate_kg_per_s=2.0, max_rate_kg_per_s=1.0)
    with pytest.raises(EstimateError, match="threshold_Pa_per_s must be > 0 Pa/s, got -1"):
        dpdt_alarm(t, m, threshold_Pa_per_s=-1.0)
    with pytest.raises(EstimateError, match="rate_kg_per_s must be > 0 kg/s"):
        lorden_delay_s(0.0, mass_sd_kg=1.0, sample_s=1.0, block_s=60.0)
