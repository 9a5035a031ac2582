"""The console's online leak test against the batch test it is a form of.

``detect_leak`` (``cabinleak analyze``) reads the whole record; the console's
:class:`OnlineLeakTest` reads it one sample at a time. Given the same noise level, the
same design (``design_leak_test``: block lengths, design rates, thresholds, so the same
false-alarm calibration) must give the same decision: the same alarm time, excursion
start and rate. Samples at regular spacing with white noise, so the batch test's 6σ
outlier drop (which the online test leaves out) has nothing to drop.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cabinleak.estimate.detect import design_leak_test, detect_leak
from cabinleak.serve.online import OnlineLeakTest

SD_KG = 0.02  # white noise of one mass sample [kg]
DT_S = 10.0


def _record(rate_kg_per_day: float, onset_s: float, hours: float, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, hours * 3600.0, DT_S)
    m = 1000.0 - rate_kg_per_day / 86400.0 * np.maximum(t - onset_s, 0.0)
    return t, m + rng.normal(0.0, SD_KG, t.size)


@pytest.mark.parametrize(("rate", "seed"), [(20.0, 0), (5.0, 1), (60.0, 2)])
def test_online_decides_as_the_batch_test(rate: float, seed: int) -> None:
    t, m = _record(rate, 3600.0, 12.0, seed)
    batch = detect_leak(t, m, np.full(t.size, SD_KG))
    online = OnlineLeakTest(mass_sd_kg=SD_KG)
    found = [a for ti, mi in zip(t, m, strict=True) if (a := online.feed(ti, mi))]
    assert batch.alarm and len(found) == 1
    (alarm,) = found
    assert alarm.time_s == batch.alarm_time_s
    assert alarm.excursion_start_s == batch.excursion_start_s
    assert alarm.rate_kg_per_s == pytest.approx(batch.rate_at_alarm_kg_per_s, rel=1e-9, abs=0)
    assert online.design == design_leak_test(SD_KG, DT_S)


def test_no_leak_no_alarm_and_the_statistic_stays_below_one() -> None:
    t, m = _record(0.0, 0.0, 24.0, 3)
    online = OnlineLeakTest(mass_sd_kg=SD_KG)
    assert online.feed_many(t, m) is None
    assert online.alarm is None and 0.0 <= online.statistic < 1.0
    assert not detect_leak(t, m, np.full(t.size, SD_KG)).alarm


def test_many_at_once_is_one_by_one() -> None:
    t, m = _record(8.0, 5000.0, 10.0, 4)
    one = OnlineLeakTest()
    alarms = [a for ti, mi in zip(t, m, strict=True) if (a := one.feed(ti, mi))]
    many = OnlineLeakTest()
    split = [0, 7, 61, 500, 1700, t.size]  # batches across the warm-up and blocks
    got = [a for i, j in itertools.pairwise(split) if (a := many.feed_many(t[i:j], m[i:j]))]
    assert len(got) == len(alarms) == 1
    assert (got[0].time_s, got[0].excursion_start_s, got[0].block_s) == (
        alarms[0].time_s, alarms[0].excursion_start_s, alarms[0].block_s)
    # the same sums, added in another order
    assert got[0].rate_kg_per_s == pytest.approx(alarms[0].rate_kg_per_s, rel=1e-9, abs=0)
    assert many.statistic == pytest.approx(one.statistic, rel=1e-12, abs=1e-12)
