"""Read telemetry tables too large to hold whole, reducing them to bin means as they stream.

A year of 1 Hz telemetry with 40 channels is 31.5 M rows, 10 GB as float64: more than
:func:`~cabinleak.telemetry.read.read_telemetry` can load and clean. :func:`read_binned`
reads the table in batches (Parquet row batches, CSV blocks) and keeps, per channel, only
the sum and count of its usable samples in each time bin.

Per batch and channel, with the rules of :mod:`cabinleak.telemetry.clean`:

* readings are converted to SI; empty cells, sentinels and impossible values are dropped
  and counted (injections: taken as 0 kg added);
* single-sample spikes are dropped with the full reader's rule
  (:func:`~cabinleak.telemetry.clean.spike_limit` and
  :func:`~cabinleak.telemetry.clean.is_spike`), its limit estimated on the first
  ``HEAD_ROWS`` rows. A sample's neighbours are the nearest usable samples, also
  across batches: the last two samples of a batch are carried to the next, and a carried
  sample that turns out to be a spike is taken back out of its bin;
* the usable samples are summed into bins ``k = floor((t - t0) / bin_s)`` (``t0`` the first
  time). Times must not decrease: bins are contiguous runs of rows, summed with
  ``np.add.reduceat``, and equal times simply average in their bin.

The result depends on the batch size only through the order of floating-point additions.
Sensor steps are looked for afterwards, on the binned series, with the full reader's
:func:`~cabinleak.telemetry.clean.find_steps` and
:func:`~cabinleak.telemetry.clean.resolve_steps`: a step inside a bin leaves that bin
partly shifted, and one split about evenly between two bins is not found.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from cabinleak.physics.units import format_duration
from cabinleak.telemetry.clean import (
    GAP_FACTOR,
    MAX_DETAILED,
    PHYSICAL_RANGE,
    SENTINELS,
    Grid,
    Steps,
    Where,
    _expected,
    _in_unit,
    _jump_limits,
    _sample,
    check_plausible,
    find_steps,
    infer_resolution,
    is_spike,
    resolve_steps,
    robust_sd,
    spike_limit,
)
from cabinleak.telemetry.columns import ColumnSpec
from cabinleak.telemetry.feed import is_feed_file
from cabinleak.telemetry.model import STATES, Channel, DataIssue, Telemetry, TelemetryError
from cabinleak.telemetry.read import (
    _check_usable,
    _numbers,
    read_telemetry,
)
from cabinleak.telemetry.stream_source import (
    _Clock,
    _csv_rows,
    _open,
    _parquet_extent,
    _prefetch,
    _Source,
)
from cabinleak.telemetry.write import TABLE_FORMATS

__all__ = ["BATCH_ROWS", "HEAD_ROWS", "read_auto", "read_binned"]

F = NDArray[np.float64]
I = NDArray[np.intp]  # noqa: E741

#: Rows per Parquet batch (CSV blocks hold about as many); a few MB per column.
BATCH_ROWS = 262_144
#: Rows at the start of the table that the noise, resolution and spike limit come from.
HEAD_ROWS = 200_000
# What read_auto bins to without a bin width; the analysis' own choice
# (cabinleak.estimate.analysis: MIN_BIN_S and MAX_POINTS).
MIN_BIN_S = 60.0
MAX_POINTS = 20_000
_MEASURED = ("pressure", "temperature", "ppO2", "ppCO2")
_WORKERS = min(8, os.cpu_count() or 1)


def read_binned(path: str | Path, *, bin_s: float, mapping: str | Path | None = None,
                time_column: str | None = None, batch_rows: int = BATCH_ROWS,
                progress: Callable[[float], None] | None = None) -> Telemetry:
    """Read and clean a telemetry table batch by batch into bin means.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` table whose times do not decrease.
    bin_s : float
        Bin width [s]; bin k holds the rows with ``k·bin_s <= t - t0 < (k+1)·bin_s``.
    mapping : str or Path, optional
        A TOML mapping file (see :func:`cabinleak.telemetry.columns.load_mapping`).
    time_column : str, optional
        The time column, when its name is not one of the accepted ones.
    batch_rows : int
        Rows per batch (CSV: blocks of at most 1 MiB joined up to at least this many);
        only memory, speed and the order of floating-point additions depend on it.
    progress : callable, optional
        Called with the fraction of rows read so far (an estimate for CSV).

    Returns
    -------
    Telemetry
        ``time_s`` the mean time of the rows in each non-empty bin [s]; per channel the
        mean of its usable samples in the bin [Pa, K] (NaN where none), ``counts`` how
        many samples that is, ``noise_sd`` the per-sample noise 1σ of the raw readings
        [SI] (pressure, temperature, ppO2, ppCO2); hatch channels hold the bin's last
        state, injection channels the cumulative mass added from the first row to the
        bin's last row [kg]. ``bin_s`` is set; ``issues`` says what was cleaned.

    Raises
    ------
    TelemetryError
        The table cannot be used, or its times decrease somewhere (a streaming read
        cannot sort: sort the table, or read it whole with ``read_telemetry``).

    Notes
    -----
    Row i (time t_i) falls in bin k_i = floor((t_i − t_0)/bin_s); a channel's value in
    bin k is Σ x_i / n_k over its n_k usable samples there, the bin's time the mean of
    its rows' times. Rows of a bin are contiguous (times do not decrease), so each batch
    adds ``np.add.reduceat`` sums to the bins it touches.

    The noise 1σ comes from the usable samples among the first ``HEAD_ROWS`` rows: the
    median absolute deviation of their second differences, σ = MAD/0.6745/√6 (white
    noise: the second difference has variance 6σ²), never below the quantisation error
    resolution/√12. A channel with fewer than 8 samples there gets the scatter of its bin
    means times √(median samples per bin), and no spike check. The reading resolution
    and the spike limit come from the same rows, as ``clean`` derives them from its
    sample of the whole record (the same rows for tables of up to 200,000 rows).
    """
    if not (math.isfinite(bin_s) and bin_s > 0):
        raise TelemetryError(f"{path}: bin_s must be a number of seconds > 0, got {bin_s!r}")
    if batch_rows < 1:
        raise TelemetryError(f"{path}: batch_rows must be >= 1, got {batch_rows}")
    src = _open(path, mapping, time_column, batch_rows)
    binner = _Binner(src, float(bin_s))
    if progress is not None:
        file = Path(path)
        total = (_csv_rows(file) if src.csv else _parquet_extent(file, mapping)[0])
        binner.progress = lambda rows: progress(min(rows / max(total, 1), 1.0))
    return binner.run()


def read_auto(path: str | Path, *, mapping: str | Path | None = None, gauge: bool | None = None,
              bin_s: float | None = None, max_rows: int = 5_000_000,
              progress: Callable[[float], None] | None = None,
              year: int | None = None) -> Telemetry:
    """Read a table whole, or stream it into bins when it is long or binning is asked for.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` table.
    mapping : str or Path, optional
        A TOML mapping file.
    gauge : bool, optional
        A table of hand-read gauge values (read whole, never binned).
    bin_s : float, optional
        Bin width [s]: stream the table into bins of this width whatever its length.
    max_rows : int
        Tables with more rows (Parquet: as its metadata says; CSV: estimated from the file
        size and the first 1000 lines) are streamed.
    year : int, optional
        The year of a public ISS feed record's timestamps (see
        :mod:`cabinleak.telemetry.feed`). A feed record (header ``item, timestamp, value``)
        is always read whole: it holds only the changes.

    Returns
    -------
    Telemetry
        From :func:`read_binned`, with ``bin_s`` given or else ``max(60 s, duration /
        20000)`` (the analysis' own bin width; 60 s for CSV, whose duration is not known
        before it is read), or from :func:`~cabinleak.telemetry.read.read_telemetry`.

    Raises
    ------
    TelemetryError
        As the reader used; also for ``gauge=True`` together with ``bin_s``.
    """
    if is_feed_file(path):
        return read_telemetry(path, mapping=mapping, gauge=gauge, year=year)
    if gauge:
        if bin_s is not None:
            raise TelemetryError(f"{path}: a gauge table (a few hand readings) is not binned; "
                                 "give gauge or bin_s, not both")
        return read_telemetry(path, mapping=mapping, gauge=True)
    if bin_s is not None:
        return read_binned(path, bin_s=bin_s, mapping=mapping, progress=progress)
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in TABLE_FORMATS or not file.is_file() or file.stat().st_size == 0:
        return read_telemetry(path, mapping=mapping, gauge=gauge)  # it says what is wrong
    if suffix == ".parquet":
        rows, duration = _parquet_extent(file, mapping)
        width = max(MIN_BIN_S, duration / MAX_POINTS)
    else:
        rows, width = _csv_rows(file), MIN_BIN_S
    if rows <= max_rows:
        return read_telemetry(path, mapping=mapping, gauge=gauge)
    return read_binned(path, bin_s=width, mapping=mapping, progress=progress)


# ------------------------------------------------------------------ per-channel sums


@dataclass(frozen=True, eq=False)
class _Batch:
    """One batch of rows, and how its rows fall into bins."""

    row0: int  # file row (0-based) of its first row
    t: F  # times [s]
    dt: F  # time since the row before (0 for the file's first row) [s]
    starts: I  # first row of each run of rows in one bin
    bins: I  # the bin of each run
    sizes: F  # rows in each run


@dataclass(frozen=True)
class _Stats:
    """What the first rows say about a channel: resolution, noise and spike limit [SI]."""

    resolution: float
    noise_sd: float | None
    spike_limit: float  # inf: spikes are not looked for


def _bin_of(b: _Batch, i: int) -> int:
    """The bin of row `i` of a batch."""
    return int(b.bins[np.searchsorted(b.starts, i, side="right") - 1])


def _grown(a: F, size: int, fill: float = 0.0) -> F:
    if a.size >= size:
        return a
    out = np.full(max(size, 2 * a.size, 1024), fill)
    out[: a.size] = a
    return out


class _Sums:
    """Bin sums and counts of one channel, and what was dropped from it."""

    def __init__(self, spec: ColumnSpec, stats: _Stats) -> None:
        self.spec, self.stats = spec, stats
        self.sum = np.zeros(0)
        self.count = np.zeros(0)
        self.n_empty = self.n_sentinel = self.n_bad = 0
        self.first_bad: int | None = None
        # the last two usable samples seen: (value, file row, bin, time), newest last
        self.tail: list[tuple[float, int, int, float]] = []
        self.n_spikes = 0
        self.largest = (0.0, 0.0)  # (|e|, e) of the largest spike [SI]
        self.first_spike: tuple[int, float] | None = None  # (file row, time)
        lo, hi = PHYSICAL_RANGE.get(spec.quantity, (-math.inf, math.inf, ""))[:2]
        # sentinels inside the physical range are not caught by the range check
        self.hidden = [(s, s * spec.scale + spec.offset) for s in SENTINELS
                       if lo <= s * spec.scale + spec.offset <= hi]

    def ensure(self, size: int) -> None:
        self.sum = _grown(self.sum, size)
        self.count = _grown(self.count, size)

    def add(self, b: _Batch, raw: NDArray[np.floating]) -> None:
        if self.spec.quantity == "injection":
            self._injection(b, raw)
        elif self.spec.quantity in STATES:
            self._hatch(b, raw)
        else:
            self._measured(b, raw)

    # --- dropouts

    def _count(self, b: _Batch, empty: I, sentinel: I, bad: I) -> None:
        self.n_empty += empty.size
        self.n_sentinel += sentinel.size
        self.n_bad += bad.size - sentinel.size
        if self.first_bad is None and (empty.size or bad.size):
            self.first_bad = b.row0 + int(min(empty.min(initial=b.t.size),
                                              bad.min(initial=b.t.size)))

    def _clean(self, raw: NDArray[np.floating], si: NDArray[np.floating]) -> bool:
        """Whether every reading is usable (the quick test: range and hidden sentinels)."""
        if si.size == 0:
            return True
        lo, hi, _ = PHYSICAL_RANGE[self.spec.quantity]
        low, high = float(si.min()), float(si.max())  # NaN when any is NaN
        if not (low >= lo and high <= hi):
            return False
        return not any(low <= s_si <= high and bool(np.any(raw == s))
                       for s, s_si in self.hidden)

    def _usable(self, b: _Batch, raw: NDArray[np.floating],
                si: NDArray[np.floating]) -> NDArray[np.bool_]:
        """Mask of usable readings; counts the others as clean.dropouts does."""
        lo, hi, _ = PHYSICAL_RANGE[self.spec.quantity]
        finite = np.isfinite(raw)
        missing = np.flatnonzero(~finite)
        sentinel = np.flatnonzero(np.isin(raw, SENTINELS))
        with np.errstate(invalid="ignore"):
            bad = np.union1d(np.flatnonzero((si < lo) | (si > hi)), sentinel)
        self._count(b, _expected(missing, raw.size) if missing.size else missing, sentinel, bad)
        finite[bad] = False
        return finite

    # --- the three kinds of channel

    def _measured(self, b: _Batch, raw: NDArray[np.floating]) -> None:
        spec = self.spec
        with np.errstate(over="ignore"):  # too large for SI: inf, impossible
            si = raw if spec.scale == 1.0 and spec.offset == 0.0 else spec.to_si(
                raw.astype(np.float64))
        ok = None if self._clean(raw, si) else self._usable(b, raw, si)
        idx = None if ok is None else np.flatnonzero(ok)
        v = si if idx is None else si[idx]
        spikes = self._spikes(b, v, idx)
        if spikes.size:
            if ok is None:
                ok = np.ones(si.size, dtype=bool)
            ok[spikes] = False
        if ok is None:
            sums, counts = np.add.reduceat(si, b.starts, dtype=np.float64), b.sizes
        else:
            sums = np.add.reduceat(np.where(ok, si, 0.0), b.starts, dtype=np.float64)
            counts = np.add.reduceat(ok, b.starts, dtype=np.int64)
        self.sum[b.bins] += sums
        self.count[b.bins] += counts
        newest = []
        for k in range(max(v.size - 2, 0), v.size):
            i = k if idx is None else int(idx[k])
            newest.append((float(v[k]), b.row0 + i, _bin_of(b, i), float(b.t[i])))
        self.tail = (self.tail + newest)[-2:]

    def _spikes(self, b: _Batch, v: NDArray[np.floating], idx: I | None) -> I:
        """Batch rows of the spikes among this batch's usable samples `v` (at rows `idx`,
        None: all rows). Also decides the last usable sample before the batch, and takes
        it back out of its bin if it is a spike."""
        limit, m = self.stats.spike_limit, v.size
        if not math.isfinite(limit) or m == 0:
            return np.zeros(0, dtype=np.intp)
        found: list[tuple[int, float]] = []  # (position in v, e)
        # the seam: the carried tail and this batch's first two samples
        seam = [x[0] for x in self.tail] + [float(x) for x in v[:2]]
        nt = len(self.tail)
        for j in (nt - 1, nt):
            if not 1 <= j < len(seam) - 1:
                continue
            e = seam[j] - 0.5 * (seam[j - 1] + seam[j + 1])
            if not is_spike(np.array([e]), np.array([seam[j - 1]]), np.array([seam[j + 1]]),
                            limit)[0]:
                continue
            if j < nt:  # the last sample of the batches before: take it back out
                value, row, k, t = self.tail[j]
                self.sum[k] -= value
                self.count[k] -= 1
                self._spike(e, row, t)
            else:
                found.append((j - nt, e))
        if m >= 3:
            d = np.diff(v)
            pre = 0.999 * limit  # a spike's jump shows in a difference next to it
            if float(d.max()) > pre or -float(d.min()) > pre:
                big = np.flatnonzero(np.abs(d) > pre)
                ks = np.union1d(big, big + 1)
                ks = ks[(ks >= 1) & (ks <= m - 2)]
                vk, vl, vr = (v[ks + s].astype(np.float64) for s in (0, -1, 1))
                ek = vk - 0.5 * (vl + vr)
                hit = is_spike(ek, vl, vr, limit)
                found.extend(zip(ks[hit].tolist(), ek[hit].tolist(), strict=True))
        rows = np.asarray([k if idx is None else int(idx[k]) for k, _ in found], dtype=np.intp)
        for i, (_, e_k) in zip(rows.tolist(), found, strict=True):
            self._spike(e_k, b.row0 + i, float(b.t[i]))
        return rows

    def _spike(self, e: float, row: int, t: float) -> None:
        self.n_spikes += 1
        if abs(e) > self.largest[0]:
            self.largest = (abs(e), e)
        if row >= 0 and (self.first_spike is None or row < self.first_spike[0]):
            self.first_spike = (row, t)

    def _injection(self, b: _Batch, raw: NDArray[np.floating]) -> None:
        spec = self.spec
        with np.errstate(over="ignore"):  # too large for SI: inf, impossible
            si = np.array(spec.to_si(raw.astype(np.float64)), dtype=np.float64)
        low = float(raw.min()) if raw.size else 0.0
        hidden = any(bool(np.any(raw == s)) for s in SENTINELS if s >= 0)
        if not (low >= 0.0) or hidden:  # NaN, negative or a sentinel
            missing = np.flatnonzero(~np.isfinite(raw))
            sentinel = np.flatnonzero(np.isin(raw, SENTINELS))
            with np.errstate(invalid="ignore"):
                bad = np.union1d(np.flatnonzero(raw < 0.0), sentinel)
            self._count(b, missing[:0], sentinel, bad)
            si[missing] = 0.0  # an empty injection cell means nothing was added
            si[bad] = 0.0
        added = si * b.dt if spec.rate else si
        if b.row0 == 0 and added.size:
            added[0] = 0.0  # the first row is where the count starts
        self.sum[b.bins] += np.add.reduceat(added, b.starts)
        self.count[b.bins] += b.sizes

    def _hatch(self, b: _Batch, raw: NDArray[np.floating]) -> None:
        ok = (raw == 0.0) | (raw == 1.0)
        if not ok.all():
            missing = np.flatnonzero(np.isnan(raw))
            sentinel = np.flatnonzero(np.isin(raw, SENTINELS))
            bad = np.flatnonzero(~ok & ~np.isnan(raw))
            self._count(b, _expected(missing, raw.size) if missing.size else missing,
                        sentinel, bad)
        last = np.maximum.reduceat(np.where(ok, np.arange(raw.size), -1), b.starts)
        has = last >= 0
        self.sum[b.bins[has]] = raw[last[has]]  # the bin's last state so far
        self.count[b.bins] += np.add.reduceat(ok, b.starts, dtype=np.int64)

    # --- results

    def issues(self, where: Where) -> list[DataIssue]:
        spec, out = self.spec, []
        total = self.n_empty + self.n_sentinel + self.n_bad
        if total and self.first_bad is not None:
            parts = []
            if self.n_empty:
                parts.append(f"{self.n_empty} empty/NaN")
            if self.n_sentinel:
                parts.append(f"{self.n_sentinel} sentinel "
                             f"{'/'.join(f'{s:g}' for s in SENTINELS)}")
            if self.n_bad:
                reason = {**dict.fromkeys(STATES, "not 1/0"), "injection": "negative"}.get(
                    spec.quantity, PHYSICAL_RANGE.get(spec.quantity, (0, 0, ""))[2])
                parts.append(f"{self.n_bad} impossible, {reason}")
            done = "taken as 0 kg added" if spec.quantity == "injection" else "set to missing"
            out.append(DataIssue("dropout", f"{spec.name}: {total} unusable reading"
                                 f"{'s' if total > 1 else ''} ({'; '.join(parts)}), first at "
                                 f"{where.at(self.first_bad)}; {done}", channel=spec.name,
                                 row=where.line(self.first_bad)))
        if self.n_spikes and self.first_spike is not None:
            row, t = self.first_spike
            count = f"{self.n_spikes} single-sample spike{'s' if self.n_spikes > 1 else ''}"
            out.append(DataIssue("spike", f"{spec.name}: {count} (largest "
                                 f"{_in_unit(self.largest[1], spec)}), first at "
                                 f"{where.at(row)} ({where.when(t)}); set to missing",
                                 channel=spec.name, row=where.line(row), time_s=t))
        return out


# ------------------------------------------------------------------ the binner


def _head_stats(spec: ColumnSpec, raw: NDArray[np.floating]) -> _Stats:
    """Resolution, noise 1σ and spike limit [SI] from a channel's first rows."""
    if spec.quantity not in _MEASURED:
        return _Stats(0.0, None, math.inf)
    raw64: F = np.asarray(raw, dtype=np.float64)
    with np.errstate(over="ignore"):  # too large for SI: inf, impossible
        si = spec.to_si(raw64)
    lo, hi, _ = PHYSICAL_RANGE[spec.quantity]
    with np.errstate(invalid="ignore"):
        ok = (si >= lo) & (si <= hi) & ~np.isin(raw64, SENTINELS)
    if spec.resolution is not None:
        resolution = spec.resolution
    else:
        pick = _sample(raw64.size)
        resolution = infer_resolution(np.where(ok[pick], raw64[pick], np.nan),
                                      False) * spec.scale
    v = si[ok]
    noise = _noise_sd(v, resolution) if v.size >= 8 else None  # None: from the bins later
    if v.size < 5:
        return _Stats(resolution, noise, math.inf)
    return _Stats(resolution, noise, spike_limit(v, resolution)[0])


def _noise_sd(v: F, resolution: float) -> float:
    """Noise 1σ of samples `v` from their second differences (robust σ / √6, as the second
    difference of white noise has variance 6 σ²), at least the quantisation error
    resolution/√12."""
    d2 = v[2:] - 2.0 * v[1:-1] + v[:-2]
    return max(robust_sd(d2) / math.sqrt(6.0), resolution / math.sqrt(12.0))


def _values(col: pa.Array | pa.ChunkedArray, spec: ColumnSpec,
            where: Where) -> NDArray[np.floating]:
    """A batch column's readings in the file's unit (float32 kept as is); missing NaN."""
    typ = col.type
    if pa.types.is_float32(typ) or pa.types.is_float64(typ):
        return np.asarray(col.to_numpy(zero_copy_only=False))
    return _numbers(col, spec, where)


class _Binner:
    """Streams a source's batches into per-channel bin sums, then builds the Telemetry."""

    def __init__(self, src: _Source, bin_s: float) -> None:
        self.progress: Callable[[int], None] | None = None
        self.src, self.bin_s = src, bin_s
        self.base = Where(src.path, src.first_line, src.csv)
        self.clock = _Clock(src.path, src.time_name, src.unit_s)
        self.rows = 0
        self.t0 = math.nan
        self.t_last = math.nan
        self.n_bins = 0
        self.bin_rows = np.zeros(0)
        self.bin_time = np.zeros(0)  # sum of t - t0 over the bin's rows [s]
        self.bin_first = np.zeros(0)  # file row of the bin's first row
        self.median_dt = math.nan
        self._prev_t = math.nan
        self.duplicates = 0
        self.first_duplicate = -1
        self.gaps: list[tuple[int, float, float]] = []  # (row before, its time, length)
        self.n_gaps = 0
        self.gap_total = 0.0
        self.sums: list[_Sums] = []

    def run(self) -> Telemetry:
        src = self.src
        head: list[tuple[int, F, dict[str, NDArray[np.floating]]]] = []
        have = 0
        batches = _prefetch(src.batches)
        try:
            for batch in batches:
                if batch.num_rows:
                    head.append(self._read(batch))
                    have += batch.num_rows
                    if have >= HEAD_ROWS:
                        break
            if have < 2:
                raise TelemetryError(f"{src.path}: fewer than 2 usable rows ({have} data "
                                     "rows; need at least 2 with a time and a pressure)")
            with ThreadPoolExecutor(_WORKERS) as pool:
                self._start(pool, head)
                for row0, t, raws in head:
                    self._add(pool, row0, t, raws)
                head.clear()
                if self.progress is not None:
                    self.progress(self.rows)
                for batch in batches:
                    if batch.num_rows:
                        self._add(pool, *self._read(batch))
                        if self.progress is not None:
                            self.progress(self.rows)
        finally:
            batches.close()
        return self._result()

    def _read(self, batch: pa.RecordBatch) -> tuple[int, F, dict[str, NDArray[np.floating]]]:
        """A batch's first file row, times [s] and readings (file units) by column."""
        row0 = self.rows
        self.rows += batch.num_rows
        rows = np.arange(row0, row0 + batch.num_rows)
        src = self.src
        t = self.clock.seconds(batch.column(0), Where(src.path, src.first_line, src.csv,
                                                      None, rows))
        where = Where(src.path, src.first_line, src.csv, self.clock.start_time, rows)
        self._check_order(row0, t, where)
        raws = {s.name: _values(batch.column(k + 1), s, where)
                for k, s in enumerate(self.src.specs)}
        return row0, t, raws

    def _check_order(self, row0: int, t: F, where: Where) -> None:
        prev = self.t_last if row0 else t[0]
        self.t_last = float(t[-1])
        back = np.flatnonzero(t[1:] < t[:-1]) + 1
        if t[0] < prev:
            back = np.concatenate(([0], back))
        if back.size:
            i = int(back[0])
            before = t[i - 1] if i else prev
            raise TelemetryError(f"{where.path}: {where.at(i)}: time {where.when(t[i])} is "
                                 f"before the row above ({where.when(before)}): the table is "
                                 "not sorted by time; sort it, or read it without binning "
                                 "(read_telemetry sorts; a streaming read cannot)")

    def _start(self, pool: ThreadPoolExecutor,
               head: list[tuple[int, F, dict[str, NDArray[np.floating]]]]) -> None:
        """Time origin, median spacing and channel statistics from the first rows."""
        t = np.concatenate([h[1] for h in head])[:HEAD_ROWS]
        self.t0 = float(t[0])
        dt = np.diff(t)
        dt = dt[dt > 0]
        self.median_dt = float(np.median(dt)) if dt.size else math.inf
        self.base = Where(self.src.path, self.src.first_line, self.src.csv,
                          self.clock.start_time)

        def stats(spec: ColumnSpec) -> _Sums:
            raw = np.concatenate([h[2][spec.name] for h in head])[:HEAD_ROWS]
            if spec.quantity in _MEASURED:  # a wrong unit shows in the first rows
                raw64 = np.asarray(raw, dtype=np.float64)
                check_plausible(spec, raw64, spec.to_si(raw64), self.base)
            return _Sums(spec, _head_stats(spec, raw))

        self.sums = list(pool.map(stats, self.src.specs))

    def _add(self, pool: ThreadPoolExecutor, row0: int, t: F,
             raws: dict[str, NDArray[np.floating]]) -> None:
        k = np.floor((t - self.t0) / self.bin_s).astype(np.intp)
        starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
        bins = k[starts]
        sizes = np.diff(np.append(starts, t.size)).astype(np.float64)
        dt = np.diff(t, prepend=t[0] if row0 == 0 else self._prev_t)
        self._prev_t = float(t[-1])
        self._rows_and_gaps(row0, t, dt)
        size = int(bins[-1]) + 1
        self.n_bins = max(self.n_bins, size)
        self.bin_rows = _grown(self.bin_rows, size)
        self.bin_time = _grown(self.bin_time, size)
        self.bin_first = _grown(self.bin_first, size, -1.0)
        self.bin_rows[bins] += sizes
        self.bin_time[bins] += np.add.reduceat(t - self.t0, starts)
        first = self.bin_first[bins]
        self.bin_first[bins] = np.where(first < 0, row0 + starts, first)
        b = _Batch(row0, t, dt, starts, bins, sizes)
        for s in self.sums:
            s.ensure(size)
        jobs = [(s, raws[s.spec.name]) for s in self.sums]
        if len(jobs) > 1 and t.size >= 10_000 and _WORKERS > 1:
            list(pool.map(lambda job: job[0].add(b, job[1]), jobs))
        else:
            for s, raw in jobs:
                s.add(b, raw)

    def _rows_and_gaps(self, row0: int, t: F, dt: F) -> None:
        same = np.flatnonzero(dt == 0.0)
        if row0 == 0:
            same = same[same > 0]
        if same.size:
            if self.first_duplicate < 0:
                self.first_duplicate = row0 + int(same[0])
            self.duplicates += same.size
        gap = np.flatnonzero(dt > GAP_FACTOR * self.median_dt)
        if gap.size:
            self.n_gaps += gap.size
            self.gap_total += float(dt[gap].sum())
            for i in gap[: MAX_DETAILED - len(self.gaps)].tolist():
                before = float(t[i - 1]) if i else float(t[0] - dt[0])
                self.gaps.append((row0 + i - 1, before, float(dt[i])))

    def _result(self) -> Telemetry:
        src, nb = self.src, self.n_bins
        used = self.bin_rows[:nb] > 0
        rows = self.bin_rows[:nb][used]
        time_s = self.t0 + self.bin_time[:nb][used] / rows
        first = self.bin_first[:nb][used].astype(np.intp)
        channels: list[Channel] = []
        issues: list[DataIssue] = []
        for s in self.sums:
            spec = s.spec
            count = s.count[:nb][used]
            if spec.quantity == "injection":
                values = np.cumsum(s.sum[:nb])[used]
            elif spec.quantity in STATES:
                values = np.where(count > 0, s.sum[:nb][used], np.nan)
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    values = np.where(count > 0, s.sum[:nb][used] / count, np.nan)
            noise = s.stats.noise_sd
            if noise is None and spec.quantity in _MEASURED:
                # too few samples in the first rows: the bins' scatter times √(samples)
                v, res = values[count > 0], s.stats.resolution
                noise = (_noise_sd(v, 0.0) * math.sqrt(float(np.median(count[count > 0])))
                         if v.size >= 8 else 0.0)
                noise = max(noise, res / math.sqrt(12.0))
            channels.append(Channel(spec.name, spec.source, spec.quantity, spec.unit,
                                    values, s.stats.resolution, noise, count))
        _check_usable(channels, src.path)
        for s in self.sums:
            issues.extend(s.issues(self.base))
        grid_where = Where(src.path, src.first_line, src.csv, self.clock.start_time, first)
        grid = Grid(time_s, grid_where, grid_where, None, False, np.zeros(0, dtype=np.intp),
                    np.zeros(0, dtype=np.intp))
        issues.extend(_bin_steps(channels, self.sums, grid))
        head = self._table_issues()
        return Telemetry(src.path, time_s, tuple(channels), self.clock.start_time,
                         tuple(head + issues), dict(src.metadata), False, self.bin_s)

    def _table_issues(self) -> list[DataIssue]:
        w, out = self.base, []
        if self.duplicates:
            r = self.first_duplicate
            out.append(DataIssue("duplicate", f"{self.duplicates} rows repeat the time of the "
                                 f"row above (first at {w.at(r)}); averaged in their bin",
                                 row=w.line(r)))
        for row, t, length in self.gaps:
            out.append(DataIssue("gap", f"gap of {format_duration(length)} without rows after "
                                 f"{w.when(t)} ({w.at(row)}; median spacing "
                                 f"{format_duration(self.median_dt)}); data kept",
                                 row=w.line(row), time_s=t))
        if self.n_gaps > MAX_DETAILED:
            more = self.n_gaps - MAX_DETAILED
            rest = self.gap_total - sum(g[2] for g in self.gaps)
            out.append(DataIssue("gap", f"... and {more} more gaps ({format_duration(rest)} "
                                 "in all); data kept"))
        return out


def _bin_steps(channels: list[Channel], sums: list[_Sums], grid: Grid) -> list[DataIssue]:
    """Sensor steps in the binned pressure and temperature series (shifted back in place)."""
    found: list[Steps] = []
    moved: dict[str, float] = {}
    for c, s in zip(channels, sums, strict=True):
        if c.quantity not in _MEASURED:
            continue
        v = c.values[np.isfinite(c.values)]
        if v.size < 5:
            continue
        e = v[1:-1] - 0.5 * (v[:-2] + v[2:])
        level = float(np.median(np.abs(v[_sample(v.size)])))
        limit, moved[c.name] = _jump_limits(robust_sd(e[_sample(e.size)]), c.resolution, level)
        if c.quantity in ("pressure", "temperature"):
            step = find_steps(c.values, s.spec, limit, c.resolution)
            if step is not None:
                found.append(step)
    return resolve_steps(found, channels, moved, grid)
