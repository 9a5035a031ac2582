"""Leak localization: the posterior update, the crew constraints, the baseline policies
and whole simulated campaigns (:mod:`cabinleak.locate`)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from cabinleak.locate.baselines import BinarySplit, ModuleByModule, smallest_isolation
from cabinleak.locate.campaign import (
    evaluate,
    leak_for_rate,
    parse_leak_spec,
    run_campaign,
    search_context,
    station_rate_kg_per_s,
)
from cabinleak.locate.model import (
    ISS_CONSTRAINTS,
    Constraints,
    LocateError,
    Posterior,
    Reading,
    Sensing,
    cells_of,
    configure,
    max_duration_s,
    prior,
)
from cabinleak.locate.model import (
    TestResult as HatchTestResult,
)
from cabinleak.locate.policy import Policy, Recommendation, SearchContext
from cabinleak.physics.units import DAY_S
from cabinleak.station import load_station, parse_station

#: Three modules in a row, a (10 m³) - b (20 m³) - c (30 m³), no leak of their own.
THREE_MODULES = """
name = "three"
[[module]]
id = "a"
volume_m3 = 10
pressure_Pa = 100000
temperature_K = 300
[[module]]
id = "b"
volume_m3 = 20
pressure_Pa = 100000
temperature_K = 300
[[module]]
id = "c"
volume_m3 = 30
pressure_Pa = 100000
temperature_K = 300
[[hatch]]
id = "a-b"
between = ["a", "b"]
diameter_m = 0.8
[[hatch]]
id = "b-c"
between = ["b", "c"]
diameter_m = 0.8
"""


@pytest.fixture(scope="module")
def three():
    return parse_station(THREE_MODULES, source="three.toml")


@pytest.fixture(scope="module")
def iss():
    return load_station("iss")


# ---------------------------------------------------------------- posterior by hand


def test_posterior_update_by_hand(three):
    """One test on the three-module station, the rate known, worked by hand from eq. (1)
    of cabinleak.locate.model and the Gaussian likelihood."""
    cells = cells_of(three)
    assert [c.id for c in cells] == ["a", "b", "c"]
    sens = Sensing(reading_sd_Pa=5.0, thermal_sd_K=0.03, background_kg_per_s=1e-7,
                   background_sd_kg_per_s=1e-7, temperature_K=300.0, pressure_Pa=1e5,
                   gas_constant=287.0)
    rate = 1e-6  # kg/s = 0.0864 kg/day, the one point of the rate grid
    post0 = prior(cells, rates_kg_per_day=(rate * DAY_S,), p_none=0.02)
    config = configure(three, cells, ["a-b"])
    assert config.groups == ((0,), (1, 2)) and config.volumes_m3 == (10.0, 50.0)
    readings = (Reading(0, -8.0), Reading(1, -0.5))  # [Pa], held 1000 s
    post = post0.update(HatchTestResult(config, 1000.0, readings), sens)

    # R·T·D = 287·300·1000 = 8.61e7; per kg/s: group {a} -8.61e6 Pa, group {b,c} -1.722e6 Pa.
    # The leak (1e-6 kg/s) in a group drops it by 8.61 Pa ({a}) or 1.722 Pa ({b,c}).
    # Background 1e-7 kg/s shared by volume: -8.61e7·1e-7/60 = -0.1435 Pa in either group.
    # Variance: two readings 2·5² = 50; thermal (1e5·0.03/300)² = 100; background
    # 0.1435² = 0.02059225; total 150.02059225 Pa².
    var = 150.02059225
    # Residuals after the background: {a}: -8 + 0.1435 = -7.8565; {b,c}: -0.5 + 0.1435 = -0.3565.
    ll_none = -(7.8565**2 + 0.3565**2) / (2 * var)  # -0.2061440
    ll_a = -((-7.8565 + 8.61) ** 2 + 0.3565**2) / (2 * var)  # -0.0023159
    ll_bc = -(7.8565**2 + (-0.3565 + 1.722) ** 2) / (2 * var)  # -0.2119348
    w = [0.98 / 3 * math.exp(ll_a), 0.98 / 3 * math.exp(ll_bc), 0.98 / 3 * math.exp(ll_bc),
         0.02 * math.exp(ll_none)]
    z = sum(w)
    expected = [x / z for x in w]
    # = 0.3742906 (a), 0.3035096 (b), 0.3035096 (c), 0.0186901 (none)
    assert expected == pytest.approx([0.3742906, 0.3035096, 0.3035096, 0.0186901], abs=1e-7)
    got = [*post.cell_probabilities, post.p_none]
    assert got == pytest.approx(expected, rel=1e-9, abs=0)
    assert post.best() == ("a", pytest.approx(expected[0], rel=1e-9, abs=0))


# ---------------------------------------------------------------- constraints


def test_configuration_without_lifeboat_and_life_support_is_refused(iss):
    cells = cells_of(iss)
    # Soyuz (rassvet side) and PMA-2 (harmony) cut off: each lifeboat away from life support.
    config = configure(iss, cells, ["rassvet-soyuz-om", "harmony-pma-2"])
    reason = ISS_CONSTRAINTS.allows(config, cells)
    assert reason is not None
    assert "no group keeps a lifeboat (soyuz-dm, pma-2)" in reason
    assert "life support (zvezda, destiny, tranquility)" in reason
    # one lifeboat kept with the crew is enough
    assert ISS_CONSTRAINTS.allows(configure(iss, cells, ["rassvet-soyuz-om"]), cells) is None


def test_smallest_allowed_isolation_and_skip(three):
    ctx = search_context(three)
    lifeboat_a = SearchContext(three, ctx.cells, Constraints(lifeboats=("a",),
                                                             life_support=("b",)), ctx.sensing)
    # b cannot be alone (that leaves a lifeboat without life support); {a, b} is the
    # smallest allowed group around it (30 m³ against 50 m³ for {b, c}).
    members, config = smallest_isolation(lifeboat_a, 1)  # type: ignore[misc]
    assert members == {0, 1} and config.closed == {"b-c"}
    rec = ModuleByModule().next_test(prior(ctx.cells), lifeboat_a)
    assert rec is not None and rec.config.closed in ({"b-c"}, {"a-b"})
    apart = SearchContext(three, ctx.cells, Constraints(lifeboats=("a",), life_support=("c",)),
                          ctx.sensing)
    why = smallest_isolation(apart, 1)
    assert isinstance(why, str)
    assert why.startswith("b cannot be isolated: no group keeps a lifeboat (a)")
    assert ModuleByModule().next_test(prior(ctx.cells), apart) is None  # nothing allowed


# ---------------------------------------------------------------- leaks


def test_leak_for_rate_round_trip(iss):
    """The hole made for a rate leaks that rate in the simulator (all hatches open)."""
    for module, per_day in (("prk", 0.7), ("destiny", 5.0)):
        leak = leak_for_rate(iss, module, per_day / DAY_S)
        assert leak.discharge_coefficient == 0.6
        got = station_rate_kg_per_s(iss, leak) * DAY_S
        assert got == pytest.approx(per_day, rel=1e-6, abs=0)


def test_parse_leak_spec(iss):
    hole = parse_leak_spec("soyuz-om:2mm", iss)
    assert hole.module == "soyuz-om" and hole.diameter_m == pytest.approx(0.002, abs=0)
    assert hole.discharge_coefficient == 0.6
    rate = parse_leak_spec("prk:0.7kg/day", iss)
    assert station_rate_kg_per_s(iss, rate) * DAY_S == pytest.approx(0.7, rel=1e-6, abs=0)
    with pytest.raises(LocateError, match="'zvezda-prk', which is not in station 'iss'"):
        parse_leak_spec("zvezda-prk:1mm", iss)
    with pytest.raises(LocateError, match=r"neither a leak rate .* nor a hole diameter"):
        parse_leak_spec("prk:3 mmHg", iss)
    with pytest.raises(LocateError, match="must be MODULE:RATE or MODULE:HOLE"):
        parse_leak_spec("prk", iss)
    with pytest.raises(LocateError, match="must be > 0"):
        leak_for_rate(iss, "prk", -1.0)


# ---------------------------------------------------------------- baselines


@dataclass
class Checked:
    """Wraps a policy and checks every recommendation against the rules."""

    inner: Policy
    seen: list[Recommendation] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    def next_test(self, posterior: Posterior, ctx: SearchContext) -> Recommendation | None:
        rec = self.inner.next_test(posterior, ctx)
        if rec is not None:
            assert ctx.constraints.allows(rec.config, ctx.cells) is None
            limit = max_duration_s(rec.config, posterior, ctx.constraints, ctx.sensing)
            assert 0 < rec.duration_s <= limit * (1 + 1e-12)
            assert rec.duration_s <= 12 * 3600.0
            self.seen.append(rec)
        return rec


POLICIES = (ModuleByModule, BinarySplit)


@pytest.mark.parametrize("make", POLICIES)
@pytest.mark.parametrize("spec", ["b:1mm", "c:0.5kg/day"])
def test_baselines_find_leak_three_modules(three, make, spec):
    """Eight campaigns per case. A campaign that stops at 95 % may name the wrong volume
    about one time in twenty, so one seed alone decides nothing (seed 3 of the binary
    split on "c:0.5kg/day" is wrong at 96 %, on a tie between its first tests broken at
    the 1e-11 level); at most one of eight may be wrong."""
    ctx = search_context(three)
    right = 0
    for seed in range(8):
        policy = Checked(make())
        run = run_campaign(three, parse_leak_spec(spec, three), policy, ctx=ctx, rng=seed)
        assert run.stopped == "target reached" and run.confidence >= 0.95
        assert len(run.tests) == len(policy.seen) >= 1
        right += run.correct
    assert right >= 7


@pytest.mark.parametrize("make", POLICIES)
@pytest.mark.parametrize("spec", ["soyuz-om:2mm", "prk:0.7kg/day"])
def test_baselines_find_leak_iss(iss, make, spec):
    ctx = search_context(iss)
    policy = Checked(make())
    run = run_campaign(iss, parse_leak_spec(spec, iss), policy, ctx=ctx, rng=1, max_hours=240)
    assert run.found == spec.split(":")[0] and run.correct
    assert run.confidence >= 0.95 and run.elapsed_h < 240
    # elapsed time: every hold plus the setup of every test
    holds = sum(r.duration_s for r in policy.seen)
    assert run.elapsed_h * 3600 == pytest.approx(holds + len(policy.seen) * ctx.setup_s,
                                                rel=1e-12, abs=0)  # two float sums


def test_module_by_module_starts_with_most_probable(iss):
    ctx = search_context(iss)
    post = prior(ctx.cells, weights={"prk": 10.0, "zvezda": 1.0, "zarya": 1.0})
    rec = ModuleByModule().next_test(post, ctx)
    assert rec is not None and rec.config.closed == {"zvezda-prk", "prk-progress"}
    assert rec.reason.startswith("isolate prk")


def test_binary_split_halves_the_probability(iss):
    ctx = search_context(iss)
    weights = {"zvezda": 1.0, "prk": 1.0, "poisk": 1.0, "nauka": 1.0}
    rec = BinarySplit().next_test(prior(ctx.cells, weights=weights), ctx)
    assert rec is not None
    post = prior(ctx.cells, weights=weights)
    shares = [float(post.cell_probabilities[list(g)].sum()) / (1 - post.p_none)
              for g in rec.config.groups]
    assert min(abs(s - 0.5) for s in shares) <= 0.02


def test_campaign_str_and_dict(iss):
    ctx = search_context(iss)
    run = run_campaign(iss, parse_leak_spec("soyuz-om:2mm", iss), ModuleByModule(), ctx=ctx)
    d = run.to_dict()
    assert {"found", "confidence", "elapsed_h", "tests"} <= set(d)
    assert d["found"] == "soyuz-om" and len(d["tests"]) == len(run.tests)
    first = d["tests"][0]
    assert {"closed", "duration_h", "readings_mmHg", "best", "confidence"} <= set(first)
    text = str(run)
    assert text.startswith("module-by-module on iss: hidden 2 mm hole")
    assert "found soyuz-om at" in text.splitlines()[-1]
    # readings are in mmHg: the leaking group drops by more than the 0.5 mmHg rule
    assert min(min(t.readings_mmHg) for t in run.tests) < -0.5


def test_campaign_stops_at_time_limit(iss):
    ctx = search_context(iss)
    run = run_campaign(iss, parse_leak_spec("kibo-pm:0.2kg/day", iss), ModuleByModule(),
                       ctx=ctx, max_hours=1.0)
    assert run.stopped == "time limit of 1 h"
    assert len(run.tests) == 1


# ---------------------------------------------------------------- calibration


def test_calibration_module_by_module_iss(iss):
    """Among campaigns that end at >= 95 % on one volume, at least 85 % are right."""
    ev = evaluate(iss, [ModuleByModule()], n_sites=30, seed=11)
    confident = [c for c in ev.campaigns[0] if c.confident]
    assert len(confident) >= 20
    right = np.mean([c.correct for c in confident])
    assert right >= 0.85
    assert ev.calibration == pytest.approx(right, abs=0)
    text = str(ev)
    assert text.startswith("iss: 30 simulated leaks, random sites, rates 0.2-50 kg/day")
    assert "module-by-module" in text and "calibration:" in text
    assert ev.to_dict()["policies"][0]["campaigns"] == 30


def test_module_by_module_retests_only_when_the_posterior_says_so(iss):
    ctx = search_context(iss)
    policy = ModuleByModule()
    post = prior(ctx.cells, weights={"prk": 10.0, "zvezda": 1.0, "zarya": 1.0},
                 station_rate_kg_per_day=(0.7, 0.1))
    first = policy.next_test(post, ctx)
    assert first is not None and first.reason.startswith("isolate prk")
    groups = first.config.groups
    # nothing moves: prk is cleared and the next most probable untested volume is next
    quiet = tuple(Reading(g, 0.0) for g in range(len(groups)))
    cleared = post.update(HatchTestResult(first.config, first.duration_s, quiet), ctx.sensing)
    nxt = policy.next_test(cleared, ctx)
    assert nxt is not None and not nxt.reason.startswith("isolate prk")
    # prk tested, yet the posterior still puts it first (weights standing in for a reading
    # that pointed at it): test it again
    suspect = dataclasses.replace(post, history=cleared.history)
    again = policy.next_test(suspect, ctx)
    assert again is not None and again.reason.startswith("isolate prk")
    assert "retest" in again.reason


def test_long_campaign_log_is_short(iss):
    """A campaign that cannot conclude (a 2 K unseen thermal swing per test) stops at the
    time limit, and its str shows the first and last tests only."""
    ctx = search_context(iss)
    noisy = SearchContext(ctx.station, ctx.cells, ctx.constraints,
                          Sensing(thermal_sd_K=2.0), target=0.95)
    run = run_campaign(iss, parse_leak_spec("kibo-pm:0.3kg/day", iss), BinarySplit(),
                       ctx=noisy, max_hours=200)
    assert run.stopped == "time limit of 200 h" and len(run.tests) > 12
    text = str(run)
    assert f"... {len(run.tests) - 12} more tests" in text
    assert len(text.splitlines()) == 1 + 12 + 1 + 1
    assert len(run.to_dict()["tests"]) == len(run.tests)
