"""The console's sample sources besides the API: ``--follow`` (a CSV that grows) and
``--replay`` (a recorded table at a chosen speed), and the bounded window."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cabinleak.serve.live import Live
from cabinleak.serve.sources import Follower, Player, demo_telemetry
from cabinleak.serve.store import Store
from cabinleak.serve.window import Window, decimate
from cabinleak.station import load_station


def _wait(cond: Callable[[], bool], timeout_s: float = 20.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_follow_reads_complete_lines_as_the_file_grows(tmp_path: Path) -> None:
    live = Live(load_station("iss"), Store(tmp_path / "data"))
    csv = tmp_path / "growing.csv"
    csv.write_text("# written by a logger\ntime,zvezda_pressure_mmHg\n0,760\n10,759.9\n")
    errors: list[str] = []
    f = Follower(live, csv, on_error=errors.append, poll_s=0.05)
    f.start()
    try:
        _wait(lambda: live.window.size == 2)
        with open(csv, "a") as out:
            out.write("20,759.8\n30,75")  # the last line is not finished yet
        _wait(lambda: live.window.size == 3)
        time.sleep(0.3)
        assert live.window.size == 3
        with open(csv, "a") as out:
            out.write("9.7\n40,oops\n")
        _wait(lambda: live.window.size == 4)
        _wait(lambda: bool(errors))
    finally:
        f.stop()
    assert live.window.last_time_s == 30.0
    assert "line 7, field 'zvezda_pressure_mmHg': 'oops' is not a number" in errors[0]


def test_replay_plays_everything_once_and_resumes_after_a_restart(tmp_path: Path) -> None:
    tel = demo_telemetry(hours=0.5)
    station = load_station("iss")
    live = Live(station, Store(tmp_path))
    player = Player(live, tel, speed=4000.0)
    player.start()
    _wait(lambda: live.window.size >= 40)
    player.stop()  # stopped part-way, as a server that is shut down
    part = live.window.size
    live.store.close()
    again = Live(station, Store(tmp_path))
    assert again.window.size == part
    Player(again, tel, speed=1e6).start()
    _wait(lambda: again.window.size == tel.time_s.size)
    t, cols = again.window.snapshot()
    np.testing.assert_array_equal(t, tel.time_s - tel.time_s[0])
    name = tel.channels[0].name
    np.testing.assert_allclose(cols[name], tel.channel(name).values, rtol=0, atol=1e-9)


def test_window_is_bounded_and_keeps_the_newest_rows() -> None:
    w = Window(capacity=100)
    for k in range(10):
        t = np.arange(k * 30, (k + 1) * 30, dtype=float)
        w.append(t, {"a": t * 2.0})
    assert w.size <= 100
    t, cols = w.snapshot()
    assert t[-1] == 299.0 and np.all(np.diff(t) == 1.0)
    np.testing.assert_array_equal(cols["a"], t * 2.0)


def test_decimate_averages_equal_groups() -> None:
    t = np.arange(10, dtype=float)
    td, cols = decimate(t, {"x": t.copy()}, 5)
    np.testing.assert_array_equal(td, [0.5, 2.5, 4.5, 6.5, 8.5])
    assert cols["x"] == pytest.approx(td, rel=0, abs=1e-12)


def test_a_replayed_feed_record_of_an_eva_raises_no_alarm(tmp_path: Path) -> None:
    """A real ISS record with no leak (tests/data/real/README.md): the public feed's
    crewlock around the EVA of 2017-10-10, a planned depress by pump, a vent to vacuum
    and the repress. The test waits while the pump runs, as analyze leaves it out."""
    record = "iss-crewlock-eva-2017-10-10-feed.csv"
    from cabinleak.telemetry import read_telemetry

    tel = read_telemetry(Path(__file__).parent / "data" / "real" / record)
    station = load_station("iss")
    live = Live(station, Store(tmp_path))
    errors: list[str] = []
    player = Player(live, tel, speed=1e9, on_error=errors.append)
    player.start()
    player.thread.join(60)
    assert not errors
    assert live.window.size == tel.time_s.size
    assert live.store.alarms() == []
    live.store.close()
    again = Live(station, Store(tmp_path))  # a feed's item names come back too
    assert sorted(again.specs) == sorted(c.name for c in tel.channels)


def test_the_store_reads_back_in_chunks_without_splitting_a_time(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.add_channels([("a_pressure_Pa", "pressure", "Pa", "a"),
                        ("b_pressure_Pa", "pressure", "Pa", "b")])
    t = np.arange(20.0)
    b = np.where(t % 3 == 0, np.nan, 2.0 * t)  # b misses every third row
    store.add_samples(t, {1: t + 100.0, 2: b})
    parts = list(store.iter_samples(5.0, chunk=7))  # 7 values: 3 or 4 rows a chunk
    assert len(parts) > 3
    times = np.concatenate([p[0] for p in parts])
    np.testing.assert_array_equal(times, t[5:])
    np.testing.assert_array_equal(np.concatenate([p[1][1] for p in parts]), t[5:] + 100.0)
    whole_t, whole = store.samples_since(5.0)
    np.testing.assert_array_equal(whole_t, t[5:])
    np.testing.assert_array_equal(whole[2], b[5:])
