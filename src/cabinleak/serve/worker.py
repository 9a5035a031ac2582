"""The full estimate, refreshed in a background thread at a steady cadence.

Every ``cadence_s`` seconds, if rows came in since the last run, the window is handed to
the estimator in memory (:func:`cabinleak.telemetry.telemetry_from_table`, then
:func:`cabinleak.estimate.analysis.analyze`), exactly as ``cabinleak analyze`` reads a
file: rate with its 95 % interval, Cd·A, onset, time to the floor, gas to hold. The
server never waits for it: pages show the last finished estimate and when it was made.
NumPy and SciPy release the interpreter lock in their long loops, so the thread costs
the server little; an estimate that fails (too few rows yet) is shown as its one line.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pyarrow as pa

from cabinleak.errors import CabinleakError
from cabinleak.estimate.forecast import Interval
from cabinleak.estimate.results import LeakAnalysis, Settings
from cabinleak.physics.units import DAY_S, HOUR_S
from cabinleak.serve.background import Background
from cabinleak.serve.live import Live

#: Rows the estimate needs before it is tried (the leak test's warm-up is 60).
MIN_ROWS = 60
#: An alarm becomes CRITICAL when the floor may come this soon (the time to the floor's
#: lower 95 % bound) [h]: a day is the time a crew has to find a leak before it must act.
CRITICAL_HOURS = 24.0


def _si_name(live: Live, name: str) -> str:
    """The channel's header with its SI unit (the window holds SI values)."""
    spec = live.specs[name]
    if spec.quantity in ("depress", "vent"):
        return f"{spec.source}_{spec.quantity}_{name}"
    unit = {"pressure": "Pa", "ppO2": "Pa", "ppCO2": "Pa", "temperature": "K",
            "injection": "kg_per_s" if spec.rate else "kg"}.get(spec.quantity)
    if unit is None:
        return name
    keyword = {"pressure": "pressure", "ppO2": "ppO2", "ppCO2": "ppCO2",
               "temperature": "T", "injection": "injection"}[spec.quantity]
    return f"{spec.source}_{keyword}_{unit}"


#: The most rows handed to the estimator: a longer window is averaged in equal groups of
#: rows first (white noise averages down as the rows thin out, so the information is
#: kept; the estimator bins long records to 20,000 points itself).
MAX_ROWS = 20_000


def window_table(live: Live) -> pa.Table:
    """The window as a table in the telemetry convention, SI units; hatch and pump states
    are the last of each group, the rest group means."""
    t, cols = live.window.snapshot(points=MAX_ROWS)
    states = [n for n in cols if live.specs[n].quantity in ("hatch", "depress", "vent")]
    if live.window.size > MAX_ROWS and states:
        # a state is never averaged: the last reading of each group of rows
        t_all, raw = live.window.snapshot()
        edges = np.linspace(0, t_all.size, t.size + 1).astype(int)
        cols |= {n: _held_forward(raw[n])[edges[1:] - 1] for n in states}
    return pa.table({"time": t} | {_si_name(live, n): v for n, v in cols.items()})


def _held_forward(x: np.ndarray) -> np.ndarray:
    idx = np.maximum.accumulate(np.where(np.isfinite(x), np.arange(x.size), 0))
    return x[idx]


def _interval(i: Interval | None, scale: float = 1.0) -> dict[str, float | None] | None:
    if i is None:
        return None

    def f(x: float) -> float | None:
        return x * scale if math.isfinite(x) else None

    return {"value": f(i.value), "low": f(i.low), "high": f(i.high)}


def summary(live: Live, analysis: LeakAnalysis) -> list[dict[str, Any]]:
    """What the overview shows of each volume's estimate."""
    out = []
    for v in analysis.volumes:
        fc = v.forecast
        out.append({
            "label": v.label, "modules": list(v.series.modules),
            "leak_detected": v.leak_detected,
            "rate_kg_per_day": _interval(v.leak_rate_kg_per_s, DAY_S),
            "cda_mm2": _interval(v.effective_area_m2, 1e6),
            "hole_mm": _interval(v.hole_diameter_m, 1e3),
            "onset_s": v.onset_s, "onset_utc": live.utc(v.onset_s),
            "time_to_floor_h": _interval(fc.time_to_floor_s, 1 / HOUR_S),
            "gas_kg_per_day": {k: _interval(i) for k, i in fc.gas_per_day_kg.items()},
            "law": v.laws.best.law,
            "rate_track": {"time_s": [float(x) for x in v.track.time_s[::max(
                1, v.track.time_s.size // 400)]],
                "kg_per_day": [[float(x) * DAY_S for x in row[::max(
                    1, v.track.time_s.size // 400)]] for row in _track_rows(v)]},
            "detection": str(v.detection) if v.detection is not None else None,
        })
    return out


def _track_rows(v: Any) -> list[Any]:
    """The smoothed rate and its 95 % band [kg/s]."""
    tr = v.track
    return [tr.rate_kg_per_s, tr.rate_kg_per_s - 1.96 * tr.rate_sd_kg_per_s,
            tr.rate_kg_per_s + 1.96 * tr.rate_sd_kg_per_s]


class Worker(Background):
    """The background estimate of one console."""

    name = "cabinleak-estimate"
    join_timeout_s = 30.0  # an estimate under way finishes first

    def __init__(self, live: Live, *, cadence_s: float = 5.0,
                 settings: Settings | None = None) -> None:
        self.live = live
        self.cadence_s = cadence_s
        self.settings = settings or Settings(floor_Pa=live.floor_Pa)
        self._done_for: float | None = None
        super().__init__()

    def _run(self) -> None:
        while not self._stop.wait(self.cadence_s):
            self.run_once()

    def _escalate(self, volumes: list[dict[str, Any]]) -> None:
        for v in volumes:
            ttf = v["time_to_floor_h"]
            low = None if ttf is None else ttf["low"]
            if v["leak_detected"] and low is not None and low < CRITICAL_HOURS:
                self.live.store.escalate(v["label"], f"the floor may come in {low:.1f} h "
                                         f"(95 % lower bound, under {CRITICAL_HOURS:g} h)")

    def run_once(self) -> bool:
        """Estimate from the window now, if it has new rows; True when it ran."""
        last = self.live.window.last_time_s
        if last is None or last == self._done_for or self.live.window.size < MIN_ROWS:
            return False
        self._done_for = last
        started = time.perf_counter()
        from cabinleak.estimate.analysis import analyze
        from cabinleak.telemetry import telemetry_from_table

        try:
            tel = telemetry_from_table(window_table(self.live), name="live window",
                                       metadata={"station": self.live.station.name})
            analysis = analyze(tel, station=self.live.station, settings=self.settings)
            est: dict[str, Any] = {"volumes": summary(self.live, analysis), "error": None}
            self.live.analysis = analysis
            self._escalate(est["volumes"])
        except CabinleakError as exc:
            est = {"volumes": [], "error": str(exc)}
        except Exception as exc:  # the worker outlives any one estimate; the page says why
            est = {"volumes": [], "error": f"estimate failed: {type(exc).__name__}: {exc}"}
        est |= {"for_time_s": last, "for_utc": self.live.utc(last),
                "seconds": round(time.perf_counter() - started, 3)}
        self.live.estimate = est
        self.live.touched()
        return True
