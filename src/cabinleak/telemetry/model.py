"""What a telemetry table holds once it is read: channels in SI units and what was fixed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import CabinleakError

Quantity = Literal["pressure", "temperature", "ppO2", "ppCO2", "hatch", "injection", "depress",
                   "vent"]
QUANTITIES: tuple[str, ...] = get_args(Quantity)
#: Quantities that are a state, 1 or 0, and carry no unit: a hatch (1 open, 0 closed), an
#: airlock depress pump (1 on, 0 off), a vent valve (1 open, 0 closed). NaN is unknown.
STATES: tuple[str, ...] = ("hatch", "depress", "vent")

IssueKind = Literal["unsorted", "duplicate", "gap", "dropout", "spike", "step"]


class TelemetryError(CabinleakError):
    """A telemetry table cannot be written or read."""


@dataclass(frozen=True, eq=False)
class Channel:
    """One measured quantity over time, in SI units.

    ``values`` [Pa, K, Pa, Pa, 1 open/0 closed, kg, 1 on/0 off, 1 open/0 closed] has one
    entry per row of the telemetry time grid; NaN where the channel has no (usable) sample
    (for the states ``hatch``, ``depress`` and ``vent``: unknown). For ``injection`` the
    values are the cumulative gas mass added since the first row [kg], so the mass balance
    subtracts them directly.

    ``on_change`` marks a channel reported by exception (sent only when its reading changes,
    as the public ISS feed does): its values are the last reading held forward onto the
    time grid, and a row carries news only where the value differs from the row before.
    A long run of equal values is then a hold within one reading step (``resolution``), not
    a series of independent samples.
    """

    name: str  # the column header as written in the file
    source: str  # module, sensor or hatch name the header (or mapping) gives
    quantity: Quantity
    unit: str  # the unit as written ("mmHg", "C", "kg/day")
    values: NDArray[np.float64]
    resolution: float = 0.0  # reading resolution in SI units; 0 when unknown
    # Binned tables (see Telemetry.bin_s): the per-sample noise 1σ of the raw readings
    # [SI] and how many raw samples each row averages (0 where none).
    noise_sd: float | None = None
    counts: NDArray[np.float64] | None = None
    on_change: bool = False  # reported by exception: values held between changes

    @property
    def valid(self) -> NDArray[np.bool_]:
        return np.isfinite(self.values)


@dataclass(frozen=True)
class DataIssue:
    """Something found in a table and how it was handled (reported, never silent)."""

    kind: IssueKind
    detail: str  # one line a person can act on: what, where, what was done
    channel: str | None = None
    row: int | None = None  # 1-based line in the file (header is line 1); None for a range
    time_s: float | None = None

    def __str__(self) -> str:
        return self.detail


@dataclass(frozen=True, eq=False)
class Telemetry:
    """A cleaned telemetry table: a sorted, unique time grid and channels on it."""

    path: str
    time_s: NDArray[np.float64]  # seconds since ``start_time`` (or the table's zero), increasing
    channels: tuple[Channel, ...]
    start_time: datetime | None = None  # absolute time of time_s = 0 when the table had ISO times
    issues: tuple[DataIssue, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)  # "# key = value" lines, mapping file
    is_gauge: bool = False  # a short table of irregular hand-read values
    bin_s: float | None = None  # rows are bin means of this width [s]; None for raw rows

    def channel(self, name: str) -> Channel:
        for c in self.channels:
            if c.name == name:
                return c
        raise TelemetryError(f"{self.path}: no column {name!r} "
                             f"(columns: {', '.join(c.name for c in self.channels)})")

    def of(self, quantity: Quantity) -> tuple[Channel, ...]:
        return tuple(c for c in self.channels if c.quantity == quantity)

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0]) if self.time_s.size else 0.0
