"""`analyze` in the realistic world (cabinleak.telemetry.realistic, calibrated on real ISS
records): no alarm on leak-free records; a leak found after its onset and sized.

Longer measurements (years of records, 200 seeds) are in benchmarks/bench_realistic.py.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from cabinleak.estimate.analysis import analyze
from cabinleak.station import load_station
from cabinleak.telemetry import Telemetry
from cabinleak.telemetry.realistic import PUBLIC_FEED, realistic_run

DAY_S = 86400.0
VOLUME_M3 = 916.0
PSI_AIR = 0.68473  # choked flux factor of γ = 1.4


def _destiny(tel: Telemetry) -> Telemetry:
    return replace(tel, channels=tuple(replace(c, source="destiny") for c in tel.channels))


def _cd_area(rate_kg_per_day: float) -> float:
    """Cd·A [m²] of a choked orifice with this outflow at 758.8 mmHg and 295 K (air)."""
    return rate_kg_per_day / DAY_S * math.sqrt(287.05 * 295.0) / (PSI_AIR * 758.8 * 133.322)


@pytest.fixture(scope="module")
def iss():  # type: ignore[no-untyped-def]
    return load_station("iss")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("world", [None, PUBLIC_FEED], ids=["pressure", "with-inlet-T"])
def test_no_alarm_on_leak_free_realistic_records(iss, seed: int, world) -> None:  # type: ignore[no-untyped-def]
    kw = {} if world is None else {"world": world}
    run = realistic_run(2 * DAY_S, volume_m3=VOLUME_M3, seed=seed, **kw)
    v = analyze(_destiny(run.telemetry), station=iss).primary
    assert v.detection is not None and not v.detection.alarm
    q = v.leak_rate_kg_per_s.scaled(DAY_S)
    assert -10 < q.low and q.high < 10
    assert v.effective_area_m2.low >= 0


def test_a_30_kg_per_day_leak_is_found_after_its_onset(iss) -> None:  # type: ignore[no-untyped-def]
    run = realistic_run(2 * DAY_S, volume_m3=VOLUME_M3, leak_cd_area_m2=_cd_area(30.0),
                        leak_start_s=DAY_S, seed=3)
    v = analyze(_destiny(run.telemetry), station=iss).primary
    det = v.detection
    assert det is not None and det.alarm and det.alarm_time_s is not None
    t0 = float(v.series.time_s[0])
    assert DAY_S <= det.alarm_time_s - t0 < 1.5 * DAY_S
    assert v.onset_s is not None and abs(v.onset_s - t0 - DAY_S) < 3 * 3600
    truth = float(run.truth.leak_kg_per_s[-1]) * DAY_S
    q = v.leak_rate_kg_per_s.scaled(DAY_S)
    assert q.low <= truth <= q.high
