"""Large hatch networks: the sparse implicit solves (issue 10, item 4).

From ``step_isothermal.SPARSE_FROM_MODULES`` modules the RODAS stages factorise sparse
matrices instead of inverting dense ones. Checked here:

- the sparse path gives the dense path's answer on the ISS with its crew and supplies
  (both solve the same linear systems, so they agree to rounding, not to a tolerance);
- 3000 modules in a random tree of open hatches (refused before: more than 2000
  modules) vent through a 2 mm hole as one volume: p = p0·exp(−t/τ), τ = V/(Cd·A·Ψ·√(RT))
  (the isothermal blowdown of ``reference/physics.md``, written out here).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cabinleak.physics import gas
from cabinleak.simulate import simulate, step_isothermal
from cabinleak.station import Leak, load_station, parse_station

R_U = 8.314462618  # J/(mol·K), CODATA 2018
W = {"N2": 28.014e-3, "O2": 31.998e-3, "CO2": 44.009e-3, "H2O": 18.015e-3}  # kg/mol, IUPAC
T0 = 295.0


def tree_station(n: int, seed: int = 1) -> str:
    """n modules of 5-100 m³, each joined by an open 0.8 m hatch to a module before it
    drawn at random (a random recursive tree: about ln n hatches deep, so the modules
    equalise in seconds; a chain of 3000 would take hours through the linear part of
    the regularised hatch law)."""
    rng = np.random.default_rng(seed)
    out = [f'name = "tree{n}"']
    for i in range(n):
        out += ["[[module]]", f'id = "m{i}"', f"volume_m3 = {rng.uniform(5, 100):.3f}",
                "pressure_Pa = 101325", f"temperature_K = {T0}"]
    for i in range(1, n):
        parent = int(rng.integers(0, i))
        out += ["[[hatch]]", f'id = "h{i}"', f'between = ["m{parent}", "m{i}"]',
                "diameter_m = 0.8"]
    return "\n".join(out)


def test_sparse_solves_match_dense_on_the_iss(monkeypatch: pytest.MonkeyPatch) -> None:
    """ISS with crew, life support and a repress supply: the composition changes, so
    both factorised systems (total moles and each species) are exercised."""
    st = load_station("iss")
    leak = Leak(module="soyuz-om", diameter_m=2e-3, discharge_coefficient=0.6)
    dense = simulate(st, 2 * 86400.0, leaks=[leak], n_out=9, model="network")
    monkeypatch.setattr(step_isothermal, "SPARSE_FROM_MODULES", 1)
    sparse = simulate(st, 2 * 86400.0, leaks=[leak], n_out=9, model="network")
    np.testing.assert_allclose(sparse.pressure_Pa, dense.pressure_Pa, rtol=1e-10, atol=0)
    np.testing.assert_allclose(sparse.mole_fractions, dense.mole_fractions, rtol=0,
                               atol=1e-12)


def test_three_thousand_modules_vent_as_one_volume() -> None:
    st = parse_station(tree_station(3000), source="tree3000.toml")
    leak = Leak(module="m2999", diameter_m=2e-3, discharge_coefficient=0.6)
    res = simulate(st, 3600.0, leaks=[leak], n_out=5, model="network")
    y = np.array(st.modules[0].mass_fractions)
    r = float(sum(yk * R_U / W[k] for yk, k in zip(y, gas.SPECIES, strict=True)))
    g = float(gas.gamma_mixture(y, T0))
    psi = math.sqrt(g) * (2.0 / (g + 1.0)) ** ((g + 1.0) / (2.0 * (g - 1.0)))
    volume = sum(m.volume_m3 for m in st.modules)
    tau = volume / (leak.cd_area_m2 * psi * math.sqrt(r * T0))
    expected = 101325.0 * np.exp(-res.time_s / tau)
    assert res.pressure_Pa.shape == (5, 3000)
    np.testing.assert_allclose(res.pressure_Pa, expected[:, None] * np.ones(3000),
                               rtol=1e-6, atol=0)
