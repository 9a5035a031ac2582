"""Stuffed Whipple and multi-shock ballistic limits: closed forms written out by hand.

No printed worked example of either equation was reachable; the checks below evaluate
the published equations (Christiansen & Kerr, IJIE 26 (2001); NASA/TM-2009-214785 §4;
NASA/TP-2003-210788) by hand, in their own units (cm, g/cm², km/s, ksi), and test the
regime structure. tests/test_stuffed_whipple_database.py checks them against test shots.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cabinleak.attribute import AttributeModelError
from cabinleak.attribute import ballistic as bl

# ISS-type stuffed Whipple: 0.2 cm 6061-T6 bumper (2.713 g/cm³), 0.6 g/cm² Nextel+Kevlar,
# 11.4 cm, 0.48 cm 2219-T87 wall (2.84 g/cm³, 57 ksi), 2.796 g/cm³ projectile.
ISS = dict(bumper_m=0.002, wall_m=0.0048, standoff_m=0.114)


def stuffed(v_km_s: float, angle: float = 0.0) -> float:
    return float(bl.stuffed_whipple_critical_diameter(
        ISS["bumper_m"], ISS["wall_m"], ISS["standoff_m"], v_km_s * 1e3,
        stuffing_areal_density_kg_m2=6.0, angle_deg=angle)) * 100


def test_stuffed_whipple_hypervelocity_written_out() -> None:
    """V ≥ 6.5 km/s, normal: d = 0.6·(t_w ρ_w)^(1/3) ρp^(-1/3) V^(-1/3) S^(2/3) (σ/40)^(1/6);
    the stuffing (0.6 g/cm²) is 24 % of the 2.506 g/cm² shield, so K_H = 0.6."""
    closed = (0.6 * (0.48 * 2.84) ** (1 / 3) * 2.796 ** (-1 / 3) * 8.0 ** (-1 / 3)
              * 11.4 ** (2 / 3) * (57 / 40) ** (1 / 6))
    assert stuffed(8.0) == pytest.approx(closed, rel=1e-12, abs=0)


def test_stuffed_whipple_ballistic_written_out() -> None:
    """V ≤ 2.6 km/s: d = 2.35 V^(-2/3) ρp^(-1/2) (t_w (σ/40)^0.5 + 0.37 m_b),
    m_b = 0.2·2.713 + 0.6 g/cm²."""
    m_b = 0.2 * 2.713 + 0.6
    closed = 2.35 * 2.0 ** (-2 / 3) * 2.796**-0.5 * (0.48 * (57 / 40) ** 0.5 + 0.37 * m_b)
    assert stuffed(2.0) == pytest.approx(closed, rel=1e-12, abs=0)


def test_stuffed_whipple_k_h_045_for_a_10_to_15_percent_stuffing() -> None:
    """HB09 p. 60 (as applied in pyBLOSSUM): K_H = 0.45 when the stuffing is 10-15 % of
    the shield's areal density. 0.27 g/cm² of 0.5426 + 0.27 + 1.3632 = 2.1758: 12.4 %."""
    ratio = float(bl.stuffed_whipple_critical_diameter(
        0.002, 0.0048, 0.114, 8000.0, stuffing_areal_density_kg_m2=2.7)) / (
        stuffed(8.0) / 100)
    assert ratio == pytest.approx(0.45 / 0.6, rel=1e-12, abs=0)


@pytest.mark.parametrize("angle", [0.0, 30.0, 60.0])
def test_stuffed_whipple_continuous_at_transitions(angle: float) -> None:
    c = math.cos(math.radians(angle))
    for v in (2.6 / c**0.5, 6.5 / c**0.75):
        lo, hi = stuffed(v - 1e-6, angle), stuffed(v + 1e-6, angle)
        assert lo == pytest.approx(hi, rel=1e-6, abs=0)


def test_stuffed_whipple_stops_more_than_the_bare_whipple() -> None:
    """The stuffing adds protection: at 7 km/s the stuffed shield's limit is above the
    same bumper and wall without it (JSC Whipple at the same standoff)."""
    whipple = float(bl.whipple_critical_diameter(0.002, 0.0048, 0.114, 7000.0)) * 100
    assert stuffed(7.0) > 1.3 * whipple


def test_multi_shock_written_out() -> None:
    """Hypervelocity (V ≥ 6.4/cos^0.25): d = 0.358 (t_w ρ_w)^(1/3) (σ/40)^(1/6) S^(2/3)
    / (ρp V cos θ)^(1/3); ballistic (V ≤ 2.4/cos^0.5): d = 2.0 (t_w (σ/40)^0.5 + 0.37 m_b)
    / (cos^(4/3) ρp^0.5 V^(2/3)); 0.4 g/cm² of Nextel, 0.32 cm 2219-T87, 30 cm."""
    hv = float(bl.multi_shock_critical_diameter(4.0, 0.0032, 0.30, 8000.0)) * 100
    assert hv == pytest.approx(0.358 * (0.32 * 2.84) ** (1 / 3) * (57 / 40) ** (1 / 6)
                               * 30 ** (2 / 3) / (2.796 * 8.0) ** (1 / 3), rel=1e-12, abs=0)
    lv = float(bl.multi_shock_critical_diameter(4.0, 0.0032, 0.30, 2000.0)) * 100
    assert lv == pytest.approx(2.0 * (0.32 * (57 / 40) ** 0.5 + 0.37 * 0.4)
                               / (2.796**0.5 * 2.0 ** (2 / 3)), rel=1e-12, abs=0)


def test_shields_are_vectorised() -> None:
    v = np.array([2e3, 5e3, 9e3])
    d = bl.stuffed_whipple_critical_diameter(0.002, 0.0048, 0.114, v,
                                             stuffing_areal_density_kg_m2=6.0)
    assert d.shape == (3,)
    assert d[2] == pytest.approx(stuffed(9.0) / 100, rel=1e-12, abs=0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"stuffing_areal_density_kg_m2": 0.0},
     r"stuffing_areal_density_kg_m2 must be > 0 kg/m², got 0"),
    ({"stuffing_areal_density_kg_m2": 6.0, "angle_deg": 80.0},
     r"angle_deg must be within \[0, 75\] deg, got 80"),
    ({"stuffing_areal_density_kg_m2": 6.0, "wall_yield_ksi": -5.0},
     r"wall_yield_ksi must be > 0 ksi, got -5"),
])
def test_stuffed_whipple_bad_input(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(AttributeModelError,
                       match=r"^stuffed Whipple ballistic limit \(Christiansen & Kerr\): "
                             + message + "$"):
        bl.stuffed_whipple_critical_diameter(0.002, 0.0048, 0.114, 7000.0, **kwargs)
