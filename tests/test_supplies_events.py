"""Gas supplies, crew metabolism and timed events, against hand-computed balances."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cabinleak.physics import gas
from cabinleak.simulate import SupplyEvent, simulate
from cabinleak.station import Leak, parse_station

ROOM = """
name = "room"
[[module]]
id = "room"
volume_m3 = 50
pressure = "760 mmHg"
temperature_K = 295
"""


def test_fixed_injection_adds_its_rate() -> None:
    st = parse_station(ROOM + """
[[supply]]
id = "n2"
module = "room"
gas = "N2"
mode = "fixed"
rate_kg_per_day = 8.64
""")
    res = simulate(st, 3600.0, n_out=5)
    gained = res.total_mass_kg[-1] - res.total_mass_kg[0]
    assert gained == pytest.approx(8.64 / 86400 * 3600, rel=1e-6, abs=0)
    # pure N2 in: the O2 mole fraction is diluted by exactly the added moles
    n0 = 101325.0 * 50 / (gas.R_UNIVERSAL * 295)
    n_add = gained / gas.MOLAR_MASS[0]
    x_o2 = res.mole_fractions[:, 0, 1]
    assert x_o2[-1] == pytest.approx(x_o2[0] * n0 / (n0 + n_add), rel=1e-6, abs=0)


def test_regulated_supply_balances_a_leak_inside_its_band() -> None:
    """Steady state: supply flow = leak flow, reached inside the regulator band."""
    st = parse_station(ROOM + """
[[leak]]
module = "room"
diameter_mm = 1
discharge_coefficient = 0.6
[[supply]]
id = "air"
module = "room"
gas = "air"
set_pressure = "760 mmHg"
band = "5 mmHg"
max_flow_kg_per_day = 20
""")
    res = simulate(st, 5 * 86400.0, n_out=6)
    p_end = res.pressure_Pa[-1, 0]
    leak = float(res.vented_kg_per_s[-1])
    supplied = float(res.supplied_kg_per_s[-1])
    assert supplied == pytest.approx(leak, rel=1e-4, abs=0)
    # proportional regulator: flow = max_flow·(p_set − p)/band  →  p = p_set − band·leak/max
    mmhg = 133.322387415
    expected = 760 * mmhg - 5 * mmhg * leak / (20 / 86400)
    assert p_end == pytest.approx(expected, abs=0.5)


def test_supply_event_switches_it_on() -> None:
    st = parse_station(ROOM + """
[[supply]]
id = "o2"
module = "room"
gas = "O2"
mode = "fixed"
rate_kg_per_day = 86.4
on = true
start = "1 h"
stop = "2 h"
""")
    res = simulate(st, 4 * 3600.0, t_eval=np.arange(0, 4 * 3600.0 + 1, 900.0))
    m = res.total_mass_kg
    assert m[4] == pytest.approx(m[0], rel=1e-12, abs=0)  # nothing before 1 h
    assert m[8] - m[4] == pytest.approx(3.6, rel=1e-6, abs=0)  # 1 g/s for an hour
    assert m[-1] == pytest.approx(m[8], rel=1e-12, abs=0)  # off after 2 h
    # an event switches it off half-way through its scheduled hour
    res2 = simulate(st, 4 * 3600.0, events=[SupplyEvent(5400.0, "o2", on=False)], n_out=3)
    assert res2.total_mass_kg[-1] - res2.total_mass_kg[0] == pytest.approx(1.8, rel=1e-6, abs=0)


def test_leak_start_time() -> None:
    st = parse_station(ROOM)
    late = Leak(module="room", diameter_m=2e-3, discharge_coefficient=1.0, start_s=3600.0)
    res = simulate(st, 7200.0, leaks=[late], t_eval=[0, 1800, 3600, 5400, 7200])
    p = res.pressure_Pa[:, 0]
    assert p[2] == pytest.approx(p[0], rel=1e-12, abs=0)
    # after the start: the isothermal choked blowdown from 3600 s (reference/physics.md)
    y = gas.AIR_MASS_FRACTIONS
    r, g = float(gas.gas_constant(y)), float(gas.gamma_mixture(y, 295.0))
    psi = math.sqrt(g) * (2 / (g + 1)) ** ((g + 1) / (2 * (g - 1)))
    tau = 50 / (math.pi * 1e-6 * psi * math.sqrt(r * 295))
    assert p[-1] == pytest.approx(p[0] * math.exp(-3600 / tau), rel=1e-4, abs=0)


def test_crew_uses_o2_and_makes_co2_at_the_bvad_rates() -> None:
    st = parse_station(ROOM + """
[[crew]]
module = "room"
count = 3
""")
    res = simulate(st, 86400.0, n_out=3)
    n = res.mass_kg[:, 0, None] * gas.mole_to_mass_fractions(res.mole_fractions[:, 0])
    # the BVAD rates the model cites (NASA/TP-2015-218570/Rev2): 0.82 kg O2 used, 1.04 kg CO2 made
    assert n[0, 1] - n[-1, 1] == pytest.approx(3 * 0.82, rel=1e-3, abs=0)
    assert n[-1, 2] - n[0, 2] == pytest.approx(3 * 1.04, rel=1e-3, abs=0)


def test_equivalent_diameter_round_trip() -> None:
    """area → Cd·A → diameter at the stated Cd returns the start (STYLE.md §10)."""
    from cabinleak.physics.flow import equivalent_diameter, hole_area

    for d_m, cd in ((1e-3, 0.6), (2e-3, 1.0), (0.2e-3, 0.85)):
        assert float(equivalent_diameter(cd * hole_area(d_m), cd)) == pytest.approx(
            d_m, rel=1e-12, abs=0)


def test_station_with_leaks_names_them_and_keeps_existing() -> None:
    st = parse_station(ROOM + """
[[leak]]
module = "room"
diameter_mm = 1
""")
    more = st.with_leaks([Leak(module="room", diameter_m=2e-3)])
    assert [lk.id for lk in more.leaks] == ["leak1", "leak2"]
    only = st.with_leaks([Leak(module="room", diameter_m=2e-3)], keep=False)
    assert len(only.leaks) == 1


def test_mass_added_by_a_regulator_switching_on_inside_a_step() -> None:
    """The ISS with a regulated air supply (750 mmHg, 5 kg/day) and a 2 mm hole: the
    regulator switches on after a few hours, a kink inside a step of hours. The mass added
    by 12 h is the integral of the supply flow, here by the trapezoid over 40,001 outputs
    of a run at rtol 1e-9 (0.4796 kg); the steps' own trapezoid was 1.5 % high."""
    import dataclasses

    from cabinleak.simulate import Tolerances
    from cabinleak.station import load_station

    iss = load_station("iss")
    st = iss.replace(crew=(), supplies=(dataclasses.replace(iss.supplies[0], gas="air",
                                                             on=True),))
    leak = [Leak(module="soyuz-om", diameter_m=2e-3)]
    fine = simulate(st, 12 * 3600.0, leaks=leak, t_eval=np.linspace(0.0, 12 * 3600.0, 40001),
                    model="network", tolerances=Tolerances(rtol=1e-9))
    truth = float(np.trapezoid(fine.supplied_kg_per_s, fine.time_s))
    for model in ("auto", "network"):
        res = simulate(st, 12 * 3600.0, leaks=leak, n_out=3, model=model)
        assert res.added_kg[-1] == pytest.approx(truth, rel=5e-3, abs=0), model
