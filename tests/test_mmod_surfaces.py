"""MMOD surfaces of a station: loading and validation, station risk, ``cabinleak mmod``."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from cabinleak.attribute import ballistic, environment, surfaces
from cabinleak.attribute.fleet import fleet_record, load_history, poisson_at_most
from cabinleak.attribute.risk import Environment
from cabinleak.attribute.surfaces import refined, station_risk
from cabinleak.cli import main
from cabinleak.station import FACES, Station, load_station, parse_station

YEAR_S = 365.25 * 86400.0

SMALL = """
name = "two-modules"

[[module]]
id = "lab"
volume_m3 = 100

[[module]]
id = "node"
volume_m3 = 50

[[shield]]
id = "plate"
kind = "single"
layers = [{ layer = "wall", thickness = "2 mm", material = "Al6061-T6" }]
source = "test"

[[shield]]
id = "whipple"
kind = "whipple"
standoff = "10 cm"
layers = [
  { layer = "bumper", thickness = "1 mm", material = "Al6061-T6" },
  { layer = "wall", thickness = "3 mm", material = "Al2219-T87" },
]

[[surface]]
module = "lab"
shield = "plate"
elements = [
  { face = "tumbling", area_m2 = 10 },
  { face = "ram", area_m2 = 4, shield = "whipple" },
  { id = "behind", face = "wake", area_m2 = 5, shielded_by = "lab-ram" },
]

[[surface]]
module = "node"
shield = "whipple"
elements = [{ face = "zenith", area_m2 = 6 }, { face = "port", area_m2 = 2 }]
"""


@pytest.fixture(scope="module")
def small() -> Station:
    return parse_station(SMALL, source="small.toml")


# ------------------------------------------------------------------ loading and validation


def test_small_station_loads_with_its_surfaces(small: Station) -> None:
    assert [e.id for e in small.surfaces] == ["lab-tumbling", "lab-ram", "behind",
                                              "node-zenith", "node-port"]
    assert small.surface_of("lab")[1].shield == "whipple"  # the element's own shield wins
    assert small.surface_of("lab")[2].shielded_by == "lab-ram"
    assert small.shield("whipple").wall.thickness_m == pytest.approx(3e-3, rel=0, abs=1e-12)
    assert small.shield("whipple").standoff_m == pytest.approx(0.1, rel=0, abs=1e-12)


BAD = {
    "negative area": (SMALL.replace('face = "port", area_m2 = 2', 'face = "port", area_m2 = -2'),
                      "surface element 'node-port': area_m2 must be >= 0, got -2"),
    "unknown wall": (SMALL.replace('kind = "whipple"', 'kind = "foam"'),
                     "shield 'whipple': kind must be one of single, whipple, stuffed-whipple, "
                     "multi-shock, got 'foam'"),
    "unknown face": (SMALL.replace('face = "zenith"', 'face = "up"'),
                     "surface element 'node-up': face must be one of ram, wake, port, "
                     "starboard, zenith, nadir, tumbling, got 'up'"),
    "layers out of order": (
        SMALL.replace('  { layer = "bumper", thickness = "1 mm", material = "Al6061-T6" },\n'
                      '  { layer = "wall", thickness = "3 mm", material = "Al2219-T87" },',
                      '  { layer = "wall", thickness = "3 mm", material = "Al2219-T87" },\n'
                      '  { layer = "bumper", thickness = "1 mm", material = "Al6061-T6" },'),
        "shield 'whipple': a whipple has layers bumper, wall from outside in, got wall, bumper"),
    "shielded by an unknown element": (
        SMALL.replace('shielded_by = "lab-ram"', 'shielded_by = "lab-roof"'),
        "surface element 'behind': shielded_by 'lab-roof' is not a surface element of "
        "station 'two-modules'"),
    "unknown shield": (SMALL.replace('shield = "whipple" },', 'shield = "armour" },'),
                       "surface element 'lab-ram': shield 'armour' is not a [[shield]]"),
    "no standoff": (SMALL.replace('standoff = "10 cm"\n', ''),
                    "shield 'whipple': standoff_m must be > 0, got 0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_surfaces_are_one_line_and_exit_2(case: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    text, expected = BAD[case]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    assert main(["mmod", "--station", str(path), "--exposure", "10y"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert expected in err, err


def test_station_without_surfaces_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mmod", "--station", "test-chamber", "--exposure", "10y"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "'test-chamber' has no MMOD surfaces" in err


# ------------------------------------------------------------------------------ the risk


def test_a_tumbling_plate_is_area_time_flux_at_the_critical_diameter() -> None:
    """N = A·T·[F_met(d_c) + F_deb(d_c)] for one randomly tumbling plate (face factor 1 by
    definition), each population at its mean speed and density: meteoroids 19 km/s and
    1 g/cm³ (NASA TM-4527; SSP 30425B practice), debris 10 km/s (ECSS-E-ST-10-04C J.2.2.1.3)
    and 2.8 g/cm³ (SSP 30425B), at 45° (the mean obliquity on a tumbling plate). Typed in:
    7 m², 3 years, 2 mm of 6061-T6."""
    st = parse_station(SMALL.replace('{ face = "tumbling", area_m2 = 10 },',
                                     '{ face = "tumbling", area_m2 = 7 },'))
    plate = st.replace(surfaces=st.surface_of("lab")[:1])
    env = Environment(altitude_m=400e3, inclination_deg=51.6, year=2018)
    risk = station_risk(plate, 3 * YEAR_S, env)
    n = 0.0
    for speed, rho, flux in ((19e3, 1000.0, lambda d: environment.meteoroid_flux(d, 400e3)),
                             (10e3, 2800.0,
                              lambda d: environment.debris_flux(d, 400e3, 51.6, 2018))):
        # 45°: the cos-weighted mean obliquity of an isotropic stream on a plate, π/4
        d_c = float(ballistic.single_wall_critical_diameter(
            2e-3, speed, angle_deg=45.0, target="Al6061-T6", projectile_density_kg_m3=rho))
        n += 7.0 * 3 * YEAR_S * float(flux(d_c))
    assert surfaces.face_flux_factor("meteoroid", "tumbling") == 1.0
    assert surfaces.face_flux_factor("debris", "tumbling") == 1.0
    assert risk.expected_penetrations == pytest.approx(n, rel=1e-12, abs=0)
    assert risk.probability_no_penetration == pytest.approx(math.exp(-n), rel=1e-12, abs=0)


def test_faces_differ_as_the_environment_does() -> None:
    """Debris comes from ahead and the sides, none on the wake face of a station in LEO;
    meteoroids reach the Earth-facing face less than the zenith one (issue 11, item 2)."""
    assert surfaces.face_flux_factor("debris", "wake") == 0.0
    assert surfaces.face_flux_factor("debris", "ram") > surfaces.face_flux_factor("debris",
                                                                                  "port")
    assert surfaces.face_flux_factor("meteoroid", "nadir") < surfaces.face_flux_factor(
        "meteoroid", "zenith")


def test_the_per_module_table_adds_up(small: Station) -> None:
    risk = station_risk(small, 10 * YEAR_S)
    rows = {m.module: m for m in risk.modules}
    assert list(rows) == ["lab", "node"]
    assert rows["lab"].area_m2 == pytest.approx(19.0, rel=0, abs=1e-12)
    assert rows["lab"].shielded_area_m2 == pytest.approx(5.0, rel=0, abs=1e-12)
    assert rows["lab"].wall_types == ("single", "whipple", "shielded")
    assert rows["node"].wall_types == ("whipple",)
    assert risk.expected_penetrations == pytest.approx(
        rows["lab"].expected_penetrations + rows["node"].expected_penetrations, rel=1e-12, abs=0)
    for m in risk.modules:
        assert m.probability_no_penetration == pytest.approx(
            math.exp(-m.expected_penetrations), rel=1e-12, abs=0)
    # the shielded element counts nothing: the lab is its plate plus its ram Whipple
    plate_only = station_risk(small.replace(surfaces=small.surfaces[:1]), 10 * YEAR_S)
    ram_only = station_risk(small.replace(surfaces=small.surfaces[1:2]), 10 * YEAR_S)
    assert rows["lab"].expected_penetrations == pytest.approx(
        plate_only.expected_penetrations + ram_only.expected_penetrations, rel=1e-12, abs=0)
    text = str(risk)
    assert "lab" in text and "node" in text and "P(none)" in text


def test_refining_the_elements_keeps_the_risk(small: Station) -> None:
    """Splitting each element into equal pieces changes nothing (the risk is linear in area)."""
    fine = small.replace(surfaces=refined(small.surfaces, 7))
    assert len(fine.surfaces) == 35
    assert station_risk(fine, YEAR_S).expected_penetrations == pytest.approx(
        station_risk(small, YEAR_S).expected_penetrations, rel=1e-12, abs=0)


# -------------------------------------------------------------------------- fleet record


def test_poisson_probability_by_hand() -> None:
    """P(K ≤ 0 | N) = e^(−N); P(K ≤ 1 | 2) = 3·e^(−2) = 0.4060058497 (typed in)."""
    assert poisson_at_most(0, 1.5) == pytest.approx(0.2231301601, rel=0, abs=1e-10)
    assert poisson_at_most(1, 2.0) == pytest.approx(0.4060058497, rel=0, abs=1e-10)


def test_fleet_record_by_hand(tmp_path: Path) -> None:
    """Two lines, 10 flights of 100 days and a module from 2010.0 to 2020.0: the expected
    count is the sum of the modules' risks over 1,000 days and 3,652.5 days, and
    P(none observed) = e^(−N)."""
    path = tmp_path / "history.toml"
    path.write_text("""
description = "test"
as_of = 2020.0
observed_penetrations = 0
[[exposure]]
name = "Soyuz test"
modules = ["soyuz-om"]
flights = 10
days_per_flight = 100
year = 2015
[[exposure]]
name = "Destiny"
modules = ["destiny"]
launched = 2010.0
""")
    record = fleet_record(load_history(path))
    iss = load_station("iss")
    n1 = station_risk(iss, 1000 * 86400.0, Environment(year=2015),
                      modules=["soyuz-om"]).expected_penetrations
    n2 = station_risk(iss, 3652.5 * 86400.0, Environment(year=2015),
                      modules=["destiny"]).expected_penetrations
    assert record.expected_penetrations == pytest.approx(n1 + n2, rel=1e-12, abs=0)
    assert record.probability_of_observed == pytest.approx(math.exp(-(n1 + n2)),
                                                           rel=1e-12, abs=0)
    assert record.subtotal("soyuz") == pytest.approx(n1, rel=1e-12, abs=0)


def test_bundled_history_has_the_soyuz_record() -> None:
    """Issue 11: more than 10,000 Soyuz vehicle-days, some 70 flights of about six months."""
    history = load_history()
    soyuz = [e for e in history.exposures if "soyuz" in e.name.lower()]
    assert sum(e.days for e in soyuz) > 10_000
    assert 60 <= sum(e.flights or 0 for e in soyuz) <= 80
    assert history.observed_penetrations == 0
    assert all(e.source for e in history.exposures)


# ---------------------------------------------------------------------- bundled stations


@pytest.mark.parametrize("name", ["iss", "soyuz-ms", "progress-ms"])
def test_bundled_stations_have_sourced_surfaces(name: str) -> None:
    st = load_station(name)
    assert {e.module for e in st.surfaces} == set(st.module_ids)
    for item in (*st.surfaces, *st.shields):
        assert item.source.strip(), f"{name}: {item.id} has no source"
        if item.estimate:
            assert "estimate" in item.source.lower(), f"{name}: {item.id}"
    faces = {e.face for e in st.surfaces}
    assert faces <= set(FACES)
    if name != "iss":
        assert faces == {"tumbling"}  # free flyers


# ---------------------------------------------------------------------------------- CLI


def test_mmod_station_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mmod", "--station", "iss", "--exposure", "10y", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"expected_penetrations", "probability_no_penetration", "modules"} <= set(out)
    assert out["probability_no_penetration"] == pytest.approx(
        math.exp(-out["expected_penetrations"]), rel=1e-12, abs=0)
    rows = {m["module"]: m for m in out["modules"]}
    assert set(rows) == set(load_station("iss").module_ids)
    assert {"area_m2", "wall_types", "expected_penetrations",
            "probability_no_penetration"} <= set(rows["destiny"])


def test_mmod_one_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mmod", "--station", "iss", "--module", "soyuz-om", "--exposure", "84d"]) == 0
    out = capsys.readouterr().out
    assert "soyuz-om" in out and "destiny" not in out


def test_mmod_environment_alone(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mmod", "--size", "1mm", "--altitude", "400km", "--inclination", "51.6deg",
                 "--year", "2018", "--density", "1g/cm3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    year = 365.25 * 86400.0
    assert out["meteoroid_flux_per_m2_per_yr"] == pytest.approx(
        float(environment.meteoroid_flux(1e-3, 400e3, 1000.0)) * year, rel=1e-12, abs=0)
    assert out["debris_flux_per_m2_per_yr"] == pytest.approx(
        float(environment.debris_flux(1e-3, 400e3, 51.6, 2018)) * year, rel=1e-12, abs=0)
    assert out["meteoroid_speed_m_s"] == 19e3 and out["debris_speed_m_s"] == 10e3


def test_mmod_fleet_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mmod", "--fleet", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["observed_penetrations"] == 0
    assert out["probability_of_observed"] == pytest.approx(
        math.exp(-out["expected_penetrations"]), rel=1e-12, abs=0)
    assert out["lines"] and all("expected_penetrations" in ln for ln in out["lines"])


@pytest.mark.parametrize(("argv", "expected"), [
    (["mmod", "--size", "1mm", "--station", "iss"], "--size does not apply to --station"),
    (["mmod", "--station", "iss"], "--exposure is required for --station"),
    (["mmod", "--wall", "single:2mm", "--station", "iss", "--exposure", "1y"],
     "give one of --wall, --station, --fleet"),
    (["mmod", "--size", "1mm", "--density", "1"], "give a density with its unit"),
    (["mmod", "--station", "iss", "--module", "nowhere", "--exposure", "1y"], "nowhere"),
])
def test_mmod_usage_errors(argv: list[str], expected: str,
                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1


# ------------------------------------------------------------- the prior of `attribute`


def test_attribute_prior_comes_from_the_module_surfaces(
        capsys: pytest.CaptureFixture[str]) -> None:
    """With surfaces in the station file the prior is the module's (the same as
    ``mmod --station --module --hole``); with --wall and --area, the wall given."""
    argv = ["--module", "soyuz-om", "--exposure", "84d", "--hole", "1.8mm", "--json"]
    assert main(["attribute", "--station", "iss", *argv]) == 0
    risk = json.loads(capsys.readouterr().out)["risk"]
    assert "surface elements" in risk["wall"]
    assert main(["mmod", "--station", "iss", *argv]) == 0
    same = json.loads(capsys.readouterr().out)
    assert risk["probability_hole_at_least"] == pytest.approx(
        same["probability_hole_at_least"], rel=1e-12, abs=0)
    assert main(["attribute", "--station", "iss", *argv, "--wall", "single:0.15cm",
                 "--area", "16m2"]) == 0
    assert json.loads(capsys.readouterr().out)["risk"]["wall"].startswith("single wall 1.5 mm")


def test_attribute_without_surfaces_uses_the_flagged_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bare.toml"
    path.write_text('name = "bare"\n[[module]]\nid = "cabin"\nvolume_m3 = 6\n')
    assert main(["attribute", "--station", str(path), "--module", "cabin", "--exposure", "84d",
                 "--hole", "2mm", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["risk"]["wall"].startswith("single wall 1.5 mm")
    assert any("no MMOD surface" in n for n in out["notes"])


@pytest.mark.parametrize("population", ["meteoroid", "debris"])
def test_face_factors_over_a_cube(population: str) -> None:
    """A plate facing n in a stream of radiance L(ω) gets ∫L·max(ω·n, 0)dω, a randomly
    tumbling plate ∫L dω/4; over the six faces of a cube, Σ_faces max(ω·n, 0) = |ωx| + |ωy|
    + |ωz|, between 1 and √3 for every direction, so Σ_faces f lies between 4 and 4√3
    whatever the stream, and is 6 for an isotropic one (the mean of |ωx| + |ωy| + |ωz| over
    the sphere is 3/2). Meteoroids are isotropic but for Earth's shadow: within 15 % of 6."""
    total = sum(surfaces.face_flux_factor(population, f)
                for f in ("ram", "wake", "port", "starboard", "zenith", "nadir"))
    assert 4.0 - 1e-9 <= total <= 4.0 * math.sqrt(3.0) + 1e-9
    if population == "meteoroid":
        assert total == pytest.approx(6.0, rel=0.15, abs=0)
    # the directional model keeps the environment model's total: six faces average to 1
    assert total == pytest.approx(6.0, rel=0, abs=1e-9)


def test_a_ram_face_takes_more_than_a_wake_face(small: Station) -> None:
    """The same wall and area on the wake face meets no debris at all (issue 11, item 2)."""
    plate = small.surface_of("lab")[0]
    for face in ("ram", "wake"):
        st = small.replace(surfaces=(dataclasses.replace(plate, face=face),))
        by = station_risk(st, YEAR_S).expected_by_source
        if face == "ram":
            ram = by
        else:
            assert by["debris"] == 0.0 and by["meteoroid"] > 0.0
            assert by["meteoroid"] < ram["meteoroid"] and ram["debris"] > 0.0


def test_removing_a_vehicle_removes_its_surfaces() -> None:
    iss = load_station("iss")
    left = iss.without(["soyuz"])
    assert not {"soyuz-om", "soyuz-dm"} & {e.module for e in left.surfaces}
    assert len(left.surfaces) == len(iss.surfaces) - len(iss.surface_of("soyuz-om")) - len(
        iss.surface_of("soyuz-dm"))
