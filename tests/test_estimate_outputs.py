"""What the estimator hands the crew: the forecast's gas and supply numbers, the ppO2 floor,
the equivalent hole at the stated Cd, the printed summary, honest intervals under
correlated noise, and the Kalman smoother against a textbook one written here.

Each test here was written against a deliberate slip in the code (a mutation) that the
rest of the suite let through; the slip is named in the docstring.

References
----------
- Choked orifice blowdown, isothermal: p = p0·exp(−t/τ), τ = V/(Cd·A·Ψ·sqrt(RT)),
  Ψ = sqrt(γ·(2/(γ+1))^((γ+1)/(γ−1))) (../shared/reference/physics.md).
- Discrete Kalman filter and RTS smoother: Bar-Shalom, Li & Kirubarajan (2001),
  Estimation with Applications to Tracking and Navigation, §5.2 and §8.6; the
  continuous white-noise acceleration model, §6.2.2 (its Q).
- AR(1) noise: e_k = ρ·e_{k−1} + sqrt(1−ρ²)·σ·n_k has marginal sd σ and lag-one
  correlation ρ (Box, Jenkins & Reinsel 2008, §3.2).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from cabinleak.estimate.analysis import analyze
from cabinleak.estimate.flowlaw import LawFit, fit_law
from cabinleak.estimate.forecast import forecast
from cabinleak.estimate.kalman import track_rate
from cabinleak.estimate.mass import MassSeries
from cabinleak.estimate.results import LeakAnalysis, Settings
from cabinleak.telemetry import Channel, Telemetry

# Typed in, with their sources (not imported from the code under test).
DAY_S = 86400.0
HOUR_S = 3600.0
MMHG_PA = 133.322387415  # conventional mmHg (NIST SP 811, B.8); the torr is 101325/760
T0 = 295.0
#: cabinleak's air (US Standard Atmosphere 1976 Table 3; Ar counted as N2): mole fractions
#: N2, O2, CO2, H2O and molar masses [kg/mol] (GRI-Mech 3.0); R_u CODATA 2018
X_AIR = np.array([0.78084 + 0.00934, 0.209476, 0.000314, 0.0]) / 0.99997
M_SPECIES = np.array([28.014e-3, 31.998e-3, 44.009e-3, 18.015e-3])
M_AIR = float(X_AIR @ M_SPECIES)
R = 8.314462618 / M_AIR
Y_AIR = X_AIR * M_SPECIES / M_AIR  # mass fractions
GAMMA = 1.3995  # cp/cv of that air at 295 K (its NASA-7 cp; CoolProp's air with Ar: 1.4001)
PSI = math.sqrt(GAMMA * (2 / (GAMMA + 1)) ** ((GAMMA + 1) / (GAMMA - 1)))


def _decay(volume: float, cda: float, t: np.ndarray, p0: float = 101325.0) -> np.ndarray:
    tau = volume / (cda * PSI * math.sqrt(R * T0))
    return np.asarray(p0 * np.exp(-t / tau))


def _mass_series(t: np.ndarray, m: np.ndarray, sd: float, volume: float) -> MassSeries:
    p = m * R * T0 / volume
    return MassSeries("v", (), volume, R, t, m, np.full_like(t, sd), p, np.full_like(t, T0),
                      np.zeros_like(t), 1.0, 0.05, True)


# ------------------------------------------------------------------ forecast

VOLUME, CDA = 100.0, 2.0e-7  # τ ≈ 2.9 days
TAU = VOLUME / (CDA * PSI * math.sqrt(R * T0))


@pytest.fixture(scope="module")
def decay_fit() -> tuple[LawFit, float, float]:
    """A fitted 12 h orifice decay (no noise but the reading's), its end time and pressure."""
    t = np.arange(0.0, 12 * HOUR_S, 300.0)
    p = _decay(VOLUME, CDA, t)
    m = p * VOLUME / (R * T0) + np.random.default_rng(11).normal(0.0, 1e-3, t.size)
    fit = fit_law(_mass_series(t, m, 1e-3, VOLUME), "orifice")
    return fit, float(t[-1]), float(p[-1])


def _forecast(fit: LawFit, t_end: float, **kw: object):
    return forecast(fit, time_now_s=t_end, added_now_kg=0.0, temperature_K=T0,
                    mole_fractions=X_AIR, n_draws=400, **kw)  # type: ignore[arg-type]


def test_gas_to_hold_adds_the_crews_oxygen_use(decay_fit) -> None:
    """Mutation: the crew's O2 use dropped from the gas to hold. Three people using
    0.82 kg/day each (the station files' figure) need 2.46 kg/day more O2, the N2 the
    same; the leak's part splits by the air's mass fractions."""
    fit, t_end, p_end = decay_fit
    crew = np.array([0.0, -3 * 0.82, 3 * 1.04, 0.0]) / DAY_S
    alone = _forecast(fit, t_end)
    with_crew = _forecast(fit, t_end, species_source_kg_per_s=crew)
    for name, extra in (("N2", 0.0), ("O2", 2.46)):
        for end in ("value", "low", "high"):
            got = getattr(with_crew.gas_per_day_kg[name], end)
            assert got == pytest.approx(getattr(alone.gas_per_day_kg[name], end) + extra,
                                        rel=1e-12, abs=0), (name, end)
    q = CDA * PSI * p_end / math.sqrt(R * T0) * DAY_S  # kg/day leaking now
    for k, name in enumerate(("N2", "O2")):
        assert alone.gas_per_day_kg[name].value == pytest.approx(q * Y_AIR[k], rel=0.01, abs=0)


def test_days_of_supply_is_the_stock_over_the_daily_need(decay_fit) -> None:
    """Mutation: days of supply halved. 50 kg of N2 and 30 kg of O2 last stock / need
    days, each end of the interval from the other end of the need's."""
    fit, t_end, _ = decay_fit
    stock = {"N2": 50.0, "O2": 30.0}
    fc = _forecast(fit, t_end, inventory_kg=stock)
    for name, kg in stock.items():
        need, days = fc.gas_per_day_kg[name], fc.days_of_supply[name]
        assert days.value / DAY_S == pytest.approx(kg / need.value, rel=1e-12, abs=0)
        assert days.low / DAY_S == pytest.approx(kg / need.high, rel=1e-12, abs=0)
        assert days.high / DAY_S == pytest.approx(kg / need.low, rel=1e-12, abs=0)
    # about 3.3 kg/day of N2 leaks from a 0.2 mm² hole at 1 atm: some fifteen days
    assert 10 < fc.days_of_supply["N2"].value / DAY_S < 20


def test_ppO2_floor_is_reached_when_the_oxygens_share_of_the_pressure_is(decay_fit) -> None:
    """Mutation: the ppO2 forecast computed from N2. The leak takes the gas as it is, so
    with no crew ppO2 = x_O2·p all along and falls to a floor after τ·ln(x_O2·p/floor)."""
    fit, t_end, p_end = decay_fit
    floor = 120 * MMHG_PA
    fc = _forecast(fit, t_end, ppO2_floor_Pa=floor, floor_Pa=490 * MMHG_PA)
    expected = TAU * math.log(X_AIR[1] * p_end / floor)
    assert fc.time_to_ppO2_floor_s is not None
    assert fc.time_to_ppO2_floor_s.value == pytest.approx(expected, rel=0.01, abs=0)
    assert fc.time_to_ppO2_floor_s.low <= expected <= fc.time_to_ppO2_floor_s.high
    assert fc.ppO2_Pa[1, 0] == pytest.approx(X_AIR[1] * p_end, rel=1e-3, abs=0)


# ------------------------------------------------------------------ analyze and its text


def _telemetry(t: np.ndarray, p: np.ndarray, seed: int) -> Telemetry:
    rng = np.random.default_rng(seed)
    res = 0.1 * MMHG_PA
    chans = [Channel(f"p{i}_pressure_Pa", f"p{i}", "pressure", "Pa",
                     np.round((p + rng.normal(0.0, 0.05 * MMHG_PA, t.size)) / res) * res, res)
             for i in range(2)]
    temp = np.round((T0 + rng.normal(0.0, 0.05, t.size)) / 0.1) * 0.1
    chans.append(Channel("t_T_K", "t", "temperature", "K", temp, 0.1))
    return Telemetry("synthetic.csv", t, tuple(chans))


@pytest.fixture(scope="module")
def analysis() -> LeakAnalysis:
    """12 h of a 0.2 mm² Cd·A hole in 100 m³, read by two gauges and a thermometer,
    analysed at Cd 0.8 with stocks, a ppO2 floor and two crew (whose O2 use and CO2 the
    record does not hold, so the leak reads about 0.44 kg/day, 3 %, low)."""
    t = np.arange(0.0, 12 * HOUR_S, 60.0)
    tel = _telemetry(t, _decay(VOLUME, CDA, t), seed=12)
    st = Settings(discharge_coefficient=0.8, inventory_kg={"N2": 50.0, "O2": 30.0},
                  ppO2_floor_Pa=120 * MMHG_PA, crew=2.0)
    return analyze(tel, volume_m3=VOLUME, settings=st)


def test_equivalent_hole_is_at_the_stated_discharge_coefficient(analysis) -> None:
    """Mutation: --cd ignored (0.6 used). Cd·A = Cd·π·d²/4, so d = sqrt(4·Cd·A/(π·Cd))."""
    v = analysis.primary
    assert v.discharge_coefficient == 0.8
    for end in ("value", "low", "high"):
        cda = getattr(v.effective_area_m2, end)
        assert getattr(v.hole_diameter_m, end) == pytest.approx(
            math.sqrt(4 * cda / (math.pi * 0.8)), rel=1e-12, abs=0), end
    assert v.effective_area_m2.value == pytest.approx(CDA, rel=0.05, abs=0)


def _numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", line)]


def _printed(value: float, text: str) -> bool:
    """``text`` is ``value`` rounded to the decimals it shows."""
    dec = len(text.split(".")[1]) if "." in text else 0
    return abs(float(text) - value) <= 0.5 * 10.0**-dec * (1 + 1e-9)


def test_printed_summary_shows_the_numbers_in_the_stated_units(analysis) -> None:
    """Mutation: Cd·A printed 100x too small. Every number of the summary is the
    result's, converted to the unit printed beside it."""
    v = analysis.primary
    lines = {ln.strip().split("  ")[0]: ln for ln in str(analysis).splitlines() if ln.strip()}

    def check(label: str, interval, scale: float, unit: str) -> None:
        line = lines[label]
        m = re.search(r"(-?[\d.]+) " + re.escape(unit)
                      + r" \(95 %: (-?[\d.]+) to (-?[\d.]+)\)", line)
        assert m, line
        for text, x in zip(m.groups(), (interval.value, interval.low, interval.high),
                           strict=True):
            assert _printed(x * scale, text), (label, text, x * scale)

    check("leak rate", v.leak_rate_kg_per_s, DAY_S, "kg/day")
    check("pressure rate", v.pressure_rate_Pa_per_s, HOUR_S / MMHG_PA, "mmHg/h")
    check("effective area", v.effective_area_m2, 1e6, "mm²")
    check("equivalent hole", v.hole_diameter_m, 1e3, "mm")
    assert "at Cd 0.8 (assumed" in lines["equivalent hole"]
    # about 0.2 mm² and 0.56 mm at Cd 0.8, whatever the rounding
    assert 0.19 < _numbers(lines["effective area"].split("Cd·A")[1])[0] < 0.21
    gas_line = lines["gas to hold"]
    assert "(O2 includes the crew's use)" in gas_line
    for name in ("N2", "O2"):
        m = re.search(name + r" ([\d.e+-]+) kg/day", gas_line)
        assert m, gas_line
        value = v.forecast.gas_per_day_kg[name].value
        assert float(m.group(1)) == pytest.approx(value, rel=5e-3, abs=0)  # 3 digits
    for name in ("N2", "O2"):
        line = lines[f"{name} supply lasts"]
        days = v.forecast.days_of_supply[name]
        unit, scale = ("days", DAY_S) if days.value >= 72 * HOUR_S else ("h", HOUR_S)
        assert f" {unit} " in line, line
        shown = re.search(r"([\d.]+) " + unit, line)
        assert shown and _printed(days.value / scale, shown.group(1)), line
    pp_line = next(ln for ln in str(analysis).splitlines() if "to ppO2 120 mmHg" in ln)
    pp = v.forecast.time_to_ppO2_floor_s
    assert pp is not None and pp.value < 72 * HOUR_S
    shown = re.search(r"mmHg ([\d.]+) h after the last sample", pp_line)
    assert shown and _printed(pp.value / HOUR_S, shown.group(1)), pp_line


def test_json_carries_the_same_numbers(analysis) -> None:
    v, d = analysis.primary, analysis.to_dict()
    assert d["effective_area_m2"]["value"] == v.effective_area_m2.value
    assert d["equivalent_hole_diameter_mm"]["value"] == pytest.approx(
        v.hole_diameter_m.value * 1e3, rel=1e-12, abs=0)
    assert d["days_of_supply"]["N2"]["value"] == pytest.approx(
        v.forecast.days_of_supply["N2"].value / DAY_S, rel=1e-12, abs=0)
    assert d["settings"]["discharge_coefficient"] == 0.8
    fc = v.forecast
    assert fc.time_to_floor_s is not None and fc.time_to_ppO2_floor_s is not None
    for key, interval in (("time_to_floor_h", fc.time_to_floor_s),
                          ("time_to_ppO2_floor_h", fc.time_to_ppO2_floor_s)):
        for end in ("value", "low", "high"):
            assert d[key][end] == pytest.approx(getattr(interval, end) / HOUR_S, rel=1e-12,
                                                abs=0), (key, end)


def test_the_fit_ends_at_the_integral_over_the_whole_record(decay_fit) -> None:
    """Mutant flowlaw.py `x[-1]` → `x[-2]`: the fit's X at its end is ∫φ dt over the
    whole record (trapezoids of φ = p/sqrt(RT) for the orifice), which the forecast
    starts from."""
    fit, t_end, _ = decay_fit
    t = np.arange(0.0, 12 * HOUR_S, 300.0)
    phi = _decay(VOLUME, CDA, t) / math.sqrt(R * T0)
    assert fit.end_s == t_end
    assert fit.x_end == pytest.approx(float(np.sum(0.5 * (phi[1:] + phi[:-1]) * np.diff(t))),
                                      rel=1e-4, abs=0)  # the fit's p carries the noise


def test_crew_oxygen_is_in_the_gas_to_hold(analysis) -> None:
    """Two people (Settings.crew) at 0.82 kg/day: O2 to hold exceeds the leak's share by
    1.64 kg/day, to the forecast's rounding."""
    v = analysis.primary
    gas = v.forecast.gas_per_day_kg
    leak_o2 = gas["N2"].value * Y_AIR[1] / Y_AIR[0]  # the leak takes O2 with the N2
    assert gas["O2"].value - leak_o2 == pytest.approx(2 * 0.82, rel=0.02, abs=0)


# ------------------------------------------------------------------ correlated noise


def test_intervals_widen_for_correlated_noise() -> None:
    """Mutation: the AR(1) widening (1+ρ)/(1−ρ) removed; coverage then falls to about
    0.25. With noise of lag-one correlation 0.9 the 95 % interval of Cd·A still covers
    the truth about 95 % of the time over seeds."""
    volume, cda, sd, rho = 100.0, 2.0e-7, 0.05, 0.9
    t = np.arange(0.0, 24 * HOUR_S, 300.0)
    p = _decay(volume, cda, t)
    m_true = p * volume / (R * T0)
    hits, n = 0, 80
    for seed in range(n):
        rng = np.random.default_rng(500 + seed)
        e = np.empty(t.size)
        e[0] = rng.normal(0.0, sd)
        shocks = rng.normal(0.0, sd * math.sqrt(1 - rho**2), t.size)
        for k in range(1, t.size):
            e[k] = rho * e[k - 1] + shocks[k]
        fit = fit_law(_mass_series(t, m_true + e, sd, volume), "orifice")
        est = float(fit.cd_area_m2(p[-1], T0, gamma=GAMMA))
        half = 1.96 * float(fit.cd_area_m2(p[-1], T0, fit.theta_sd, gamma=GAMMA))
        hits += abs(est - cda) <= half
    assert 0.85 <= hits / n <= 1.0, hits / n


# ------------------------------------------------------------------ Kalman with drift


def _textbook_kalman(t: np.ndarray, z: np.ndarray, r: np.ndarray, s: float, p11_0: float
                     ) -> tuple[np.ndarray, np.ndarray, float]:
    """Dense Kalman filter and RTS smoother, x = [m, q], dm/dt = −q, dq/dt = w(t) with
    E[w w] = S·δ: F = [[1, −Δ], [0, 1]], Q = ∫₀^Δ F(τ)G Gᵀ F(τ)ᵀ S dτ with G = [0, 1]ᵀ,
    F(τ)G = [−τ, 1]ᵀ, i.e. Q = S·[[Δ³/3, −Δ²/2], [−Δ²/2, Δ]] (Bar-Shalom et al. §6.2.2).
    Returns the smoothed rate, its sd and the innovations' log-likelihood."""
    h = np.array([[1.0, 0.0]])
    x = np.array([z[0], 0.0])
    p = np.diag([r[0], p11_0])
    xf, pf, xp, pp = [x], [p], [x], [p]
    loglik = 0.0
    for k in range(1, t.size):
        d = t[k] - t[k - 1]
        f = np.array([[1.0, -d], [0.0, 1.0]])
        q = s * np.array([[d**3 / 3, -(d**2) / 2], [-(d**2) / 2, d]])
        x = f @ x
        p = f @ p @ f.T + q
        xp.append(x)
        pp.append(p)
        innov_var = float((h @ p @ h.T)[0, 0] + r[k])
        innov = z[k] - float((h @ x)[0])
        loglik -= 0.5 * (math.log(2 * math.pi * innov_var) + innov**2 / innov_var)
        gain = (p @ h.T / innov_var)[:, 0]
        x = x + gain * innov
        p = (np.eye(2) - np.outer(gain, h[0])) @ p
        xf.append(x)
        pf.append(p)
    xs, ps = [xf[-1]], [pf[-1]]
    for k in range(t.size - 2, -1, -1):
        d = t[k + 1] - t[k]
        f = np.array([[1.0, -d], [0.0, 1.0]])
        c = pf[k] @ f.T @ np.linalg.inv(pp[k + 1])
        xs.insert(0, xf[k] + c @ (xs[0] - xp[k + 1]))
        ps.insert(0, pf[k] + c @ (ps[0] - pp[k + 1]) @ c.T)
    rate = np.array([v[1] for v in xs])
    rate_sd = np.sqrt(np.array([v[1, 1] for v in ps]))
    return rate, rate_sd, loglik


def test_kalman_with_drift_is_the_textbook_filter_and_smoother() -> None:
    """Mutation: a sign error in the process covariance Q. With a drifting rate and a
    given drift density, the smoothed rate, its sd and the likelihood equal a dense
    textbook filter's; over a grid, the chosen density is the most likely one."""
    rng = np.random.default_rng(21)
    t = np.concatenate([np.arange(0.0, 6 * HOUR_S, 120.0), 6 * HOUR_S + np.arange(0, 90) * 200])
    rate = 1e-4 * (1 + t / (4 * HOUR_S))  # a leak growing steadily
    lost = np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t))])
    sd = np.where(t < 3 * HOUR_S, 0.01, 0.02)
    m = 1000.0 - lost + rng.normal(0.0, 1.0, t.size) * sd
    ms = MassSeries("v", (), 916.0, R, t, m, sd, np.full_like(t, 1e5), np.full_like(t, T0),
                    np.zeros_like(t), 1.0, 0.05, True)
    big = (np.max(np.abs(m)) / DAY_S) ** 2  # the rate's prior variance: 100 % of the gas a day
    grid = (0.3, 3.0, 30.0)  # kg/day per day
    logliks = []
    for drift in grid:
        s = (drift / DAY_S) ** 2 / DAY_S  # [(kg/s)²/s]: 1σ of `drift` kg/day over a day
        ref_rate, ref_sd, ref_ll = _textbook_kalman(t, m, sd**2, s, big)
        tr = track_rate(ms, drift_kg_per_day_per_day=drift)
        assert tr.rate_kg_per_s == pytest.approx(ref_rate, rel=1e-7, abs=1e-12 * 1e-4)
        assert tr.rate_sd_kg_per_s == pytest.approx(ref_sd, rel=1e-5, abs=0)  # conditioning
        assert tr.log_likelihood == pytest.approx(ref_ll, rel=1e-9, abs=0)
        logliks.append(ref_ll)
    chosen = track_rate(ms, drift_kg_per_day_per_day=grid)
    assert chosen.drift_kg_per_day_per_day == grid[int(np.argmax(logliks))]
    # and the track follows the growing leak
    assert chosen.at(9 * HOUR_S)[0] == pytest.approx(1e-4 * (1 + 9 / 4), rel=0.1, abs=0)


# ------------------------------------------------------------------ mass series


def test_hand_read_gauge_without_a_resolution_is_read_to_the_nearest_mmHg() -> None:
    """Mutant mass.py `resolution > 0` → `>= 0`: a hand-read dial with no stated
    resolution is taken as read to its nearest 1 mmHg mark, and its error follows."""
    from cabinleak.estimate.mass import mass_series

    t = np.array([0.0, 3600.0, 7200.0, 14400.0, 28800.0])
    p = np.array([760.0, 759.0, 758.0, 756.0, 752.0]) * MMHG_PA
    tel = Telemetry("gauge.csv", t, (Channel("p_mmHg", "p", "pressure", "mmHg", p, 0.0),),
                    is_gauge=True)
    ms = mass_series(tel, tel.of("pressure"), (), volume_m3=VOLUME, gas_constant=R,
                     temperature_K=T0, label="v")
    assert ms.pressure_resolution_Pa == pytest.approx(MMHG_PA, rel=1e-12, abs=0)
    # a reading to the nearest mark is uniform within ±½ mark: 1σ ≥ mark/√12
    assert np.all(ms.mass_sd_kg >= ms.mass_kg * (MMHG_PA / math.sqrt(12)) / p * (1 - 1e-9))


def test_dpdt_needs_half_a_window_of_samples() -> None:
    """Mutant dpdt.py `t − t[first]` → `t + t[first]`: a trailing-window slope is
    only reported once the samples span at least half the window."""
    from cabinleak.estimate.dpdt import dpdt_alarm

    t = 1000.0 + np.arange(0.0, 600.0, 1.0)  # a record that does not start at t = 0
    p = 101325.0 - 2.0 * (t - t[0])  # falling at 2 Pa/s, above the 1.1 Pa/s alarm
    alarm = dpdt_alarm(t, p, window_s=60.0)
    slope = alarm.dpdt_Pa_per_s
    assert np.all(np.isnan(slope[:30])) and np.all(np.isfinite(slope[30:]))
    assert slope[30:] == pytest.approx(np.full(570, -2.0), rel=1e-9, abs=0)
    assert alarm.alarm_time_s == 1030.0


def test_crew_sources_are_taken_out_of_the_mass_as_known_additions() -> None:
    """Mutant mass.py `(t − t0)·source` → `(t − t0)/source`: the crew's known sources
    over the record are removed from the measured mass, species by species."""
    from cabinleak.estimate.mass import mass_series

    t = np.arange(0.0, 6 * HOUR_S, 600.0)
    p = np.full(t.size, 101325.0)
    tel = Telemetry("flat.csv", t, (Channel("p_Pa", "p", "pressure", "Pa", p, 1.0),))
    source = np.array([0.0, -2 * 0.82, 2 * 1.04, 0.0]) / DAY_S  # two people: O2 −, CO2 +
    plain = mass_series(tel, tel.of("pressure"), (), volume_m3=VOLUME, mole_fractions=X_AIR,
                        temperature_K=T0, label="v")
    crew = mass_series(tel, tel.of("pressure"), (), volume_m3=VOLUME, mole_fractions=X_AIR,
                       temperature_K=T0, label="v", species_source_kg_per_s=source)
    # at constant p the cabin holds the same moles; the crew made it heavier by the CO2
    # and lighter by the O2, and the known additions are what the crew did
    net = (2 * 1.04 - 2 * 0.82) / DAY_S * (t - t[0])
    assert crew.added_kg == pytest.approx(net, rel=1e-12, abs=1e-15)
    assert plain.added_kg == pytest.approx(np.zeros_like(t), rel=0, abs=0)


def test_two_points_give_a_rate() -> None:
    """Mutant kalman.py `n < 2` → `n < 3`: two readings are enough for a rate."""
    ms = _mass_series(np.array([0.0, 3600.0]), np.array([1000.0, 999.0]), 0.01, 916.0)
    tr = track_rate(ms, drift_kg_per_day_per_day=0.0)
    assert tr.rate_kg_per_s[-1] == pytest.approx(1.0 / 3600.0, rel=1e-6, abs=0)


def test_a_fit_needs_a_point_after_the_onset() -> None:
    """Mutant flowlaw.py `… < 1 or t.size < 2` → `and`: an onset after the last
    sample leaves nothing to fit and says so."""
    from cabinleak.estimate.mass import EstimateError

    t = np.arange(0.0, 3 * HOUR_S, 600.0)
    ms = _mass_series(t, 1000.0 - 1e-4 * t, 0.01, VOLUME)
    with pytest.raises(EstimateError, match=r"fewer than two points to fit a leak from 5\.0 h"):
        fit_law(ms, "orifice", onset_s=5 * HOUR_S)


def _onset_series(sd: np.ndarray, background: float) -> tuple[MassSeries, float]:
    """A leak from 6 h on, on top of a steady outflow `background` [kg/s], with 1σ `sd`."""
    t = np.arange(0.0, 12 * HOUR_S, 300.0)
    onset = 6 * HOUR_S
    p = np.where(t < onset, 101325.0, _decay(VOLUME, CDA, t - onset))
    m = p * VOLUME / (R * T0) - background * t
    noisy = m + np.random.default_rng(3).normal(0.0, 1.0, t.size) * sd
    ms = MassSeries("v", (), VOLUME, R, t, noisy, sd, m * R * T0 / VOLUME,
                    np.full_like(t, T0), np.zeros_like(t), 1.0, 0.05, True)
    return ms, onset


def test_best_onset_finds_the_leaks_start() -> None:
    """Mutants flowlaw.py: the default background 0.0 → 1.0 kg/s, and the weights of the
    free-background fit multiplied → divided. A leak that starts at 6 h, alone or on top
    of a steady 1 kg/day outflow, is found to start at 6 h (to one candidate step)."""
    from cabinleak.estimate.flowlaw import best_onset

    candidates = np.arange(1.0, 11.5, 0.5) * HOUR_S
    sd = np.where(np.arange(144) % 2 == 0, 0.002, 0.02)  # unequal weights
    ms, onset = _onset_series(sd, 0.0)
    assert best_onset(ms, candidates) == pytest.approx(onset, rel=0, abs=0.5 * HOUR_S)
    ms, onset = _onset_series(sd, 1.0 / DAY_S)
    assert best_onset(ms, candidates, free_background=True) == pytest.approx(
        onset, rel=0, abs=0.5 * HOUR_S)


def test_an_oxygen_injection_is_a_known_addition_of_oxygen() -> None:
    """Mutant mass.py `injected · y` → `injected / y`: a logged injection of pure O2
    (cumulative kg) is added as that much O2 and nothing else."""
    from cabinleak.estimate.mass import mass_series

    t = np.arange(0.0, 6 * HOUR_S, 600.0)
    injected = np.minimum(t / HOUR_S, 2.0) * 0.5  # 1 kg of O2 over the first two hours
    p = 101325.0 + injected / (VOLUME / (R * T0))
    tel = Telemetry("inject.csv", t, (
        Channel("p_Pa", "p", "pressure", "Pa", p, 1.0),
        Channel("o2_injection_kg", "o2", "injection", "kg", injected, 0.0)))
    ms = mass_series(tel, tel.of("pressure"), (), volume_m3=VOLUME, mole_fractions=X_AIR,
                     temperature_K=T0, label="v", injections=tel.of("injection"),
                     injection_mass_fractions=[np.array([0.0, 1.0, 0.0, 0.0])])
    assert ms.added_kg == pytest.approx(injected, rel=1e-12, abs=0)
    assert ms.mole_fractions_end is not None
    assert ms.mole_fractions_end[1] > X_AIR[1]  # the cabin is richer in O2


@pytest.mark.parametrize(("interval", "text"), [
    ((2.5, 2.5, 2.5), "2.500 kg/day (95 %: 2.500 to 2.500)"),  # no spread: three decimals
    ((3.932, 3.919, 3.945), "3.932 kg/day (95 %: 3.919 to 3.945)"),  # half-width 0.013
    ((3.9, 3.0, 4.8), "3.90 kg/day (95 %: 3.00 to 4.80)"),  # half-width 0.90
    ((120.0, 20.0, 220.0), "120 kg/day (95 %: 20 to 220)"),  # half-width 100
    ((1.0, 0.5, math.inf), "1.0 kg/day (95 %: 0.5 to never)"),  # open: one decimal
])
def test_intervals_print_their_half_width_to_two_significant_digits(
        interval: tuple[float, float, float], text: str) -> None:
    """Mutants results.py in `_decimals`: the decimals shown are those that give the
    interval's half-width two significant digits (three for a zero width, one for an
    open interval)."""
    from cabinleak.estimate.forecast import Interval
    from cabinleak.estimate.results import interval_text

    assert interval_text(Interval(*interval), 1.0, "kg/day") == text


def test_every_result_of_the_estimator_is_a_frozen_dataclass() -> None:
    """Results are frozen dataclasses (DESIGN.md), private ones too; mutants fleet.py and
    acceptance.py `frozen=True` → False."""
    import dataclasses
    import importlib
    import pkgutil

    import cabinleak.estimate as package

    checked = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"cabinleak.estimate.{info.name}")
        for name, obj in vars(module).items():
            if (isinstance(obj, type) and dataclasses.is_dataclass(obj)
                    and obj.__module__ == module.__name__):
                assert obj.__dataclass_params__.frozen, f"{module.__name__}.{name}"
                checked.append(name)
    assert {"FleetLine", "LawFit", "Forecast", "Interval", "RateTrack", "Settings"} <= set(checked)


def test_a_hatch_closed_at_the_last_row_splits_the_volumes() -> None:
    """Mutant analysis.py `vals[-1]` → `vals[-2]`: the hatch state that counts is the
    one at the end of the record, even when it changed at the very last row."""
    from cabinleak.estimate.analysis import _groups
    from cabinleak.station import load_station

    t = np.arange(0.0, 3600.0, 600.0)
    p = np.full(t.size, 101325.0)
    hatch = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0])  # closed at the last row
    tel = Telemetry("h.csv", t, (
        Channel("zvezda_pressure_Pa", "zvezda", "pressure", "Pa", p, 1.0),
        Channel("prk_pressure_Pa", "prk", "pressure", "Pa", p, 1.0),
        Channel("zvezda-prk_hatch", "zvezda-prk", "hatch", "1", hatch, 0.0)))
    groups = _groups(tel, load_station("iss"), None)
    assert {g.label for g in groups} == {"iss (22 modules)", "prk+progress"}
    assert all(g.start_s == 3000.0 for g in groups)
