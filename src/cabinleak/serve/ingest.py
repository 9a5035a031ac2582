"""Samples into the console: CSV rows or JSON lines in the telemetry table's column
convention (``time`` and ``MODULE_QUANTITY_UNIT`` columns, e.g. ``zvezda_pressure_mmHg``).

A batch is checked whole before anything is stored, so a bad one is refused entire, in
one line that names the line and the field: a header that is no channel, a module that
is not the station's, a unit that does not measure the quantity, a reading that is not a
finite number or not a cabin's (a pressure in the wrong unit reads as one), a time that
does not move forward. Times are seconds (a number) or ISO 8601 with a zone; the first
ISO time fixes the record's start, and numbers count from it.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import CabinleakError
from cabinleak.estimate.analysis import PLAUSIBLE_CABIN_PA, module_of
from cabinleak.physics.units import MMHG_PA
from cabinleak.station import Station
from cabinleak.telemetry.columns import TIME_NAMES, ColumnSpec, parse_header
from cabinleak.telemetry.model import STATES, Channel, TelemetryError

F = NDArray[np.float64]

#: The most rows one request may carry (a flood is refused, not half-written).
MAX_ROWS = 100_000
#: Plausible SI readings per quantity: outside, the unit is wrong or the sensor is.
PLAUSIBLE: dict[str, tuple[float, float, str]] = {
    "pressure": (0.0, 1500 * MMHG_PA, "0 to 1500 mmHg"),
    "ppO2": (0.0, 1500 * MMHG_PA, "0 to 1500 mmHg"),
    "ppCO2": (0.0, 1500 * MMHG_PA, "0 to 1500 mmHg"),
    "temperature": (200.0, 400.0, "200 to 400 K (-73 to 127 C)"),
}


class IngestError(CabinleakError):
    """A batch of samples cannot be taken; the message names the line and the field."""


@dataclass(frozen=True)
class Batch:
    """Checked rows: times [s since the record's start] and each channel's SI values."""

    time_s: F
    specs: tuple[ColumnSpec, ...]
    values: tuple[F, ...]  # per spec, NaN where a row has no reading
    start_utc: datetime | None  # the first ISO time of the batch, if it had any


def channel_spec(name: str, station: Station, where: str) -> ColumnSpec:
    """A channel header checked against the convention and the station."""
    try:
        spec = parse_header(name, where)
    except TelemetryError as exc:
        raise IngestError(str(exc)) from None
    if spec is None:
        raise IngestError(f"{where}: column {name!r} is not a channel (expected "
                          "MODULE_QUANTITY_UNIT, e.g. zvezda_pressure_mmHg)")
    if spec.quantity == "hatch":
        ids = {h.id.lower(): h.id for h in station.hatches}
        if spec.source.lower().replace("_", "-") not in ids:
            raise IngestError(f"{where}: column {name!r}: {spec.source!r} is not a hatch of "
                              f"station {station.name!r} (hatches: "
                              f"{', '.join(h.id for h in station.hatches)})")
        return spec
    try:
        module_of(Channel(name, spec.source, spec.quantity, spec.unit, np.zeros(0)), station)
    except TelemetryError as exc:
        raise IngestError(f"{where}: {exc}") from None
    return spec


def _time(text: object, where: str, start: datetime | None) -> tuple[float, datetime | None]:
    """Seconds since ``start`` and the start (set by the first ISO time)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = float(text)
    else:
        s = str(text).strip()
        try:
            value = float(s)
        except ValueError:
            value = math.nan
            s_is_iso = True
        else:
            s_is_iso = False
        if s_is_iso:
            when = _iso_time(s, where)
            if when.tzinfo is None:
                raise IngestError(f"{where}: time {s!r} has no zone (expected UTC, e.g. "
                                  "2018-08-29T23:00:00Z)")
            start = start or when
            return (when - start).total_seconds(), start
    if not math.isfinite(value):
        raise IngestError(f"{where}: time {value} is not a finite number of seconds")
    return value, start


def _iso_time(s: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise IngestError(f"{where}: time {s!r} is neither seconds nor ISO 8601 "
                          "(e.g. 2018-08-29T23:00:00Z)") from None


def _reading(text: object, spec: ColumnSpec, where: str) -> float:
    """A cell in SI; NaN for an empty cell (no reading in this row)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return math.nan
    if isinstance(text, bool):
        raw = float(text)
    elif isinstance(text, int | float):
        raw = float(text)
    else:
        s = str(text).strip().lower()
        if spec.quantity in STATES and s in ("open", "true", "on"):
            raw = 1.0
        elif spec.quantity in STATES and s in ("closed", "close", "false", "off", "shut"):
            raw = 0.0
        else:
            try:
                raw = float(s)
            except ValueError:
                raise IngestError(f"{where}, field {spec.name!r}: {text!r} is not a number"
                                  ) from None
    if not math.isfinite(raw):
        raise IngestError(f"{where}, field {spec.name!r}: {raw} is not a reading (leave "
                          "the cell empty for no reading)")
    if spec.quantity in STATES:
        if raw not in (0.0, 1.0):
            raise IngestError(f"{where}, field {spec.name!r}: {raw:g} is not a state "
                              "(expected 1 open/on or 0 closed/off)")
        return raw
    si = float(spec.to_si(np.array([raw]))[0])
    if spec.quantity in PLAUSIBLE:
        lo, hi, text_range = PLAUSIBLE[spec.quantity]
        if not lo <= si <= hi:
            raise IngestError(f"{where}, field {spec.name!r}: {raw:g} {spec.unit} is not a "
                              f"cabin's {spec.quantity} (expected {text_range}): is the unit "
                              "right?")
    return si


def _checked(rows: Sequence[tuple[str, object, Mapping[str, object]]], station: Station,
             start: datetime | None, last_s: float | None, known: Mapping[str, ColumnSpec]
             ) -> Batch:
    """Rows of (where, time, {column: cell}) checked into a :class:`Batch`."""
    if len(rows) > MAX_ROWS:
        raise IngestError(f"{len(rows)} rows in one request: at most {MAX_ROWS} (send the "
                          "rest in another request)")
    specs: dict[str, ColumnSpec] = {}
    times = np.empty(len(rows))
    cells: list[dict[str, float]] = []
    first_iso = start
    for i, (where, t_text, row) in enumerate(rows):
        t, start = _time(t_text, where, start)
        prev = times[i - 1] if i else last_s
        if prev is not None and not t > prev:
            raise IngestError(f"{where}: time {t:g} s is not after the sample before "
                              f"({prev:g} s): times must increase")
        times[i] = t
        out: dict[str, float] = {}
        for name, text in row.items():
            if name not in specs:
                specs[name] = known.get(name) or channel_spec(name, station, where)
            out[name] = _reading(text, specs[name], where)
        cells.append(out)
    ordered = tuple(specs.values())
    values = tuple(np.array([c.get(s.name, math.nan) for c in cells]) for s in ordered)
    for s, v in zip(ordered, values, strict=True):
        if s.name not in known and s.quantity == "pressure":
            _check_first(s, v, rows)
    return Batch(times, ordered, values, start if first_iso is None else None)


def _check_first(spec: ColumnSpec, si: F, rows: Sequence[tuple[str, object, object]]) -> None:
    """A new pressure channel's first reading must be a cabin's, as ``analyze`` wants of a
    record's median: later ones may fall to vacuum (an airlock), the first shows the unit."""
    ok = np.flatnonzero(np.isfinite(si))
    if not ok.size:
        return
    i = int(ok[0])
    lo, hi = PLAUSIBLE_CABIN_PA
    if not lo <= si[i] <= hi:
        raw = (si[i] - spec.offset) / spec.scale
        raise IngestError(f"{rows[i][0]}, field {spec.name!r}: {raw:g} {spec.unit} is not a "
                          f"cabin's pressure ({lo / MMHG_PA:.0f} to {hi / MMHG_PA:.0f} mmHg "
                          "for a channel's first reading): is the unit right?")


def parse_csv(text: str, station: Station, *, start: datetime | None = None,
              last_s: float | None = None, known: Mapping[str, ColumnSpec] | None = None,
              header: Sequence[str] | None = None, first_line: int = 1) -> Batch:
    """CSV rows, the first line a header (``time,zvezda_pressure_mmHg,...``) unless
    ``header`` is given (a followed file's rows); ``#`` lines are skipped."""
    lines = [(n, s) for n, s in enumerate(text.splitlines(), first_line)
             if s.strip() and not s.lstrip().startswith("#")]
    if header is None:
        if not lines:
            raise IngestError("empty request (expected a CSV header such as "
                              "time,zvezda_pressure_mmHg and rows)")
        header = [h.strip() for h in next(csv.reader([lines[0][1]]))]
        lines = lines[1:]
    names = list(header)
    time_name = names[0] if names else ""
    if time_name.lower() not in (*TIME_NAMES, "time_s"):
        raise IngestError(f"line {first_line}: the first column is {time_name!r}, expected "
                          "time (seconds or ISO 8601 UTC)")
    rows: list[tuple[str, object, Mapping[str, object]]] = []
    for n, line in lines:
        fields = next(csv.reader([line]))
        if len(fields) != len(names):
            raise IngestError(f"line {n}: {len(fields)} fields, expected {len(names)} "
                              f"({', '.join(names)})")
        rows.append((f"line {n}", fields[0], dict(zip(names[1:], fields[1:], strict=True))))
    if not rows:
        raise IngestError("no rows after the header")
    return _checked(rows, station, start, last_s, known or {})


def parse_json_lines(text: str, station: Station, *, start: datetime | None = None,
                     last_s: float | None = None,
                     known: Mapping[str, ColumnSpec] | None = None) -> Batch:
    """JSON lines, one object a row: ``{"time": 10, "zvezda_pressure_mmHg": 759.8}``."""
    rows: list[tuple[str, object, Mapping[str, object]]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise IngestError(f"{where}: expected an object such as "
                              '{"time": 10, "zvezda_pressure_mmHg": 759.8}')
        time_key = next((k for k in obj if k.lower() in (*TIME_NAMES, "time_s")), None)
        if time_key is None:
            raise IngestError(f"{where}: no time field (expected \"time\")")
        t = obj.pop(time_key)
        rows.append((where, t, obj))
    if not rows:
        raise IngestError("empty request (expected JSON lines such as "
                          '{"time": 10, "zvezda_pressure_mmHg": 759.8})')
    return _checked(rows, station, start, last_s, known or {})


def iso(start: datetime | None, time_s: float) -> str | None:
    """The UTC time of a record time, ISO 8601; None without a start."""
    if start is None:
        return None
    return datetime.fromtimestamp(start.timestamp() + time_s, UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
