"""The console's state: the station, the record, the window, the leak test per isolated
volume and the alarms it raises.

Every batch goes the same way, whoever sends it (the API, ``--demo``, ``--replay``,
``--follow``): checked (:mod:`.ingest`), committed to the store, added to the window, then
fed to the test of each isolated volume (the modules joined by open hatches, from the
station and the latest hatch columns) as its gas mass, m = p·V/(R·T) less the gas
injected, formed with arrays between hatch changes. A hatch that changes (or a channel
seen for the first time) regroups the volumes and starts their tests afresh, as
``analyze`` analyses from the last hatch change on; a planned depress or vent pauses a
volume's test. On start the stored record (the window's worth) is read back and run
through the tests, so a restart resumes where it was; an alarm found again is not
raised twice.
"""

from __future__ import annotations

import math
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from cabinleak.estimate.analysis import default_wander_Pa_per_s, module_of
from cabinleak.estimate.results import DEFAULT_FLOOR_PA
from cabinleak.physics import gas
from cabinleak.physics.units import MMHG_PA
from cabinleak.serve.ingest import Batch, iso, parse_csv, parse_json_lines
from cabinleak.serve.online import OnlineAlarm, OnlineLeakTest
from cabinleak.serve.store import Store
from cabinleak.serve.window import F, Window
from cabinleak.station import Station
from cabinleak.telemetry.columns import ColumnSpec, parse_header
from cabinleak.telemetry.model import Channel

#: The yellow (warning) limit sits this far above the red one, the floor [Pa].
YELLOW_ABOVE_FLOOR_PA = 30 * MMHG_PA


@dataclass
class Volume:
    """An isolated volume and its leak test."""

    label: str
    modules: tuple[str, ...]
    volume_m3: float
    pressure: tuple[str, ...]  # channel names
    temperature: tuple[str, ...]
    injection: tuple[str, ...]
    temperature_K: float  # the station's, where no temperature channel reads
    test: OnlineLeakTest
    states: tuple[str, ...] = ()  # depress pumps and vent valves: planned outflows
    planned: bool = False  # a planned outflow is running: the test waits
    added_kg: float = 0.0
    last_t: float | None = None
    alarm: OnlineAlarm | None = None


class Live:
    """One console: the station, its store and window, the tests, a version for pushes."""

    def __init__(self, station: Station, store: Store, *, window_rows: int = 200_000,
                 floor_Pa: float = DEFAULT_FLOOR_PA, false_alarms_per_year: float = 1.0) -> None:
        self.station = station
        self.store = store
        self.window = Window(window_rows)
        self.floor_Pa = floor_Pa
        self.false_alarms_per_year = false_alarms_per_year
        self.specs: dict[str, ColumnSpec] = {}
        self.sources: dict[str, str] = {}  # channel → module (or hatch id)
        self.hatch_open: dict[str, bool] = {}
        self.held: dict[str, float] = {}  # each channel's last reading [SI]
        self.volumes: list[Volume] = []
        self.start_utc: datetime | None = None
        self.lock = threading.RLock()
        self.changed = threading.Condition()
        self.version = 0
        self.estimate: dict[str, Any] = {}  # the worker's latest summary
        self.analysis: Any = None  # the worker's latest LeakAnalysis
        # while the record is read back: the volumes that had an alarm already (a window
        # shorter than the record can date the same leak's decision a little differently)
        self._alarmed: set[str] | None = None
        self._regroup()
        self._resume()

    # ------------------------------------------------------------ set-up

    def _resume(self) -> None:
        """Read the stored record back and run it through the tests."""
        start = self.store.meta("start_utc")
        if start:
            self.start_utc = datetime.fromisoformat(start)
        rows = self.store.channels()
        for r in rows:
            spec = parse_header(r.name)
            if spec is None or spec.source != r.source:  # a replayed feed's item
                spec = ColumnSpec(r.name, r.source, r.quantity, r.unit)  # type: ignore[arg-type]
            self._register(spec)
        # the window's worth: older rows stay in the store (and out of the tests)
        self._regroup()  # the channels read back, before their first rows
        names = {r.id: r.name for r in rows}
        self._alarmed = {a.volume for a in self.store.alarms()}
        try:
            for t, by_id in self.store.iter_samples(
                    self.store.start_of_last(self.window.capacity)):
                self._take(t, {names[i]: v for i, v in by_id.items() if i in names},
                           resume=True)
        finally:
            self._alarmed = None

    def _register(self, spec: ColumnSpec) -> None:
        self.specs[spec.name] = spec
        if spec.quantity == "hatch":
            key = spec.source.lower().replace("_", "-")
            self.sources[spec.name] = next(h.id for h in self.station.hatches
                                           if h.id.lower() == key)
        else:
            self.sources[spec.name] = module_of(
                Channel(spec.name, spec.source, spec.quantity, spec.unit, np.zeros(0)),
                self.station)

    def _regroup(self) -> None:
        """The isolated volumes for the hatch states now, each with a fresh test."""
        out = []
        for mods in self.station.isolated_volumes(self.hatch_open or None):
            chans = [n for n, m in self.sources.items() if m in mods]
            by = {q: tuple(n for n in chans if self.specs[n].quantity == q)
                  for q in ("pressure", "temperature", "injection", "depress", "vent")}
            vol = sum(self.station.module(m).volume_m3 for m in mods)
            label = ("+".join(mods) if len(mods) <= 3 else
                     self.station.name if len(mods) == len(self.station.module_ids)
                     else f"{self.station.name} ({len(mods)} modules)")
            t_mod = float(np.mean([self.station.module(m).temperature_K for m in mods]))
            r_gas = float(gas.gas_constant(gas.AIR_MASS_FRACTIONS))
            wander = default_wander_Pa_per_s(self.station, mods) * vol / (r_gas * t_mod)
            out.append(Volume(label, tuple(mods), vol, by["pressure"], by["temperature"],
                              by["injection"], t_mod,
                              self._new_test(wander), by["depress"] + by["vent"]))
        self.volumes = out

    def _new_test(self, wander_kg_per_s: float) -> OnlineLeakTest:
        return OnlineLeakTest(false_alarms_per_year=self.false_alarms_per_year,
                              wander_kg_per_s=wander_kg_per_s)

    # ------------------------------------------------------------ ingest

    def parse(self, text: str, kind: str) -> Batch:
        """A request's body (``csv`` or ``jsonl``) checked against the station and the
        record so far."""
        read = parse_json_lines if kind == "jsonl" else parse_csv
        return read(text, self.station, start=self.start_utc,
                    last_s=self.window.last_time_s, known=self.specs)

    def ingest(self, batch: Batch) -> int:
        """Store the batch (durable when this returns), then run it through the tests."""
        with self.lock:
            last = self.window.last_time_s
            if last is not None and batch.time_s.size and batch.time_s[0] <= last:
                from cabinleak.serve.ingest import IngestError

                raise IngestError(f"time {batch.time_s[0]:g} s is not after the last sample "
                                  f"({last:g} s): times must increase")
            new = [s for s in batch.specs if s.name not in self.specs]
            if new:
                self.store.add_channels([(s.name, s.quantity, s.unit, s.source) for s in new])
            if batch.start_utc is not None and self.start_utc is None:
                self.start_utc = batch.start_utc
                self.store.set_meta("start_utc", batch.start_utc.isoformat())
            ids = {r.name: r.id for r in self.store.channels()}
            self.store.add_samples(batch.time_s, {ids[s.name]: v for s, v in
                                                  zip(batch.specs, batch.values, strict=True)})
            for s in new:
                self._register(s)
            if new:
                self._regroup()
            self._take(batch.time_s, {s.name: v for s, v in
                                      zip(batch.specs, batch.values, strict=True)})
            return int(batch.time_s.size)

    def _take(self, t: F, cols: dict[str, F], *, resume: bool = False) -> None:
        """Rows into the window and the tests (after the store has them).

        The rows are cut where a hatch changes; each stretch goes to the tests of the
        volumes of its hatch states, its mass formed with arrays.
        """
        self.window.append(t, cols)
        defaults = {h.id: h.open for h in self.station.hatches}
        state = {hid: self.hatch_open.get(hid, open_) for hid, open_ in defaults.items()}
        cuts: list[tuple[int, str, bool]] = []  # (row, hatch, open) where a hatch changes
        for n, col in cols.items():
            if self.specs[n].quantity != "hatch":
                continue
            hid = self.sources[n]
            ok = np.flatnonzero(np.isfinite(col))
            was = state[hid]
            for i in ok:
                now = bool(col[i] > 0.5)
                if now != was:
                    cuts.append((int(i), hid, now))
                    was = now
        cuts.sort()
        a = 0
        for row, hid, now in [*cuts, (t.size, "", False)]:
            if row > a:
                part = {n: c[a:row] for n, c in cols.items()}
                for vol in self.volumes:
                    self._feed(vol, t[a:row], part)
                self._hold(part)
            if not hid:
                break
            self.hatch_open[hid] = now
            self._regroup()
            if not resume:
                self.store.log("telemetry", f"hatch {hid} {'opened' if now else 'closed'}: "
                               "leak test restarted per isolated volume")
            a = row
        self._bump()

    def _hold(self, cols: dict[str, F]) -> None:
        """Keep each channel's last reading."""
        for n, col in cols.items():
            ok = np.flatnonzero(np.isfinite(col))
            if ok.size:
                self.held[n] = float(col[ok[-1]])

    def _held(self, name: str, col: F | None, size: int) -> F:
        """A channel's readings held forward over a stretch (from its last one before)."""
        first = self.held.get(name, math.nan)
        if col is None:
            return np.full(size, first)
        idx = np.where(np.isfinite(col), np.arange(size), -1)
        idx = np.maximum.accumulate(idx)
        return np.where(idx >= 0, col[np.maximum(idx, 0)], first)

    def _feed(self, vol: Volume, t: F, cols: dict[str, F]) -> None:
        """A stretch of rows into one volume's test: its gas mass, less what was added."""
        if not vol.pressure:
            return
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # rows with no reading yet
            p = np.nanmean([self._held(n, cols.get(n), t.size) for n in vol.pressure], axis=0)
            temp = (np.nanmean([self._held(n, cols.get(n), t.size) for n in vol.temperature],
                               axis=0) if vol.temperature else np.full(t.size, np.nan))
        temp = np.where(np.isfinite(temp), temp, vol.temperature_K)
        added = np.zeros(t.size)
        for n in vol.injection:
            x = np.nan_to_num(self._held(n, cols.get(n), t.size))
            if self.specs[n].rate:  # kg/s held over the interval that ends at each row
                prev = np.r_[vol.last_t if vol.last_t is not None else t[0], t[:-1]]
                added += np.cumsum(x * (t - prev))
            else:  # kg added in the interval that ends at each row
                added += np.cumsum(np.nan_to_num(cols.get(n, np.zeros(t.size))))
        added += vol.added_kg
        vol.added_kg = float(added[-1])
        vol.last_t = float(t[-1])
        r_gas = float(gas.gas_constant(gas.AIR_MASS_FRACTIONS))
        mass = p * vol.volume_m3 / (r_gas * temp) - added
        planned = np.zeros(t.size, dtype=bool)
        for n in vol.states:
            planned |= self._held(n, cols.get(n), t.size) > 0.5
        # a planned depress or vent (and its repress) is no leak: the test waits, then
        # starts afresh on the gas left, as analyze leaves those rows out
        edges = np.flatnonzero(np.diff(planned.astype(np.int8))) + 1
        for a, b in zip(np.r_[0, edges].tolist(), np.r_[edges, t.size].tolist(), strict=True):
            if planned[a]:
                vol.planned = True
                continue
            if vol.planned:
                vol.test, vol.planned = self._new_test(vol.test.wander_kg_per_s), False
            found = vol.test.feed_many(t[a:b], mass[a:b])
            if found is None:
                continue
            vol.alarm = found
            if self._alarmed is not None and vol.label in self._alarmed:
                continue  # read back: this volume's alarm is in the store already
            self.store.raise_alarm(vol.label, "WARNING", found.time_s,
                                   found.excursion_start_s, found.rate_kg_per_s)

    def _bump(self) -> None:
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def touched(self) -> None:
        """Something the pages show changed (an acknowledgement, an estimate)."""
        self._bump()

    # ------------------------------------------------------------ what the pages read

    def utc(self, time_s: float | None) -> str | None:
        return None if time_s is None else iso(self.start_utc, time_s)

    def limit_state(self, name: str, value: float) -> str:
        """``red``, ``yellow`` or ``""`` for a reading, against the floor's bands."""
        if self.specs[name].quantity != "pressure":
            return ""
        if value < self.floor_Pa:
            return "red"
        return "yellow" if value < self.floor_Pa + YELLOW_ABOVE_FLOOR_PA else ""

    def status(self) -> dict[str, Any]:
        """The latest values, the tests, the alarms and the estimate, for the pages."""
        latest = self.window.latest()
        lad = []
        for name, (t, v) in sorted(latest.items()):
            spec = self.specs[name]
            shown, unit = display(spec, v)
            lad.append({"channel": name, "source": self.sources[name], "time_s": t,
                        "utc": self.utc(t), "value": shown, "unit": unit,
                        "limit": self.limit_state(name, v)})
        alarms = self.store.alarms()
        from cabinleak.serve.store import utc_now

        now = utc_now()
        return {
            "version": self.version, "station": self.station.name,
            "time_s": self.window.last_time_s, "utc": self.utc(self.window.last_time_s),
            "rows": self.window.size, "lad": lad,
            "hatches": {h.id: self.hatch_open.get(h.id, h.open) for h in self.station.hatches},
            "volumes": [{"label": v.label, "modules": list(v.modules),
                         "statistic": v.test.statistic,
                         "armed": v.test.design is not None,
                         "alarm": None if v.alarm is None else {
                             "time_s": v.alarm.time_s, "utc": self.utc(v.alarm.time_s),
                             "rate_kg_per_day": v.alarm.rate_kg_per_s * 86400.0}}
                        for v in self.volumes],
            "alarms_pending": sum(1 for a in alarms if not a.acknowledged
                                  and not a.shelved(now)),
            "alarms": [a.to_dict() | {"utc": self.utc(a.time_s), "shelved": a.shelved(now),
                                      "onset_utc": self.utc(a.onset_s)}
                       for a in alarms[:20]],
            "estimate": self.estimate,
            "floor_mmHg": self.floor_Pa / MMHG_PA,
            "yellow_mmHg": (self.floor_Pa + YELLOW_ABOVE_FLOOR_PA) / MMHG_PA,
        }


def display(spec: ColumnSpec, value_si: float) -> tuple[float, str]:
    """A reading in the units crews use: mmHg, °C, as given for the rest."""
    if spec.quantity in ("pressure", "ppO2", "ppCO2"):
        return value_si / MMHG_PA, "mmHg"
    if spec.quantity == "temperature":
        return value_si - 273.15, "°C"
    if spec.quantity == "injection":
        return value_si * 86400.0 if spec.rate else value_si, "kg/day" if spec.rate else "kg"
    return value_si, ""
