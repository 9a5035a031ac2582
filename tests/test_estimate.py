"""Leak-rate estimation against closed forms, the Cramér–Rao bound and coverage over seeds.

References
----------
- Choked orifice and slot (crack) flow, and the blowdown closed forms:
  ../shared/reference/physics.md (copied here as formulas, not read at test time).
- Cramér–Rao bound of a linear trend in white noise: Kay (1993), Fundamentals of
  Statistical Signal Processing I, §3.7.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cabinleak.estimate.flowlaw import compare_laws, fit_law
from cabinleak.estimate.forecast import forecast
from cabinleak.estimate.kalman import constant_rate_crb, track_rate
from cabinleak.estimate.mass import bin_series, mass_series, noise_sd
from cabinleak.physics import gas
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA
from cabinleak.telemetry import Channel, Telemetry

# Reference constants typed in, not taken from the code under test (an error there would
# cancel between the synthetic data and the estimate).
#: cabinleak's air: US Standard Atmosphere 1976 (Table 3) mole fractions N2 0.78084 with
#: Ar 0.00934 counted as N2, O2 0.209476, CO2 0.000314; molar masses of N2, O2, CO2
#: 28.014, 31.998, 44.009 g/mol (GRI-Mech 3.0); R_u = 8.314462618 J/(mol·K) (CODATA 2018).
_X = (0.78084 + 0.00934, 0.209476, 0.000314)
R = 8.314462618 / (sum(x * m for x, m in zip(_X, (28.014e-3, 31.998e-3, 44.009e-3),
                                               strict=True)) / sum(_X))
T0 = 295.0
#: γ = cp/cv of that air at 295 K, from its NASA-7 cp (CoolProp's air with argon: 1.4001)
GAMMA = 1.3995
#: the choked mass-flux factor Ψ = sqrt(γ·(2/(γ+1))^((γ+1)/(γ−1))) (reference/physics.md)
PSI = math.sqrt(GAMMA * (2 / (GAMMA + 1)) ** ((GAMMA + 1) / (GAMMA - 1)))


def _telemetry(t: np.ndarray, p: np.ndarray, temp: np.ndarray | None, rng: np.random.Generator,
               *, p_sd: float = 0.05 * MMHG_PA, p_res: float = 0.1 * MMHG_PA,
               t_sd: float = 0.05, t_res: float = 0.1, n_p: int = 2) -> Telemetry:
    def read(x: np.ndarray, sd: float, res: float) -> np.ndarray:
        return np.round((x + rng.normal(0.0, sd, x.shape)) / res) * res

    chans = [Channel(f"p{i}_pressure_Pa", f"p{i}", "pressure", "Pa", read(p, p_sd, p_res), p_res)
             for i in range(n_p)]
    if temp is not None:
        chans.append(Channel("t_T_K", "t", "temperature", "K", read(temp, t_sd, t_res), t_res))
    return Telemetry("synthetic", t, tuple(chans))


def _series(tel: Telemetry, volume: float, bin_s: float = 60.0):
    ms = mass_series(tel, tel.of("pressure"), tel.of("temperature"), volume_m3=volume,
                     gas_constant=R, label="v")
    return bin_series(ms, bin_s)


def test_noise_sd_recovers_white_noise() -> None:
    rng = np.random.default_rng(1)
    x = np.linspace(0, 5, 20000) ** 2 + rng.normal(0, 0.3, 20000)
    assert noise_sd(x) == pytest.approx(0.3, rel=0.03, abs=0)
    # quantised, noise-free: the floor is resolution/sqrt(12)
    assert noise_sd(np.round(np.linspace(0, 3, 1000)), 1.0) >= 1 / math.sqrt(12)


def test_orifice_decay_gives_cd_area_of_the_closed_form() -> None:
    """Isothermal choked blowdown p = p0·exp(−t/τ), τ = V/(Cd·A·Ψ·sqrt(RT)) (physics.md)."""
    volume, cda = 4.5, 4.0e-8
    tau = volume / (cda * PSI * math.sqrt(R * T0))
    t = np.arange(0.0, 24 * HOUR_S, 10.0)
    p = 101325.0 * np.exp(-t / tau)
    tel = _telemetry(t, p, np.full_like(t, T0), np.random.default_rng(2))
    fit = compare_laws(_series(tel, volume)).orifice
    est = float(fit.cd_area_m2(p[-1], T0))
    sd = float(fit.cd_area_m2(p[-1], T0, fit.theta_sd))
    assert abs(est - cda) < 3 * sd
    assert sd / cda < 0.02


def test_long_decays_tell_a_hole_from_a_crack() -> None:
    """A crack to vacuum decays as 1/p = 1/p0 + k·t; a hole exponentially (physics.md)."""
    volume = 4.5
    t = np.arange(0.0, 72 * HOUR_S, 30.0)
    rng = np.random.default_rng(3)
    # crack: q = c·p²/(2RTμ), so with p = mRT/V: 1/p(t) = 1/p0 + c·t/(2·V·μ)
    # μ of air, Sutherland's law (White, Viscous Fluid Flow, 3rd ed., Table 1-2)
    mu = 1.716e-5 * (T0 / 273.15) ** 1.5 * (273.15 + 110.4) / (T0 + 110.4)
    c = 3.0e-15  # w·h³/(12 L) [m³]
    p_crack = 1.0 / (1.0 / 101325.0 + c * t / (2.0 * volume * mu))
    tau = volume / (4e-8 * PSI * math.sqrt(R * T0))
    p_hole = 101325.0 * np.exp(-t / tau)
    assert p_crack[-1] / p_crack[0] < 0.85 and p_hole[-1] / p_hole[0] < 0.85
    temp = np.full_like(t, T0)
    crack = compare_laws(_series(_telemetry(t, p_crack, temp, rng), volume))
    hole = compare_laws(_series(_telemetry(t, p_hole, temp, rng), volume))
    assert crack.preferred == "crack" and crack.decisive
    assert hole.preferred == "orifice" and hole.decisive
    assert crack.crack.theta == pytest.approx(c, rel=0.02, abs=0)
    assert "crack favoured" in crack.evidence()


def test_short_record_cannot_tell_and_says_so() -> None:
    volume = 916.0
    t = np.arange(0.0, 2 * HOUR_S, 60.0)
    p = 101325.0 * np.exp(-t / 2.4e6)
    rng = np.random.default_rng(4)
    laws = compare_laws(_series(_telemetry(t, p, np.full_like(t, T0), rng, n_p=1), volume))
    assert not laws.decisive and laws.preferred == "orifice"
    assert "cannot tell" in laws.evidence()


def test_temperature_swing_is_compensated() -> None:
    """A ±1 K orbital swing at constant mass moves p by ±0.34 % but not the mass."""
    volume = 100.0
    t = np.arange(0.0, 12 * HOUR_S, 10.0)
    temp = T0 + 1.0 * np.sin(2 * np.pi * t / 5400.0)
    p = 101325.0 * temp / T0  # no leak
    rng = np.random.default_rng(5)
    tel = _telemetry(t, p, temp, rng, t_sd=0.01, t_res=0.01)
    fit = fit_law(_series(tel, volume), "orifice")
    rate = fit.rate_kg_per_s(101325.0, T0) * DAY_S
    rate_sd = fit.rate_kg_per_s(101325.0, T0, fit.theta_sd) * DAY_S
    assert abs(rate) < 3 * rate_sd + 1e-3
    assert rate_sd < 0.05  # kg/day


def test_kalman_without_drift_is_the_least_squares_slope_at_the_cramer_rao_bound() -> None:
    rng = np.random.default_rng(6)
    t = np.arange(0.0, 6 * HOUR_S, 60.0)
    sd = np.full_like(t, 0.02)
    q = 3e-5
    m = 1000.0 - q * t + rng.normal(0, 0.02, t.size)
    from cabinleak.estimate.mass import MassSeries

    ms = MassSeries("v", (), 916.0, R, t, m, sd, np.full_like(t, 1e5), np.full_like(t, T0),
                    np.zeros_like(t), 1.0, 0.05, True)
    tr = track_rate(ms, drift_kg_per_day_per_day=0.0)
    slope = -np.polyfit(t, m, 1)[0]
    assert tr.rate_kg_per_s[-1] == pytest.approx(slope, rel=1e-6, abs=0)
    assert tr.rate_sd_kg_per_s[-1] ** 2 == pytest.approx(constant_rate_crb(t, sd), rel=1e-6, abs=0)
    # the smoother's rate is the same all along when it cannot drift
    assert np.ptp(tr.rate_kg_per_s) < 1e-9 * q


def test_kalman_follows_a_step_at_a_reset() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(0.0, 12 * HOUR_S, 60.0)
    q = np.where(t >= 6 * HOUR_S, 2e-4, 0.0)
    lost = np.concatenate([[0.0], np.cumsum(q[1:] * np.diff(t))])
    m = 1000.0 - lost + rng.normal(0, 0.01, t.size)
    from cabinleak.estimate.mass import MassSeries

    ms = MassSeries("v", (), 916.0, R, t, m, np.full_like(t, 0.01), np.full_like(t, 1e5),
                    np.full_like(t, T0), np.zeros_like(t), 1.0, 0.05, True)
    tr = track_rate(ms, resets=(6 * HOUR_S,))
    before, after = tr.at(3 * HOUR_S), tr.at(9 * HOUR_S)
    assert abs(before[0]) < 3 * before[1] + 1e-7
    assert abs(after[0] - 2e-4) < 3 * after[1]


@pytest.fixture(scope="module")
def station_decay() -> tuple[np.ndarray, np.ndarray, float, float]:
    """A 916 m³ station with a 1.5 mm hole (Cd 0.6), 24 h, from the closed form."""
    volume, cda = 916.0, 0.6 * math.pi * (1.5e-3) ** 2 / 4
    tau = volume / (cda * PSI * math.sqrt(R * T0))
    t = np.arange(0.0, 24 * HOUR_S, 10.0)
    return t, 101325.0 * np.exp(-t / tau), volume, cda


def test_interval_coverage_and_cramer_rao_over_seeds(station_decay) -> None:
    """The 95 % interval of Cd·A covers the truth about 95 % of the time, and the
    estimator's spread over seeds matches the Cramér–Rao bound of the same model."""
    t, p, volume, cda = station_decay
    temp = np.full_like(t, T0)
    n, hits, est, crb = 120, 0, [], []
    for seed in range(n):
        tel = _telemetry(t, p, temp, np.random.default_rng(100 + seed), n_p=1)
        ms = _series(tel, volume, 300.0)
        fit = fit_law(ms, "orifice")
        a = float(fit.cd_area_m2(p[-1], T0))
        s = float(fit.cd_area_m2(p[-1], T0, fit.theta_sd))
        hits += abs(a - cda) <= 1.96 * s
        est.append(a)
        # the bound for m = m0 − θ·X(t) in white noise is (J⁻¹)₂₂, J = AᵀWA: the fit's
        # covariance before any inflation for misfit
        crb.append(s / fit.scale)
    coverage = hits / n
    assert 0.88 <= coverage <= 0.995, coverage
    ratio = float(np.std(est, ddof=1) / np.mean(crb))
    assert 0.75 < ratio < 1.3, ratio


def test_forecast_time_to_floor_matches_the_closed_form(station_decay) -> None:
    t, p, volume, cda = station_decay
    tel = _telemetry(t, p, np.full_like(t, T0), np.random.default_rng(9))
    fit = fit_law(_series(tel, volume), "orifice")
    floor = 490 * MMHG_PA
    fc = forecast(fit, time_now_s=float(t[-1]), added_now_kg=0.0, temperature_K=T0,
                  mole_fractions=gas.AIR_MOLE_FRACTIONS, floor_Pa=floor)
    tau = volume / (cda * PSI * math.sqrt(R * T0))
    expected = tau * math.log(p[-1] / floor)
    assert fc.time_to_floor_s is not None
    assert fc.time_to_floor_s.value == pytest.approx(expected, rel=0.01, abs=0)
    assert fc.time_to_floor_s.low <= expected <= fc.time_to_floor_s.high
    # gas to hold pressure: the leak rate split by the air's mass fractions
    q = cda * PSI * p[-1] / math.sqrt(R * T0) * DAY_S
    total = fc.gas_per_day_kg["N2"].value + fc.gas_per_day_kg["O2"].value
    assert total == pytest.approx(q, rel=0.01, abs=0)
