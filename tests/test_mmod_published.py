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


# ------------------------------------------------------------------------ single wall


@pytest.mark.parametrize(("v_km_s", "published_cm"),
                         [(1.0, 1.7026), (3.0, 0.85069), (7.0, 0.49815), (15.0, 0.30783)])
def test_single_wall_blap_curve(v_km_s: float, published_cm: float) -> None:
    """pyBLOSSUM validation/singleWall.xlsx, BLAP curve (reference/physics.md): 6061-T651,
    t = 1.5 cm, BH 73, C = 5.069 km/s, ρp = 2.8 g/cm³, 60°, detached spall (k = 2.2).
    The target density is not stated there; 2.713 g/cm³ (HB09's 6061-T6) reproduces all
    four points to the printed digits. A check of the transcription of the equation
    (the curve was generated from it), not test data."""
    target = bl.WallMaterial("6061-T651", 2713.0, 73.0, 5069.0, 1.0)
    got = float(bl.single_wall_critical_diameter(
        0.015, v_km_s * 1e3, angle_deg=60.0, target=target, projectile_density_kg_m3=2800.0,
        k=2.2)) * 100
    assert got == pytest.approx(published_cm, rel=5e-5, abs=0)


def test_single_wall_beta_switch() -> None:
    """HB09 eqs. 4-1, 4-2, 4-6 and C93 eqs. 1a/1b: β = 1/2 for ρp/ρt < 1.5, β = 2/3 for
    ρp/ρt ≥ 1.5, in d_c ∝ (ρt/ρp)^(18β/19)·ρp^0 (other factors equal). pyBLOSSUM's
    BLE_singleWall.py uses 3/2 for the dense branch, which all three sources contradict."""
    def d(rho_p: float) -> float:
        return float(bl.single_wall_critical_diameter(0.002, 7000.0,
                                                      projectile_density_kg_m3=rho_p))
    rho_t = 2713.0
    light, heavy = 2.0 * rho_t / 3.0, 3.0 * rho_t  # ratios 0.667 and 3.0
    assert d(light) / d(rho_t) == pytest.approx((rho_t / light) ** (0.5 * 18 / 19),
                                                rel=1e-12, abs=0)
    assert d(heavy) / d(2.0 * rho_t) == pytest.approx(
        (2.0 * rho_t / heavy) ** (2 / 3 * 18 / 19), rel=1e-12, abs=0)
    below, above = d(1.5 * rho_t * (1 - 1e-9)), d(1.5 * rho_t * (1 + 1e-9))  # switch at 1.5
    assert above / below == pytest.approx(1.5 ** ((0.5 - 2 / 3) * 18 / 19), rel=1e-6, abs=0)


def test_single_wall_validated_range_differs_on_purpose() -> None:
    """HB09 Table 4-1: validated 0-85°, below 8 km/s. Differs on purpose: the project
    accepts 0-75° (the Whipple equations' range) and 1-72 km/s (meteoroid speeds, an
    extrapolation beyond the test data, see ballistic.SPEED_RANGE_M_S)."""
    assert bl.ANGLE_RANGE_DEG == (0.0, 75.0)
    assert bl.SPEED_RANGE_M_S == (1.0e3, 72.0e3)


# ----------------------------------------------------------------------------- Whipple


def test_whipple_example_materials() -> None:
    """HB09 p. 56-57 example parameters: rear wall 2219-T87 σ = 57 ksi; projectile 2017-T4
    2.796 g/cm³; bumper 6061-T6 2.713 g/cm³ (the defaults of whipple_critical_diameter).
    The handbook's example configurations (t_b 0.16 / t_w 0.48 / S 12.217 cm and
    0.25 / 0.64 / 12.07 cm) print no ballistic limit in the copy available here, so no
    diameter is tested for them."""
    assert bl.wall_material("Al2219-T87").yield_strength_Pa == pytest.approx(
        57 * bl.PA_PER_KSI, rel=1e-12, abs=0)
    assert bl.wall_material("Al6061-T6").density_kg_m3 == 2713.0
    assert bl.DEFAULT_PROJECTILE_DENSITY_KG_M3 == 2796.0


def test_whipple_shatter_constants() -> None:
    """HB09 eq. 4-25: the shatter-regime constants 1.248 and 1.071 are 0.6·3^(2/3) and
    3.918·7^(-2/3); the original equation (no de-rating) is linear in V_n between the
    ballistic value at 3 km/s and the hypervelocity value at 7 km/s."""
    assert 0.6 * 3 ** (2 / 3) == pytest.approx(1.248, rel=0, abs=5e-4)
    assert 3.918 * 7 ** (-2 / 3) == pytest.approx(1.071, rel=0, abs=5e-4)
    args = (0.00127, 0.00318, 0.1016)
    d3, d5, d7 = (float(bl.whipple_critical_diameter(*args, v, thin_bumper_derating=False))
                  for v in (3000.0, 5000.0, 7000.0))
    assert d5 == pytest.approx(0.5 * (d3 + d7), rel=1e-12, abs=0)


def test_whipple_obliquity_above_65_uses_65() -> None:
    """HB09 eq. 4-26: for θ > 65° the equation is evaluated at 65°."""
    args = (0.00127, 0.00318, 0.1016, 9000.0)
    assert (float(bl.whipple_critical_diameter(*args, angle_deg=70.0))
            == float(bl.whipple_critical_diameter(*args, angle_deg=65.0)))


# ------------------------------------------------------------- environment constants


def test_meteoroid_constants() -> None:
    """NASA TM-4527 (and MEM 3 guide §1.1): mean speed 19 km/s; SSP 30425B practice:
    1.0 g/cm³; ECSS C.1.3.1: R_E = 6378 km plus 100 km of atmosphere."""
    assert env.METEOROID_SPEED_KM_S == 19.0
    assert env.METEOROID_DENSITY_KG_M3 == 1000.0
    assert (env.EARTH_RADIUS_KM, env.ATMOSPHERE_TOP_KM) == (6378.0, 100.0)


def test_debris_density() -> None:
    """NASA-91 / HB09: orbital-debris density 2.8 g/cm³."""
    assert env.DEBRIS_DENSITY_KG_M3 == 2800.0


def test_nasa91_flux_from_the_transcribed_constants() -> None:
    """reference/physics.md (secondary transcriptions of NASA-91): H(d), Φ1, F1, F2,
    q = 0.02, q' = 0.04 after 2011, p = 0.05; evaluated here by hand at 0.3 cm, 400 km,
    45° (ψ = 0.990), 2015, S = 120 sfu."""
    import math
    d, h, t, s = 0.3, 400.0, 2015.0, 120.0
    h_d = math.sqrt(10 ** math.exp(-(((math.log10(d) - 0.78) / 0.637) ** 2)))
    phi1 = 10 ** (h / 200 - s / 140 - 1.5)
    g1 = 1.02**23 * 1.04 ** (t - 2011)
    g2 = 1 + 0.05 * (t - 1988)
    per_year = (phi1 / (phi1 + 1) * 0.990
                * (h_d * 1.22e-5 * d**-2.5 * g1 + 8.1e10 * (d + 700) ** -6 * g2))
    got = float(env.debris_flux(d / 100, h * 1e3, 45.0, t, s)) * YEAR_S
    assert got == pytest.approx(per_year, rel=1e-9, abs=0)


def test_nasa91_inclination_function() -> None:
    """ψ(45°) = 0.990, ψ(52°) = 1.030 (two secondary transcriptions, reference/physics.md).
    Differs at 52°: the project's table interpolates 1.034 there (0.4 % above); no primary
    printing of the table was found to settle it."""
    assert float(env.debris_inclination_factor(45.0)) == pytest.approx(0.990, rel=0, abs=5e-4)
    assert float(env.debris_inclination_factor(52.0)) == pytest.approx(1.030, rel=0.005, abs=0)
    assert float(env.debris_inclination_factor(52.0)) != pytest.approx(1.030, rel=0, abs=5e-4)
