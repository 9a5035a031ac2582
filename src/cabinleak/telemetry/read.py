"""Read telemetry tables (CSV or Parquet) into a cleaned :class:`Telemetry` in SI units.

A table has one time column (``time``, ``timestamp``, ``utc``, ``gmt``, ``date``,
``datetime`` or ``time_<unit>``; ISO 8601 text or numbers) and channel columns whose
headers say source, quantity and unit (``zvezda_pressure_mmHg``; see
:mod:`cabinleak.telemetry.columns`), or a mapping file that says so. CSV files may start
with ``# key = value`` comment lines, kept as metadata. What is cleaned, and how, is
described in :mod:`cabinleak.telemetry.clean`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from cabinleak.telemetry.clean import (
    MAX_DETAILED,
    Cleaned,
    Steps,
    Where,
    clean_channel,
    duplicate_issues,
    find_gaps,
    make_grid,
    resolve_steps,
    sort_rows,
)
from cabinleak.telemetry.columns import (
    ColumnSpec,
    TableMapping,
    find_time_column,
    load_mapping,
    parse_header,
)
from cabinleak.telemetry.feed import is_feed, pivot_feed
from cabinleak.telemetry.model import STATES, Channel, DataIssue, Telemetry, TelemetryError
from cabinleak.telemetry.write import TABLE_FORMATS

__all__ = ["MISSING_TOKENS", "read_telemetry", "telemetry_from_table"]

F = NDArray[np.float64]

#: Cell texts read as a missing value (any case, surrounding spaces ignored).
MISSING_TOKENS: tuple[str, ...] = (
    "", "na", "n/a", "nan", "-nan", "+nan", "-", "--", "null", "none", "#n/a", "?",
)  # fmt: skip
_OPEN, _CLOSED = ("true", "open"), ("false", "closed", "close", "shut")
_ARROW_NULLS = sorted({v for tok in MISSING_TOKENS for v in (tok, tok.upper(), tok.title())})
_NUMERIC = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_ZONED = r"\d:\d\d(:\d\d(\.\d*)?)?\s*(Z|z|[+-]\d\d(:?\d\d)?)$"
_MISSING_HINT = "empty, NA, NaN or - for a missing value"


def check_file(path: str | Path) -> tuple[Path, str, str]:
    """The file, its name as given and its lower-case suffix, once it is known usable."""
    file, name = Path(path), str(path)
    suffix = file.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise TelemetryError(f"{name}: unknown table format {suffix or '(none)'!r} "
                             f"(expected {' or '.join(TABLE_FORMATS)})")
    if not file.is_file():
        raise TelemetryError(f"{name}: file not found")
    if file.stat().st_size == 0:
        raise TelemetryError(f"{name}: empty file (expected a header row with a time column "
                             "and channels such as zvezda_pressure_mmHg)")
    return file, name, suffix


def read_telemetry(path: str | Path, *, mapping: str | Path | None = None,
                   gauge: bool | None = None, time_column: str | None = None,
                   year: int | None = None) -> Telemetry:
    """Read and clean a telemetry table.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` table.
    mapping : str or Path, optional
        A TOML mapping file for headers that do not carry their unit
        (see :func:`cabinleak.telemetry.columns.load_mapping`); its entries override
        header parsing.
    gauge : bool, optional
        Whether the table holds a few hand-read gauge values; by default a table of at
        most 20 rows, or of at most 50 irregularly spaced rows. Gauge tables are not
        checked for gaps, spikes or steps.
    time_column : str, optional
        The time column, when its name is not one of the accepted ones.
    year : int, optional
        For a record of the public ISS feed (a CSV whose header is ``item, timestamp,
        value``, see :mod:`cabinleak.telemetry.feed`): the year its timestamps count in,
        when the record does not say.

    Returns
    -------
    Telemetry
        Sorted unique times ``time_s`` [s] (seconds since ``start_time`` for ISO times,
        else the numbers as given, converted to seconds), channels in SI [Pa, K, 1/0, kg],
        injections as cumulative mass added since the first row [kg], what was fixed
        (``issues``), ``# key = value`` metadata and ``ignored_columns``.

    Raises
    ------
    TelemetryError
        The table cannot be used; one line naming the file, the line or column, and
        what was expected.
    """
    file, name, suffix = check_file(path)
    table_map = load_mapping(mapping) if mapping is not None else None
    if suffix == ".csv":
        table, metadata, first_line = _read_csv(file, name)
    else:
        table, metadata, first_line = _read_parquet(file, name)
    return _clean_table(table, name, metadata, first_line, csv=suffix == ".csv",
                        table_map=table_map, gauge=gauge, time_column=time_column, year=year)


def telemetry_from_table(table: pa.Table, *, name: str = "<memory>",
                         metadata: dict[str, str] | None = None, gauge: bool | None = None,
                         time_column: str | None = None) -> Telemetry:
    """Clean a telemetry table held in memory, as :func:`read_telemetry` cleans a file.

    The in-memory entry point to the estimator (the live console hands its window here):
    the same column convention (``time`` and ``zvezda_pressure_mmHg`` headers), the same
    cleaning; errors name `name` and the row as if the table were a Parquet file.

    Examples
    --------
    >>> import pyarrow as pa
    >>> tel = telemetry_from_table(pa.table({"time": [0.0, 10.0, 20.0],
    ...                                      "lab_pressure_mmHg": [760.0, 759.9, 759.8]}))
    >>> round(float(tel.channels[0].values[0]), 1), tel.path
    (101325.0, '<memory>')
    """
    return _clean_table(table, name, dict(metadata or {}), 1, csv=False, table_map=None,
                        gauge=gauge, time_column=time_column, year=None)


def _clean_table(table: pa.Table, name: str, metadata: dict[str, str], first_line: int, *,
                 csv: bool, table_map: TableMapping | None, gauge: bool | None,
                 time_column: str | None, year: int | None) -> Telemetry:
    """The table as read (``first_line``: the file line of its first row), cleaned."""
    suffix = ".csv" if csv else ".parquet"
    order = None
    if suffix == ".csv" and is_feed(table.column_names):
        feed = pivot_feed(table, name, metadata, first_line, year=year, mapping=table_map)
        table, metadata, order = feed.table, dict(feed.metadata), feed.file_rows
        time_name, specs, ignored = "time", list(feed.specs), list(feed.ignored)
        table_map = None  # its entries are in the specs; its metadata in feed.metadata
        if gauge is None:
            gauge = False  # a feed's change times are irregular; it is no hand reading
    else:
        time_name, specs, ignored = _columns(table.column_names, name, table_map, time_column)
    if table.num_rows < 2:
        raise TelemetryError(f"{name}: fewer than 2 usable rows ({table.num_rows} data rows; "
                             "need at least 2 with a time and a pressure)")
    where = Where(name, first_line, csv=suffix == ".csv", order=order)
    unit_s = _time_unit(time_name, table_map)
    t, start = _times(table.column(time_name), time_name, unit_s, where)
    columns = {spec.name: table.column(spec.name) for spec in specs}
    del table  # free each column once it is converted
    where = Where(name, first_line, where.csv, start, order)
    perm, unsorted = sort_rows(t, where)
    if perm is not None:
        t, where = t[perm], where.reorder(perm)
    grid = make_grid(t, where, gauge)
    channels: list[Channel] = []
    channel_issues: list[DataIssue] = []
    identical = np.ones(min(grid.runs.size, MAX_DETAILED), dtype=bool)
    steps: list[Steps] = []
    moved_limit: dict[str, float] = {}
    file_rows = Where(name, first_line, where.csv, order=order)

    def work(spec: ColumnSpec) -> Cleaned:
        raw = _numbers(columns.pop(spec.name), spec, file_rows)
        return clean_channel(spec, raw if perm is None else raw[perm], grid)

    # numpy and Arrow release the GIL on large arrays: long tables clean channels in parallel
    workers = min(8, os.cpu_count() or 1, len(specs))
    if workers > 1 and grid.time_s.size >= 100_000:
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(work, specs))
    else:
        results = [work(spec) for spec in specs]
    for spec, (channel, found, same, step, moved) in zip(specs, results, strict=True):
        channels.append(channel)
        channel_issues.extend(found)
        identical[: same.size] &= same
        if step is not None:
            steps.append(step)
        if moved is not None:
            moved_limit[spec.name] = moved
    channel_issues.extend(resolve_steps(steps, channels, moved_limit, grid))
    _check_usable(channels, name)
    issues = ([unsorted] if unsorted else []) + duplicate_issues(grid, identical)
    issues += find_gaps(grid, on_change=all(s.on_change for s in specs)) + channel_issues
    meta = dict(metadata)
    if table_map is not None:
        meta.update(table_map.metadata)
    if ignored:
        meta["ignored_columns"] = ",".join(ignored)
    return Telemetry(name, grid.time_s, tuple(channels), start, tuple(issues), meta,
                     grid.gauge)


def _read_csv(file: Path, name: str) -> tuple[pa.Table, dict[str, str], int]:
    """The table after any leading comment lines, their ``key = value`` pairs, first data line."""
    import pyarrow.csv as pacsv

    metadata: dict[str, str] = {}
    offset, skipped, header = 0, 0, ""
    with open(file, "rb") as fh:
        for line in fh:
            text = line.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
            if text and not text.startswith("#"):
                header = text
                break
            offset += len(line)
            skipped += 1
            key, sep, value = text.lstrip("#").partition("=")
            if sep and key.strip():
                metadata[key.strip()] = value.strip()
    if not header:
        raise TelemetryError(f"{name}: empty file (only comments; expected a header row with "
                             "a time column and channels such as zvezda_pressure_mmHg)")
    delimiter = next((d for d in (",", ";", "\t") if d in header), ",")
    source = pa.memory_map(str(file))
    source.seek(offset)
    try:
        table = pacsv.read_csv(
            source,
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                null_values=_ARROW_NULLS, strings_can_be_null=True,
                true_values=[v for w in _OPEN for v in (w, w.upper(), w.title())],
                false_values=[v for w in _CLOSED for v in (w, w.upper(), w.title())]))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise (field_count_error(exc, file, name, offset, skipped, delimiter) or TelemetryError(
            f"{name}: cannot read as CSV ({str(exc).splitlines()[0]})")) from None
    finally:
        source.close()
    return table, metadata, skipped + 2


_FIELD_COUNT = re.compile(r"Expected (\d+) columns, got (\d+): (.*)", re.S)


def field_count_error(exc: Exception, file: Path, name: str, offset: int, skipped: int,
                      delimiter: str) -> TelemetryError | None:
    """The error for Arrow's "Expected N columns, got M" (None for other errors): the
    row's line and text.

    Arrow's own invalid-row handler is not used: it decodes the row as UTF-8 before calling
    back, and a row of bytes that are not UTF-8 then ends in an "Exception ignored"
    traceback on stderr. The row is found from the error's text, else by reading the file
    from `offset` (its header line, `skipped` lines into the file) with :mod:`csv`.
    """
    found = _FIELD_COUNT.search(str(exc))
    if found is None:
        return None
    expected, actual, text = int(found.group(1)), int(found.group(2)), found.group(3)
    where = _line_of(file, text, offset) if text.isprintable() else "a row"
    if where == "a row":
        with open(file, "rb") as raw:
            raw.seek(offset)
            rows = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", errors="replace",
                                               newline=""), delimiter=delimiter)
            last = 0
            try:
                for row in rows:
                    first, last = last + 1, rows.line_num
                    if row and len(row) != expected:
                        where, actual, text = (f"line {skipped + first}", len(row),
                                               delimiter.join(row))
                        break
            except csv.Error:
                pass
    return TelemetryError(f"{name}: {where}: {actual} fields {text[:80]!r} "
                          f"(expected {expected}, as in the header)")


def _line_of(file: Path, text: str, offset: int) -> str:
    """``"line N"`` of the first line after `offset` that reads `text` (for error messages)."""
    import mmap

    with open(file, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        needle = text.encode()
        at = mm.find(b"\n" + needle, offset)
        while at >= 0 and mm[at + 1 + len(needle):at + 2 + len(needle)] not in (b"\n", b"\r", b""):
            at = mm.find(b"\n" + needle, at + 1)
        if at < 0:
            return "a row"
        newlines = mm[:at + 1].count(b"\n")
        return f"line {newlines + 1}"


def _read_parquet(file: Path, name: str) -> tuple[pa.Table, dict[str, str], int]:
    """The table and its schema key/value metadata (Arrow's and pandas' own left out)."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(file)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TelemetryError(f"{name}: cannot read as Parquet ({exc})") from None
    metadata = {k.decode(errors="replace"): v.decode(errors="replace")
                for k, v in (table.schema.metadata or {}).items()
                if not k.startswith(b"ARROW:") and k != b"pandas"}
    return table, metadata, 2


def _columns(names: list[str], path: str, table_map: TableMapping | None,
             time_column: str | None) -> tuple[str, list[ColumnSpec], list[str]]:
    """The time column, the channel specs, and the columns that are neither."""
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise TelemetryError(f"{path}: column {n!r} appears twice")
        seen.add(n)
    mapped = table_map.columns if table_map is not None else {}
    for header in mapped:
        if header not in seen:
            assert table_map is not None
            raise TelemetryError(f"{table_map.path}: [columns.{header}]: no column {header!r} "
                                 f"in {path} (columns: {', '.join(names)})")
    if time_column is None and table_map is not None:
        time_column = table_map.time_column
    time_name, _ = find_time_column(names, path, time_column)
    specs: list[ColumnSpec] = []
    ignored: list[str] = []
    skip = table_map.ignored if table_map is not None else frozenset()
    for n in names:
        if n == time_name:
            continue
        spec = None if n in skip else mapped[n] if n in mapped else parse_header(n, path)
        if spec is None:
            ignored.append(n)
        else:
            specs.append(spec)
    if not any(s.quantity == "pressure" for s in specs):
        shown = ", ".join(s.name for s in specs) or "none"
        raise TelemetryError(f"{path}: no pressure column (channels: {shown}; expected a "
                             "header such as zvezda_pressure_mmHg, or a mapping file entry "
                             "with quantity = \"pressure\")")
    return time_name, specs, ignored


def _time_unit(time_name: str, table_map: TableMapping | None) -> float:
    if table_map is not None and table_map.time_unit_s is not None:
        return table_map.time_unit_s
    return find_time_column([time_name], "", time_name)[1]


def _first_failure(arr: pa.ChunkedArray | pa.Array, convert: Callable[[object], object]) -> int:
    """Index of the first element `convert` rejects (bisection: about 2n elements converted)."""
    lo, hi = 0, len(arr)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(arr.slice(lo, mid - lo))
            lo = mid
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
    return lo


def time_values(col: pa.Array | pa.ChunkedArray, column: str, unit_s: float,
                where: Where) -> tuple[F | None, NDArray[np.int64] | None]:
    """A time column as (seconds, None) for numbers or (None, ns since 1970) for ISO 8601."""
    typ = col.type
    if col.null_count:
        i = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
        raise TelemetryError(f"{where.path}: {where.at(i)}, column {column!r}: no time "
                             "(expected ISO 8601 such as 2018-08-29T23:00:00Z, or a number)")
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        numbers = col.cast(pa.float64()).to_numpy()
        return _numeric_times(numbers, col, column, unit_s, where)[0], None
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        tz = typ.tz if pa.types.is_timestamp(typ) else None
        return None, col.cast(pa.timestamp("ns", tz=tz)).cast(pa.int64()).to_numpy()
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        text = pc.utf8_trim_whitespace(col)
        if _NUMERIC.fullmatch(str(text[0].as_py())):
            try:
                seconds = text.cast(pa.float64()).to_numpy()
            except pa.ArrowInvalid:
                i = _first_failure(text, lambda a: pc.cast(a, pa.float64()))
                raise _time_error(where, i, column, text[i].as_py(), unit_s) from None
            return _numeric_times(seconds, col, column, unit_s, where)[0], None
        return None, _iso_ns(text, column, unit_s, where)
    raise TelemetryError(f"{where.path}: column {column!r}: times of type {typ} "
                         "(expected ISO 8601 text, timestamps or numbers)")


def _times(col: pa.ChunkedArray, column: str, unit_s: float,
           where: Where) -> tuple[F, datetime | None]:
    """Times [s] and, for ISO times, the earliest one (time 0) as an aware UTC datetime."""
    seconds, ns = time_values(col, column, unit_s, where)
    if seconds is not None or ns is None:
        return np.asarray(seconds, dtype=float), None
    start_us = int(ns.min()) // 1000
    t = (ns - start_us * 1000).astype(np.float64) / 1e9
    return t, datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=start_us)


def _numeric_times(values: F, col: pa.Array | pa.ChunkedArray, column: str, unit_s: float,
                   where: Where) -> tuple[F, None]:
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise _time_error(where, int(bad[0]), column, col[int(bad[0])].as_py(), unit_s)
    return (values * unit_s if unit_s != 1.0 else values), None


def _time_error(where: Where, i: int, column: str, text: object,
                unit_s: float) -> TelemetryError:
    unit = "seconds" if unit_s == 1.0 else f"units of {unit_s:g} s"
    return TelemetryError(f"{where.path}: {where.at(i)}, column {column!r}: cannot read time "
                          f"{str(text)!r} (expected ISO 8601 such as 2018-08-29T23:00:00Z, "
                          f"or a number of {unit})")


def _iso_ns(text: pa.ChunkedArray, column: str, unit_s: float, where: Where) -> NDArray[np.int64]:
    """Nanoseconds since 1970 UTC from ISO 8601 text; text without a zone is UTC."""
    text = pc.replace_substring_regex(text, r"\s*(UTC|GMT|utc|gmt)$", "Z")
    zoned = pc.match_substring_regex(text, _ZONED)
    mask = zoned.to_numpy(zero_copy_only=False).astype(bool)
    ns = np.empty(len(text), dtype=np.int64)
    bad: list[int] = []
    for part_mask, tz in ((mask, "UTC"), (~mask, None)):
        if not part_mask.any():
            continue
        part = text.filter(pa.array(part_mask))

        def convert(a: object, tz: str | None = tz) -> object:
            return pc.cast(a, pa.timestamp("ns", tz=tz))

        try:
            ns[part_mask] = pc.cast(convert(part), pa.int64()).to_numpy()
        except pa.ArrowInvalid:
            bad.append(int(np.flatnonzero(part_mask)[_first_failure(part, convert)]))
    if bad:
        i = min(bad)
        raise _time_error(where, i, column, text[i].as_py(), unit_s)
    return ns


def _numbers(col: pa.ChunkedArray, spec: ColumnSpec, where: Where) -> F:
    """A column's readings in the file's unit; missing cells NaN."""
    typ = col.type
    if pa.types.is_null(typ):
        return np.full(len(col), np.nan)
    if pa.types.is_boolean(typ) and spec.quantity not in STATES:
        i = int(np.flatnonzero(col.is_valid().to_numpy(zero_copy_only=False))[0])
        raise _number_error(where, i, spec, col[i].as_py())
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        text = pc.utf8_trim_whitespace(col)
        low = pc.utf8_lower(text)
        if spec.quantity in STATES:
            text = pc.if_else(pc.is_in(low, pa.array(_OPEN)), "1", text)
            text = pc.if_else(pc.is_in(low, pa.array(_CLOSED)), "0", text)
        text = pc.if_else(pc.is_in(low, pa.array(MISSING_TOKENS)),
                          pa.scalar(None, pa.string()), text)
        try:
            col = text.cast(pa.float64())
        except pa.ArrowInvalid:
            i = _first_failure(text, lambda a: pc.cast(a, pa.float64()))
            raise _number_error(where, i, spec, col[i].as_py()) from None
    elif not pa.types.is_floating(typ):
        try:
            col = col.cast(pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise TelemetryError(f"{where.path}: column {spec.name!r}: values of type {typ} "
                                 "(expected numbers)") from None
    elif typ != pa.float64():
        col = col.cast(pa.float64())
    values = np.asarray(col.to_numpy(), dtype=np.float64)
    return apply_codes(values, spec.codes)


def apply_codes(raw: F, codes: tuple[tuple[float, float], ...]) -> F:
    """Raw telemetry codes read as the values a mapping gives (``(2, 0)``: 2 reads as 0)."""
    if not codes:
        return raw
    out = raw.copy()
    for code, value in codes:
        out[raw == code] = value
    return out


def _number_error(where: Where, i: int, spec: ColumnSpec, text: object) -> TelemetryError:
    extra = ", 1/0, true/false or open/closed" if spec.quantity in STATES else ""
    return TelemetryError(f"{where.path}: {where.at(i)}, column {spec.name!r}: cannot read "
                          f"{str(text)!r} as a number (expected a number{extra}, or "
                          f"{_MISSING_HINT})")


def _check_usable(channels: list[Channel], path: str) -> None:
    have = None
    for c in channels:
        if c.quantity == "pressure":
            have = c.valid if have is None else have | c.valid
    count = int(np.count_nonzero(have)) if have is not None else 0
    names = [c.name for c in channels if c.quantity == "pressure"]
    if count == 0 and names:
        raise TelemetryError(f"{path}: no usable pressure reading: "
                             f"{'column' if len(names) == 1 else 'columns'} "
                             f"{', '.join(repr(n) for n in names)} "
                             f"{'is' if len(names) == 1 else 'are'} empty in every row (or "
                             "every reading was unusable; see the dropout rules)")
    if count < 2:
        raise TelemetryError(f"{path}: fewer than 2 usable rows ({count} with a time and a "
                             "pressure reading; need at least 2)")
