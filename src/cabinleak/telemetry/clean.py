"""Clean telemetry columns: order, duplicates, gaps, dropouts, spikes and sensor steps.

Every change is reported as a :class:`~cabinleak.telemetry.model.DataIssue` that says what
was found, where (file line and time) and what was done; nothing is fixed silently. All
checks are vectorised so a year of 1 Hz data (31.5 M rows) costs seconds per channel.

Rules and thresholds (σ is a robust noise level, 1.4826 × the median absolute deviation):

* rows out of time order are sorted (stable); equal times are merged into one row, the
  values averaged (hatch states: open if any row says open);
* a spacing above ``GAP_FACTOR`` × the median spacing is a gap: reported, data kept;
* empty cells, NaN, sentinels (``SENTINELS``) and impossible values (``PHYSICAL_RANGE``)
  become NaN. A channel sampled on every k-th row of a faster grid is not counted as
  missing on the rows between its samples;
* a single sample more than ``SPIKE_SIGMA`` σ (and 4 median sample-to-sample changes,
  and 2 resolutions) from the mean of its neighbours, while the neighbours agree to within
  half that, is a spike and becomes NaN;
* in pressure and temperature channels, a jump between consecutive samples above
  ``STEP_SIGMA`` σ and ``STEP_RESOLUTIONS`` resolutions, with both neighbouring changes
  under half of it, and the level in the ``STEP_WINDOW`` samples on each side drifting by
  under a quarter of it, is a level shift. A fast drop that goes on (a real
  depressurisation) has large neighbouring changes or drift and is not one. A level shift
  is a sensor step, and later samples are shifted back by it, unless the record shows it
  is real: a hatch or injection channel changes within two rows, another channel of the
  same quantity jumps at the same time, or (pressure) the jump brings the channel to
  another channel's level (an opened hatch). A shift above ``MAX_STEP_FRACTION`` of the
  reading is kept as real and reported. A table with a single pressure channel and no
  hatch column cannot tell a small hatch opening from a sensor step. Steps within 10
  samples of either end of a record are not looked for.

Spikes and steps are not looked for in gauge tables (a few hand readings far apart).
Reading resolutions are inferred from the values (see :func:`infer_resolution`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from numpy.typing import NDArray
from scipy.stats import median_abs_deviation

from cabinleak.physics.units import ATM_PA, format_duration
from cabinleak.telemetry.columns import ColumnSpec
from cabinleak.telemetry.model import STATES, Channel, DataIssue, TelemetryError

F = NDArray[np.float64]
I = NDArray[np.intp]  # noqa: E741

SENTINELS: tuple[float, ...] = (-999.0, -9999.0, -99999.0, 9999.0, 99999.0)
PHYSICAL_RANGE: dict[str, tuple[float, float, str]] = {
    "pressure": (0.0, 10 * ATM_PA, "< 0 or > 10 atm"),
    "ppO2": (0.0, 10 * ATM_PA, "< 0 or > 10 atm"),
    "ppCO2": (0.0, 10 * ATM_PA, "< 0 or > 10 atm"),
    "temperature": (150.0, 400.0, "< 150 K or > 400 K"),
}
MAX_DETAILED = 10  # detailed issues of one kind (per channel) before a summary line
GAP_FACTOR = 5.0
SPIKE_SIGMA = 8.0
STEP_SIGMA = 10.0
STEP_RESOLUTIONS = 3.0
STEP_WINDOW = 30
MAX_STEP_FRACTION = 0.1  # a larger single-sample shift is taken as real, not a sensor fault
GAUGE_ROWS = 20  # a table this short is a gauge table
FLOAT32_REL = 4 * 2.0**-24  # 4 half-ulps of a 32-bit float: readings this close are one
STEP_SPREAD = 0.005  # a quantiser's steps may differ by this fraction (uneven counts)
GAUGE_MAX_ROWS = 50  # ... and one up to this long with irregular spacing
_EDGE = 10  # samples needed on each side of a step
_RELATIVE_FLOOR = 1e-7  # spikes and steps below this fraction of the level are not looked for


@dataclass(frozen=True, eq=False)
class Where:
    """Turns row indices into file lines and times into text for issue messages."""

    path: str
    first_line: int  # line number of the first data row (the header is the line before)
    csv: bool = True
    start_time: datetime | None = None
    order: I | None = None  # file row of each row in hand; None while in file order

    def line(self, i: int) -> int:
        """1-based file line of row `i` (for Parquet: row number + 1, as if a header)."""
        return self.first_line + int(i if self.order is None else self.order[i])

    def lines(self, idx: I) -> I:
        return self.first_line + (idx if self.order is None else self.order[idx])

    def at(self, i: int) -> str:
        n = self.line(i)
        return f"line {n}" if self.csv else f"row {n - self.first_line + 1}"

    def span(self, lines: I) -> str:
        """Text for a sorted set of file lines: ``"lines 14-16"`` or ``"lines 3, 9, 12"``."""
        nums = lines if self.csv else lines - self.first_line + 1
        word = "lines" if self.csv else "rows"
        if nums[-1] - nums[0] == nums.size - 1:
            return f"{word} {nums[0]}-{nums[-1]}"
        return f"{word} " + ", ".join(str(x) for x in nums[:4]) + (", …" if nums.size > 4 else "")

    def when(self, t_s: float) -> str:
        if self.start_time is None:
            return f"t={format_duration(t_s)}"
        moment = self.start_time + timedelta(seconds=float(t_s))
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def reorder(self, idx: I) -> Where:
        order = idx if self.order is None else self.order[idx]
        return Where(self.path, self.first_line, self.csv, self.start_time, order)


@dataclass(frozen=True, eq=False)
class Grid:
    """The cleaned time grid and how its rows map back to the sorted file rows."""

    time_s: F  # unique, increasing [s]
    where: Where  # for rows of time_s
    sorted_where: Where  # for the sorted rows before duplicates were merged
    starts: I | None  # first sorted row of each time; None when all times are distinct
    gauge: bool
    runs: I  # indices into ``time_s`` of times shared by several rows
    run_sizes: I  # how many rows share each of those times


def robust_sd(a: F) -> float:
    """The σ of the Gaussian part of `a`: its median absolute deviation scaled to a normal
    σ (× 1/Φ⁻¹(3/4) = 1.4826); 0 for no samples.

    The one robust noise estimate of the telemetry readers
    (:func:`scipy.stats.median_abs_deviation` with ``scale="normal"``).
    """
    if a.size == 0:
        return 0.0
    return float(median_abs_deviation(a, scale="normal"))


def sort_rows(t: F, where: Where) -> tuple[I | None, DataIssue | None]:
    """Stable order of rows by time; None (and no issue) when already in order."""
    back = np.flatnonzero(t[1:] < t[:-1])
    if back.size == 0:
        return None, None
    i = int(back[0]) + 1
    issue = DataIssue("unsorted", f"rows not in time order (first at {where.at(i)}, "
                      f"{where.when(t[i])} after {where.when(t[i - 1])}); sorted",
                      row=where.line(i), time_s=float(t[i]))
    return np.argsort(t, kind="stable"), issue


def looks_like_gauge(t: F) -> bool:
    """A table of at most 20 rows, or of at most 50 irregularly spaced ones."""
    if t.size <= GAUGE_ROWS:
        return True
    if t.size > GAUGE_MAX_ROWS:
        return False
    dt = np.diff(t)
    return bool(dt.max() - dt.min() > 0.1 * np.median(dt))


def make_grid(t: F, where: Where, gauge: bool | None) -> Grid:
    """Merge equal times of sorted `t` into one grid row each."""
    n = t.size
    if n > 1 and bool(np.any(t[1:] == t[:-1])):
        starts = np.flatnonzero(np.concatenate(([True], t[1:] != t[:-1])))
        sizes = np.diff(np.append(starts, n))
        runs = np.flatnonzero(sizes > 1)
        tu, wu, run_sizes = t[starts], where.reorder(starts), sizes[runs]
    else:
        starts, tu, wu = None, t, where
        runs = run_sizes = np.zeros(0, dtype=np.intp)
    is_gauge = looks_like_gauge(tu) if gauge is None else gauge
    return Grid(tu, wu, where, starts, is_gauge, runs, run_sizes)


def duplicate_issues(grid: Grid, identical: NDArray[np.bool_]) -> list[DataIssue]:
    """One issue per time shared by several rows (the first ``MAX_DETAILED``), then a summary."""
    if grid.starts is None:
        return []
    out = []
    sizes = grid.run_sizes
    for j, (r, k) in enumerate(zip(grid.runs[:MAX_DETAILED], sizes, strict=False)):
        s = int(grid.starts[r])
        lines = np.sort(grid.sorted_where.lines(np.arange(s, s + k)))
        shown = grid.sorted_where.span(lines)
        what = "identical, kept one" if identical[j] else "values averaged"
        out.append(DataIssue("duplicate", f"{k} rows share the time "
                             f"{grid.where.when(grid.time_s[r])} ({shown}); {what}",
                             row=int(lines[0]), time_s=float(grid.time_s[r])))
    more = grid.runs.size - MAX_DETAILED
    if more > 0:
        extra = int(sizes[MAX_DETAILED:].sum())
        out.append(DataIssue("duplicate", f"... and {more} more times shared by several rows "
                             f"({extra} rows in all); values averaged"))
    return out


def find_gaps(grid: Grid, on_change: bool = False) -> list[DataIssue]:
    """Spacings above ``GAP_FACTOR`` × the median spacing (not looked for in gauge tables).

    In a table whose every channel is sent on change (`on_change`), such a spacing is a
    time without a change: a hold or a loss of signal, which the record cannot tell apart.
    """
    t = grid.time_s
    if grid.gauge or t.size < 3:
        return []
    dt = np.diff(t)
    median = float(np.median(dt))
    at = np.flatnonzero(dt > GAP_FACTOR * median)
    what, kept = "gap of {} without rows", "data kept"
    if on_change:
        what, kept = "no change reported for {}", "values held (a hold or a loss of signal)"
    out = [DataIssue("gap", f"{what.format(format_duration(dt[i]))} after "
                     f"{grid.where.when(t[i])} ({grid.where.at(int(i))}; median spacing "
                     f"{format_duration(median)}); {kept}",
                     row=grid.where.line(int(i)), time_s=float(t[i]))
           for i in at[:MAX_DETAILED]]
    if at.size > MAX_DETAILED:
        out.append(DataIssue("gap", f"... and {at.size - MAX_DETAILED} more "
                             f"{'spans without a change' if on_change else 'gaps'} "
                             f"({format_duration(float(dt[at[MAX_DETAILED:]].sum()))} in all); "
                             f"{kept}"))
    return out


def _expected(missing: I, n: int) -> I:
    """The `missing` rows where a sample was due: all, unless the channel is sampled on every
    k-th row of a faster grid (k ≥ 2 for ≥ 90 % of its samples), when only those rows."""
    if missing.size > n - 3:
        return missing
    present = np.ones(n, dtype=bool)
    present[missing] = False
    idx = np.flatnonzero(present)
    d = np.diff(idx)
    k = int(np.median(d))
    if k < 2 or np.mean(d == k) < 0.9:
        return missing
    return missing[(missing - idx[0]) % k == 0]


def dropouts(spec: ColumnSpec, raw: F, where: Where) -> tuple[F, DataIssue | None]:
    """SI values with missing, sentinel and impossible readings set to NaN (injections: 0)."""
    n = raw.size
    missing = np.flatnonzero(~np.isfinite(raw))
    with np.errstate(over="ignore"):  # a reading too large for SI is inf: impossible below
        si = spec.to_si(raw)
    if not si.flags.writeable:  # a read-only view of the file's column
        si = si.copy()
    sentinel = np.flatnonzero(np.isin(raw, SENTINELS))
    with np.errstate(invalid="ignore"):
        if spec.quantity in STATES:
            bad = np.flatnonzero((raw != 0.0) & (raw != 1.0) & ~np.isnan(raw))
            reason = "not 1/0"
        elif spec.quantity == "injection":
            bad = np.union1d(np.flatnonzero(raw < 0.0), sentinel)
            reason = "negative"
        else:
            lo, hi, reason = PHYSICAL_RANGE[spec.quantity]
            bad = np.union1d(np.flatnonzero((si < lo) | (si > hi)), sentinel)
            check_plausible(spec, raw, si, where)
    if spec.quantity == "injection":
        empty = missing[:0]  # an empty injection cell means nothing was added
        si[missing] = 0.0
        si[bad] = 0.0
    else:
        empty = _expected(missing, n) if missing.size else missing
        si[bad] = np.nan
    n_empty, n_sent = empty.size, sentinel.size
    n_bad = bad.size - n_sent
    if not (n_empty or bad.size):
        return si, None
    parts = []
    if n_empty:
        parts.append(f"{n_empty} empty/NaN")
    if n_sent:
        parts.append(f"{n_sent} sentinel {'/'.join(f'{s:g}' for s in SENTINELS)}")
    if n_bad:
        parts.append(f"{n_bad} impossible, {reason}")
    rows = np.concatenate((empty, bad))
    first = int(rows[np.argmin(where.lines(rows))])
    done = "taken as 0 kg added" if spec.quantity == "injection" else "set to missing"
    total = n_empty + bad.size
    return si, DataIssue("dropout", f"{spec.name}: {total} unusable reading"
                         f"{'s' if total > 1 else ''} ({'; '.join(parts)}), first at "
                         f"{where.at(first)}; {done}", channel=spec.name,
                         row=where.line(first))


def check_plausible(spec: ColumnSpec, raw: F, si: F, where: Where) -> None:
    """Refuse a channel most of whose readings are impossible: a wrong unit, not dropouts.

    A cabin "at 295 °C" is a temperature in kelvin labelled °C; setting every reading to
    missing would hide that, so a pressure, partial-pressure or temperature channel whose
    median reading lies outside ``PHYSICAL_RANGE`` is an error naming the column and the
    value.
    """
    ok = np.isfinite(si) & ~np.isin(raw, SENTINELS)
    if not ok.any():
        return
    lo, hi, _ = PHYSICAL_RANGE[spec.quantity]
    mid = float(np.median(si[ok]))
    if lo <= mid <= hi:
        return
    i = int(np.flatnonzero(ok)[np.argmin(np.abs(si[ok] - mid))])
    shown = f"{raw[i]:g} {spec.unit}".rstrip()
    unit = "K" if spec.quantity == "temperature" else "Pa"
    raise TelemetryError(
        f"{where.path}: column {spec.name!r}: readings such as {shown} (= {si[i]:.6g} {unit}, "
        f"{where.at(i)}) are not a plausible {_PLAUSIBLE[spec.quantity]}; most readings are "
        f"{_OUTSIDE[spec.quantity]}: is the unit in the header right?")


_PLAUSIBLE = {"pressure": "cabin pressure", "ppO2": "partial pressure",
              "ppCO2": "partial pressure", "temperature": "cabin temperature"}
_OUTSIDE = {q: f"outside {lo:g}..{hi:g} {'K' if q == 'temperature' else 'Pa'}"
            for q, (lo, hi, _) in PHYSICAL_RANGE.items()}


def _sample(n: int, blocks: int = 200, length: int = 1000) -> slice | I:
    """Rows for resolution inference: all, or `blocks` runs of `length` spread evenly."""
    if n <= blocks * length:
        return slice(None)
    first = np.linspace(0, n - length, blocks).astype(np.intp)
    return (first[:, None] + np.arange(length)).ravel()


def infer_resolution(raw: F, gauge: bool) -> float:
    """Reading resolution in the file's unit; 0 when the values are not clearly quantised.

    Gauge tables (a few readings): the smallest power of ten all values are multiples of.
    Others: when values repeat (at most half are distinct), the typical step between
    neighbouring distinct values (of up to 200 000 samples; the median of those under 1.5 ×
    the smallest) if ≥ 90 % of the steps are whole multiples of it, to 1e-6 plus
    ``STEP_SPREAD`` of the step, plus ``FLOAT32_REL`` of the largest value (at most 1 %).

    Values that differ by less than ``FLOAT32_REL`` of the largest value are one reading:
    recorders of the public ISS feed store readings as 32-bit floats (about 7 digits), so
    one level of a 0.6345 mmHg gauge near 745 mmHg shows up as 744.9402466 and, converted
    another way, one float32 step (6e-5 mmHg) away. A gauge's counts need not be exactly
    evenly spaced: the crewlock gauge's steps are 0.6324 to 0.6366 mmHg, hence ``STEP_SPREAD``.
    """
    x = raw[np.isfinite(raw)]
    if x.size < 2:
        return 0.0
    scale = float(np.max(np.abs(x)))
    if gauge:
        for digits in range(7):
            y = x * 10.0**digits
            if np.all(np.abs(y - np.round(y)) <= 1e-6 * np.maximum(1.0, np.abs(y))):
                return 10.0**-digits
        return 0.0
    u = np.unique(x)
    if u.size > 0.5 * x.size:  # readings of a quantised sensor repeat
        return 0.0
    d = np.diff(u)
    d = d[d > FLOAT32_REL * scale]
    if d.size == 0:
        return 0.0
    smallest = float(d.min())
    step = float(np.median(d[d < 1.5 * smallest]))
    ratio = d / step
    tol = np.minimum((1e-6 + STEP_SPREAD) * ratio + FLOAT32_REL * scale / step, 0.01)
    return step if np.mean(np.abs(ratio - np.round(ratio)) <= tol) >= 0.9 else 0.0


def merge_rows(values: F, grid: Grid, hatch: bool) -> tuple[F, NDArray[np.bool_]]:
    """Average a channel over rows sharing a time; also whether each reported run was identical."""
    if grid.starts is None:
        return values, np.ones(0, dtype=bool)
    same = np.ones(min(grid.runs.size, MAX_DETAILED), dtype=bool)
    for j, (r, k) in enumerate(zip(grid.runs[:MAX_DETAILED], grid.run_sizes, strict=False)):
        seg = values[grid.starts[r]:grid.starts[r] + k]
        same[j] = bool(np.array_equal(seg, np.full(k, seg[0]), equal_nan=True))
    ok = np.isfinite(values)
    if hatch:
        top = np.maximum.reduceat(np.where(ok, values, -np.inf), grid.starts)
        return np.where(np.isneginf(top), np.nan, top), same
    total = np.add.reduceat(np.where(ok, values, 0.0), grid.starts)
    count = np.add.reduceat(ok.astype(np.int64), grid.starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan), same


def _in_unit(delta_si: float, spec: ColumnSpec) -> str:
    return f"{delta_si / spec.scale:+.4g} {spec.unit}".rstrip()


def _finite(x: F) -> tuple[I | None, F]:
    """Positions of the finite samples (None: all are) and their values."""
    ok = np.isfinite(x)
    if ok.all():
        return None, x
    idx = np.flatnonzero(ok)
    return idx, x[idx]


def _row(idx: I | None, k: I) -> I:
    return k if idx is None else idx[k]


def spike_limit(v: F, resolution: float) -> tuple[float, float]:
    """The spike rule's threshold for the samples `v` [SI] (no NaN, at least 5), and the
    robust σ of ``e = v[k] - (v[k-1] + v[k+1]) / 2`` it comes from.

    A sample is a spike when ``|e|`` is above the largest of ``SPIKE_SIGMA`` σ(e), 4 median
    sample-to-sample changes, 2 resolutions and ``_RELATIVE_FLOOR`` of the level (each
    estimated on up to 200 000 samples), and its neighbours agree (:func:`is_spike`).
    """
    e = v[1:-1] - 0.5 * (v[:-2] + v[2:])
    sd_e = robust_sd(e[_sample(e.size)])
    some = v[_sample(v.size)]
    limit = max(SPIKE_SIGMA * sd_e, 4.0 * float(np.median(np.abs(np.diff(some)))),
                2.0 * resolution, _RELATIVE_FLOOR * float(np.median(np.abs(some))))
    return limit, sd_e


def is_spike(e: F, left: F, right: F, limit: float) -> NDArray[np.bool_]:
    """Whether samples that stand `e` off the mean of their neighbours `left` and `right`
    are spikes: ``|e| > limit`` while the neighbours agree to within half of ``|e|``."""
    size = np.abs(e)
    return (size > limit) & (np.abs(right - left) < 0.5 * size)


def remove_spikes(x: F, spec: ColumnSpec, resolution: float, grid: Grid
                  ) -> tuple[DataIssue | None, float]:
    """Set single-sample spikes of `x` [SI] to NaN in place.

    Returns the issue (None when there were none) and the robust σ [SI] of
    ``e = x[k] - (x[k-1] + x[k+1]) / 2`` (1.5 × the sample variance for white noise),
    estimated on up to 200 000 samples.
    """
    idx, v = _finite(x)
    if v.size < 5:
        return None, 0.0
    limit, sd_e = spike_limit(v, resolution)
    e = v[1:-1] - 0.5 * (v[:-2] + v[2:])
    cand = np.flatnonzero(np.abs(e) > limit)
    hit = cand[is_spike(e[cand], v[cand], v[cand + 2], limit)]
    size = np.abs(e[hit])
    if hit.size == 0:
        return None, sd_e
    rows = _row(idx, hit + 1)
    x[rows] = np.nan
    biggest = int(hit[np.argmax(size)])
    first = int(rows[np.argmin(grid.where.lines(rows))])
    count = f"{hit.size} single-sample spike{'s' if hit.size > 1 else ''}"
    return DataIssue("spike", f"{spec.name}: {count} (largest "
                     f"{_in_unit(float(e[biggest]), spec)}), first at {grid.where.at(first)} "
                     f"({grid.where.when(grid.time_s[first])}); set to missing",
                     channel=spec.name, row=grid.where.line(first),
                     time_s=float(grid.time_s[first])), sd_e


@dataclass(frozen=True, eq=False)
class Steps:
    """Level shifts found in one channel, before they are checked against the others."""

    spec: ColumnSpec
    rows: I  # grid row of the first sample after each jump
    shifts: F  # size of each jump [SI]


def _jump_limits(sd_e: float, resolution: float, level: float) -> tuple[float, float]:
    """(step, moved): a sensor step's least size, and a change another channel must show."""
    sd_jump = sd_e * np.sqrt(2.0 / 1.5)  # Var(e) = 1.5 σ², Var(jump) = 2 σ²
    floor = _RELATIVE_FLOOR * level
    return (max(STEP_SIGMA * sd_jump, STEP_RESOLUTIONS * resolution, floor),
            max(0.5 * STEP_SIGMA * sd_jump, 2.0 * resolution, floor))


def find_steps(x: F, spec: ColumnSpec, limit: float, resolution: float) -> Steps | None:
    """Single-sample level shifts of `x` [SI] larger than `limit` with a quiet record around."""
    idx, v = _finite(x)
    n = v.size
    if n < 2 * _EDGE + 1:
        return None
    jump = np.diff(v)  # jump[k] = v[k+1] - v[k]
    cand = np.flatnonzero(np.abs(jump) > limit)
    cand = cand[(cand >= _EDGE - 1) & (cand <= n - 1 - _EDGE)]
    size = np.abs(jump[cand])
    cand = cand[(np.abs(jump[cand - 1]) < 0.5 * size) & (np.abs(jump[cand + 1]) < 0.5 * size)]
    if cand.size == 0:
        return None
    half = STEP_WINDOW // 2
    steps, shifts = [], []
    for chunk in np.array_split(cand, cand.size // 50_000 + 1):
        pre = v[np.clip(chunk[:, None] + np.arange(1 - STEP_WINDOW, 1), 0, n - 1)]
        post = v[np.clip(chunk[:, None] + np.arange(1, STEP_WINDOW + 1), 0, n - 1)]
        pre_a, pre_b = np.median(pre[:, :half], axis=1), np.median(pre[:, half:], axis=1)
        post_a, post_b = np.median(post[:, :half], axis=1), np.median(post[:, half:], axis=1)
        drift_pre, drift_post = pre_b - pre_a, post_b - post_a
        shift = post_a - pre_b - 0.5 * (drift_pre + drift_post)
        if resolution > 0:
            shift = np.round(shift / resolution) * resolution
        ok = ((np.abs(drift_pre) < 0.25 * np.abs(shift))
              & (np.abs(drift_post) < 0.25 * np.abs(shift))
              & (np.sign(shift) == np.sign(jump[chunk])) & (np.abs(shift) > 0.5 * limit))
        steps.append(chunk[ok])
        shifts.append(shift[ok])
    at = np.concatenate(steps)
    if not at.size:
        return None
    sizes = np.array([_refined_shift(v, int(k), float(sh))
                      for k, sh in zip(at, np.concatenate(shifts), strict=True)])
    return Steps(spec, _row(idx, at + 1), sizes)


STEP_REFINE = 60  # samples each side used to measure a step's size


def _refined_shift(v: F, k: int, rough: float) -> float:
    """The size of the level shift between v[k] and v[k+1], by least squares.

    A cubic with a step, a + b·u + c·u² + d·u³ + s·[i > k], fitted over up to
    STEP_REFINE samples on each side (stopping short of any other jump as large): the
    cubic follows a thermal swing or a leak across the window, and its odd term keeps
    a swing's curvature out of the step. The medians that found the
    step are quantised and short, and a step's size error stays in every later reading.
    """
    lo, hi = max(0, k + 1 - STEP_REFINE), min(v.size, k + 1 + STEP_REFINE)
    jumps = np.flatnonzero(np.abs(np.diff(v[lo:hi])) > 0.5 * abs(rough)) + lo
    before, after = jumps[jumps < k], jumps[jumps > k]
    lo = int(before[-1]) + 1 if before.size else lo
    hi = int(after[0]) + 1 if after.size else hi
    i = np.arange(lo, hi, dtype=float)
    u = (i - k) / STEP_REFINE
    a = np.column_stack([np.ones_like(u), u, u * u, u**3, (i > k).astype(float)])
    if hi - lo < 10 or min(k + 1 - lo, hi - k - 1) < 4:
        return rough
    coef, *_ = np.linalg.lstsq(a, v[lo:hi], rcond=None)
    return float(coef[4])


def _moved(x: F, row: int, limit: float) -> bool:
    """Whether `x` changes by more than `limit` beyond its local trend at `row` (±1 sample)."""
    idx = np.flatnonzero(np.isfinite(x[max(0, row - 60):row + 60])) + max(0, row - 60)
    pos = int(np.searchsorted(idx, row))
    if pos < 2 or pos + 2 > idx.size:
        return False
    v = x[idx]
    d = np.diff(v[max(0, pos - 8):pos + 8])
    trend = float(np.median(d))
    near = np.diff(v[pos - 2:pos + 2])
    return bool(np.any(np.abs(near - trend) > limit))


def _converged(x: F, y: F, row: int, shift: float) -> bool:
    """Whether the jump in `x` at `row` closed most of its difference from `y` (a hatch opening)."""
    lo, hi = max(0, row - 5), row + 5
    before, after = x[lo:row] - y[lo:row], x[row:hi] - y[row:hi]
    if not (np.isfinite(before).any() and np.isfinite(after).any()):
        return False
    gap_before, gap_after = float(np.nanmedian(before)), float(np.nanmedian(after))
    return abs(gap_before) > 0.5 * abs(shift) and abs(gap_after) < 0.25 * abs(gap_before)


def resolve_steps(found: list[Steps], channels: list[Channel], moved_limit: dict[str, float],
                  grid: Grid) -> list[DataIssue]:
    """Shift back sensor steps; keep level shifts the record shows are real.

    A jump is real, not a sensor fault, when a hatch or injection channel changes within
    two rows of it, another channel of the same quantity jumps at the same time, or (for
    pressure) it brings the channel to another channel's level (an opened hatch).
    """
    if not found:
        return []
    events = np.zeros(0, dtype=np.intp)
    for c in channels:
        if c.quantity in (*STATES, "injection"):
            idx = np.flatnonzero(np.isfinite(c.values))
            events = np.union1d(events, idx[1:][np.diff(c.values[idx]) != 0])
    out: list[DataIssue] = []
    for steps in found:
        spec = steps.spec
        x = next(c.values for c in channels if c.name == spec.name)
        others = [c for c in channels if c.quantity == spec.quantity and c.name != spec.name]
        keep = []
        for row, shift in zip(steps.rows.tolist(), steps.shifts.tolist(), strict=True):
            near = np.searchsorted(events, [row - 2, row + 3])
            real = (near[1] > near[0]
                    or any(_moved(o.values, row, moved_limit[o.name]) for o in others
                           if o.name in moved_limit)
                    or (spec.quantity == "pressure"
                        and any(_converged(x, o.values, row, shift) for o in others)))
            big = not real and abs(shift) > MAX_STEP_FRACTION * abs(float(x[row]))
            if big:
                out.append(DataIssue("step", f"level shift of {_in_unit(shift, spec)} in "
                                     f"{spec.name} at {grid.where.when(grid.time_s[row])} "
                                     f"({grid.where.at(row)}) is too large for a sensor "
                                     "fault (> 10 % of the reading); kept as real",
                                     channel=spec.name, row=grid.where.line(row),
                                     time_s=float(grid.time_s[row])))
            keep.append(not (real or big))
        rows, shifts = steps.rows[keep], steps.shifts[keep]
        if rows.size == 0:
            continue
        correction = np.zeros(x.size)
        correction[rows] = shifts
        x -= np.cumsum(correction)
        for row, shift in zip(rows[:MAX_DETAILED].tolist(), shifts[:MAX_DETAILED].tolist(),
                              strict=True):
            out.append(DataIssue("step", f"sensor step of {_in_unit(shift, spec)} in "
                                 f"{spec.name} at {grid.where.when(grid.time_s[row])} "
                                 f"({grid.where.at(row)}); later readings shifted back",
                                 channel=spec.name, row=grid.where.line(row),
                                 time_s=float(grid.time_s[row])))
        if rows.size > MAX_DETAILED:
            out.append(DataIssue("step", f"... and {rows.size - MAX_DETAILED} more sensor "
                                 f"steps in {spec.name}; later readings shifted back",
                                 channel=spec.name))
    return out


def cumulative_injection(added: F, spec: ColumnSpec, t: F) -> F:
    """Cumulative mass added since the first row [kg] from per-row amounts or rates [SI]."""
    per_row = added[1:] * np.diff(t) if spec.rate else added[1:]
    return np.concatenate(([0.0], np.cumsum(per_row)))


#: What :func:`clean_channel` returns.
Cleaned = tuple[Channel, list[DataIssue], NDArray[np.bool_], Steps | None, float | None]


def clean_channel(spec: ColumnSpec, raw: F, grid: Grid) -> Cleaned:
    """Clean one channel (rows sorted, file unit) onto the grid.

    Returns the channel [SI]; its issues; for each reported duplicate time whether the
    channel's rows there were identical; its candidate sensor steps (pressure and
    temperature; see :func:`resolve_steps`); and the least change [SI] that counts as a
    jump in this channel when another channel's step is checked (None: not checked).
    """
    issues: list[DataIssue] = []
    si, issue = dropouts(spec, raw, grid.sorted_where)
    if issue is not None:
        issues.append(issue)
    resolution = spec.resolution
    if resolution is None:
        resolution = 0.0
        if spec.quantity not in (*STATES, "injection"):
            pick = _sample(raw.size)
            sample = np.where(np.isfinite(si[pick]), raw[pick], np.nan)
            resolution = infer_resolution(sample, grid.gauge) * spec.scale
    values, same = merge_rows(si, grid, spec.quantity in STATES)
    steps, moved = None, None
    if spec.quantity == "injection":
        values = cumulative_injection(values, spec, grid.time_s)
    elif spec.quantity not in STATES and not grid.gauge and not spec.on_change:
        spike, sd_e = remove_spikes(values, spec, resolution, grid)
        if spike is not None:
            issues.append(spike)
        sample = np.abs(values[_sample(values.size)])
        sample = sample[np.isfinite(sample)]
        level = float(np.median(sample)) if sample.size else 0.0
        limit, moved = _jump_limits(sd_e, resolution, level)
        if spec.quantity in ("pressure", "temperature"):
            steps = find_steps(values, spec, limit, resolution)
    channel = Channel(spec.name, spec.source, spec.quantity, spec.unit, values, resolution,
                      on_change=spec.on_change)
    return channel, issues, same, steps, moved
