"""How well a hatch test reads a closed group's pressure change: gauge steps, noise, drift.

A reading is the difference of two gauge readings, at the start and at the end of the
hold. Three errors stand between it and the change eq. (1) of :mod:`.model` predicts:

* **the gauge's step** r: each reading is rounded to its step (1 mmHg on a hand-read
  dial, 0.101 mmHg on the public ISS feed). Where the pressure falls between two marks
  is unknown, so the rounding error of each reading is uniform on [−r/2, r/2] and that
  of the difference is triangular on [−r, r] (variance r²/6): the difference of two
  quantised readings of a smooth input (Widrow & Kollár, *Quantization Noise*, 2008,
  ch. 4–5). The likelihood uses that triangle exactly (:func:`reading_log_density`),
  so a 1 mmHg gauge that reads "no change" says only that the drop was under 1 mmHg,
  and a reading of −1 mmHg is as likely from a drop of 0.6 as of 1.4 mmHg;
* **white noise** of each reading (sd ``reading_sd_Pa``);
* **drift** of the group's pressure over the hold that no hypothesis explains: the gas
  temperature's swings (0.1 K is 0.26 mmHg at 760 mmHg), the crew's oxygen use and
  what the station's own machinery does. :class:`DriftModel` gives its 1σ by hold
  length from the rate Allan deviation of a leak-free record: σ_Δp(D) = σ_A(D)·D,
  the spread of the rate seen over one block of length D times the block (Allan 1966,
  Proc. IEEE 54, 221; the definition of ``telemetry.record_stats.rate_allan_deviation``).
  The default, :data:`CALIBRATED_DRIFT`, is the Quest record of ``docs/calibration.md``:
  0.72 mmHg/h at 5 min, 0.33 at 15–30 min, 0.2 at 60 min, 0.07 at 3–5 h, i.e. a
  change of 0.06 mmHg over 5 min, 0.2 mmHg over 1–3 h and 0.4 mmHg over 5 h.

The drift is taken the same for every group whatever its volume (a temperature swing
moves p·ΔT/T in a small module as in a large one) and independent between groups; the
short-τ values of a measured table hold some quantisation already, so a feed-read
record's drift is a little conservative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import erfcx, ndtr

from cabinleak.errors import CabinleakError
from cabinleak.physics.units import HOUR_S, MMHG_PA

F = NDArray[np.float64]

#: The public ISS feed's pressure step (USLAB000058, AIRLOCK000054) [Pa].
FEED_STEP_PA = 0.10101 * MMHG_PA
#: A hand-read dial gauge's step [Pa].
HAND_GAUGE_STEP_PA = 1.0 * MMHG_PA
#: White noise of one feed reading (``telemetry.realistic.PressureSensor``) [Pa].
FEED_NOISE_SD_PA = 0.0075 * MMHG_PA
#: Rate Allan deviation of the real Quest pressure record, public feed, 17.2 h
#: (docs/calibration.md, "Results", column "real") [mmHg/h] at τ [min].
QUEST_ALLAN_MMHG_PER_H = ((5.0, 0.722), (15.0, 0.344), (30.0, 0.321), (60.0, 0.195),
                          (180.0, 0.0707), (300.0, 0.0792))
MIN_DRIFT_READINGS = 30  # a record with fewer (a few hand readings) cannot show the drift
_H_GAUSSIAN = 1e-3  # step/σ below which the triangle is replaced by its variance r²/6
_X_ASYMPTOTIC = 30.0  # where 1 − x·M(x) is taken from its series


class SensingError(CabinleakError):
    """A sensing description is invalid (a negative step, an empty drift table)."""


@dataclass(frozen=True)
class DriftModel:
    """The 1σ drift of a closed group's pressure over a hold, from a rate Allan table.

    ``taus_s`` and ``rate_sd_Pa_per_s`` are the table (τ [s], σ_A(τ) [Pa/s]); the drift
    over a hold D is σ_A(D)·D, interpolated log-log between the table's points (made
    non-decreasing in D), growing as D below the first point (a constant rate) and as
    √D beyond the last (a random walk: conservative where the real drift levels off).
    """

    taus_s: tuple[float, ...]
    rate_sd_Pa_per_s: tuple[float, ...]
    source: str = ""

    def __post_init__(self) -> None:
        if not self.taus_s or len(self.taus_s) != len(self.rate_sd_Pa_per_s):
            raise SensingError("a drift table needs as many rates as block lengths, >= 1")
        if any(not (math.isfinite(t) and t > 0) for t in self.taus_s) or \
                list(self.taus_s) != sorted(set(self.taus_s)):
            raise SensingError(f"drift block lengths must be > 0 and increasing, got "
                               f"{self.taus_s}")
        if any(not (math.isfinite(s) and s >= 0) for s in self.rate_sd_Pa_per_s):
            raise SensingError(f"drift rates must be finite and >= 0, got "
                               f"{self.rate_sd_Pa_per_s}")

    @classmethod
    def from_table_mmHg_per_h(cls, rows: tuple[tuple[float, float], ...],
                              source: str) -> DriftModel:
        """From (τ [min], σ_A [mmHg/h]) rows."""
        return cls(tuple(60.0 * t for t, _ in rows),
                   tuple(s * MMHG_PA / HOUR_S for _, s in rows), source)

    def _points(self) -> tuple[F, F]:
        tau = np.asarray(self.taus_s, dtype=float)
        sd = np.maximum.accumulate(tau * np.asarray(self.rate_sd_Pa_per_s, dtype=float))
        return tau, sd

    def sd_Pa(self, hold_s: float) -> float:
        """1σ of the pressure change over a hold of ``hold_s`` [Pa]."""
        if not hold_s > 0:
            return 0.0
        tau, sd = self._points()
        if hold_s <= tau[0]:
            return float(sd[0] * hold_s / tau[0])
        if hold_s >= tau[-1]:
            return float(sd[-1] * math.sqrt(hold_s / tau[-1]))
        if sd[0] <= 0:
            return float(np.interp(hold_s, tau, sd))
        return float(np.exp(np.interp(math.log(hold_s), np.log(tau), np.log(sd))))

    def rate_sd_Pa_per_s_at(self, hold_s: float) -> float:
        """The drift as a rate 1σ over a hold [Pa/s]: sd_Pa(hold)/hold."""
        return self.sd_Pa(hold_s) / hold_s

    def scaled_to(self, rate_sd_Pa_per_s: float, hold_s: float = HOUR_S) -> DriftModel:
        """The same shape, scaled so that the rate 1σ over ``hold_s`` is the one given."""
        if not (math.isfinite(rate_sd_Pa_per_s) and rate_sd_Pa_per_s >= 0):
            raise SensingError(f"drift must be >= 0, got {rate_sd_Pa_per_s:g} Pa/s")
        now = self.rate_sd_Pa_per_s_at(hold_s)
        k = rate_sd_Pa_per_s / now if now > 0 else 0.0
        return DriftModel(self.taus_s, tuple(k * s for s in self.rate_sd_Pa_per_s),
                          f"{self.source}, scaled to {rate_sd_Pa_per_s * HOUR_S / MMHG_PA:.3g}"
                          f" mmHg/h over {hold_s / HOUR_S:g} h" if self.source else "")

    def describe(self) -> str:
        """E.g. 'drift 0.195 mmHg/h 1σ over 1 h (0.2 mmHg), 0.40 mmHg over 5 h (...)'."""
        one, five = self.sd_Pa(HOUR_S) / MMHG_PA, self.sd_Pa(5 * HOUR_S) / MMHG_PA
        where = f" ({self.source})" if self.source else ""
        return (f"drift 1σ {one:.2g} mmHg over a 1 h hold, {five:.2g} mmHg over 5 h"
                f"{where}")


CALIBRATED_DRIFT = DriftModel.from_table_mmHg_per_h(
    QUEST_ALLAN_MMHG_PER_H, "Quest record, docs/calibration.md")


def drift_from_record(time_s: ArrayLike, pressure_Pa: ArrayLike, source: str,
                      period_s: float = 60.0) -> DriftModel:
    """The drift measured on a pressure record: its rate Allan deviation at the block
    lengths of ``telemetry.record_stats.ADEV_TAUS_S`` that the record is long enough for
    (at least two blocks). A steady leak adds nothing to it.

    Raises
    ------
    SensingError
        The record has fewer than :data:`MIN_DRIFT_READINGS` readings, or is shorter than
        two 5-minute blocks.
    """
    from cabinleak.telemetry.record_stats import record_statistics

    p = np.asarray(pressure_Pa, dtype=float)
    n = int(np.count_nonzero(np.isfinite(p)))
    if n < MIN_DRIFT_READINGS:
        raise SensingError(f"{source}: {n} pressure readings are too few to measure the drift "
                           f"(at least {MIN_DRIFT_READINGS}, e.g. a telemetry record)")
    stats = record_statistics(time_s, pressure_Pa, period_s=period_s)
    rows = [(tau, v / HOUR_S) for tau, v in stats.rate_adev if math.isfinite(v)]
    if not rows:
        raise SensingError(f"{source}: the record ({stats.duration_h:.2f} h) is too short to "
                           "measure the drift (at least two 5-minute blocks)")
    return DriftModel(tuple(t for t, _ in rows), tuple(s for _, s in rows), source)


# ---------------------------------------------------------------- the reading's likelihood


def _log_phi2_neg(x: F) -> F:
    """log Φ₂(−x) for x ≥ 0, where Φ₂(z) = z·Φ(z) + φ(z) = ∫Φ: log φ(x) + log(1 − x·M(x))
    with M the Mills ratio Φ(−x)/φ(x) = √(π/2)·erfcx(x/√2); the series
    1/x² − 3/x⁴ + 15/x⁶ − 105/x⁸ (Abramowitz & Stegun 26.2.12) where the difference
    cancels."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = 1.0 - x * math.sqrt(math.pi / 2.0) * erfcx(x / math.sqrt(2.0))
        big = np.maximum(x, _X_ASYMPTOTIC)
        inv = 1.0 / (big * big)
        series = inv * (1.0 - 3.0 * inv * (1.0 - 5.0 * inv * (1.0 - 7.0 * inv)))
    tail = np.where(x > _X_ASYMPTOTIC, series, direct)
    return np.asarray(-0.5 * x * x - 0.5 * math.log(2.0 * math.pi) + np.log(tail))


def _phi2(z: F) -> F:
    return np.asarray(z * ndtr(z) + np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi))


def reading_log_density(observed_Pa: ArrayLike, expected_Pa: ArrayLike, sd_Pa: ArrayLike,
                        step_Pa: float) -> F:
    """log density of a reading of a pressure change [1/Pa]: the difference of two gauge
    readings of step ``step_Pa``, the true change ``expected_Pa`` blurred by Gaussian
    errors of 1σ ``sd_Pa`` (noise and drift). Arrays broadcast.

    Notes
    -----
    The difference of two readings rounded to r, with the start uniform between two
    marks, is the change X ~ N(μ, σ²) plus a triangular error on [−r, r], so

        f(y) = E[tri(X − y)]/r = σ/r²·[Φ₂(z + h) − 2·Φ₂(z) + Φ₂(z − h)],
        z = (μ − y)/σ, h = r/σ, Φ₂(z) = z·Φ(z) + φ(z),

    since E[max(0, X − c)] = σ·Φ₂((μ − c)/σ) and the triangle is a second difference of
    that ramp. At a multiple y = k·r of the step, r·f(y) is the exact probability that
    the gauges read that change; between marks f is the density of a change read from
    readings each rounded with a uniform error. r → 0 gives the Gaussian; σ → 0 the
    triangle. The second difference is symmetric in z, so it is taken at z = −|z|, and in
    logs where all three arguments are negative (the tails), to keep it from cancelling.
    With h < 10⁻³ the Gaussian of variance σ² + r²/6 is used (it differs by O(h⁴)).
    """
    y = np.asarray(observed_Pa, dtype=float)
    mu = np.asarray(expected_Pa, dtype=float)
    sd = np.asarray(sd_Pa, dtype=float)
    r = float(step_Pa)
    if r < 0 or not math.isfinite(r):
        raise SensingError(f"gauge step must be >= 0, got {r:g} Pa")
    if r == 0.0 or np.all(r < _H_GAUSSIAN * sd):
        s = np.sqrt(sd * sd + r * r / 6.0)
        return np.asarray(-0.5 * ((y - mu) / s) ** 2 - np.log(s)
                          - 0.5 * math.log(2.0 * math.pi))
    sigma = np.maximum(sd, 1e-9 * r)  # no error at all: the bare triangle, kept finite
    h = r / sigma
    a = np.abs(mu - y) / sigma
    z = -a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        central = np.log(np.maximum(_phi2(z + h) - 2.0 * _phi2(z) + _phi2(z - h), 1e-300))
        l1, l2, l3 = _log_phi2_neg(a - h), _log_phi2_neg(a), _log_phi2_neg(a + h)
        bracket = -2.0 * np.expm1(l2 - l1) + np.expm1(l3 - l1)
        tail = l1 + np.log(np.maximum(bracket, 1e-300))
    log_d = np.where(a > h, tail, central)
    out = log_d + np.log(sigma) - 2.0 * math.log(r)
    if np.any(r < _H_GAUSSIAN * sd):  # mixed: where the step is negligible, the Gaussian
        s = np.sqrt(sd * sd + r * r / 6.0)
        gauss = -0.5 * ((y - mu) / s) ** 2 - np.log(s) - 0.5 * math.log(2.0 * math.pi)
        out = np.where(r < _H_GAUSSIAN * sd, gauss, out)
    return np.asarray(out)


# ---------------------------------------------------------------- reading as gauges do


def quantise(pressure_Pa: ArrayLike, step_Pa: float) -> F:
    """Round to the gauge's step (the nearest mark); unchanged with no step."""
    p = np.asarray(pressure_Pa, dtype=float)
    if step_Pa <= 0:
        return p
    return np.asarray(step_Pa * np.round(p / step_Pa))


def read_change_Pa(start_Pa: float, end_Pa: float, step_Pa: float, noise_sd_Pa: float,
                   rng: np.random.Generator) -> float:
    """A group's change as two gauge readings give it: each reading with its white noise,
    rounded to the step; where the start falls between two marks is drawn uniformly (a
    station is never repressurised exactly onto a mark)."""
    offset = float(rng.uniform(0.0, step_Pa)) if step_Pa > 0 else 0.0
    noise = rng.normal(0.0, noise_sd_Pa, 2) if noise_sd_Pa > 0 else np.zeros(2)
    read = quantise(np.array([start_Pa, end_Pa]) + offset + noise, step_Pa)
    return float(read[1] - read[0])


__all__ = [
    "CALIBRATED_DRIFT", "FEED_NOISE_SD_PA", "FEED_STEP_PA", "HAND_GAUGE_STEP_PA", "DriftModel",
    "SensingError", "drift_from_record", "quantise", "read_change_Pa", "reading_log_density",
]  # fmt: skip
