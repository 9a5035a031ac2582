"""The learned noise model (estimate/noise.py), the interval arithmetic (estimate/intervals.py)
and the input checks (estimate/checks.py) against closed forms derived here.

Random walk: the least-squares slope of a Brownian motion of diffusion q (Var x(t) = q·t)
over a block of length B is b = (6/B³)∫₀ᴮ s(B − s) dW(s), so Var b = 36q/B⁶ · ∫ s²(B − s)² ds
= 36q/B⁶ · B⁵/30 = 6q/(5B); slopes of adjacent blocks use disjoint increments and are
independent. White noise of σ every Δt: Var b = 12σ²/(Δt²·n(n² − 1)), n = B/Δt.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cabinleak.estimate.checks import EstimateError, check_clock, check_samples, positive
from cabinleak.estimate.flowlaw import LawFit
from cabinleak.estimate.forecast import Interval
from cabinleak.estimate.intervals import settle_note, with_relative_error, with_theta_error
from cabinleak.estimate.noise import MIN_PAIRS, RateNoise, rate_noise

DT_S = 10.0
SD_KG = 0.01


def test_white_noise_shows_no_wander() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(0.0, 4 * 86400.0, DT_S)
    m = 1000.0 + SD_KG * rng.standard_normal(t.size)
    rn = rate_noise(t, m, np.full(t.size, SD_KG))
    assert not rn.wander_seen and rn.describe() == ""
    for b, nom, meas, n in zip(rn.blocks_s, rn.nominal_sd_kg_per_s, rn.measured_sd_kg_per_s,
                               rn.pairs, strict=True):
        k = b / DT_S
        white = SD_KG * math.sqrt(12.0 / (k * (k * k - 1.0))) / DT_S
        assert nom == pytest.approx(white, rel=0.02, abs=0)
        if n >= 30:
            assert meas == pytest.approx(white, rel=0.35, abs=0)
        assert rn.inflation(b, nom) == 1.0


def test_a_random_walk_of_the_mass_is_measured_as_6q_over_5B() -> None:
    rng = np.random.default_rng(5)
    q = 1e-4  # kg²/s
    t = np.arange(0.0, 8 * 86400.0, DT_S)
    m = 1000.0 + np.cumsum(math.sqrt(q * DT_S) * rng.standard_normal(t.size))
    sd = np.full(t.size, 1e-4)  # white noise far below the walk
    rn = rate_noise(t, m, sd)
    assert rn.wander_seen
    checked = 0
    for b, meas, n in zip(rn.blocks_s, rn.measured_sd_kg_per_s, rn.pairs, strict=True):
        if n >= 40:
            assert meas == pytest.approx(math.sqrt(6.0 * q / (5.0 * b)), rel=0.3, abs=0)
            checked += 1
    assert checked >= 4
    # a random walk's slopes are independent: the effective variance of a block is its
    # own measured one (σ̂²(W)·W is flat), not more
    b0 = rn.blocks_s[0]
    white = rn.nominal_sd_kg_per_s[0]
    assert rn.rate_var(b0, white**2) == pytest.approx(6 * q / (5 * b0), rel=0.4, abs=0)


def _model(**kw: float) -> RateNoise:
    """Three block lengths, white 1σ 1.0, measured 1σ 1.0 / 4.0 / 3.0, many pairs."""
    base = dict(blocks_s=(100.0, 200.0, 400.0), nominal_sd_kg_per_s=(1.0, 1.0, 1.0),
                measured_sd_kg_per_s=(1.0, 4.0, 3.0), pairs=(400, 200, 100))
    return RateNoise(**base).with_prior(kw.get("sd", 0.0), kw.get("time", 0.0))  # type: ignore[arg-type]


def test_effective_variance_is_the_largest_longer_block_carried_down() -> None:
    rn = _model()
    # W = 200: 16·200 = 3200; W = 400: 9·400 = 3600 (the largest): per block of 100, 36
    assert rn.rate_var(100.0, 1.0) == pytest.approx(36.0, rel=1e-12, abs=0)
    assert rn.rate_var(200.0, 1.0) == pytest.approx(18.0, rel=1e-12, abs=0)
    assert rn.rate_var(400.0, 1.0) == pytest.approx(9.0, rel=1e-12, abs=0)
    # beyond the longest block, a random walk: 3600 / 800
    assert rn.rate_var(800.0, 1.0) == pytest.approx(4.5, rel=1e-12, abs=0)
    # white noise above the wander wins
    assert rn.rate_var(400.0, 100.0) == pytest.approx(100.0, rel=1e-12, abs=0)
    assert rn.inflation(100.0, 1.0) == pytest.approx(6.0, rel=1e-12, abs=0)
    # one block's own scatter: 4 at W = 200, not carried down from 400
    assert rn.local_sd(200.0, 1.0) == pytest.approx(4.0, rel=1e-12, abs=0)
    assert rn.local_sd(100.0, 0.5) == pytest.approx(1.0, rel=1e-12, abs=0)
    # the floor of a rate over a span: the largest σ̂²·W up to the span, over the span
    assert rn.span_sd_kg_per_s(400.0) == pytest.approx(3.0, rel=1e-12, abs=0)
    assert rn.span_sd_kg_per_s(200.0) == pytest.approx(4.0, rel=1e-12, abs=0)
    assert rn.span_sd_kg_per_s(0.0) == 0.0


def test_too_few_pairs_or_an_insignificant_ratio_is_not_wander() -> None:
    assert MIN_PAIRS == 6  # six neighbour differences make a block length count
    few = RateNoise((100.0,), (1.0,), (5.0,), (5,))
    assert not few.wander_seen and few.rate_var(100.0, 1.0) == 1.0
    enough = RateNoise((100.0,), (1.0,), (5.0,), (6,))
    assert enough.wander_seen and enough.rate_var(100.0, 1.0) == pytest.approx(25.0, rel=1e-12,
                                                                             abs=0)
    slight = RateNoise((100.0,), (1.0,), (1.1,), (100,))  # 1.21 < 1 + 2.5·1.60/10
    assert not slight.wander_seen


def test_the_operational_prior_is_a_floor() -> None:
    rn = _model(sd=2.0, time=1000.0)  # σ_r² W_c = 4000 > 3600
    assert rn.rate_var(100.0, 1.0) == pytest.approx(40.0, rel=1e-12, abs=0)
    assert rn.rate_var(4000.0, 1.0) == pytest.approx(1.0, rel=1e-12, abs=0)  # 4000/4000
    assert rn.local_sd(100.0, 1.0) == pytest.approx(2.0 * math.sqrt(10.0), rel=1e-12, abs=0)
    assert rn.span_sd_kg_per_s(4000.0) == pytest.approx(1.0, rel=1e-12, abs=0)
    # the note names the block length whose σ̂²·W is largest (400 s: 3× white)
    assert "(3× at 6.7 min blocks" in _model().describe()


def _fit(theta: float = 2.0, theta_sd: float = 0.1) -> LawFit:
    cov = np.array([[0.04, 0.001], [0.001, theta_sd**2]])
    return LawFit(law="orifice", start_s=0.0, theta=theta, theta_sd=theta_sd, m0_kg=100.0,
                  cov=cov, chi2=1.0, dof=10, scale=1.0, gas_constant=287.0, volume_m3=10.0,
                  end_s=3600.0, x_end=1.0, onset_s=0.0)


def test_with_theta_error_adds_to_theta_variance_only() -> None:
    fit = with_theta_error(_fit(), 0.2)
    assert fit.cov[1, 1] == pytest.approx(0.01 + 0.04, rel=1e-12, abs=0)
    assert fit.cov[0, 0] == pytest.approx(0.04, rel=1e-12, abs=0)
    assert fit.cov[0, 1] == pytest.approx(0.001, rel=1e-12, abs=0)
    assert fit.theta_sd == pytest.approx(math.sqrt(0.05), rel=1e-12, abs=0)
    assert with_theta_error(_fit(), 0.0) is not None
    assert with_theta_error(_fit(), math.nan).cov[1, 1] == pytest.approx(0.01, rel=1e-12, abs=0)


def test_with_relative_error_adds_in_quadrature() -> None:
    i = with_relative_error(Interval(10.0, 7.0, 13.0), 0.2)
    half = math.hypot(3.0, 1.959963984540054 * 0.2 * 10.0)
    assert (i.low, i.high) == pytest.approx((10.0 - half, 10.0 + half), rel=1e-12, abs=0)
    assert with_relative_error(Interval(10.0, 7.0, 13.0), 0.0) == Interval(10.0, 7.0, 13.0)


def test_settle_note_white_noise_needs_the_cube_root_of_four() -> None:
    """White noise: the half-width falls as span^-3/2, so halving it takes span·4^(1/3)."""
    fit = _fit()
    note = settle_note(Interval(1.0, -1.0, 3.0) .scaled(1.0 / 86400.0), fit, None)
    more_h = (4 ** (1 / 3) - 1.0) * 3600.0 / 3600.0
    assert "rules out a leak steady over its 1 h above 3 kg/day" in note
    assert f"about {more_h:.3g} h more" in note


def test_settle_note_with_a_random_walk_needs_four_times_the_span() -> None:
    """Wander only (σ² ∝ 1/span): halving the bound takes four times the span."""
    rn = RateNoise((), (), (), ()).with_prior(1.0 / 86400.0, 60.0)
    fit = _fit()
    sd = rn.span_sd_kg_per_s(3600.0)
    q = Interval(0.0, -1.959963984540054 * sd, 1.959963984540054 * sd)
    note = settle_note(q, fit, rn)
    assert "about 3 h more" in note  # 4 × 1 h − 1 h


def test_checks() -> None:
    check_samples(np.array([0.0, 1.0, 2.0]), "x", "mass")  # three are enough
    with pytest.raises(EstimateError, match="at least 3"):
        check_samples(np.array([0.0, 1.0]), "x", "mass")
    with pytest.raises(EstimateError, match=r"t\[2\] = 1 s follows 1 s"):
        check_samples(np.array([0.0, 1.0, 1.0]), "x", "mass")
    with pytest.raises(EstimateError, match="must be > 0"):
        positive(0.0, "rate", "kg/s")
    with pytest.raises(EstimateError, match="must be > 0"):
        positive(math.inf, "rate", "kg/s")
    positive(1e-300, "rate", "kg/s")
    check_clock(np.array([0.0, 1e-6, 2e-6]), "x")  # a microsecond is allowed
    check_clock(np.array([0.0, 100 * 365.25 * 86400.0]), "x")  # and a century
    with pytest.raises(EstimateError, match="century"):
        check_clock(np.array([0.0, 100 * 365.25 * 86400.0 * 1.001]), "x")


def _series(t: np.ndarray, m: np.ndarray, sd: float = 0.01):  # type: ignore[no-untyped-def]
    from cabinleak.estimate.mass import MassSeries

    n = t.size
    return MassSeries(label="v", modules=(), volume_m3=100.0, gas_constant=287.0, time_s=t,
                      mass_kg=m, mass_sd_kg=np.full(n, sd), pressure_Pa=m * 287.0 * 295.0 / 100.0,
                      temperature_K=np.full(n, 295.0), added_kg=np.zeros(n),
                      pressure_sd_Pa=1.0, temperature_sd_K=0.0, temperature_compensated=True)


def test_an_unlogged_repress_is_found_sized_and_taken_out() -> None:
    """A leak of 10 kg/day and 5 kg added over 20 min at 10 h, in a 24 h record."""
    from cabinleak.estimate.events import find_inflows, remove_inflows

    rng = np.random.default_rng(1)
    t = np.arange(0.0, 24 * 3600.0, 60.0)
    ramp = np.clip((t - 36000.0) / 1200.0, 0.0, 1.0) * 5.0
    m = 118.0 - 10.0 / 86400.0 * t + ramp + 0.01 * rng.standard_normal(t.size)
    found = find_inflows(_series(t, m))
    assert len(found) == 1
    f = found[0]
    # widened by a block each side of the longest block that shows it (80 min)
    assert f.start_s <= 36000.0 and f.end_s >= 37200.0 and f.end_s - f.start_s <= 4 * 3600
    assert f.mass_kg == pytest.approx(5.0, abs=0.1)
    out = remove_inflows(_series(t, m), found)
    rate = -np.polyfit(out.time_s, out.mass_kg, 1)[0] * 86400.0
    assert rate == pytest.approx(10.0, abs=0.1)  # the leak, the repress taken out
    assert "pressure rose" in f.describe(0.0)
    # a leak alone (mass only falling) is no inflow
    falling = 118.0 - 10.0 / 86400.0 * t + 0.01 * rng.standard_normal(t.size)
    assert find_inflows(_series(t, falling)) == []


def test_a_planned_depress_lasts_until_the_pressure_is_back_within_one_percent() -> None:
    from cabinleak.estimate.events import planned_spans

    t = np.arange(0.0, 100.0 * 60, 60.0)  # a minute a row
    pump = np.where((t >= 600.0) & (t <= 1200.0), 1.0, 0.0)
    pump[t > 1800.0] = np.nan  # unknown later: the last known state (off) holds
    p = np.full(t.size, 100.0)
    p[(t > 600.0) & (t < 2400.0)] = 50.0  # down, held, then back in two steps
    p[(t >= 2400.0) & (t < 3000.0)] = 98.5  # within 2 % but not 1 %
    p[t >= 3000.0] = 99.5  # within 1 %
    spans = planned_spans(t, [pump], p, ["pump"])
    assert spans == [(600.0, 3000.0 + 600.0, "pump")]  # back at 3000 s, then 10 min more


def test_the_gas_added_is_the_step_between_lines_fitted_over_hours() -> None:
    """A repress of 4 kg in a record whose outflow swings by ±30 kg/day over an hour (a
    warm spell): the step is sized against the outflow of hours around it, not against
    the steep slope of the last half hour, which over the 4 h stretch would add ~3 kg."""
    from cabinleak.estimate.events import _across

    t = np.arange(0.0, 24 * 3600.0, 60.0)
    period = 3600.0
    swing = 30.0 / 86400.0 * period / (2 * np.pi)  # amplitude of a ±30 kg/day rate [kg]
    m = 1000.0 - 1.0 / 86400.0 * t + swing * np.sin(2 * np.pi * t / period)
    m = m + np.where(t > 12 * 3600.0, 4.0, 0.0)
    # stretches that start anywhere in the cycle; at 45 min the last half hour before
    # falls at ~20 kg/day, which over 4 h would read as ~3.9 kg more
    for start_s in np.arange(10 * 3600.0, 11 * 3600.0, 300.0):
        added, joined = _across(_series(t, m, sd=0.005), start_s, start_s + 4 * 3600.0)
        assert joined
        # the truth, 4 kg, within the sine's offset of the fitted lines (< its amplitude)
        assert added == pytest.approx(4.0, abs=swing)


def test_a_rise_that_is_given_back_is_no_inflow() -> None:
    """The cabin warms for an hour: the pressure, hence the mass read at a fixed
    temperature, rises 2 kg and falls back. Fast enough to flag a block, but no gas was
    added across it: nothing is reported or taken out."""
    from cabinleak.estimate.events import find_inflows

    rng = np.random.default_rng(3)
    t = np.arange(0.0, 24 * 3600.0, 60.0)
    bump = 2.0 * np.exp(-0.5 * ((t - 12 * 3600.0) / 900.0) ** 2)
    m = 1000.0 - 1.0 / 86400.0 * t + bump + 0.01 * rng.standard_normal(t.size)
    assert find_inflows(_series(t, m)) == []
    # the same with the gas kept (a repress of 2 kg) is one
    kept = m - bump + 2.0 * (t > 12 * 3600.0)
    found = find_inflows(_series(t, kept))
    assert len(found) == 1 and found[0].mass_kg == pytest.approx(2.0, abs=0.1)
