"""Statistics of a pressure record that say whether it looks like real station telemetry.

The measures compare a generated record with a real one (``benchmarks/calibrate_realistic.py``
prints them side by side, ``docs/calibration.md`` gives the real values):

* the reading step: the most common non-zero change between consecutive reports;
* the change rate: reports whose value differs from the previous one, per hour, after the
  record is read the way an archive reads the feed (:func:`hold_grid`: the last value sent,
  once every ``period_s``);
* the white noise: the standard deviation of the held values about their running mean over
  ``RESIDUAL_WINDOW_S`` (quantisation included, so never below about step/√12 once the
  reading dithers);
* the low-frequency wander: the Allan deviation of the pressure *rate*
  (:func:`rate_allan_deviation`), the spread from one block of length τ to the next of
  the least-squares slope fitted in each block: what a leak-rate estimate over τ would
  see on a leak-free station;
* signal-loss gaps (:func:`find_gaps`): spans longer than a threshold with no report at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

F = NDArray[np.float64]

RESIDUAL_WINDOW_S = 600.0  # running-mean window for the white-noise estimate [s]
#: Block lengths at which the rate Allan deviation is reported [s] (5 min ... 5 h).
ADEV_TAUS_S: tuple[float, ...] = (300.0, 900.0, 1800.0, 3600.0, 3 * 3600.0, 5 * 3600.0)


def hold_grid(time_s: ArrayLike, values: ArrayLike, period_s: float, *,
              start_s: float | None = None, end_s: float | None = None) -> tuple[F, F]:
    """The last value reported at or before each tick of a uniform grid (zero-order hold).

    This is how a once-a-minute archive of a report-by-exception feed reads it, and how a
    record with irregular report times is put on a uniform grid for :func:`rate_allan_deviation`.
    NaN values (no sample) are skipped. Returns the grid times [s] and held values.
    """
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = np.isfinite(v) & np.isfinite(t)
    t, v = t[keep], v[keep]
    if t.size == 0:
        return np.array([]), np.array([])
    t0 = t[0] if start_s is None else start_s
    t1 = t[-1] if end_s is None else end_s
    grid = t0 + period_s * np.arange(int(np.floor((t1 - t0) / period_s + 1e-9)) + 1)
    idx = np.searchsorted(t, grid, side="right") - 1
    ok = idx >= 0
    return np.asarray(grid[ok], dtype=float), np.asarray(v[idx[ok]], dtype=float)


def block_slopes(values: ArrayLike, n: int, dt_s: float) -> F:
    """Least-squares slope [unit/s] of every run of ``n`` consecutive uniform samples."""
    y = np.asarray(values, dtype=float)
    if n < 2 or y.size < n:
        return np.array([])
    i = np.arange(y.size, dtype=float)
    cy = np.concatenate(([0.0], np.cumsum(y)))
    ciy = np.concatenate(([0.0], np.cumsum(i * y)))
    start = np.arange(y.size - n + 1)
    sum_y = cy[start + n] - cy[start]
    sum_iy = ciy[start + n] - ciy[start]
    centre = start + (n - 1) / 2.0
    sxx = n * (n * n - 1) / 12.0
    return np.asarray((sum_iy - centre * sum_y) / sxx / dt_s)


def rate_allan_deviation(values: ArrayLike, dt_s: float, tau_s: float) -> float:
    """Overlapping Allan deviation of the block rate at block length ``tau_s`` [unit/s].

    With r(k) the least-squares slope of the block of length τ starting at sample k,
    σ(τ) = sqrt(½·mean((r(k+m) − r(k))²)) over every k, with m = τ/dt: the rate seen over
    one block against the rate over the next. NaN when the record is shorter than 2τ.

    Notes
    -----
    A straight line (a steady leak) gives 0. White noise of σ_w per sample gives
    σ(τ) = σ_w·sqrt(12/(m(m² − 1)))/dt, the standard deviation of one block's
    least-squares slope, since the slopes of two disjoint blocks are independent.
    """
    m = round(tau_s / dt_s)
    y = np.asarray(values, dtype=float)
    if m < 2 or y.size < 2 * m:
        return float("nan")
    r = block_slopes(y, m, dt_s)
    d = r[m:] - r[:-m]
    return float(np.sqrt(0.5 * np.mean(d * d)))


def find_gaps(time_s: ArrayLike, min_gap_s: float) -> F:
    """Start and length [s] of every span longer than ``min_gap_s`` with no report, (n, 2)."""
    t = np.asarray(time_s, dtype=float)
    dt = np.diff(t)
    i = np.flatnonzero(dt > min_gap_s)
    return np.column_stack([t[i], dt[i]]) if i.size else np.empty((0, 2))


def reading_step(values: ArrayLike) -> float:
    """The most common non-zero change between consecutive finite values (the sensor step)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    d = np.abs(np.diff(v))
    d = d[d > 0]
    if d.size == 0:
        return float("nan")
    smallest = d.min()
    # changes of one step, allowing the float jitter of a step written with few digits
    return float(np.median(d[d < 1.5 * smallest]))


@dataclass(frozen=True)
class RecordStatistics:
    """What :func:`record_statistics` measures on one pressure record (units as given)."""

    duration_h: float
    step: float  # the reading step [unit]
    changes_per_h: float  # value changes per hour on the ``period_s`` hold grid
    residual_sd: float  # sd about a RESIDUAL_WINDOW_S running mean [unit]
    range_: float  # max − min of the held values [unit]
    rate_adev: tuple[tuple[float, float], ...]  # (τ [s], Allan deviation of the rate [unit/h])
    period_s: float

    def adev_at(self, tau_s: float) -> float:
        for tau, value in self.rate_adev:
            if abs(tau - tau_s) < 1e-6:
                return value
        raise KeyError(tau_s)

    def __str__(self) -> str:
        adev = ", ".join(f"{tau / 60:g} min {v:.3g}" for tau, v in self.rate_adev)
        return (f"{self.duration_h:.1f} h, step {self.step:.4g}, {self.changes_per_h:.2f} "
                f"changes/h (held every {self.period_s:g} s), residual sd {self.residual_sd:.3g}, "
                f"range {self.range_:.3g}; rate Allan deviation per h: {adev}")


def record_statistics(time_s: ArrayLike, values: ArrayLike, *, period_s: float = 60.0,
                      taus_s: tuple[float, ...] = ADEV_TAUS_S) -> RecordStatistics:
    """The statistics of a pressure record read as a ``period_s`` archive (see module doc)."""
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(values, dtype=float)
    grid, held = hold_grid(t, v, period_s)
    changes = int(np.count_nonzero(np.diff(held) != 0))
    duration_h = (grid[-1] - grid[0]) / 3600.0 if grid.size > 1 else 0.0
    w = max(1, round(RESIDUAL_WINDOW_S / period_s))
    if held.size > w:
        kernel = np.ones(w) / w
        smooth = np.convolve(held, kernel, mode="valid")
        resid = held[w // 2: w // 2 + smooth.size] - smooth
        residual_sd = float(np.std(resid))
    else:
        residual_sd = float("nan")
    adev = tuple((tau, 3600.0 * rate_allan_deviation(held, period_s, tau)) for tau in taus_s)
    return RecordStatistics(duration_h=duration_h, step=reading_step(v),
                            changes_per_h=changes / duration_h if duration_h else float("nan"),
                            residual_sd=residual_sd,
                            range_=float(np.ptp(held)) if held.size else float("nan"),
                            rate_adev=adev, period_s=period_s)


def _running_mean(x: F, n: int) -> F:
    """Centred running mean over ``n`` samples (shorter at the ends)."""
    c = np.concatenate(([0.0], np.cumsum(x)))
    i = np.arange(x.size)
    lo = np.clip(i - n // 2, 0, x.size)
    hi = np.clip(i - n // 2 + n, 0, x.size)
    return np.asarray((c[hi] - c[lo]) / (hi - lo))


@dataclass(frozen=True)
class Coupling:
    """How a pressure record follows a temperature record (see :func:`pt_coupling`)."""

    slope: float  # pressure per kelvin [pressure unit/K] of the band-passed records
    correlation: float  # Pearson r of the band-passed records
    lag_s: float  # the pressure leads the temperature by this much at the peak r [s]
    temperature_sd: float  # sd of the temperature record [K]


def pt_coupling(time_s: ArrayLike, pressure: ArrayLike, temperature: ArrayLike, *,
                period_s: float = 5.0, smooth_s: float = 300.0,
                highpass_s: float = 3600.0, max_lag_s: float = 1800.0) -> Coupling:
    """Regress pressure on temperature after a band pass (smooth_s ... highpass_s).

    Both records are held on a ``period_s`` grid, smoothed by a ``smooth_s`` running mean
    (quantisation and noise out) and a ``highpass_s`` running mean is taken away (trends and
    represses out). An ideal gas at fixed mass read by a sensor in the bulk gas gives
    slope = p/T (2.6 mmHg/K at 760 mmHg, 295 K) and r = 1.
    """
    t = np.asarray(time_s, dtype=float)
    grid, p = hold_grid(t, pressure, period_s)
    _, temp = hold_grid(t, temperature, period_s, start_s=grid[0], end_s=grid[-1])
    n = min(p.size, temp.size)
    p, temp = p[-n:], temp[-n:]
    ns, nh = max(1, round(smooth_s / period_s)), max(2, round(highpass_s / period_s))
    edge = nh
    ps = _running_mean(p, ns)
    ts = _running_mean(temp, ns)
    x = (ts - _running_mean(ts, nh))[edge:-edge]
    y = (ps - _running_mean(ps, nh))[edge:-edge]
    slope = float(np.polyfit(x, y, 1)[0])
    r = float(np.corrcoef(x, y)[0, 1])
    best, best_lag = -np.inf, 0.0
    step = max(1, round(60.0 / period_s))
    for k in range(0, int(max_lag_s / period_s) + 1, step):
        rk = float(np.corrcoef(x[: x.size - k], y[k:])[0, 1]) if k else r
        rk_neg = float(np.corrcoef(x[k:], y[: y.size - k])[0, 1]) if k else r
        if rk > best:
            best, best_lag = rk, -k * period_s
        if rk_neg > best:
            best, best_lag = rk_neg, k * period_s
    return Coupling(slope, r, best_lag, float(np.std(temp)))
