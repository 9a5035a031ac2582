"""Where the streaming reader gets its rows: CSV and Parquet batches, and their times."""

from __future__ import annotations

import csv
import mmap
import queue
import re
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from cabinleak.telemetry.clean import (
    Where,
)
from cabinleak.telemetry.columns import ColumnSpec, TableMapping, load_mapping
from cabinleak.telemetry.model import STATES, TelemetryError
from cabinleak.telemetry.read import (
    _ARROW_NULLS,
    _MISSING_HINT,
    _columns,
    _time_unit,
    check_file,
    field_count_error,
    time_values,
)

F = NDArray[np.float64]


# ------------------------------------------------------------------ sources


@dataclass(frozen=True, eq=False)
class _Source:
    """An opened table: its columns, metadata and a stream of record batches."""

    path: str
    csv: bool
    first_line: int  # file line of the first data row (Parquet: 2, as if a header)
    time_name: str
    unit_s: float  # seconds per unit of numeric times
    specs: tuple[ColumnSpec, ...]
    batches: Iterator[pa.RecordBatch]
    metadata: dict[str, str]


def _open(path: str | Path, mapping: str | Path | None, time_column: str | None,
          batch_rows: int) -> _Source:
    file, name, suffix = check_file(path)
    table_map = load_mapping(mapping) if mapping is not None else None
    if suffix == ".csv":
        return _open_csv(file, name, table_map, time_column, batch_rows)
    return _open_parquet(file, name, table_map, time_column, batch_rows)


def _finish(meta: dict[str, str], table_map: TableMapping | None,
            ignored: Sequence[str]) -> dict[str, str]:
    if table_map is not None:
        meta.update(table_map.metadata)
    if ignored:
        meta["ignored_columns"] = ",".join(ignored)
    return meta


def _open_parquet(file: Path, name: str, table_map: TableMapping | None,
                  time_column: str | None, batch_rows: int) -> _Source:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(file)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TelemetryError(f"{name}: cannot read as Parquet ({exc})") from None
    schema = pf.schema_arrow
    meta = {k.decode(errors="replace"): v.decode(errors="replace")
            for k, v in (schema.metadata or {}).items()
            if not k.startswith(b"ARROW:") and k != b"pandas"}
    time_name, specs, ignored = _columns(schema.names, name, table_map, time_column)

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from pf.iter_batches(batch_size=batch_rows,
                                       columns=[time_name, *(s.name for s in specs)])
        except (pa.ArrowInvalid, OSError) as exc:
            raise TelemetryError(f"{name}: cannot read as Parquet ({exc})") from None

    return _Source(name, False, 2, time_name, _time_unit(time_name, table_map), tuple(specs),
                   batches(), _finish(meta, table_map, ignored))


def _csv_prologue(file: Path, name: str) -> tuple[dict[str, str], int, int, str]:
    """``# key = value`` metadata, byte offset and count of the comment lines, the header."""
    metadata: dict[str, str] = {}
    offset, skipped = 0, 0
    with open(file, "rb") as fh:
        for line in fh:
            text = line.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
            if text and not text.startswith("#"):
                return metadata, offset, skipped, text
            offset += len(line)
            skipped += 1
            key, sep, value = text.lstrip("#").partition("=")
            if sep and key.strip():
                metadata[key.strip()] = value.strip()
    raise TelemetryError(f"{name}: empty file (only comments; expected a header row with "
                         "a time column and channels such as zvezda_pressure_mmHg)")


def _line_bytes(file: Path, offset: int, lines: int = 1000) -> float:
    """Mean length of the header and the first `lines` lines after it [bytes]."""
    with open(file, "rb") as fh:
        fh.seek(offset)
        sizes = [len(line) for _, line in zip(range(lines + 1), fh, strict=False)]
    return max(sum(sizes) / max(len(sizes), 1), 1.0)


def _open_csv(file: Path, name: str, table_map: TableMapping | None, time_column: str | None,
              batch_rows: int) -> _Source:
    import pyarrow.csv as pacsv

    meta, offset, skipped, header = _csv_prologue(file, name)
    delimiter = next((d for d in (",", ";", "\t") if d in header), ",")
    names = next(csv.reader([header], delimiter=delimiter))
    time_name, specs, ignored = _columns(names, name, table_map, time_column)
    # times and hatch states are text here (ISO times, open/closed); the rest numbers
    types = {time_name: pa.string()}
    types.update({s.name: pa.string() if s.quantity in STATES else pa.float64()
                  for s in specs})
    # Arrow converts small blocks in parallel and large ones serially: read blocks of at
    # most 1 MiB and join them into batches of about batch_rows rows
    block = int(min(max(batch_rows * _line_bytes(file, offset), 1 << 16), 1 << 20))

    def failed(exc: Exception) -> TelemetryError:
        counted = field_count_error(exc, file, name, offset, skipped, delimiter)
        if counted is not None:
            return counted
        found = re.search(r"column #(\d+): .*invalid value '(.*)'", str(exc))
        if found and int(found.group(1)) < len(names):
            column, text = names[int(found.group(1))], found.group(2)
            line = _cell_line(file, offset, delimiter, int(found.group(1)), text)
            return TelemetryError(f"{name}: {line}, column {column!r}: cannot read {text!r} "
                                  f"as a number (expected a number, or {_MISSING_HINT})")
        return TelemetryError(f"{name}: cannot read as CSV ({str(exc).splitlines()[0]})")

    def batches() -> Iterator[pa.RecordBatch]:
        source = pa.memory_map(str(file))
        source.seek(offset)
        try:
            reader = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(block_size=block),
                parse_options=pacsv.ParseOptions(delimiter=delimiter),
                convert_options=pacsv.ConvertOptions(
                    column_types=types, include_columns=[time_name, *(s.name for s in specs)],
                    null_values=_ARROW_NULLS, strings_can_be_null=True))
            group: list[pa.RecordBatch] = []
            rows = 0
            for batch in reader:
                group.append(batch)
                rows += batch.num_rows
                if rows >= batch_rows:
                    yield _joined(group)
                    group, rows = [], 0
            if group:
                yield _joined(group)
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise failed(exc) from None
        finally:
            source.close()

    return _Source(name, True, skipped + 2, time_name, _time_unit(time_name, table_map),
                   tuple(specs), batches(), _finish(meta, table_map, ignored))


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _cell_line(file: Path, offset: int, delimiter: str, column: int, text: str) -> str:
    """``"line N"`` of the first data line whose field `column` reads `text` (errors only)."""
    needle = text.encode()
    with open(file, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        at = mm.find(needle, offset)
        while at >= 0:
            start = mm.rfind(b"\n", 0, at) + 1
            end = mm.find(b"\n", at)
            fields = mm[start:end if end >= 0 else len(mm)].split(delimiter.encode())
            if column < len(fields) and fields[column].strip() == needle:
                lines = sum(mm[i:min(i + (1 << 26), start)].count(b"\n")
                            for i in range(0, start, 1 << 26))
                return f"line {lines + 1}"
            at = mm.find(needle, at + 1)
    return "a row"


def _parquet_extent(file: Path, mapping: str | Path | None) -> tuple[int, float]:
    """Rows (from the metadata) and duration [s] (first and last row groups' times)."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(file)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TelemetryError(f"{file}: cannot read as Parquet ({exc})") from None
    table_map = load_mapping(mapping) if mapping is not None else None
    name = str(file)
    time_name, _, _ = _columns(pf.schema_arrow.names, name, table_map, None)
    rows, groups = pf.metadata.num_rows, pf.metadata.num_row_groups
    if rows < 2 or groups == 0:
        return rows, 0.0
    clock = _Clock(name, time_name, _time_unit(time_name, table_map))
    where = Where(name, 2, csv=False)
    first = clock.seconds(pf.read_row_group(0, columns=[time_name]).column(0), where)
    last = clock.seconds(pf.read_row_group(groups - 1, columns=[time_name]).column(0), where)
    return rows, float(np.max(last) - np.min(first))


def _csv_rows(file: Path) -> int:
    """Data rows of a CSV file, estimated from its size and its first 1000 lines."""
    _, offset, _, _ = _csv_prologue(file, str(file))
    return int((file.stat().st_size - offset) / _line_bytes(file, offset))


def _prefetch(batches: Iterator[pa.RecordBatch],
              depth: int = 2) -> Generator[pa.RecordBatch, None, None]:
    """The same batches, decoded `depth` ahead in a thread while the caller works on one."""
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fill() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(end)
        except Exception as exc:  # handed to the reader, which raises it
            put(exc)

    worker = threading.Thread(target=fill, name="cabinleak-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is end:
                return
            if isinstance(item, Exception):
                raise item
            assert isinstance(item, pa.RecordBatch)
            yield item
    finally:
        stop.set()
        worker.join()


# ------------------------------------------------------------------ times


class _Clock:
    """Turns each batch's time column into seconds on one time base for the whole file.

    Numeric times are kept as given (in seconds); ISO 8601 times become seconds since the
    first row's time, rounded down to the microsecond (``start``), as the full reader does.
    """

    def __init__(self, path: str, column: str, unit_s: float) -> None:
        self.path, self.column, self.unit_s = path, column, unit_s
        self.iso: bool | None = None
        self.start_us = 0

    @property
    def start_time(self) -> datetime | None:
        if not self.iso:
            return None
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=self.start_us)

    def seconds(self, col: pa.Array | pa.ChunkedArray, where: Where) -> F:
        values, ns = time_values(col, self.column, self.unit_s, where)
        is_iso = ns is not None
        if self.iso is None:
            self.iso = is_iso
            if ns is not None:
                self.start_us = int(ns[0]) // 1000
        elif self.iso != is_iso:
            raise self._mixed(where)
        if ns is not None:
            return (ns - self.start_us * 1000).astype(np.float64) / 1e9
        return np.asarray(values, dtype=float)

    def _mixed(self, where: Where) -> TelemetryError:
        return TelemetryError(f"{where.path}: from {where.at(0)}, column {self.column!r}: "
                              "times change between ISO 8601 text and numbers (expected one "
                              "kind throughout)")
