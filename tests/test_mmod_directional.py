"""Directional MMOD environment: closed forms of the debris model and invariants.

Debris model (module notes of cabinleak.attribute.directional): headings uniform in
azimuth in the local horizontal plane at the station's orbital speed u. Per unit density,
the flux on a face with normal n is ⟨u·max(0, (1 − cos φ, −sin φ, 0)·n)⟩ over φ: u on ram,
u/π on port and on starboard, 0 on wake, zenith and nadir. Normalised so that the six
faces average 1: ram 6/(1 + 2/π), sides (6/π)/(1 + 2/π). On ram the arrival is
θ = |90° − φ/2| off the normal with weight sin²(φ/2), mean 2(π²/16 − 1/4)/(π/2) rad.
(Derived here by hand from the model, not taken from the code.)
"""

from __future__ import annotations

import math

import pytest

from cabinleak.attribute import AttributeModelError
from cabinleak.attribute import directional as dr

SIX = ("ram", "wake", "port", "starboard", "zenith", "nadir")


@pytest.mark.parametrize("population", ["debris", "meteoroid"])
def test_six_faces_average_to_the_tumbling_flux(population: str) -> None:
    mean = sum(dr.face_flux_factor(population, f) for f in SIX) / 6
    assert mean == pytest.approx(1.0, rel=1e-12, abs=0)
    assert dr.face_flux_factor(population, "tumbling") == 1.0
    assert dr.face_impact_angle_deg(population, "tumbling") == 45.0


def test_debris_closed_forms() -> None:
    ram = 6 / (1 + 2 / math.pi)
    side = (6 / math.pi) / (1 + 2 / math.pi)
    assert dr.face_flux_factor("debris", "ram") == pytest.approx(ram, rel=1e-6, abs=0)
    assert dr.face_flux_factor("debris", "port") == pytest.approx(side, rel=1e-6, abs=0)
    assert dr.face_flux_factor("debris", "starboard") == pytest.approx(side, rel=1e-6, abs=0)
    angle = math.degrees(2 * (math.pi**2 / 16 - 0.25) / (math.pi / 2))
    assert dr.face_impact_angle_deg("debris", "ram") == pytest.approx(angle, rel=1e-5, abs=0)


def test_no_debris_from_behind_above_or_below() -> None:
    for face in ("wake", "zenith", "nadir"):
        assert dr.face_flux_factor("debris", face) == 0.0
    assert dr.face_flux_factor("debris", "ram") > dr.face_flux_factor("debris", "port")


def test_meteoroids_from_all_sides_less_from_earth_more_on_ram() -> None:
    f = {face: dr.face_flux_factor("meteoroid", face) for face in SIX}
    assert all(v > 0.0 for v in f.values())
    assert f["nadir"] < f["zenith"]
    assert f["ram"] > f["port"] > f["wake"]
    assert f["port"] == pytest.approx(f["starboard"], rel=1e-9, abs=0)
    # Earth's shadow grows as the station descends
    assert (dr.face_flux_factor("meteoroid", "nadir", altitude_m=300e3)
            < dr.face_flux_factor("meteoroid", "nadir", altitude_m=1000e3))


def test_impact_angles_are_in_range() -> None:
    for population in dr.POPULATIONS:
        for face in dr.FACES:
            assert 0.0 <= dr.face_impact_angle_deg(population, face) <= 90.0


@pytest.mark.parametrize(("args", "message"), [
    (("dust", "ram"), r"unknown population 'dust' \(known: debris, meteoroid\)"),
    (("debris", "aft"), r"unknown face 'aft' \(known: ram, wake, port, starboard, zenith, "
                        r"nadir, tumbling\)"),
])
def test_unknown_names(args: tuple[str, str], message: str) -> None:
    with pytest.raises(AttributeModelError, match=r"^directional MMOD environment: " + message):
        dr.face_flux_factor(*args)
    with pytest.raises(AttributeModelError, match=message):
        dr.face_impact_angle_deg(*args)


def test_altitude_out_of_range() -> None:
    with pytest.raises(AttributeModelError, match=r"altitude_m must be within"):
        dr.face_flux_factor("meteoroid", "ram", altitude_m=50e3)
