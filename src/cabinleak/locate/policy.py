"""What a search policy is: given the posterior, the next test to run (or none)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cabinleak.locate.model import Cell, Configuration, Constraints, Posterior, Sensing
from cabinleak.physics.units import HOUR_S
from cabinleak.station import Station

# Closing and reopening hatches, letting the gas settle and reading the gauges: time a
# test costs besides its duration [s] (an estimate; crews take minutes per hatch).
SETUP_S = 0.25 * HOUR_S


@dataclass(frozen=True)
class Recommendation:
    """The next test: which hatches to close, for how long, and why."""

    config: Configuration
    duration_s: float
    reason: str = ""
    expected_gain: float = 0.0  # expected entropy drop [nats], where the policy knows it

    def describe(self, cells: Sequence[Cell]) -> str:
        hours = self.duration_s / HOUR_S
        length = f"{hours:.2f} h" if hours < 10 else f"{hours:.0f} h"
        groups = "; ".join(f"group {g + 1}: {self.config.label(cells, g)}"
                           for g in range(len(self.config.groups)))
        return (f"close {', '.join(sorted(self.config.closed)) or 'no hatch'} for {length}, "
                f"then read the pressure change of each group ({groups})")


@dataclass(frozen=True)
class SearchContext:
    """What every policy needs to know about the station and the crew."""

    station: Station
    cells: tuple[Cell, ...]
    constraints: Constraints
    sensing: Sensing
    target: float = 0.95  # stop when one volume (or "none") is this likely
    setup_s: float = SETUP_S
    # Tests only in allowed hours: a daily window (start, end) in hours of the station's
    # clock (end < start wraps midnight, e.g. (22, 6) for crew sleep), the clock at the
    # campaign's start, and the hold left in the current window (set by the campaign).
    window_h: tuple[float, float] | None = None
    start_clock_h: float = 0.0
    hold_limit_s: float = math.inf


class Policy(Protocol):
    """A search strategy; ``next_test`` returns None when it has nothing left to try."""

    @property
    def name(self) -> str: ...

    def next_test(self, posterior: Posterior, ctx: SearchContext) -> Recommendation | None:
        ...


def schedule(elapsed_s: float, ctx: SearchContext) -> tuple[float, float]:
    """(wait, room) [s]: how long until tests are allowed, and how long they then may run.

    Without a window, no wait and no limit. With one, the campaign clock is
    ``start_clock_h`` plus the elapsed time; a test must end inside the window.
    """
    if ctx.window_h is None:
        return 0.0, math.inf
    start, end = (h % 24.0 for h in ctx.window_h)
    length = (end - start) % 24.0 or 24.0
    now = (ctx.start_clock_h + elapsed_s / 3600.0) % 24.0
    into = (now - start) % 24.0
    if into < length:
        return 0.0, (length - into) * 3600.0
    return (24.0 - into) * 3600.0, length * 3600.0


def done(posterior: Posterior, target: float) -> bool:
    """Whether one volume (or no leak) has reached the target probability."""
    return posterior.best()[1] >= target
