"""Penetration risk of a surface and the ``mmod`` / ``attribute`` commands."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cabinleak.attribute import ballistic, environment
from cabinleak.attribute.risk import Environment, parse_wall, surface_risk
from cabinleak.cli import main

YEAR_S = 365.25 * 86400


def test_risk_is_area_time_flux_at_the_critical_diameter() -> None:
    """N = A·T·[F_met(d_c,met) + F_deb(d_c,deb)], P(none) = exp(−N) (Poisson); debris
    as 2800 kg/m³ spheres (the NASA-91 debris density, SSP 30425B)."""
    wall = parse_wall("single:0.2cm")
    env = Environment(altitude_m=400e3, inclination_deg=51.6, year=2018)
    risk = surface_risk([wall], 10.0, YEAR_S, env)
    dm = ballistic.single_wall_critical_diameter(
        2e-3, environment.METEOROID_SPEED_KM_S * 1e3,
        projectile_density_kg_m3=environment.METEOROID_DENSITY_KG_M3)
    dd = ballistic.single_wall_critical_diameter(2e-3, environment.DEBRIS_SPEED_KM_S * 1e3,
                                                 projectile_density_kg_m3=2800.0)
    n = 10.0 * YEAR_S * (float(environment.meteoroid_flux(dm, 400e3))
                         + float(environment.debris_flux(dd, 400e3, 51.6, 2018)))
    assert risk.expected_penetrations == pytest.approx(n, rel=1e-12, abs=0)
    assert risk.probability_no_penetration == pytest.approx(math.exp(-n), rel=1e-12, abs=0)


def test_elements_add_up_and_weights_scale() -> None:
    env = Environment()
    walls = [parse_wall("single:0.2cm"), parse_wall("whipple:0.1cm:0.3cm:10cm")]
    both = surface_risk(walls, [3.0, 5.0], YEAR_S, env, weights=[2.0, 1.0])
    one = surface_risk([walls[0]], 3.0, YEAR_S, env).expected_penetrations
    two = surface_risk([walls[1]], 5.0, YEAR_S, env).expected_penetrations
    assert both.expected_penetrations == pytest.approx(2.0 * one + two, rel=1e-12, abs=0)
    # a shield stops more than a bare wall of the same rear thickness
    assert two / 5.0 < surface_risk([parse_wall("single:0.3cm")], 5.0, YEAR_S,
                                    env).expected_penetrations / 5.0


def test_mmod_json_has_the_issue_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mmod", "--wall", "single:0.2cm", "--area", "10m2", "--exposure", "1y",
                 "--altitude", "400km", "--speed", "7km/s", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    # physics.md (Cour-Palais/Christiansen, Al 6061-T6, t = 0.200 cm, 7 km/s): 0.0616 cm
    assert out["critical_diameter_m"] == pytest.approx(0.0616e-2, abs=0.00005e-2)
    assert out["expected_penetrations"] > 0
    assert 0 < out["probability_no_penetration"] < 1


def test_attribute_ms09(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "attribution.html"
    assert main(["attribute", "--station", "iss", "--module", "soyuz-om", "--exposure", "60d",
                 "--hole", "2mm", "--evidence", "ms09", "--report", str(report),
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    post = out["attribution"]["posterior"]
    assert max(post, key=post.get) != "mmod" and post["mmod"] < 1e-2
    assert out["risk"]["probability_hole_at_least"] > 0
    html = report.read_text()
    assert "Sensitivity" in html and "data:image/png;base64," in html


@pytest.mark.parametrize(("argv", "expected"), [
    (["mmod", "--wall", "foam:2cm", "--area", "1m2", "--exposure", "1y"], "expected single"),
    (["mmod", "--wall", "single:0.2cm", "--area", "1m2", "--exposure", "1y", "--speed",
      "90km/s"], "within [1000, 72000] m/s"),
    (["mmod", "--wall", "single:0.2cm", "--area", "1m2", "--exposure", "1y", "--altitude",
      "5000km"], "altitude_m must be within"),
    (["mmod", "--wall", "single:0.2cm:unobtainium", "--area", "1m2", "--exposure", "1y"],
     "unobtainium"),
    (["attribute", "--module", "soyuz-om", "--exposure", "60d", "--hole", "2mm",
      "--evidence", "{bad}"], "not_a_key"),
    (["attribute", "--module", "nowhere", "--exposure", "60d", "--hole", "2mm"], "nowhere"),
])
def test_bad_input_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               argv: list[str], expected: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[observed]\nnot_a_key = true\n")
    assert main([a.format(bad=bad) for a in argv]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1 and "Traceback" not in err
