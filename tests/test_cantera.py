"""A three-volume network against Cantera's ReactorNet (Goodwin et al., Cantera 3,
https://cantera.org), built and run inside the test.

Volumes 50, 30 and 10 m³ of cabinleak's default air at 295 K and 101325, 95000 and
98000 Pa; a hatch (0.05 m², Cd 0.6) joins 1-2, an opening (0.02 m², Cd 0.6) joins 2-3,
and a 5 mm hole (Cd 0.6) vents volume 3 to vacuum. Each volume is an
``IdealGasReactor`` with its own ``Solution`` (N2/O2/CO2/H2O, GRI-Mech 3.0 thermo as
shipped in Cantera's gri30.yaml). Each opening is a pair of ``Valve``s, one per
direction (a Valve only flows forward), with ``valve_coeff = 1`` and a
``pressure_function`` written here from the isentropic orifice formula of
reference/physics.md, reading the upstream and downstream reactors' current P, T,
cp/cv and mean molar mass through a closure. Vacuum is a ``Reservoir`` at 1 Pa.

Cantera integrates with CVODES at rtol 1e-9; cabinleak with its own ROS2 integrator at
its default tolerances. Both carry the same physics (a rigid, well-mixed ideal gas per
volume; isenthalpic flow between volumes), so agreement should be near the integrators'
tolerances: measured at most 2.7e-6 on pressure, 1.8e-6 on temperature and 2.7e-6 on
mass over 2 h (adiabatic case; isothermal 1.7e-6), so the brief's 0.5 % is asserted as
1e-4.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from cabinleak.physics import gas
from cabinleak.simulate import SimulationResult, simulate
from cabinleak.station import parse_station

ct = pytest.importorskip("cantera")

VOLUMES_M3 = (50.0, 30.0, 10.0)
P0_PA = (101325.0, 95000.0, 98000.0)
T0_K = 295.0
#: (upstream index, downstream index, Cd·A [m²]) of the openings between volumes
OPENINGS = ((0, 1, 0.6 * 0.05), (1, 2, 0.6 * 0.02))
LEAK_CDA_M2 = 0.6 * math.pi * 0.005**2 / 4.0
#: Hatch regularisation of cabinleak (``linear_below_Pa`` default) [Pa]; see below.
EPS_PA = 1.0
DURATION_S = 7200.0
#: Comparison times [s]: from 10 s, once the first pressure equalisation is done.
TIMES_S = (10.0, 30.0, 60.0, 300.0, 1800.0, 3600.0, 7200.0)

CABINLEAK_STATION = """
name = "three-volumes"

[defaults]
thermal = "{thermal}"

[[module]]
id = "v1"
volume_m3 = 50
pressure_Pa = 101325
temperature_K = 295

[[module]]
id = "v2"
volume_m3 = 30
pressure_Pa = 95000
temperature_K = 295

[[module]]
id = "v3"
volume_m3 = 10
pressure_Pa = 98000
temperature_K = 295

[[hatch]]
id = "h12"
between = ["v1", "v2"]
area_m2 = 0.05
discharge_coefficient = 0.6

[[hatch]]
id = "h23"
between = ["v2", "v3"]
area_m2 = 0.02
discharge_coefficient = 0.6

[[leak]]
id = "hole"
module = "v3"
diameter_mm = 5
discharge_coefficient = 0.6
"""


def orifice_mdot(cda: float, p_up: float, t_up: float, p_down: float, r: float,
                 g: float) -> float:
    """Isentropic orifice mass flow [kg/s], choked or subsonic (reference/physics.md;
    Shapiro 1953 Eqs. 4.17-4.18), written out independently of cabinleak."""
    if p_up <= p_down:
        return 0.0
    ratio = p_down / p_up
    r_star = (2.0 / (g + 1.0)) ** (g / (g - 1.0))
    if ratio <= r_star:
        return cda * p_up * math.sqrt(g / (r * t_up)) * (2.0 / (g + 1.0)) ** (
            (g + 1.0) / (2.0 * (g - 1.0)))
    return cda * p_up * math.sqrt(2.0 * g / ((g - 1.0) * r * t_up)
                                  * (ratio ** (2.0 / g) - ratio ** ((g + 1.0) / g)))


def cabin_air_solution(pressure_Pa: float) -> Any:
    """A new 4-species Solution at 295 K holding cabinleak's default air."""
    species = [s for s in ct.Species.list_from_file("gri30.yaml") if s.name in gas.SPECIES]
    sol = ct.Solution(thermo="ideal-gas", species=species)
    sol.TPX = T0_K, pressure_Pa, dict(zip(gas.SPECIES, map(float, gas.AIR_MOLE_FRACTIONS),
                                          strict=True))
    return sol


def new_node(cls: Any, sol: Any, **kwargs: object) -> Any:
    """A reactor or reservoir that uses ``sol`` itself as its contents.

    Cantera 3.2 asks for ``clone`` explicitly (its default becomes a private copy after
    3.2); 3.0 and 3.1 have no such argument and always share the Solution.
    """
    try:
        return cls(sol, clone=False, **kwargs)
    except TypeError:
        return cls(sol, **kwargs)


def run_cantera(energy: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Pressures, temperatures and masses [len(TIMES_S), 3] of the Cantera network, and
    the largest mismatch seen inside the valve callbacks between the pressures they
    read from the reactors and the pressure drop Cantera passed in (relative to p)."""
    sols = [cabin_air_solution(p) for p in P0_PA]
    reactors = [new_node(ct.IdealGasReactor, s, energy=energy) for s in sols]
    for r, v in zip(reactors, VOLUMES_M3, strict=True):
        r.volume = v
    vacuum = cabin_air_solution(1.0)
    sink = new_node(ct.Reservoir, vacuum)
    mismatch = [0.0]

    def valve_law(up: Any, down: Any, cda: float,
                  regularize: bool) -> Callable[[float], float]:
        # The reactors' Solutions hold the state the integrator is evaluating:
        # ReactorNet sets every reactor's phase from the solution vector before it
        # evaluates flow devices. The check against Cantera's own Δp argument proves it.
        def f(dp: float) -> float:
            p_up, p_down = up.P, down.P
            mismatch[0] = max(mismatch[0], abs((p_up - p_down) - dp) / p_up)
            r = ct.gas_constant / up.mean_molecular_weight
            m = orifice_mdot(cda, p_up, up.T, p_down, r, up.cp_mass / up.cv_mass)
            if regularize:
                # Modelica.Fluid regRoot-type regularisation, the same law cabinleak uses
                # for hatches below 1 Pa: m·sqrt(|Δp|/sqrt(Δp² + ε²)). Without it the
                # exact law's infinite slope at Δp = 0 made CVODES chatter at
                # equilibrium: the adiabatic run took 22 s at rtol 1e-9, and at rtol
                # 1e-6 to 1e-8 it hit its 20000-step limit within the first minute.
                # Above ~30 Pa the factor differs from 1 by less than 1e-4.
                d = max(p_up - p_down, 0.0)
                m *= math.sqrt(d / math.hypot(d, EPS_PA))
            return max(m, 0.0)

        return f

    valves = []
    for a, b, cda in OPENINGS:
        for u, d in ((a, b), (b, a)):
            v = ct.Valve(reactors[u], reactors[d])
            v.valve_coeff = 1.0
            v.pressure_function = valve_law(sols[u], sols[d], cda, regularize=True)
            valves.append(v)
    leak = ct.Valve(reactors[2], sink)
    leak.valve_coeff = 1.0
    leak.pressure_function = valve_law(sols[2], vacuum, LEAK_CDA_M2, regularize=False)
    valves.append(leak)

    net = ct.ReactorNet(reactors)
    net.rtol = 1e-9
    net.atol = 1e-12
    p, t, m = (np.empty((len(TIMES_S), 3)) for _ in range(3))
    for k, tk in enumerate(TIMES_S):
        net.advance(tk)
        p[k] = [s.P for s in sols]
        t[k] = [s.T for s in sols]
        m[k] = [r.mass for r in reactors]
    return p, t, m, mismatch[0]


def run_cabinleak(thermal: str) -> SimulationResult:
    st = parse_station(CABINLEAK_STATION.format(thermal=thermal))
    return simulate(st, DURATION_S, t_eval=[0.0, *TIMES_S])


@pytest.mark.parametrize(("thermal", "energy"), [("isothermal", "off"), ("adiabatic", "on")])
def test_three_volumes_vs_cantera(thermal: str, energy: str) -> None:
    p_ref, t_ref, m_ref, mismatch = run_cantera(energy)
    assert mismatch < 1e-12  # the callbacks saw the state Cantera integrates
    res = run_cabinleak(thermal)
    assert res.time_s[1:].tolist() == list(TIMES_S)
    p, t, m = res.pressure_Pa[1:], res.temperature_K[1:], res.mass_kg[1:]

    # it is a real transient: equalisation then a 17-25 % drop over two hours
    assert p_ref[-1].max() < 0.85 * P0_PA[0]
    np.testing.assert_allclose(p, p_ref, rtol=1e-4, atol=0)
    np.testing.assert_allclose(t, t_ref, rtol=1e-4, atol=0)
    np.testing.assert_allclose(m, m_ref, rtol=1e-4, atol=0)
    if thermal == "adiabatic":
        # compression heats v2 and expansion cools v1 by kelvins: the energy
        # equations were exercised, not only the mass balance
        assert t_ref[0, 1] - t_ref[0, 0] > 3.0
        assert t_ref[-1].max() < T0_K - 15.0
    else:
        np.testing.assert_array_equal(t, T0_K)


def test_species_thermo_is_gri30() -> None:
    """cabinleak's NASA-7 species cp and h equal Cantera's gri30.yaml (GRI-Mech 3.0) to
    1e-9, and its molar masses equal Cantera's; the only difference is the value of
    R_u (CODATA 2018 in cabinleak, 2e-11 apart)."""
    sol = cabin_air_solution(101325.0)
    idx = [sol.species_index(s) for s in gas.SPECIES]
    mw = sol.molecular_weights[idx] / 1000.0  # [kg/mol]
    np.testing.assert_allclose(gas.MOLAR_MASS, mw, rtol=1e-12, atol=0)
    for t in (250.0, 295.0, 320.0):
        sol.TP = t, 101325.0
        cp = sol.standard_cp_R[idx] * ct.gas_constant / sol.molecular_weights[idx]
        h = sol.standard_enthalpies_RT[idx] * ct.gas_constant * t / sol.molecular_weights[idx]
        np.testing.assert_allclose(gas.species_cp(t), cp, rtol=1e-9, atol=0)
        # h of N2 and O2 is near zero at 298 K: compare against the scale cp·T
        assert np.all(np.abs(gas.species_enthalpy(t) - h) < 1e-9 * cp * t)
    sol.TP = 295.0, 101325.0
    assert float(gas.gamma_mixture(gas.AIR_MASS_FRACTIONS, 295.0)) == pytest.approx(
        sol.cp_mass / sol.cv_mass, rel=1e-9, abs=0)
