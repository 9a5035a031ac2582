"""What a search policy is: given the posterior, the next test to run (or none)."""

from __future__ import annotations

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


class Policy(Protocol):
    """A search strategy; ``next_test`` returns None when it has nothing left to try."""

    @property
    def name(self) -> str: ...

    def next_test(self, posterior: Posterior, ctx: SearchContext) -> Recommendation | None:
        ...


def done(posterior: Posterior, target: float) -> bool:
    """Whether one volume (or no leak) has reached the target probability."""
    return posterior.best()[1] >= target
