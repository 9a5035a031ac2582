"""What the estimators refuse, and the one error they raise for it.

Every estimator checks its inputs here: times that increase, enough samples, positive
settings. A failed check is an :class:`EstimateError`, which the CLI turns into one line
and exit code 2.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import CabinleakError


class EstimateError(CabinleakError):
    """The records cannot support the estimate asked for (what is missing is said)."""


def check_samples(t: NDArray[np.float64], what: str, quantity: str) -> None:
    """At least three samples at increasing times, or an error saying which are not."""
    if t.size < 3:
        raise EstimateError(f"{what} needs at least 3 finite {quantity} samples, got {t.size}")
    if np.any(np.diff(t) <= 0):
        i = int(np.argmax(np.diff(t) <= 0))
        raise EstimateError(f"time_s must increase, but t[{i + 1}] = {t[i + 1]:g} s follows "
                            f"{t[i]:g} s")


def positive(value: float, name: str, unit: str) -> None:
    if not (isinstance(value, numbers.Real) and math.isfinite(value) and value > 0):
        got = f"{value:g}" if isinstance(value, numbers.Real) else repr(value)
        raise EstimateError(f"{name} must be > 0 {unit}, got {got}")


# A record's clock: longer than a century or finer than a microsecond is not a station
# record but a wrong time unit or column.
LONGEST_RECORD_S = 100 * 365.25 * 86400.0
FINEST_SPACING_S = 1e-6


def check_clock(t: NDArray[np.float64], where: str) -> None:
    """A record's times must span at most a century, at steps of a microsecond or more."""
    if t.size < 2:
        return
    span = float(t[-1] - t[0])
    if not math.isfinite(span) or span > LONGEST_RECORD_S:
        raise EstimateError(f"{where}: the record spans {span:.3g} s, more than a century: "
                            "is the time column in the unit its name says (time_s, time_h)?")
    steps = np.diff(t)
    fine = steps[steps > 0]
    if fine.size and float(fine.min()) < FINEST_SPACING_S:
        raise EstimateError(f"{where}: samples {float(fine.min()):.3g} s apart, finer than "
                            "a microsecond: is the time column in the unit its name says?")
