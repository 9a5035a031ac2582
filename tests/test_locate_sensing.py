"""Hatch tests read by real gauges in a drifting cabin (:mod:`cabinleak.locate.sensing`):
the likelihood of two rounded readings against direct integration, the drift by hold
length against the calibration table, the realistic world's readings, the planner's
holds with coarse gauges, and whether a campaign that ends at 95 % is right that often.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats
from test_locate import THREE_MODULES  # tests/ is on sys.path under pytest

from cabinleak.locate.baselines import ModuleByModule
from cabinleak.locate.campaign import thermal_change_K
from cabinleak.locate.model import (
    Constraints,
    Reading,
    Sensing,
    cells_of,
    prior,
    realistic_sensing,
)
from cabinleak.locate.model import TestResult as HatchTestResult
from cabinleak.locate.optimal import conclusive_duration_s
from cabinleak.locate.planner import InformationPlanner
from cabinleak.locate.policy import SearchContext, done
from cabinleak.locate.sensing import (
    CALIBRATED_DRIFT,
    DriftModel,
    SensingError,
    drift_from_record,
    read_change_Pa,
    reading_log_density,
)
from cabinleak.simulate.realistic import CabinClimate
from cabinleak.station import parse_station

MMHG = 133.322387415  # Pa (exact definition: 101325/760)
FEED_STEP = 0.10101 * MMHG  # public ISS feed, docs/calibration.md "step"
HAND_STEP = 1.0 * MMHG

# three modules in a row, a (10 m³) - b (20 m³) - c (30 m³): the station of test_locate
THREE = THREE_MODULES


def triangle_density(y: float, mu: float, sd: float, r: float) -> float:
    """The density of X + E at y, X ~ N(mu, sd²), E triangular on [−r, r] (the difference
    of two uniform rounding errors), by direct numerical integration."""
    value, _ = integrate.quad(lambda e: (1.0 - abs(e) / r) / r * stats.norm.pdf(y - e, mu, sd),
                              -r, r, points=[0.0], epsabs=0.0, epsrel=1e-12, limit=200)
    return value


# ---------------------------------------------------------------- the likelihood


@pytest.mark.parametrize(("y", "mu", "sd", "r"), [
    (0.0, 0.0, 1.0, 1.0),  # step like the noise
    (1.0, 0.0, 0.3, 1.0),  # one mark down, a small blur
    (-3.0, 0.0, 0.2, 1.0),  # three marks from the truth: far tail
    (-10.0, 0.0, 0.3, 1.0),  # farther still (log density about -459)
    (2.0, 0.5, 1.0, 0.1),  # a fine step
    (0.5, 0.0, 0.01, 1.0),  # a sharp triangle: half of its peak
    (20.0, 0.0, 1.0, 3.0),
    (-1.0 * MMHG, -0.6 * MMHG, 0.2 * MMHG, HAND_STEP),  # a hand gauge reads -1 for -0.6
])
def test_reading_density_is_the_triangle_convolved_with_the_gaussian(y, mu, sd, r):
    got = float(reading_log_density(y, mu, sd, r))
    assert got == pytest.approx(math.log(triangle_density(y, mu, sd, r)), abs=1e-8)


def test_on_the_marks_it_is_the_exact_probability_of_each_reading():
    """r·f(k·r) summed over every k is 1: the probabilities of the gauges' readings."""
    r, mu, sd = HAND_STEP, -0.37 * MMHG, 0.15 * MMHG
    k = np.arange(-40, 41)
    p = r * np.exp(reading_log_density(k * r, mu, sd, r))
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    # with no blur at all, a change of 0.37 marks reads -0 or -1 mark, 63 % and 37 %
    sharp = r * np.exp(reading_log_density(np.array([0.0, -r]), mu, 1e-6 * MMHG, r))
    assert sharp == pytest.approx([0.63, 0.37], abs=1e-6)


def test_without_a_step_it_is_the_gaussian():
    y = np.array([-3.0, 0.0, 0.7, 12.0])
    assert reading_log_density(y, 0.5, 2.0, 0.0) == pytest.approx(
        stats.norm.logpdf(y, 0.5, 2.0), abs=1e-12)
    # a step far below the blur: the Gaussian of variance sd² + r²/6
    assert reading_log_density(y, 0.5, 2.0, 1e-4) == pytest.approx(
        stats.norm.logpdf(y, 0.5, math.sqrt(4.0 + 1e-8 / 6.0)), abs=1e-12)


def test_far_tails_stay_finite_and_fall():
    y = -np.geomspace(2.0, 1e5, 40)
    ll = reading_log_density(y, 0.0, 0.2, 1.0)
    assert np.all(np.isfinite(ll)) and np.all(np.diff(ll) < 0)
    with pytest.raises(SensingError, match="step must be >= 0"):
        reading_log_density(0.0, 0.0, 1.0, -1.0)


# ---------------------------------------------------------------- the drift


def test_drift_follows_the_calibration_table():
    """The Quest record's rate Allan deviation (docs/calibration.md): 0.195 mmHg/h at
    60 min, 0.0707 at 180 min, 0.0792 at 300 min; the drift over a hold is σ_A·τ."""
    assert CALIBRATED_DRIFT.sd_Pa(3600.0) == pytest.approx(0.195 * MMHG, rel=1e-9, abs=0)
    assert CALIBRATED_DRIFT.sd_Pa(3 * 3600.0) == pytest.approx(3 * 0.0707 * MMHG, rel=1e-9, abs=0)
    assert CALIBRATED_DRIFT.sd_Pa(5 * 3600.0) == pytest.approx(5 * 0.0792 * MMHG, rel=1e-9, abs=0)
    # below 5 min a constant rate (0.722 mmHg/h); beyond 5 h a random walk
    assert CALIBRATED_DRIFT.sd_Pa(60.0) == pytest.approx(0.722 / 60 * MMHG, rel=1e-9, abs=0)
    assert CALIBRATED_DRIFT.sd_Pa(20 * 3600.0) == pytest.approx(
        5 * 0.0792 * MMHG * 2.0, rel=1e-9, abs=0)
    holds = np.geomspace(10.0, 2e5, 60)
    assert np.all(np.diff([CALIBRATED_DRIFT.sd_Pa(h) for h in holds]) >= 0)
    half = CALIBRATED_DRIFT.scaled_to(0.1 * MMHG / 3600.0)
    assert half.sd_Pa(3600.0) == pytest.approx(0.1 * MMHG, rel=1e-9, abs=0)
    assert half.sd_Pa(5 * 3600.0) / CALIBRATED_DRIFT.sd_Pa(5 * 3600.0) == pytest.approx(
        0.1 / 0.195, rel=1e-9, abs=0)
    with pytest.raises(SensingError, match="increasing"):
        DriftModel((60.0, 30.0), (1.0, 1.0))


def test_drift_measured_on_a_random_walk_record():
    """A pressure that random-walks at q Pa²/s has a rate Allan deviation of about
    sqrt(q/τ) (a white rate): the drift over 1 h is about sqrt(q·3600)."""
    rng = np.random.default_rng(3)
    q = 0.05  # Pa²/s: 13.4 Pa (0.1 mmHg) 1σ over an hour
    t = np.arange(0.0, 48 * 3600.0, 60.0)
    p = 1e5 + np.cumsum(rng.normal(0.0, math.sqrt(q * 60.0), t.size))
    drift = drift_from_record(t, p, "random walk")
    assert drift.sd_Pa(3600.0) == pytest.approx(math.sqrt(q * 3600.0), rel=0.25, abs=0)
    with pytest.raises(SensingError, match="too few"):
        drift_from_record(t[:5], p[:5], "five readings")


# ---------------------------------------------------------------- the realistic world


def test_realistic_world_drifts_as_the_record_does():
    """The world's cabin climate (simulate.realistic) and the model's drift (the real
    record's Allan table) are separate: over 1 h and 5 h their spreads agree within the
    calibration's own scatter (generated/real 0.86-1.21 in docs/calibration.md)."""
    rng = np.random.default_rng(7)
    for hold in (3600.0, 5 * 3600.0):
        dt = np.array([thermal_change_K(hold, CabinClimate(), rng) for _ in range(400)])
        sd_Pa = 101325.0 * float(dt.std()) / 295.0
        assert 0.6 < sd_Pa / CALIBRATED_DRIFT.sd_Pa(hold) < 1.6


def test_gauges_read_a_change_with_the_triangle_error():
    """Two readings of a 1 mmHg dial: the change read is a whole number of marks, unbiased,
    with the rounding variance r²/6."""
    rng = np.random.default_rng(1)
    true = -0.37 * MMHG
    reads = np.array([read_change_Pa(1e5, 1e5 + true, HAND_STEP, 0.0, rng)
                      for _ in range(4000)])
    assert np.allclose(reads / HAND_STEP, np.round(reads / HAND_STEP))
    assert reads.mean() == pytest.approx(true, abs=0.03 * MMHG)
    assert set(np.round(reads / HAND_STEP)) == {0.0, -1.0}  # 63 % 0 and 37 % -1
    assert np.mean(reads < 0) == pytest.approx(0.37, abs=0.03)


# ---------------------------------------------------------------- holds and calibration


@pytest.fixture(scope="module")
def three():
    return parse_station(THREE, source="three.toml")


def _context(station, step_Pa: float, **kw) -> SearchContext:
    return SearchContext(station, cells_of(station), Constraints(),
                         realistic_sensing(step_Pa=step_Pa, pressure_Pa=1e5,
                                           temperature_K=300.0, **kw))


@pytest.mark.parametrize("rate_kg_per_day", [0.05, 0.2, 1.0])
def test_hand_read_gauges_lengthen_the_holds(three, rate_kg_per_day):
    """The same posterior, a 1 mmHg dial against the 0.101 mmHg feed: the planner holds
    longer, and says what the leak drops against what the reading can tell."""
    post = prior(cells_of(three), station_rate_kg_per_day=(rate_kg_per_day, 0.1))
    feed = InformationPlanner().next_test(post, _context(three, FEED_STEP))
    hand = InformationPlanner().next_test(post, _context(three, HAND_STEP))
    assert feed is not None and hand is not None
    assert hand.duration_s > 1.5 * feed.duration_s
    assert "mmHg in this hold, against" in hand.reason
    # the hold after which a 1 kg/day leak shows at 4σ in every group, too
    ctx_f, ctx_h = _context(three, FEED_STEP), _context(three, HAND_STEP)
    groups = list(range(len(hand.config.groups)))
    need = [conclusive_duration_s(hand.config, groups, 1.0 / 86400.0, c, 48 * 3600.0)
            for c in (ctx_f, ctx_h)]
    assert need[0] is not None and need[1] is not None and need[1] > 1.5 * need[0]


def _campaign(ctx: SearchContext, cell: int, rate_kg_per_s: float,
              rng: np.random.Generator, max_hours: float = 48.0) -> tuple[bool, bool]:
    """A module-by-module campaign in the realistic world without the network simulator:
    each group's change is eq. (1) of the leak, the cabin climate's temperature change
    over the hold, and two rounded gauge readings. (confident, right)."""
    post = prior(ctx.cells, station_rate_kg_per_day=(rate_kg_per_s * 86400.0, 0.1))
    policy = ModuleByModule(max_hold_h=0.5)  # short holds: the drift matters
    elapsed = 0.0
    while not done(post, ctx.target) and elapsed < max_hours * 3600.0:
        rec = policy.next_test(post, ctx)
        if rec is None:
            break
        readings = []
        for g, members in enumerate(rec.config.groups):
            v = rec.config.volumes_m3[g]
            drop = ctx.sensing.dp_per_rate(v, rec.duration_s) * (
                rate_kg_per_s if cell in members else 0.0)
            p1 = 1e5 + drop
            p1 += p1 * thermal_change_K(rec.duration_s, CabinClimate(), rng) / 300.0
            readings.append(Reading(g, read_change_Pa(1e5, p1, ctx.sensing.step_Pa,
                                                      ctx.sensing.reading_sd_Pa, rng)))
        post = post.update(HatchTestResult(rec.config, rec.duration_s, tuple(readings)),
                           ctx.sensing)
        elapsed += rec.duration_s + ctx.setup_s
    best, p = post.best()
    return p >= ctx.target, best == ctx.cells[cell].id


def test_a_campaign_ending_at_95_percent_is_right_that_often(three):
    """Campaigns in the realistic world with the feed's gauges, small leaks (0.06-0.4
    kg/day) and half-hour holds, where the drift is as large as the leak's drop: among
    those ending at >= 95 %, at least 90 % name the right module. A posterior that leaves
    the drift out is right in about 70 % of them (measured: 67-73 %)."""
    ctx = _context(three, FEED_STEP)
    rng = np.random.default_rng(5)
    results = []
    for i in range(120):
        rate = math.exp(rng.uniform(math.log(0.06), math.log(0.4))) / 86400.0
        results.append(_campaign(ctx, i % 3, rate, rng))
    confident = [right for sure, right in results if sure]
    assert len(confident) >= 80
    assert np.mean(confident) >= 0.90


def test_the_ideal_world_is_kept():
    """--world ideal: the idealised Gaussian sensing, unchanged (no step, no drift)."""
    s = Sensing()
    assert s.step_Pa == 0.0 and s.drift is None
    assert s.noise_sd(10.0, 60.0, 3600.0) == pytest.approx(s.continuous_sd(10.0, 60.0, 3600.0),
                                                          rel=1e-12, abs=0)
    assert "0.1 K" in s.describe()
    r = realistic_sensing(step_Pa=HAND_STEP)
    assert r.noise_sd(10.0, 60.0, 3600.0) ** 2 == pytest.approx(
        r.continuous_sd(10.0, 60.0, 3600.0) ** 2 + HAND_STEP**2 / 6.0, rel=1e-12, abs=0)
    assert r.describe().startswith("gauges read to 1 mmHg")
