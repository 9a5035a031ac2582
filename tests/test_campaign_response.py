"""The crew-response model: outcomes of a tiny campaign worked by hand, and its pressures
against the gas network's simulator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from campaign_fixtures import fixed_model, write_spec


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    spec, model = fixed_model(write_spec(folder, n=2000, chunk=500))
    from cabinleak.campaign.runner import run

    return spec, model, run(spec, model=model).table


def test_outcomes_by_hand(tiny):
    """Three modules a (10 m³), b (20 m³), c (30 m³) at 1e5 Pa, 300 K, air (R = 287.05,
    Ψ(1.4) = 0.6847); holes of Cd 0.6; floor 490 mmHg = 65,328 Pa; alarms dP/dt
    0.5 mmHg/min = 1.111 Pa/s after 1 min; action 5 min awake, 15 min asleep; reserve
    threshold 1 h; to the vehicles 10 min + one 2 min hatch. Worked by hand:

    * 30 mm: c = Cd·A·Ψ·sqrt(RT)/V = 4.241e-4·0.6847·293.5/60 = 1.420e-3 /s; the floor at
      ln(1e5/65328)/c = 300 s, before the earliest action (60 + 300 s): crew exposed.
    * 5 mm: c = 3.945e-5 /s; the floor at 10,790 s; the reserve (1 − floor/p)/c falls to
      1 h at p = floor/(1 − 3600c), t = 6,900 s. Planner (search 1 h): isolated by
      60 + 900 + 3600 + 2·120 = 4,800 s at the latest: nominal. Module by module (4 h):
      evacuation at 6,900 s, safe at 7,620 s (before the floor); a hole in a (the
      capsule, 2 of 4 seats, crew 3): loss of escape vehicle.
    * 1 mm: c = 1.578e-6 /s, reserve > 60 h: nominal under both.

    P(30 mm) = P(5 mm) = 1/4, P(a) = 1/4: planner nominal 3/4, exposed 1/4; module by
    module nominal 1/2, evacuation 3/16, loss of vehicle 1/16, exposed 1/4.
    """
    _, _, t = tiny
    hole = t["hole_mm"].to_numpy()
    module = np.asarray(t["module"].to_pylist())
    outcome = np.asarray(t["outcome"].to_pylist())
    alt = np.asarray(t["alt_outcome"].to_pylist())
    big, mid = np.isclose(hole, 30.0), np.isclose(hole, 5.0)
    assert (outcome[big] == "crew exposed below floor").all()
    assert (outcome[~big] == "nominal").all()
    assert (alt[big] == "crew exposed below floor").all()
    assert (alt[mid & (module == "a")] == "loss of escape vehicle").all()
    assert (alt[mid & (module != "a")] == "evacuation").all()
    assert (alt[~big & ~mid] == "nominal").all()
    # the timeline: 5 mm trips the dP/dt alarm (3.9 Pa/s ≥ 1.11 Pa/s) after its 1 min; 30 mm
    # reaches the 959 mbar caution first, at ln(1e5/95900)/1.420e-3 = 29.5 s; a 1 mm hole is
    # isolated 1 h of search after the action, plus one 2 min closure per hatch of its
    # module (a and c have one, b two)
    detect = t["time_to_detect_s"].to_numpy()
    assert (detect[mid] == 60.0).all()
    assert detect[big] == pytest.approx(np.full(big.sum(), 29.5), rel=5e-3, abs=0)
    small = ~big & ~mid
    asleep = t["asleep"].to_numpy()
    action = np.where(asleep, 900.0, 300.0)
    hatches = np.where(module == "b", 2, 1)
    safe = t["time_to_safe_s"].to_numpy()
    assert safe[small] == pytest.approx((detect + action + 3600.0 + 120.0 * hatches)[small],
                                        rel=1e-12, abs=1e-6)
    # the draws follow the spec's weights (binomial, 2000 scenarios, 4σ)
    n = len(hole)
    for observed, p in ((big.mean(), 0.25), (mid.mean(), 0.25), ((module == "a").mean(), 0.25),
                        ((module == "c").mean(), 0.5)):
        assert observed == pytest.approx(p, rel=0, abs=4 * math.sqrt(p * (1 - p) / n))


def test_summary_by_hand(tiny):
    """The summary's counts are the outcomes' counts; the paired comparison's difference
    is every 5 mm hole (evacuated under module by module only): (b − c)/n."""
    from cabinleak.campaign.results import summarize

    _spec, model, t = tiny
    s = summarize(t, station="three", policies=model.policies, penetrations_per_year=2.0)
    hole = t["hole_mm"].to_numpy()
    n = len(hole)
    counts = {p.name: p.count for p in s.outcomes}
    assert counts["crew exposed below floor"] == np.isclose(hole, 30.0).sum()
    assert counts["nominal"] == n - counts["crew exposed below floor"]
    c = s.comparison
    assert c is not None
    assert c.only_this == 0 and c.only_other == np.isclose(hole, 5.0).sum()
    assert c.difference == pytest.approx(c.only_other / n, rel=1e-12, abs=0)
    assert s.gas_lost_kg_per_year == pytest.approx(2.0 * t["gas_lost_kg"].to_numpy().mean(),
                                                   rel=1e-12, abs=0)
    assert "crew exposed below floor" in str(s)


def test_wilson_interval_published_value():
    """Wilson interval of 0 of 10 at 95 %: [0, 0.2775]; of 1 of 10: [0.0179, 0.4042]
    (Brown, Cai & DasGupta 2001 compare these intervals; values recomputed from
    Wilson's formula with z = 1.96 in Newcombe 1998, Stat. Med. 17, 857, Table II:
    1/10 → 0.0179-0.4042)."""
    from cabinleak.campaign.results import wilson

    assert wilson(0, 10)[1] == pytest.approx(0.2775, rel=0, abs=1e-4)
    lo, hi = wilson(1, 10)
    assert lo == pytest.approx(0.0179, rel=0, abs=1e-4)
    assert hi == pytest.approx(0.4042, rel=0, abs=1e-4)


@pytest.mark.parametrize("hole_mm", [0.5, 4.0])
def test_pressures_match_the_simulator(tmp_path, hole_mm):
    """The campaign's two phases (station open; the leaking module isolated) against the
    network simulator (closed form where valid, else the integrator), with the hatches
    around b closed at the isolation time. 0.5 % agreement."""
    from campaign_fixtures import THREE

    from cabinleak.campaign.response import respond
    from cabinleak.simulate import HatchEvent, simulate
    from cabinleak.station import Leak
    from cabinleak.station.loader import parse_station

    spec, model = fixed_model(write_spec(tmp_path, n=10, chunk=10))
    cd_area = 0.6 * math.pi / 4 * (hole_mm * 1e-3) ** 2
    out = respond(np.array([1]), np.array([cd_area]), np.array([False]), np.array([0]),
                  model.gas, model.delays, model.locate, 0, spec.response)
    assert out.outcome[0] == 0  # nominal: isolated
    t_iso = float(out.time_to_safe_s[0])
    station = parse_station(THREE, source="three.toml")
    res = simulate(station, t_iso + spec.response.patch_s,
                   leaks=[Leak("b", diameter_m=hole_mm * 1e-3, discharge_coefficient=0.6)],
                   events=[HatchEvent(t_iso, "a-b"), HatchEvent(t_iso, "b-c")],
                   t_eval=[0.0, t_iso, t_iso + spec.response.patch_s])
    assert res.pressure("a")[1] == pytest.approx(out.min_p_crew_Pa[0], rel=5e-3, abs=1.0)
    assert res.pressure("b")[2] == pytest.approx(out.min_p_leak_Pa[0], rel=5e-3, abs=1.0)
    mass = res.mass_kg[0].sum() - res.mass_kg[2].sum()
    assert mass == pytest.approx(out.gas_lost_kg[0], rel=5e-3, abs=1e-3)


def test_detector_table_is_the_leak_tests_delay():
    """The campaign's alarm delay is ``estimate.detect``'s expected delay for the station's
    mass noise (interpolated on a log grid: within 3 %)."""
    from cabinleak.campaign.response import detector_table, station_gas
    from cabinleak.campaign.spec import parse_spec
    from cabinleak.estimate.detect import design_leak_test
    from cabinleak.station import load_station

    spec = parse_spec(_ISS_SPEC)
    iss = load_station("iss")
    gasx = station_gas(iss, spec)
    table = detector_table(iss, gasx, spec.response)
    design = design_leak_test(table.mass_sd_kg, table.sample_s)
    for rate_kg_per_day in (0.5, 3.0, 40.0):
        q = rate_kg_per_day / 86400.0
        assert float(table.delay_s(np.array([q]))[0]) == pytest.approx(
            design.expected_delay_s(q), rel=0.03, abs=0)
    # 8 gauges of 0.05 mmHg noise and 0.1 mmHg steps, averaged: σ_p = sqrt((6.6661² +
    # 13.332²/12)/8) = 2.7214 Pa; 941.87 m³ at 295 K of the station's air (by mass N2 76.7 %,
    # O2 23.2 %, CO2 0.05 %: R = 8.31446/M = 288.16 J/(kg·K)): 941.87·2.7214/(288.16·295)
    assert table.mass_sd_kg == pytest.approx(941.87 * 2.7214 / (288.16 * 295.0), rel=1e-3,
                                             abs=0)


_ISS_SPEC = """
[campaign]
station = "iss"
[[escape_vehicle]]
id = "soyuz"
modules = ["soyuz-om", "soyuz-dm"]
seats = 3
[[escape_vehicle]]
id = "crew-dragon"
seats = 4
"""


def test_vehicle_lost_only_when_seats_run_short(tmp_path):
    """A 5 mm hole in the capsule (2 of 4 seats), searched module by module (4 h, so the
    crew evacuates, see test_outcomes_by_hand): with 3 crew the 2 seats left are too few
    (loss of escape vehicle); with 2 crew they suffice (evacuation)."""
    from dataclasses import replace

    from cabinleak.campaign.response import EVACUATION, LOSS_OF_VEHICLE, respond

    spec, model = fixed_model(write_spec(tmp_path, n=10, chunk=10))
    cd_area = np.array([0.6 * math.pi / 4 * 5e-3**2])
    for crew, expected in ((3, LOSS_OF_VEHICLE), (2, EVACUATION)):
        out = respond(np.array([0]), cd_area, np.array([False]), np.array([0]),
                      replace(model.gas, crew_size=crew), model.delays, model.locate, 1,
                      spec.response)
        assert out.outcome[0] == expected
        assert out.leak_in_vehicle[0] and out.reached_vehicle[0] == (crew == 2)
