"""MMOD physics against values printed in published sources (issue 11).

Abbreviations: HB09 = Hyde, Christiansen et al., *Handbook for Designing MMOD Protection*,
NASA/TM-2009-214785; TM789 = Ryan & Christiansen, *Micrometeoroid and Orbital Debris (MMOD)
Shield Ballistic Limit Analysis Program*, NASA/TM-2009-214789; C93 = Christiansen, *Design
and performance equations for advanced meteoroid and debris shields*, IJIE 14 (1993).
Every reference number below is typed in from the source named in its test's docstring;
where the project differs from a published value on purpose, the test says so.
"""

from __future__ import annotations

import pytest

from cabinleak.attribute import ballistic as bl
from cabinleak.attribute import environment as env

YEAR_S = 365.25 * 86400.0

# ------------------------------------------------------------------ meteoroid flux

SSP_30425B_METEOROIDS_3MM = [
    (300.0, 2.69e-5), (400.0, 2.79e-5), (500.0, 2.86e-5),
    (800.0, 3.00e-5), (1000.0, 3.07e-5), (1500.0, 3.16e-5),
]


@pytest.mark.parametrize(("altitude_km", "published"), SSP_30425B_METEOROIDS_3MM)
def test_meteoroid_flux_matches_ssp_30425b(altitude_km: float, published: float) -> None:
    """HB09 Table 2-3: SSP 30425B flux of meteoroids ≥ 3 mm (1.0 g/cm³) on a randomly
    tumbling surface [#/m²/yr] at 300-1500 km; issue 11 asks for 2 %."""
    got = float(env.meteoroid_flux(3e-3, altitude_km * 1e3, 1000.0)) * YEAR_S
    assert got == pytest.approx(published, rel=0.02, abs=0)


def test_meteoroid_flux_without_motion_factor_was_low() -> None:
    """Without the spacecraft-motion factor K the flux was 11-13 % below SSP 30425B
    (HB09 Table 2-3, 2.79e-5 #/m²/yr at 400 km): the gap K closes."""
    without_k = (float(env.meteoroid_flux(3e-3, 400e3))
                 / float(env.spacecraft_motion_factor(400e3)) * YEAR_S)
    assert 0.87 < without_k / 2.79e-5 < 0.89


# ------------------------------------------------------------------------- materials

TM789_TABLE_1 = [
    # alloy, density [kg/m³], yield [ksi], sound speed [m/s], Brinell
    ("Al2219-T87", 2840.0, 57.0, 5100.0, 130.0),
    ("Al2024-T3", 2770.0, 50.0, 5110.0, 120.0),
]


@pytest.mark.parametrize(("name", "rho", "yield_ksi", "c", "bh"), TM789_TABLE_1)
def test_materials_are_tm789_table_1(name: str, rho: float, yield_ksi: float, c: float,
                                     bh: float) -> None:
    """TM789 Table 1 (typical properties the JSC equations were calibrated with); 57 ksi for
    2219-T87 also HB09 p. 56."""
    m = bl.wall_material(name)
    assert m.density_kg_m3 == rho
    assert m.yield_strength_Pa / bl.PA_PER_KSI == pytest.approx(yield_ksi, rel=1e-12, abs=0)
    assert m.sound_speed_m_s == c
    assert m.brinell_hardness == bh


def test_6061_t6_tm789_and_hb09() -> None:
    """TM789 Table 1: 6061-T6 yield 40 ksi, BH 95, ρ 2.70 g/cm³, c 5.05 km/s. Differs on
    purpose: the project keeps HB09's bumper density 2.713 g/cm³ (p. 56) and c = 5.10 km/s,
    the values of the JSC single-wall reference vectors (reference/physics.md)."""
    m = bl.wall_material("Al6061-T6")
    assert m.yield_strength_Pa / bl.PA_PER_KSI == pytest.approx(40.0, rel=1e-12, abs=0)
    assert m.brinell_hardness == 95.0
    assert m.density_kg_m3 == 2713.0  # HB09 p. 56 bumper, not TM789's 2700
    assert m.density_kg_m3 != 2700.0
    assert m.sound_speed_m_s == 5100.0  # JSC vectors, not TM789's 5050


def test_projectile_is_2017_t4() -> None:
    """HB09 p. 56: projectile aluminium 2017-T4, 2.796 g/cm³."""
    assert bl.DEFAULT_PROJECTILE_DENSITY_KG_M3 == 2796.0
