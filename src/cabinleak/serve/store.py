"""The console's durable record: an SQLite database in WAL mode under ``--data``.

Every write is one transaction committed with ``synchronous=FULL`` before the caller is
answered, so a sample, an alarm or an acknowledgement that was acknowledged survives a
crash or a restart. WAL lets other programs read the database while the console writes.
The tables: ``meta`` (the station, the record's start), ``channels`` (name, quantity,
unit as given, module), ``samples`` (time [s since the record's start], channel, value
in SI), ``alarms`` (with acknowledgement and shelving), ``actions`` (who did what, when).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import CabinleakError

F = NDArray[np.float64]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS channels (
    id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, quantity TEXT NOT NULL,
    unit TEXT NOT NULL, source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples (t REAL NOT NULL, channel INTEGER NOT NULL, value REAL NOT NULL);
CREATE INDEX IF NOT EXISTS samples_t ON samples (t);
CREATE TABLE IF NOT EXISTS alarms (
    id INTEGER PRIMARY KEY, volume TEXT NOT NULL, severity TEXT NOT NULL,
    time_s REAL NOT NULL, onset_s REAL, rate_kg_per_s REAL, raised_utc TEXT NOT NULL,
    ack_by TEXT, ack_utc TEXT, ack_comment TEXT, shelved_until_utc TEXT,
    UNIQUE (volume, time_s));
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY, utc TEXT NOT NULL, who TEXT NOT NULL, what TEXT NOT NULL);
"""


class StoreError(CabinleakError):
    """The database cannot be opened or written (a full disk, a lock, a damaged file)."""


def utc_now() -> str:
    """The time now, ISO 8601 UTC to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ChannelRow:
    """A channel as stored: its header, what it measures, its unit as given, its source."""

    id: int
    name: str
    quantity: str
    unit: str
    source: str


@dataclass(frozen=True)
class Alarm:
    """A leak alarm and what the operators did with it."""

    id: int
    volume: str
    severity: str  # WARNING or CRITICAL (the OMG space domain's severities)
    time_s: float  # the detector's decision, record time [s]
    onset_s: float | None  # record time [s]
    rate_kg_per_s: float | None  # outflow above background at the alarm [kg/s]
    raised_utc: str
    ack_by: str | None = None
    ack_utc: str | None = None
    ack_comment: str | None = None
    shelved_until_utc: str | None = None

    @property
    def acknowledged(self) -> bool:
        return self.ack_utc is not None

    def shelved(self, now_utc: str) -> bool:
        return self.shelved_until_utc is not None and self.shelved_until_utc > now_utc

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__} | {
            "acknowledged": self.acknowledged}


def _wide(arr: F) -> tuple[F, dict[int, F]]:
    """(t, channel, value) rows as times and one column per channel."""
    times, inverse = np.unique(arr[:, 0], return_inverse=True)
    out: dict[int, F] = {}
    for cid in np.unique(arr[:, 1]).astype(int):
        col = np.full(times.size, np.nan)
        sel = arr[:, 1] == cid
        col[inverse[sel]] = arr[sel, 2]
        out[int(cid)] = col
    return times, out


class Store:
    """The SQLite record of one console (one ``--data`` folder)."""

    def __init__(self, folder: str | Path, *, lock_timeout_s: float = 5.0) -> None:
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.path = self.folder / "console.sqlite"
            self._db = sqlite3.connect(self.path, check_same_thread=False,
                                       isolation_level=None, timeout=lock_timeout_s)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.folder}: cannot open the console's database ({exc})"
                             ) from None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, statements: Iterable[tuple[str, Sequence[Any] | Iterable[Sequence[Any]],
                                              bool]]) -> list[int | None]:
        """Run (sql, params, many) in one committed transaction; the last row ids."""
        ids: list[int | None] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for sql, params, many in statements:
                    cur = (self._db.executemany(sql, params) if many
                           else self._db.execute(sql, params))  # type: ignore[arg-type]
                    ids.append(cur.lastrowid)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"{self.path}: not written ({exc})") from None
        return ids

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # ------------------------------------------------------------ meta and channels

    def meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self._write([("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value), False)])

    def channels(self) -> list[ChannelRow]:
        return [ChannelRow(*r) for r in self._read(
            "SELECT id, name, quantity, unit, source FROM channels ORDER BY id")]

    def add_channels(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Register (name, quantity, unit, source) channels not yet known."""
        self._write([("INSERT OR IGNORE INTO channels (name, quantity, unit, source) "
                      "VALUES (?, ?, ?, ?)", rows, True)])

    # ------------------------------------------------------------ samples

    def add_samples(self, time_s: F, values: dict[int, F]) -> None:
        """One batch of rows, durable when this returns: ``values`` by channel id [SI], NaN
        where a row has no reading of that channel."""
        # time-major, so that rowid order is time order (see iter_samples)
        ids = list(values)
        grid = np.column_stack([values[i] for i in ids]) if ids else np.zeros((0, 0))
        rows = [(t, ids[j], v) for t, row in zip(time_s.tolist(), grid.tolist(), strict=True)
                for j, v in enumerate(row) if math.isfinite(v)]
        self._write([("INSERT INTO samples VALUES (?, ?, ?)", rows, True)])

    def last_time_s(self) -> float | None:
        rows = self._read("SELECT MAX(t) FROM samples")
        return None if not rows or rows[0][0] is None else float(rows[0][0])

    def sample_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM samples")[0][0])

    def start_of_last(self, rows: int) -> float:
        """The time of the ``rows``-th last row (the oldest a window of that many holds)."""
        found = self._read("SELECT MIN(t) FROM (SELECT DISTINCT t FROM samples "
                           "ORDER BY t DESC LIMIT ?)", (int(rows),))
        return -np.inf if not found or found[0][0] is None else float(found[0][0])

    def iter_samples(self, start_s: float, chunk: int = 500_000
                     ) -> Iterator[tuple[F, dict[int, F]]]:
        """Rows from ``start_s`` on, a chunk of about ``chunk`` values at a time: times and
        each channel's values (NaN where none). Memory stays bounded by the chunk (a week
        of 40 channels at 1 Hz is 24 million values); a time is never split."""
        with self._lock:
            # rows are stored in time order (ingest refuses a time going back), so a scan
            # by rowid from the first row wanted is in time order, without the index
            cur = self._db.execute("SELECT t, channel, value FROM samples WHERE rowid >= "
                                   "(SELECT MIN(rowid) FROM samples WHERE t >= ?) "
                                   "ORDER BY rowid", (start_s,))
            rest = np.zeros((0, 3))
            while True:
                batch = cur.fetchmany(chunk)
                arr = np.concatenate([rest, np.array(batch, dtype=float).reshape(-1, 3)])
                if not batch:
                    if arr.size:
                        yield _wide(arr)
                    return
                keep = arr[:, 0] < arr[-1, 0]  # the last time may go on in the next chunk
                rest = arr[~keep]
                if keep.any():
                    yield _wide(arr[keep])

    def samples_since(self, start_s: float) -> tuple[F, dict[int, F]]:
        """All rows from ``start_s`` on (see :meth:`iter_samples`)."""
        parts = list(self.iter_samples(start_s))
        if not parts:
            return np.zeros(0), {}
        ids = sorted({i for _, cols in parts for i in cols})
        times = np.concatenate([t for t, _ in parts])
        return times, {i: np.concatenate([c.get(i, np.full(t.size, np.nan)) for t, c in parts])
                       for i in ids}

    # ------------------------------------------------------------ alarms and actions

    def raise_alarm(self, volume: str, severity: str, time_s: float, onset_s: float | None,
                    rate_kg_per_s: float | None) -> bool:
        """Record an alarm once (a restart re-running the test finds the same one): True
        when it is new."""
        before = len(self._read("SELECT id FROM alarms WHERE volume = ? AND time_s = ?",
                                (volume, time_s)))
        if before:
            return False
        self._write([("INSERT OR IGNORE INTO alarms (volume, severity, time_s, onset_s, "
                      "rate_kg_per_s, raised_utc) VALUES (?, ?, ?, ?, ?, ?)",
                      (volume, severity, time_s, onset_s, rate_kg_per_s, utc_now()), False),
                     ("INSERT INTO actions (utc, who, what) VALUES (?, ?, ?)",
                      (utc_now(), "detector", f"{severity} leak alarm raised for {volume}"),
                      False)])
        return True

    def alarms(self) -> list[Alarm]:
        return [Alarm(*r) for r in self._read(
            "SELECT id, volume, severity, time_s, onset_s, rate_kg_per_s, raised_utc, ack_by, "
            "ack_utc, ack_comment, shelved_until_utc FROM alarms ORDER BY id DESC")]

    def alarm(self, alarm_id: int) -> Alarm | None:
        return next((a for a in self.alarms() if a.id == alarm_id), None)

    def acknowledge(self, alarm_id: int, who: str, comment: str) -> None:
        now = utc_now()
        self._write([("UPDATE alarms SET ack_by = ?, ack_utc = ?, ack_comment = ? "
                      "WHERE id = ? AND ack_utc IS NULL", (who, now, comment, alarm_id), False),
                     ("INSERT INTO actions (utc, who, what) VALUES (?, ?, ?)",
                      (now, who, f"acknowledged alarm {alarm_id}"
                       + (f": {comment}" if comment else "")), False)])

    def escalate(self, volume: str, reason: str) -> bool:
        """Raise the volume's WARNING alarms to CRITICAL; True when one was."""
        found = self._read("SELECT id FROM alarms WHERE volume = ? AND severity = 'WARNING'",
                           (volume,))
        if not found:
            return False
        self._write([("UPDATE alarms SET severity = 'CRITICAL' WHERE volume = ? AND "
                      "severity = 'WARNING'", (volume,), False),
                     ("INSERT INTO actions (utc, who, what) VALUES (?, ?, ?)",
                      (utc_now(), "estimate", f"alarm for {volume} now CRITICAL: {reason}"),
                      False)])
        return True

    def shelve(self, alarm_id: int, who: str, until_utc: str) -> None:
        now = utc_now()
        self._write([("UPDATE alarms SET shelved_until_utc = ? WHERE id = ?",
                      (until_utc, alarm_id), False),
                     ("INSERT INTO actions (utc, who, what) VALUES (?, ?, ?)",
                      (now, who, f"shelved alarm {alarm_id} until {until_utc}"), False)])

    def log(self, who: str, what: str) -> None:
        self._write([("INSERT INTO actions (utc, who, what) VALUES (?, ?, ?)",
                      (utc_now(), who, what), False)])

    def actions(self, limit: int = 200) -> list[tuple[str, str, str]]:
        return [(str(a), str(b), str(c)) for a, b, c in self._read(
            "SELECT utc, who, what FROM actions ORDER BY id DESC LIMIT ?", (limit,))]
