"""Blowdown of a rigid volume to vacuum: simulator versus the closed forms of
reference/physics.md ("Single volume blowdown to vacuum").

The closed forms are written out in this file from the formulas, not taken from
``cabinleak.physics.thermal`` (which is checked separately against the printed table):

    τ = V / (Cd·A·Ψ·sqrt(R·T0)),  Ψ = sqrt(γ)·(2/(γ+1))^((γ+1)/(2(γ−1)))
    isothermal  p/p0 = exp(−t/τ)
    adiabatic   p/p0 = (1 + ((γ−1)/2)·t/τ)^(−2γ/(γ−1))
"""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal

import numpy as np
import pytest

from cabinleak.physics import gas
from cabinleak.physics.thermal import (
    blowdown_pressure_adiabatic,
    blowdown_pressure_isothermal,
    blowdown_time_constant,
)
from cabinleak.simulate import simulate
from cabinleak.station import Station, load_station, parse_station

MMHG_PA = 133.322387415  # [Pa] (BIPM SI brochure, 9th ed., Table 8: 1 mmHg ≈ 133.322 Pa)


def psi(g: float) -> float:
    return math.sqrt(g) * (2.0 / (g + 1.0)) ** ((g + 1.0) / (2.0 * (g - 1.0)))


def tau_closed(volume_m3: float, cd_area_m2: float, g: float, r: float, t0: float) -> float:
    return volume_m3 / (cd_area_m2 * psi(g) * math.sqrt(r * t0))


# ----------------------------------------------------------------- the physics.md table


def half_unit(printed: str) -> float:
    """Half a unit in the last printed digit of a decimal string such as '1.597e5'."""
    exponent = Decimal(printed).as_tuple().exponent
    assert isinstance(exponent, int)
    return 0.5 * 10.0**exponent


#: reference/physics.md "Single volume blowdown to vacuum", computed table for air at
#: 295 K (γ = 1.4, R = 287.05 J/(kg·K)): V [m³], d [mm], Cd, τ [s], time to 0.7·p0
#: isothermal and adiabatic [h], initial dp/dt [mmHg/h]; kept as printed.
TAU_TABLE = [
    ("100", "10", "1.0", "6390", "0.633", "0.464", "428"),
    ("100", "2", "1.0", "1.597e5", "15.83", "11.60", "17.1"),
    ("916", "6.35", "1.0", "1.452e5", "14.38", "10.54", "18.8"),
    ("916", "2", "0.6", "2.439e6", "241.6", "177.1", "1.12"),
]


@pytest.mark.parametrize("row", TAU_TABLE, ids=[f"{r[0]}m3-{r[1]}mm-Cd{r[2]}" for r in TAU_TABLE])
def test_physics_md_tau_table(row: tuple[str, ...]) -> None:
    """blowdown_time_constant and the blowdown_pressure_* closed forms reproduce every
    column of the table to its printed precision."""
    v, d, cd, tau_s, t_iso_h, t_adi_h, dpdt = row
    cda = float(cd) * math.pi * (float(d) * 1e-3) ** 2 / 4.0
    tau = float(blowdown_time_constant(float(v), cda, 1.4, 287.05, 295.0))
    assert abs(tau - float(tau_s)) <= half_unit(tau_s)
    assert tau == pytest.approx(tau_closed(float(v), cda, 1.4, 287.05, 295.0), rel=1e-14, abs=0)
    # the printed times bracket the crossing of 0.7·p0 to their precision
    for printed, law in (
        (t_iso_h, lambda t: blowdown_pressure_isothermal(t, 1.0, tau)),
        (t_adi_h, lambda t: blowdown_pressure_adiabatic(t, 1.0, tau, 1.4)),
    ):
        lo = (float(printed) - half_unit(printed)) * 3600.0
        hi = (float(printed) + half_unit(printed)) * 3600.0
        assert float(law(lo)) > 0.7 > float(law(hi))
    # initial rate p0/τ at p0 = 101325 Pa, in mmHg/h
    assert abs(101325.0 / tau * 3600.0 / MMHG_PA - float(dpdt)) <= half_unit(dpdt)


# ----------------------------------------------------------------- simulator vs closed form


@pytest.fixture(scope="module")
def chamber() -> Station:
    """reference/physics.md's first row as a station file: 100 m³, 101325 Pa, 295 K,
    10 mm hole with Cd 1.0 (bundled ``test-chamber``)."""
    st = load_station("test-chamber")
    (m,) = st.modules
    assert (m.volume_m3, m.pressure_Pa, m.temperature_K) == (100.0, 101325.0, 295.0)
    (lk,) = st.leaks
    assert (lk.diameter_m, lk.discharge_coefficient) == (0.01, 1.0)
    return st


def air_r_gamma(t_K: float) -> tuple[float, float]:
    """cabinleak's own R and γ of the default air at t_K (the closed form's constants)."""
    y = gas.AIR_MASS_FRACTIONS
    return float(gas.gas_constant(y)), float(gas.gamma_mixture(y, t_K))


def test_isothermal_blowdown(chamber: Station) -> None:
    """p/p0 = exp(−t/τ) within 0.1 % until p = 0.7·p0 (0.633 h). Measured: 2.5e-6."""
    r, g = air_r_gamma(295.0)
    tau = tau_closed(100.0, math.pi * 0.01**2 / 4.0, g, r, 295.0)
    t_end = tau * math.log(1.0 / 0.7)
    assert t_end / 3600.0 == pytest.approx(0.633, abs=2e-3)  # physics.md, with cabin air's R, γ
    res = simulate(chamber, t_end, n_out=101)
    p = res.pressure("chamber")
    ref = 101325.0 * np.exp(-res.time_s / tau)
    np.testing.assert_allclose(p, ref, rtol=1e-3, atol=0)
    assert p[-1] == pytest.approx(0.7 * 101325.0, rel=1e-3, abs=0)
    np.testing.assert_array_equal(res.temperature_K[:, 0], 295.0)


def test_adiabatic_blowdown(chamber: Station) -> None:
    """p/p0 = (1 + (γ−1)/2·t/τ)^(−2γ/(γ−1)) within 0.1 % until p = 0.7·p0 (0.464 h);
    the gas left behind follows the isentrope T/T0 = (p/p0)^((γ−1)/γ) within 0.1 %.
    (The closed form takes γ constant; the model's γ drifts by 0.04 % from 295 K to
    266 K; measured deviation 2.7e-4 on p, 1.5e-4 on T.)"""
    st = chamber.replace(modules=(dataclasses.replace(chamber.modules[0], thermal="adiabatic"),))
    r, g = air_r_gamma(295.0)
    tau = tau_closed(100.0, math.pi * 0.01**2 / 4.0, g, r, 295.0)
    t_end = tau * 2.0 / (g - 1.0) * (0.7 ** (-(g - 1.0) / (2.0 * g)) - 1.0)
    assert t_end / 3600.0 == pytest.approx(0.464, abs=2e-3)
    res = simulate(st, t_end, n_out=101)
    p = res.pressure("chamber")
    ref = 101325.0 * (1.0 + 0.5 * (g - 1.0) * res.time_s / tau) ** (-2.0 * g / (g - 1.0))
    np.testing.assert_allclose(p, ref, rtol=1e-3, atol=0)
    t_isentrope = 295.0 * (p / 101325.0) ** ((g - 1.0) / g)
    np.testing.assert_allclose(res.temperature_K[:, 0], t_isentrope, rtol=1e-3, atol=0)
    assert res.temperature_K[-1, 0] < 270.0  # it did cool


TWO_MODULES = """
name = "two-modules"

[[module]]
id = "a"
volume_m3 = 100
pressure_Pa = 101325
temperature_K = 295

[[module]]
id = "b"
volume_m3 = 100
pressure_Pa = 100000
temperature_K = 295

[[hatch]]
id = "ab"
between = ["a", "b"]
area_m2 = 1.0

[[leak]]
module = "a"
diameter_mm = 1
discharge_coefficient = 1.0
"""


def test_two_modules_open_hatch_two_weeks() -> None:
    """Two 100 m³ modules joined by a 1 m² open hatch, a 1 mm hole in one, 14 days.

    Starting 1325 Pa apart, they equalise within the first minute and then drain as one
    200 m³ isothermal volume: p = p̄0·exp(−t/τ), p̄0 the volume-weighted mean initial
    pressure and τ for 200 m³. Pressures stay finite and positive, equal within 1 Pa
    after 60 s, and the final pressure is within 0.1 % of the closed form
    (measured 7e-6; the hatch carries the leak flow at ~1e-4 Pa).
    """
    st = parse_station(TWO_MODULES)
    duration = 14 * 86400.0
    t_eval = np.concatenate([[0.0, 1.0, 10.0, 60.0], np.linspace(120.0, duration, 300)])
    res = simulate(st, duration, t_eval=t_eval)
    p = res.pressure_Pa
    assert np.all(np.isfinite(p))
    assert np.all(p > 0.0)
    after = res.time_s >= 60.0
    assert np.abs(p[after, 0] - p[after, 1]).max() < 1.0  # [Pa]
    r, g = air_r_gamma(295.0)
    tau = tau_closed(200.0, math.pi * 0.001**2 / 4.0, g, r, 295.0)
    p_mean0 = (101325.0 + 100000.0) / 2.0
    closed = p_mean0 * math.exp(-duration / tau)
    assert closed < 0.45 * p_mean0  # a real decay over the fortnight
    assert p[-1, 0] == pytest.approx(closed, rel=1e-3, abs=0)
    assert p[-1, 1] == pytest.approx(closed, rel=1e-3, abs=0)
    np.testing.assert_allclose(p[after].mean(axis=1), p_mean0 * np.exp(-res.time_s[after] / tau),
                               rtol=1e-3, atol=0)


def test_iss_year_leak_law_exact_to_the_end():
    """Issue 10: a year of the ISS with a 2 mm hole in the Soyuz orbital module, on the
    full network. The station is isothermal with its crew's air made good by the life
    support, so the isothermal closed form applies: p/p0 = exp(−t/τ), one time constant
    over the whole run, down to 0.34 Pa at the end. A leak law made linear below 1 Pa
    (the old regularisation of every orifice) left 0.48 Pa there, 42 % high."""
    from cabinleak.locate.campaign import parse_leak_spec

    iss = load_station("iss")
    year_s = 365.25 * 86400.0
    res = simulate(iss, year_s, leaks=[parse_leak_spec("soyuz-om:2mm", iss)],
                   model="network", n_out=50)
    p = res.pressure_Pa[:, 0]
    rate = -np.log(p[1:] / p[0]) / res.time_s[1:]  # 1/τ from each output time
    assert p[-1] < 1.0  # the run reaches the part where the old law was linear
    assert rate[-1] == pytest.approx(rate[0], rel=1e-4, abs=0)
