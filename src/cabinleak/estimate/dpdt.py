"""The fixed dP/dt emergency alarm: pressure falling faster than a limit over a window.

It reacts within a window to a large hole, where the leak test (:mod:`.detect`) waits
for the end of its shortest block; for slow leaks the leak test is far faster at
the same false-alarm rate (see ``docs/benchmarks.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq
from scipy.special import ndtri

from cabinleak.estimate.checks import EstimateError, check_samples, positive
from cabinleak.estimate.detect import YEAR_S, overshoot_nu, slope_sd
from cabinleak.physics.units import MMHG_PA, format_duration

F = NDArray[np.float64]

# Emergency dP/dt threshold: Russian segment "from 0.5 mmHg per minute" (flight director
# V. Solovyov via RIA, 2021; /work/shared/reference/iss.md). A press figure, not a
# specification: pass your own.
DEFAULT_DPDT_THRESHOLD_PA_PER_S = 0.5 * MMHG_PA / 60.0


# ---------------------------------------------------------------- the dP/dt alarm


@dataclass(frozen=True, eq=False)
class DpdtAlarm:
    """Result of :func:`dpdt_alarm`: the first time the pressure fell faster than a limit."""

    alarm: bool
    alarm_time_s: float | None  # first sample at which the window slope < −threshold [s]
    threshold_Pa_per_s: float  # [Pa/s], a fall rate (positive)
    window_s: float  # [s]
    steepest_fall_Pa_per_s: float  # largest −dP/dt over the record [Pa/s]
    time_s: F = field(repr=False)  # [s]
    dpdt_Pa_per_s: F = field(repr=False)  # trailing-window slope, NaN where too few samples

    def __str__(self) -> str:
        def per_min(x: float) -> str:
            return f"{x * 60.0 / MMHG_PA:.3g} mmHg/min"

        limit = (f"threshold {per_min(self.threshold_Pa_per_s)} over "
                 f"{format_duration(self.window_s)}")
        if not self.alarm or self.alarm_time_s is None:
            return f"no dP/dt alarm (steepest fall {per_min(self.steepest_fall_Pa_per_s)}; {limit})"
        return f"dP/dt alarm at {format_duration(self.alarm_time_s)} ({limit})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe scalars (the arrays are left out)."""
        return {k: getattr(self, k) for k in ("alarm", "alarm_time_s", "threshold_Pa_per_s",
                                              "window_s", "steepest_fall_Pa_per_s")}


def _window_slopes(t: F, p: F, window_s: float) -> F:
    """Least-squares slope over the trailing window (t − W, t] at every sample [unit/s].

    Cumulative sums per chunk of 1000 windows, with the chunk's first sample as origin, so
    the differences of sums keep their precision on year-long records. NaN where the
    window holds fewer than 3 samples or they span less than half the window.
    """
    n = t.size
    first = np.searchsorted(t, t - window_s, side="right")
    out = np.full(n, np.nan)
    a = 0
    while a < n:
        e = max(int(np.searchsorted(t, t[a] + 1000.0 * window_s, side="right")), a + 1)
        s = int(first[a])
        tt, pp = t[s:e] - t[s], p[s:e] - p[s]

        def csum(x: F) -> F:
            return np.concatenate(([0.0], np.cumsum(x)))

        c1, ct, ctt, cp, ctp = (csum(x) for x in (np.ones_like(tt), tt, tt * tt, pp, tt * pp))
        hi, lo = np.arange(a, e) - s + 1, first[a:e] - s
        k = c1[hi] - c1[lo]
        st, sp = ct[hi] - ct[lo], cp[hi] - cp[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            sxx = ctt[hi] - ctt[lo] - st * st / k
            sxy = ctp[hi] - ctp[lo] - st * sp / k
            slope = sxy / sxx
        spread = t[a:e] - t[first[a:e]]
        out[a:e] = np.where((k >= 3) & (spread >= window_s / 2) & (sxx > 0), slope, np.nan)
        a = e
    return out


def dpdt_alarm(time_s: ArrayLike, pressure_Pa: ArrayLike, *,
               threshold_Pa_per_s: float = DEFAULT_DPDT_THRESHOLD_PA_PER_S,
               window_s: float = 60.0) -> DpdtAlarm:
    """The conventional emergency alarm: pressure falling faster than a fixed rate.

    Parameters
    ----------
    time_s : sample times [s], increasing.
    pressure_Pa : cabin pressure [Pa] (one sensor or a combined reading).
    threshold_Pa_per_s : fall rate that raises the alarm [Pa/s]; default 0.5 mmHg/min
        (66.7 Pa/min), the Russian-segment emergency dP/dt quoted by flight director
        V. Solovyov (RIA, 2021) — a press figure, not a published specification. On the
        916 m³ ISS it is a leak of about 1,000 kg/day.
    window_s : trailing window of the least-squares slope [s].

    Returns
    -------
    DpdtAlarm
        The first sample whose trailing-window slope is below −threshold.
    """
    t = np.asarray(time_s, dtype=float)
    p = np.asarray(pressure_Pa, dtype=float)
    if t.shape != p.shape or t.ndim != 1:
        raise EstimateError(f"time_s and pressure_Pa must be 1-D of one length, got shapes "
                            f"{t.shape} and {p.shape}")
    positive(threshold_Pa_per_s, "threshold_Pa_per_s", "Pa/s")
    positive(window_s, "window_s", "s")
    keep = np.isfinite(t) & np.isfinite(p)
    t, p = t[keep], p[keep]
    check_samples(t, "dP/dt alarm", "pressure")
    slope = _window_slopes(t, p, window_s)
    hit = np.flatnonzero(slope < -threshold_Pa_per_s)
    fall = float(np.nanmax(-slope)) if np.isfinite(slope).any() else 0.0
    return DpdtAlarm(alarm=bool(hit.size), alarm_time_s=float(t[hit[0]]) if hit.size else None,
                     threshold_Pa_per_s=threshold_Pa_per_s, window_s=window_s,
                     steepest_fall_Pa_per_s=fall, time_s=t, dpdt_Pa_per_s=slope)


def dpdt_threshold_for(false_alarms_per_year: float, noise_sd_Pa: float, sample_s: float,
                       window_s: float = 60.0) -> float:
    """The dP/dt threshold with a given false-alarm rate on white pressure noise [Pa/s].

    Parameters
    ----------
    false_alarms_per_year : false alarms per year [1/yr].
    noise_sd_Pa : per-sample 1σ of the pressure reading [Pa].
    sample_s : sampling interval [s].
    window_s : window of the least-squares slope [s].

    Notes
    -----
    The standardised window slope Z(t) is a stationary Gaussian process with correlation
    1 − 3|τ|/W for small lags (the least-squares kernel jumps by W/2 at both ends). Its rate
    of upcrossings of z, sampled every Δt, is λ = (3/W)·z·φ(z)·ν(z√(6Δt/W)) (Pickands 1969
    for the continuous process; ν the discrete-sampling correction, Siegmund & Yakir
    2007). The threshold solves λ·1 yr = FAR and is z·σ_W with σ_W from :func:`slope_sd`.
    Counting ⌊1 yr/W⌋ independent windows instead would give 20 to 30 times more false
    alarms than asked at 1 Hz and W = 60 s (about 3z²·ν per window).
    """
    positive(false_alarms_per_year, "false_alarms_per_year", "1/yr")
    positive(noise_sd_Pa, "noise_sd_Pa", "Pa")
    positive(sample_s, "sample_s", "s")
    positive(window_s, "window_s", "s")
    target = false_alarms_per_year / YEAR_S

    def log_rate(z: float) -> float:
        nu = float(overshoot_nu([z * math.sqrt(6.0 * sample_s / window_s)])[0])
        return math.log(3.0 / window_s * z * nu) - z * z / 2.0 - 0.5 * math.log(2 * math.pi)

    z0 = max(float(-ndtri(min(target * window_s, 0.5))), 0.5)
    z = float(brentq(lambda x: log_rate(x) - math.log(target), 0.1, z0 + 10.0)) \
        if log_rate(0.1) > math.log(target) else 0.1
    return z * slope_sd(noise_sd_Pa, sample_s, window_s)
