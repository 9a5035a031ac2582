"""The planner, the exact optimum it is measured against, and ``cabinleak locate``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cabinleak.cli import main
from cabinleak.cli.locate import POLICIES, _interactive
from cabinleak.locate.campaign import search_context
from cabinleak.locate.model import (
    Constraints,
    Sensing,
    cells_of,
    configure,
    max_duration_s,
    prior,
)
from cabinleak.locate.optimal import OptimalPolicy, conclusive_duration_s, play_synthetic
from cabinleak.locate.planner import InformationPlanner
from cabinleak.locate.policy import SearchContext
from cabinleak.locate.session import build_posterior, load_session
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA
from cabinleak.station import load_station


@pytest.fixture(scope="module")
def russian_segment() -> SearchContext:
    """The ISS Russian segment with its Soyuz and Progress (10 volumes, 9 hatches): small
    enough for the exact optimum. No crew rule, so every configuration is open to both."""
    st = load_station("iss").without(["usos"])
    return SearchContext(st, cells_of(st), Constraints(), Sensing())


def test_recommendations_respect_the_crew_and_the_hatch_rule() -> None:
    ctx = search_context(load_station("iss"))
    for rate in (0.2, 0.7, 20.0):
        post = prior(ctx.cells, station_rate_kg_per_day=(rate, 0.1))
        rec = InformationPlanner().next_test(post, ctx)
        assert rec is not None
        assert ctx.constraints.allows(rec.config, ctx.cells) is None
        assert rec.duration_s <= max_duration_s(rec.config, post, ctx.constraints,
                                                ctx.sensing) * (1 + 1e-9)
        assert rec.expected_gain > 0


def test_conclusive_duration_is_where_the_leak_shows_at_z_sigma(russian_segment) -> None:
    ctx = russian_segment
    cfg = configure(ctx.station, ctx.cells, ["zvezda-prk"])
    g = next(i for i, grp in enumerate(cfg.groups) if len(grp) == 2)  # prk + progress
    q = 0.7 / DAY_S
    d = conclusive_duration_s(cfg, [g], q, ctx, 48 * HOUR_S)
    assert d is not None
    total = sum(cfg.volumes_m3)
    v = cfg.volumes_m3[g]
    signal = abs(ctx.sensing.dp_per_rate(v, d)) * q
    assert signal == pytest.approx(4.0 * ctx.sensing.noise_sd(v, total, d), rel=1e-6, abs=0)


def test_optimum_is_what_its_own_campaigns_take(russian_segment) -> None:
    """In the idealised world the DP's expected time is the mean over the leak's sites."""
    ctx = russian_segment
    rate = 20.0 / DAY_S
    opt = OptimalPolicy(rate)
    expected = opt.solve(ctx)
    rng = np.random.default_rng(0)
    times = [play_synthetic(opt, ctx, c, rate, prior(ctx.cells,
                            station_rate_kg_per_day=(20.0, 0.1)), rng).elapsed_s
             for c in range(len(ctx.cells))]
    assert np.mean(times) == pytest.approx(expected, rel=0.05, abs=0)
    # a single-test lower bound: no search is shorter than one setup
    assert expected >= ctx.setup_s


def test_planner_is_near_the_optimum_on_a_small_station(russian_segment) -> None:
    ctx = russian_segment
    rate = 20.0 / DAY_S
    opt = OptimalPolicy(rate)
    optimum = opt.solve(ctx)
    rng = np.random.default_rng(1)
    runs = [play_synthetic(InformationPlanner(), ctx, c, rate,
                           prior(ctx.cells, station_rate_kg_per_day=(20.0, 0.1)), rng)
            for c in range(len(ctx.cells))]
    assert all(r.correct for r in runs)
    assert np.mean([r.elapsed_s for r in runs]) <= 1.1 * optimum


def _truthful(ctx: SearchContext, true_cell: int, rate: float, rng: np.random.Generator):
    """What a crew would type for each recommendation with a leak in ``true_cell``."""
    def ask(rec) -> str:
        cfg, dur = rec.config, rec.duration_s
        total = sum(cfg.volumes_m3)
        parts = []
        for g, members in enumerate(cfg.groups):
            v = cfg.volumes_m3[g]
            q = ctx.sensing.background_kg_per_s * v / total + (rate if true_cell in members
                                                               else 0.0)
            dp = ctx.sensing.dp_per_rate(v, dur) * q
            dp += ctx.sensing.noise_sd(v, total, dur) * float(rng.standard_normal())
            parts.append(f"{g + 1}: 760.00 {760 + dp / MMHG_PA:.2f}")
        return "; ".join(parts)
    return ask


def test_interactive_campaign_with_typed_readings(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A whole session on the ISS model, readings typed as the crew would (0.01 mmHg
    digits), saved after each step: it ends at the leaking volume."""
    ctx = search_context(load_station("iss"))
    base = prior(ctx.cells, station_rate_kg_per_day=(0.7, 0.2))
    true = next(i for i, c in enumerate(ctx.cells) if c.id == "prk")
    session = tmp_path / "s.json"
    rc = _interactive(ctx, base, base, [], POLICIES["planner"](), session,
                      ask=_truthful(ctx, true, 0.7 / DAY_S, np.random.default_rng(2)))
    assert rc == 0
    out = capsys.readouterr().out
    assert "The leak is in prk" in out
    saved = json.loads(session.read_text())
    assert saved["station"] == "iss" and len(saved["tests"]) >= 1
    # the saved session rebuilds the same posterior
    post = build_posterior(ctx, base, load_session(session, ctx).tests)
    assert post.best()[0] == "prk" and post.best()[1] >= 0.95


def test_simulated_campaign_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["locate", "--station", "iss", "--simulate-leak", "soyuz-om:2mm",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"found", "confidence", "elapsed_h", "tests"} <= set(out)
    assert out["found"] == "soyuz-om" and out["confidence"] >= 0.95
    assert out["elapsed_h"] < 15.0  # the 2018 crew took about 15 h
    assert all({"closed", "duration_h", "readings_mmHg"} <= set(t) for t in out["tests"])


@pytest.mark.parametrize(("body", "expected"), [
    ('[[test]]\nclosed = ["nosuch"]\nhours = 1\nreadings_mmHg = {1 = 0}\n', "hatch 'nosuch'"),
    ('[[test]]\nclosed = ["zvezda-prk"]\nhours = 1\nreadings_mmHg = {1 = 0, 2 = 0, 7 = 0}\n',
     "not 7"),
    ('[[test]]\nclosed = ["zvezda-prk"]\nhours = -1\nreadings_mmHg = {1 = 0, 2 = 0}\n',
     "must be > 0 h"),
    ('[[test]]\nclosed = ["zarya-zvezda", "zarya-rassvet", "harmony-pma-2", "zarya-pma-1"]\n'
     'hours = 1\nreadings_mmHg = {1 = 0}\n', "refused: no group keeps a lifeboat"),
    ('[[test]]\nclosed = ["zvezda-prk"]\nhours = 1\nreadings_mmHg = {1 = "x", 2 = 0}\n',
     "expected [start, end]"),
])
def test_bad_results_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  body: str, expected: str) -> None:
    f = tmp_path / "r.toml"
    f.write_text(body)
    assert main(["locate", "--station", "iss", "--results", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_unknown_leak_module_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["locate", "--simulate-leak", "nowhere:1mm"]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_rate_prior_is_centred_on_the_measured_rate() -> None:
    cells = cells_of(load_station("test-chamber"))
    post = prior(cells, station_rate_kg_per_day=(3.0, 0.1))
    median, lo, hi = post.rate_interval()
    assert median * DAY_S == pytest.approx(3.0, rel=0.1, abs=0)
    assert lo * DAY_S > 2.0 and hi * DAY_S < 4.5
    assert math.isclose(post.p.sum() + post.p_none, 1.0)


def test_tests_only_in_allowed_hours() -> None:
    """With tests allowed 22:00-06:00 and the campaign starting at noon, the first test
    waits 10 h and no test runs past 06:00."""
    import dataclasses

    from cabinleak.locate.campaign import parse_leak_spec, run_campaign
    from cabinleak.locate.policy import schedule

    st = load_station("iss")
    ctx = dataclasses.replace(search_context(st), window_h=(22.0, 6.0), start_clock_h=12.0)
    assert schedule(0.0, ctx) == (10 * HOUR_S, 8 * HOUR_S)
    assert schedule(11 * HOUR_S, ctx) == (0.0, 7 * HOUR_S)
    camp = run_campaign(st, parse_leak_spec("prk:0.7kg/day", st), InformationPlanner(),
                        ctx=ctx, rng=0)
    assert camp.correct and camp.elapsed_h > 10.0
    clock = 12.0 + 10.0  # the first test starts when the window opens
    for t in camp.tests:
        into = (clock - 22.0) % 24.0
        assert into + t.duration_h + ctx.setup_s / HOUR_S <= 8.0 + 1e-6
        clock += t.duration_h + ctx.setup_s / HOUR_S


def test_a_test_read_from_telemetry_with_the_leak_estimator(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Simulated telemetry of a PrK-isolation test (hatch column included): the group's
    change comes from the estimator and points at the PrK side."""
    from cabinleak.locate.campaign import leak_for_rate
    from cabinleak.simulate import HatchEvent, simulate
    from cabinleak.telemetry import write_table
    from cabinleak.telemetry.synthetic import synthetic_telemetry

    st = load_station("iss").replace(crew=())
    run = simulate(st, 6 * HOUR_S, leaks=[leak_for_rate(st, "prk", 0.7 / DAY_S)],
                   events=[HatchEvent(HOUR_S, "zvezda-prk")],
                   t_eval=np.union1d(np.linspace(0, 6 * HOUR_S, 361), [HOUR_S, HOUR_S + 1]))
    cols = synthetic_telemetry(run, st, rng=1, rate_Hz=0.1)
    cols["zvezda-prk_hatch"] = (cols["time_s"] < HOUR_S).astype(float)
    table = write_table(cols, tmp_path / "test.parquet")
    assert main(["locate", "--station", "iss", "--rate", "0.7kg/day", "--telemetry",
                 str(table), "--session", str(tmp_path / "s.json"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["posterior"]["prk"] + out["posterior"]["progress"] > 0.99
    assert out["tests"][0]["closed"] == ["zvezda-prk"]
    assert out["tests"][0]["hours"] == pytest.approx(5.0, abs=0.05)
    no_hatch = tmp_path / "nohatch.csv"
    no_hatch.write_text("time_s,p-zvezda_pressure_Pa\n0,101325\n60,101320\n")
    assert main(["locate", "--telemetry", str(no_hatch)]) == 2
    assert "no hatch columns" in capsys.readouterr().err
