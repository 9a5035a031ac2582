"""The public ISS telemetry feed: items sent on change, recorded as ``item, timestamp, value``.

The feed that ISS Live and ISS Mimic show sends an item only when its value changes.
Recorders of it write a long table, one row per change::

    # year = 2017
    item,timestamp,value
    AIRLOCK000049,6776.548333,744.9402466
    AIRLOCK000047,6776.549167,1

Rules (each with the constant or file that sets it):

* the header names ``item``, ``timestamp`` and ``value`` (any case, any order); other
  columns are kept out, except an ISO 8601 time column (``ISO_COLUMNS``), used only to
  place the timestamps in a year;
* the timestamp is hours since 00:00 UTC on 31 December of the previous year, so
  1 January 00:00 is hour 24 (``feed_time``). The year comes from the caller (``--year``),
  else a ``# year = 2017`` line, else the feed's own year item ``TIME_000002`` when it was
  recorded, else the ISO column (the year that puts the first row's timestamp nearest its
  ISO time); none of these is an error. Timestamps must lie in
  ``0 ≤ h ≤ MAX_HOURS``;
* each item is looked up in the mapping: the bundled :data:`FEED_MAPPING` (item → station
  module, quantity, unit, resolution, with the source of each), overridden or extended by
  a mapping file given by the caller. An item in neither is an error that names it;
  items the mapping marks ``ignore = true`` are left out and listed in the metadata;
* the values of all items are placed on the union of their change times, each item's
  last value held forward (NaN before its first report; a missing value, ``-``, is a
  report of "unknown" and holds as such). Two reports of one item at one time: the later
  line wins. Every channel is marked ``on_change`` (see :class:`~cabinleak.telemetry.model.
  Channel`), so the cleaner does not look for spikes or sensor steps in it and the
  estimator can treat a row as news only where the value changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from cabinleak.telemetry.columns import ColumnSpec, TableMapping, load_mapping
from cabinleak.telemetry.model import TelemetryError

__all__ = [
    "FEED_COLUMNS", "FEED_MAPPING", "ISO_COLUMNS", "MAX_HOURS", "FeedTable", "feed_epoch",
    "feed_time", "is_feed", "is_feed_file", "pivot_feed",
]  # fmt: skip

F = NDArray[np.float64]
I = NDArray[np.intp]  # noqa: E741

#: The bundled item mapping of the public ISS feed.
FEED_MAPPING: Path = Path(__file__).with_name("iss-feed.toml")
#: The columns that make a table a feed record (any case).
FEED_COLUMNS: tuple[str, str, str] = ("item", "timestamp", "value")
#: Names of an optional ISO 8601 time column that places the timestamps in a year.
ISO_COLUMNS: tuple[str, ...] = ("time", "utc", "gmt", "date", "datetime", "time_utc", "iso")
#: The feed's own item for the year (public ISS telemetry list).
YEAR_ITEM = "TIME_000002"
#: Largest feed timestamp [h]: 31 Dec of the year before plus 366 days, plus a day's margin.
MAX_HOURS = 368 * 24.0


def is_feed(names: Sequence[str]) -> bool:
    """Whether a table's header is a feed record's: ``item``, ``timestamp`` and ``value``."""
    lowered = {n.strip().lower() for n in names}
    return all(c in lowered for c in FEED_COLUMNS)


def is_feed_file(path: str | Path) -> bool:
    """Whether a CSV file's header (its first line that is not a ``#`` comment) is a feed's."""
    file = Path(path)
    if file.suffix.lower() != ".csv" or not file.is_file():
        return False
    with open(file, "rb") as fh:
        for line in fh:
            text = line.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
            if text and not text.startswith("#"):
                delimiter = next((d for d in (",", ";", "\t") if d in text), ",")
                return is_feed(text.split(delimiter))
    return False


def feed_epoch(year: int) -> datetime:
    """The zero of the feed's timestamps in `year`: 00:00 UTC on 31 December of the year before.

    >>> feed_epoch(2017).isoformat()
    '2016-12-31T00:00:00+00:00'
    """
    return datetime(year - 1, 12, 31, tzinfo=UTC)


def feed_time(hours: float, year: int) -> datetime:
    """The UTC time of a feed timestamp [h] in `year`.

    Examples
    --------
    Hour 6783.5 of 2017 is 282 days and 15.5 h after 31 December 2016, 15:30 UTC on
    9 October 2017 (day 282 of the year):

    >>> feed_time(6783.5, 2017).isoformat()
    '2017-10-09T15:30:00+00:00'
    >>> feed_time(24.0, 2018).isoformat()
    '2018-01-01T00:00:00+00:00'
    """
    return feed_epoch(year) + timedelta(hours=hours)


@dataclass(frozen=True, eq=False)
class FeedTable:
    """A feed record turned into a wide table the telemetry reader cleans."""

    table: pa.Table  # "time" (timestamp[ns, UTC]) and one float64 column per item
    specs: tuple[ColumnSpec, ...]  # one per item column, all on_change
    ignored: tuple[str, ...]  # items present and left out (mapping says ignore)
    metadata: Mapping[str, str]
    file_rows: I  # 0-based data row of the first report at each time (for line numbers)
    year: int


def pivot_feed(table: pa.Table, path: str, metadata: Mapping[str, str], first_line: int, *,
               year: int | None = None, mapping: TableMapping | None = None) -> FeedTable:
    """Turn a feed record (``item, timestamp, value``) into held values on the change times.

    Parameters
    ----------
    table : pyarrow.Table
        The record as read, with the columns :func:`is_feed` looks for.
    path : str
        The file, for messages.
    metadata : mapping
        Its ``# key = value`` lines (``year`` is used).
    first_line : int
        File line of the first data row.
    year : int, optional
        The year of the timestamps; overrides ``# year`` and the ISO column.
    mapping : TableMapping, optional
        Items beyond or instead of :data:`FEED_MAPPING`'s.

    Returns
    -------
    FeedTable

    Raises
    ------
    TelemetryError
        No year to place the timestamps in, a timestamp or value that cannot be read,
        items the mapping does not know (named), or no rows.
    """
    cols = {n.strip().lower(): n for n in table.column_names}
    item_col, ts_col, value_col = (table.column(cols[c]) for c in FEED_COLUMNS)
    n = table.num_rows
    if n == 0:
        raise TelemetryError(f"{path}: a feed record with no rows (expected item,timestamp,"
                             "value lines such as USLAB000058,6783.5483,744.94)")
    if item_col.null_count:
        i = int(np.flatnonzero(item_col.is_null().to_numpy(zero_copy_only=False))[0])
        raise TelemetryError(f"{path}: line {first_line + i}: no item id")
    items = np.asarray(pc.utf8_trim_whitespace(item_col.cast(pa.string())).to_numpy(
        zero_copy_only=False), dtype=object)
    hours = _hours(ts_col, path, first_line)
    values = _values(value_col, items, path, first_line)
    iso = next((cols[c] for c in ISO_COLUMNS if c in cols), None)
    feed_years = values[(items == YEAR_ITEM) & np.isfinite(values)]
    year, how = _year(year, metadata, feed_years, None if iso is None else table.column(iso),
                      hours, path, first_line)

    known = load_mapping(FEED_MAPPING)
    specs = dict(known.columns)
    skip = set(known.ignored)
    if mapping is not None:
        for name in mapping.columns:
            skip.discard(name)
        specs.update(mapping.columns)
        skip |= mapping.ignored
    present = sorted(set(items))
    unknown = [x for x in present if x not in specs and x not in skip]
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more"
                                           if len(unknown) > 10 else "")
        raise TelemetryError(f"{path}: unknown feed item{'s' if len(unknown) > 1 else ''} "
                             f"{shown}: add [columns.<item>] entries (source, quantity, unit; "
                             f"or ignore = true) to {FEED_MAPPING} or to a mapping file given "
                             "with --mapping")
    used = [x for x in present if x in specs and x not in skip]
    ignored = tuple(x for x in present if x in skip)
    if not any(specs[x].quantity == "pressure" for x in used):
        pressure = sorted(x for x, spec in specs.items()
                          if spec.quantity == "pressure" and x not in skip)
        raise TelemetryError(f"{path}: the feed record holds no pressure item (items: "
                             f"{', '.join(present)}; pressure items: {', '.join(pressure)})")

    epoch_ns = int((feed_epoch(year) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 10**9
    ns = epoch_ns + np.round(hours * 3.6e12).astype(np.int64)
    keep = np.isin(items, used)
    rows = np.flatnonzero(keep)
    order = rows[np.argsort(ns[rows], kind="stable")]
    times, first = np.unique(ns[order], return_index=True)
    where_row = np.searchsorted(times, ns[order])
    out: dict[str, pa.Array] = {"time": pa.array(times, type=pa.timestamp("ns", tz="UTC"))}
    for name in used:
        mine = items[order] == name
        grid, vals = where_row[mine], values[order][mine]
        last = np.r_[grid[1:] != grid[:-1], True]  # of reports at one time, the later line
        out[name] = pa.array(_held(grid[last], vals[last], times.size))
    meta = dict(metadata)
    meta.update({"year": str(year), "year_from": how, "feed_mapping": str(FEED_MAPPING)})
    if mapping is not None:
        meta.update(mapping.metadata)
        meta["mapping"] = mapping.path
    return FeedTable(pa.table(out), tuple(replace(specs[x], on_change=True) for x in used),
                     ignored, meta, order[first].astype(np.intp), year)


def _held(grid: I, values: F, n: int) -> F:
    """Each row's last report at or before it (NaN before the first); `grid` increasing.

    >>> _held(np.array([1, 3]), np.array([5.0, 7.0]), 5).tolist()
    [nan, 5.0, 5.0, 7.0, 7.0]
    """
    k = np.searchsorted(grid, np.arange(n), side="right") - 1
    return np.where(k >= 0, values[np.maximum(k, 0)], np.nan)


def _hours(col: pa.ChunkedArray, path: str, first_line: int) -> F:
    try:
        hours = np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False),
                           dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        text = col.cast(pa.string())
        hours = np.array([_float(x) for x in text.to_pylist()], dtype=np.float64)
    bad = np.flatnonzero(~(np.isfinite(hours) & (hours >= 0.0) & (hours <= MAX_HOURS)))
    if bad.size:
        i = int(bad[0])
        raise TelemetryError(f"{path}: line {first_line + i}, column 'timestamp': cannot read "
                             f"{col[i].as_py()} as a feed time (expected hours since 00:00 "
                             f"UTC on 31 December of the year before, 0 to {MAX_HOURS:g})")
    return hours


def _float(x: object) -> float:
    try:
        return float(str(x))
    except ValueError:
        return float("nan")


def _values(col: pa.ChunkedArray, items: NDArray[np.object_], path: str,
            first_line: int) -> F:
    """The values as numbers; missing ('-', empty, NA) as NaN, anything else an error."""
    if pa.types.is_boolean(col.type):
        col = col.cast(pa.int8())
    try:
        return np.asarray(col.cast(pa.float64()).to_numpy(zero_copy_only=False),
                          dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    text = col.cast(pa.string()).to_pylist()
    out = np.full(len(text), np.nan)
    for i, x in enumerate(text):
        if x is None:
            continue
        try:
            out[i] = float(x)
        except ValueError:
            raise TelemetryError(f"{path}: line {first_line + i}, item {items[i]}: cannot read "
                                 f"{x!r} as a number (expected a number, or - or empty for "
                                 "unknown)") from None
    return out


def _year(year: int | None, metadata: Mapping[str, str], feed_years: F,
          iso: pa.ChunkedArray | None, hours: F, path: str, first_line: int) -> tuple[int, str]:
    """The year of the timestamps and where it came from."""
    if year is not None:
        return _checked(year, path, "--year"), "given"
    text = metadata.get("year")
    if text is not None:
        try:
            return _checked(int(text.strip()), path, "'# year'"), "# year line"
        except ValueError:
            raise TelemetryError(f"{path}: '# year = {text}' is not a year such as 2017") \
                from None
    if feed_years.size:
        return _checked(int(feed_years[0]), path, YEAR_ITEM), YEAR_ITEM
    if iso is not None and len(iso) and iso[0].is_valid:
        first = str(iso[0].as_py()).strip()
        try:
            at = datetime.fromisoformat(first.replace(" UTC", "Z"))
        except ValueError:
            raise TelemetryError(f"{path}: line {first_line}: cannot read {first!r} as an ISO "
                                 "8601 time (expected such as 2017-10-10T07:02:33Z)") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        best = min((at.year - 1, at.year, at.year + 1),
                   key=lambda y: abs((feed_time(float(hours[0]), y) - at).total_seconds()))
        return best, "ISO time column"
    raise TelemetryError(f"{path}: feed timestamps count hours from 31 December of the year "
                         f"before (first: {hours[0]:g} h) and the record does not say the "
                         "year: pass --year (read_telemetry(..., year=)), or add a line "
                         f"'# year = 2017' above the header, the item {YEAR_ITEM} or an ISO "
                         "8601 time column")


def _checked(year: int, path: str, what: str) -> int:
    if not 1998 <= year <= 2100:
        raise TelemetryError(f"{path}: {what} {year} is not a year of the station (1998 on)")
    return year
