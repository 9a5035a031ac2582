"""Interval arithmetic of the analysis: errors added to an interval or a fit, and what a
record that shows no leak rules out.

Every uncertainty that widens the leak rate widens what is computed from it: an
independent relative error is added in quadrature to an interval's half-width, and to
θ's variance of the fit the forecasts draw from.
"""

from __future__ import annotations

import math
from dataclasses import replace

from cabinleak.estimate.flowlaw import Z95, LawFit
from cabinleak.estimate.forecast import Interval
from cabinleak.estimate.noise import RateNoise
from cabinleak.physics.units import DAY_S, HOUR_S


def with_theta_error(fit: LawFit, sd: float) -> LawFit:
    """The fit with an independent error of ``sd`` added to θ's variance.

    An unseen temperature change at the last readings misreads both the slope and the
    gas there: with m0 fixed by the record's start, m_now = m0 − θ·x_end moves with θ.
    The temperature to come is as unknown as the one unseen, so both count in the time
    to a floor (``tests/test_forecast_coverage.py`` checks the coverage by Monte Carlo).
    """
    if sd <= 0 or not math.isfinite(sd):
        return fit
    cov = fit.cov.copy()
    cov[1, 1] += sd**2
    return replace(fit, cov=cov, theta_sd=math.sqrt(cov[1, 1]))


def settle_note(q: Interval, fit: LawFit, wander: RateNoise | None) -> str:
    """What the record rules out when it shows no leak, and what would settle more.

    The bound is the rate interval's upper end. Its half-width falls with a longer record
    as white noise does (span^-3/2) and as the wander does (span^-1/2, :mod:`.noise`);
    the record length that halves it is found from both parts.
    """
    bound = max(q.high, 0.0)
    span = max(fit.end_s - fit.onset_s, 1.0)
    total = max(q.high - q.value, 0.0) / Z95
    slow = wander.span_sd_kg_per_s(span) if wander is not None else 0.0
    white = math.sqrt(max(total**2 - slow**2, 0.0))

    def sd_at(t: float) -> float:
        w = white * (span / t) ** 1.5
        v = wander.span_sd_kg_per_s(t) if wander is not None else 0.0
        return math.hypot(w, v)

    text = (f"the record rules out a leak steady over its {span / HOUR_S:.3g} h above "
            f"{bound * DAY_S:.3g} kg/day (95 % upper bound; one that began later is ruled "
            "out only above what the leak test sees, on the detection line)")
    if total <= 0:
        return text
    lo, hi = span, span * 1e4
    if sd_at(hi) > total / 2:
        return text + "; a longer record alone would not narrow it much"
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if sd_at(mid) > total / 2 else (lo, mid)
    return (text + f"; about {(hi - span) / HOUR_S:.3g} h more of record (or a hatch "
            "closure that isolates a smaller volume) would halve that bound")


def with_relative_error(i: Interval, rel_sd: float) -> Interval:
    """Widen an interval by an independent error of ``rel_sd`` (1σ, relative to the value)."""
    if rel_sd <= 0 or i.value == 0:
        return i
    half = max(i.high - i.value, i.value - i.low)
    total = math.hypot(half, Z95 * rel_sd * abs(i.value))
    return Interval(i.value, i.value - total, i.value + total)
