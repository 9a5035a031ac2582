"""Conservation invariants of the network simulator, and batch-versus-single identity."""

from __future__ import annotations

import numpy as np
import pytest

from cabinleak.physics import gas
from cabinleak.simulate import HatchEvent, Scenario, simulate, simulate_batch
from cabinleak.station import Leak, Station, parse_station


def four_modules(thermal: tuple[str, str, str, str],
                 pressures: tuple[float, float, float, float] = (101325, 99000, 97000, 90000),
                 ) -> Station:
    """Four modules of mixed volume, pressure and temperature; hatch ``cd`` starts closed."""
    tk = (295.0, 300.0, 290.0, 293.0)
    vol = (120.0, 60.0, 25.0, 8.0)
    text = ['name = "four"']
    for mid, v, p, t, th in zip("abcd", vol, pressures, tk, thermal, strict=True):
        text += ["[[module]]", f'id = "{mid}"', f"volume_m3 = {v}", f"pressure_Pa = {p}",
                 f"temperature_K = {t}", f'thermal = "{th}"']
        if th == "wall":
            text.append("wall_conductance_W_per_K = 50")
    for hid, a, b, area, is_open in (("ab", "a", "b", 0.8, True), ("bc", "b", "c", 0.5, True),
                                     ("ac", "a", "c", 0.01, True), ("cd", "c", "d", 0.3, False)):
        text += ["[[hatch]]", f'id = "{hid}"', f'between = ["{a}", "{b}"]', f"area_m2 = {area}",
                 f"open = {'true' if is_open else 'false'}"]
    return parse_station("\n".join(text))


OPEN_CD = HatchEvent(1800.0, "cd", open=True)


def test_closed_network_isothermal_conserves_mass() -> None:
    """No leak, all modules isothermal (at 295, 300, 290 and 293 K): total mass constant
    to 1e-9 (measured 7e-16), the closed hatch holds until its event, and the network
    settles at the pressure that holds the same mass, p = M/Σ(V_i/(R·T_i))."""
    st = four_modules(("isothermal",) * 4)
    res = simulate(st, 7200.0, events=[OPEN_CD], n_out=241)
    m = res.total_mass_kg
    assert np.abs(m / m[0] - 1.0).max() < 1e-9
    assert np.all(res.pressure_Pa > 0.0)
    # d is sealed off until 1800 s
    before = res.time_s <= 1800.0
    np.testing.assert_allclose(res.mass_kg[before, 3], res.mass_kg[0, 3], rtol=1e-12)
    assert res.mass_kg[-1, 3] > res.mass_kg[0, 3] * 1.05
    r = float(gas.gas_constant(gas.AIR_MASS_FRACTIONS))
    p_eq = m[0] * r / np.sum(res.volume_m3 / res.temperature_K[0])
    np.testing.assert_allclose(res.pressure_Pa[-1], p_eq, rtol=1e-6)


def test_closed_network_mixed_thermal_conserves_mass_and_energy() -> None:
    """No leak, modules a isothermal, b and d adiabatic, c with a wall conductance:
    total mass constant to 1e-6 (measured 7e-16).

    And with every module adiabatic, the network is a rigid, insulated closed system,
    so its internal energy U = Σ M_i·u(T_i) is constant (first law, no work, no heat):
    |ΔU| below 1e-6 of Σ M_i·cv·T_i (measured 3.4e-10).
    """
    st = four_modules(("isothermal", "adiabatic", "wall", "adiabatic"))
    res = simulate(st, 7200.0, events=[OPEN_CD], n_out=121)
    m = res.total_mass_kg
    assert np.abs(m / m[0] - 1.0).max() < 1e-6
    assert np.all(np.isfinite(res.temperature_K))

    st = four_modules(("adiabatic",) * 4)
    res = simulate(st, 7200.0, events=[OPEN_CD], n_out=121)
    m = res.total_mass_kg
    assert np.abs(m / m[0] - 1.0).max() < 1e-6
    y = gas.AIR_MASS_FRACTIONS
    u = gas.species_internal_energy(res.temperature_K) @ y  # [nt, n] J/kg
    energy = np.sum(res.mass_kg * u, axis=1)
    scale = float(np.sum(res.mass_kg[0] * gas.cv_mixture(y, res.temperature_K[0])
                         * res.temperature_K[0]))
    assert np.abs(energy - energy[0]).max() < 1e-6 * scale
    # and the pressures equalised after d was opened
    assert np.ptp(res.pressure_Pa[-1]) < 1.0  # [Pa]


def test_mass_lost_equals_vented_integral() -> None:
    """With a leak: M(0) − M(t) equals ∫ vented_kg_per_s dt (trapezoid on 2001 outputs)
    to 1e-4. Initial pressures are equal so no fast transient hides between outputs;
    the hatch to the sealed module d opens at an output time (measured 1.5e-6)."""
    st = four_modules(("isothermal",) * 4, pressures=(101325,) * 4)
    leak = Leak(module="c", diameter_m=0.004, discharge_coefficient=0.6)
    duration = 6 * 3600.0
    res = simulate(st, duration, leaks=[leak], events=[HatchEvent(10800.0, "cd", open=True)],
                   n_out=2001)
    assert 10800.0 in res.time_s
    m = res.total_mass_kg
    lost = m[0] - m
    q = res.vented_kg_per_s
    assert np.all(q >= 0.0)
    vented = np.concatenate([[0.0], np.cumsum(0.5 * np.diff(res.time_s) * (q[1:] + q[:-1]))])
    assert lost[-1] > 0.1 * m[0]  # a real decay
    np.testing.assert_allclose(vented[1:], lost[1:], rtol=1e-4)
    # vented_kg() is the mass balance itself (no supply, no crew): exact to rounding
    np.testing.assert_allclose(res.vented_kg(), lost, rtol=1e-12, atol=0)


@pytest.mark.slow  # four simulations with adiabatic modules: about 5 s
def test_batch_equals_single_runs() -> None:
    """simulate_batch of three scenarios gives the pressures and temperatures of three
    single simulate calls to 1e-9 (each scenario keeps its own step sizes)."""
    st = four_modules(("isothermal", "adiabatic", "isothermal", "adiabatic"))
    scenarios = [
        Scenario(),
        Scenario(leaks=(Leak(module="c", diameter_m=0.003),), events=(OPEN_CD,)),
        Scenario(leaks=(Leak(module="b", diameter_m=0.002, start_s=600.0),),
                 events=(OPEN_CD, HatchEvent(3000.0, "ab", open=False))),
    ]
    batch = simulate_batch(st, scenarios, 3600.0, n_out=61)
    assert len(batch) == 3
    for i, sc in enumerate(scenarios):
        single = simulate(st, 3600.0, leaks=sc.leaks, events=sc.events, n_out=61)
        np.testing.assert_allclose(batch[i].pressure_Pa, single.pressure_Pa, rtol=1e-9, atol=0)
        np.testing.assert_allclose(batch[i].temperature_K, single.temperature_K, rtol=1e-9,
                                   atol=0)
    # the scenarios differ from each other
    assert np.ptp(batch.final_pressure_Pa[:, 3]) > 1000.0


@pytest.mark.parametrize("thermal", ["isothermal", "adiabatic"])
def test_pressure_never_negative_during_fast_blowdown(thermal: str) -> None:
    """A 1 m³ module with a 50 mm hole loses 98 % of its pressure in 15 s: no negative
    or NaN pressure, and the mass decreases monotonically."""
    st = parse_station(f"""
name = "fast"
[[module]]
id = "m"
volume_m3 = 1.0
thermal = "{thermal}"
[[leak]]
module = "m"
diameter_mm = 50
discharge_coefficient = 0.8
""")
    res = simulate(st, 15.0, n_out=31)  # τ = 3.2 s; about 5τ
    p = res.pressure("m")
    assert np.all(np.isfinite(p))
    assert np.all(p >= 0.0)
    assert p[-1] < 0.02 * p[0]
    assert np.all(np.diff(res.mass_kg[:, 0]) <= 0.0)
