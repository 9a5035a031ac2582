"""Scenarios and the events that change a station while it is simulated."""

from __future__ import annotations

from dataclasses import dataclass

from cabinleak.station import Leak


@dataclass(frozen=True)
class HatchEvent:
    """Close (``open=False``) or open a hatch at ``time_s`` [s]."""

    time_s: float
    hatch: str
    open: bool = False


@dataclass(frozen=True)
class SupplyEvent:
    """Switch a gas supply on or off at ``time_s`` [s]."""

    time_s: float
    supply: str
    on: bool = True


Event = HatchEvent | SupplyEvent


@dataclass(frozen=True)
class Scenario:
    """What one simulation adds to its station: leaks (each with its start time) and events.

    A batch is a sequence of scenarios over the same station.
    """

    leaks: tuple[Leak, ...] = ()
    events: tuple[Event, ...] = ()
    name: str = ""
