"""Which column is which: time columns, ``<source>_<quantity>_<unit>`` headers, mapping files.

A channel header names where the reading comes from, what it is and its unit, joined by
underscores: ``zvezda_pressure_mmHg``, ``lab_T_C``, ``node1_p_psi``, ``o2_injection_kg_per_day``.
The *last* token that is a quantity keyword splits the header: what comes before is the
source, what comes after is the unit (``_per_`` reads as ``/``). States take no unit:
``pirs_hatch`` (1 open, 0 closed), ``crewlock_depress_pump_status`` (an airlock depress pump,
1 on, 0 off) and ``quest_vent_valve`` (a planned vent, 1 open, 0 closed); what follows
``depress`` or ``vent`` (``pump_status``, ``pump_switch``, ``valve``) only tells channels
apart. Tables whose headers do not follow this are described by a TOML mapping file (see
:func:`load_mapping`).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import UnitError
from cabinleak.physics.units import parse_quantity
from cabinleak.telemetry.model import QUANTITIES, STATES, Quantity, TelemetryError

__all__ = [
    "TIME_NAMES", "ColumnSpec", "TableMapping", "find_time_column", "load_mapping",
    "parse_header", "unit_conversion",
]  # fmt: skip

#: Accepted names of the time column (any case), besides ``time_<unit>`` such as ``time_h``.
TIME_NAMES: tuple[str, ...] = ("time", "timestamp", "datetime", "utc", "gmt", "date")
_ISO_SUFFIXES = ("utc", "gmt", "iso")

_KEYWORDS: dict[str, Quantity] = {
    "pressure": "pressure", "p": "pressure",
    "t": "temperature", "temp": "temperature", "temperature": "temperature",
    "ppo2": "ppO2", "ppco2": "ppCO2",
    "hatch": "hatch", "open": "hatch",
    "injection": "injection", "inject": "injection", "added": "injection",
    "depress": "depress", "vent": "vent",
}  # fmt: skip

# What a quantity's unit must measure, and the hint an error gives.
_DIMENSION: dict[str, tuple[str, ...]] = {
    "pressure": ("pressure",),
    "ppO2": ("pressure",),
    "ppCO2": ("pressure",),
    "temperature": ("temperature",),
    "injection": ("mass", "mass_rate"),
}
_EXPECTED: dict[str, str] = {
    "pressure": "a pressure unit such as mmHg, Pa, psi",
    "ppO2": "a pressure unit such as mmHg, Pa, psi",
    "ppCO2": "a pressure unit such as mmHg, Pa, psi",
    "temperature": "a temperature unit such as C, K, F",
    "injection": "a mass unit such as kg, lb, or a mass rate such as kg_per_day",
}


_STATE_VALUES: dict[str, str] = {
    "hatch": "1/0, true/false or open/closed",
    "depress": "1 on, 0 off",
    "vent": "1 open, 0 closed",
}


@dataclass(frozen=True)
class ColumnSpec:
    """How to read one channel column: what it measures and how to convert it to SI.

    ``si = raw * scale + offset`` (the offset is nonzero only for °C and °F); for
    injections ``rate`` says the column holds a mass rate [kg/s after scaling] rather
    than a mass [kg] added during the interval ending at each row.
    """

    name: str  # the column header as written
    source: str  # module, sensor or hatch name ("" when the header names none)
    quantity: Quantity
    unit: str  # normalised spelling ("mmHg", "kg/day"); "" for hatch columns
    scale: float = 1.0  # SI per file unit
    offset: float = 0.0  # SI value of a reading of 0 [K for temperatures]
    rate: bool = False  # injection given as a mass rate
    resolution: float | None = None  # reading resolution [SI], from a mapping file
    on_change: bool = False  # reported by exception (see Channel.on_change)
    # raw codes read as other values before anything else (a state's telemetry codes, e.g.
    # a valve's 1 open / 2 closed as 1 / 0); NaN for codes that mean unknown
    codes: tuple[tuple[float, float], ...] = ()

    def to_si(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """Convert readings in the file's unit to SI [Pa, K, kg, kg/s, 1/0]."""
        if self.scale == 1.0 and self.offset == 0.0:
            return raw
        return raw * self.scale + self.offset


@dataclass(frozen=True)
class TableMapping:
    """What a mapping file says about a table whose headers do not carry their units."""

    path: str
    time_column: str | None = None
    time_unit_s: float | None = None  # seconds per unit of a numeric time column
    columns: Mapping[str, ColumnSpec] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    ignored: frozenset[str] = frozenset()  # columns the file says to leave out
    notes: Mapping[str, str] = field(default_factory=dict)  # each column's reference/description


def unit_conversion(unit: str, dimension: str) -> tuple[float, float]:
    """Scale and offset that turn a reading in `unit` into SI: ``si = raw*scale + offset``.

    Parameters
    ----------
    unit : str
        A unit :func:`cabinleak.physics.units.parse_quantity` knows (``"mmHg"``, ``"C"``).
    dimension : str
        ``pressure`` [Pa], ``temperature`` [K], ``mass`` [kg], ``mass_rate`` [kg/s], ``time`` [s].

    Raises
    ------
    UnitError
        The unit is unknown or measures something else.
    """
    one = parse_quantity(f"1 {unit}", dimension)
    zero = parse_quantity(f"0 {unit}", dimension)
    return one - zero, zero


def _unit_spec(name: str, source: str, quantity: Quantity, unit: str,
               where: str) -> ColumnSpec:
    """Check `unit` against the quantity; `where` prefixes any error ("file: column 'x'")."""
    if quantity in STATES:
        if unit:
            raise TelemetryError(f"{where}: {quantity} columns take no unit, got {unit!r} "
                                 f"(expected values {_STATE_VALUES[quantity]})")
        return ColumnSpec(name, source, quantity, "")
    if not unit:
        raise TelemetryError(f"{where}: no unit (expected {_EXPECTED[quantity]})")
    for dimension in _DIMENSION[quantity]:
        try:
            scale, offset = unit_conversion(unit, dimension)
        except UnitError:
            continue
        return ColumnSpec(name, source, quantity, unit, scale, offset,
                          rate=dimension == "mass_rate")
    raise TelemetryError(f"{where}: unknown unit {unit!r} (expected {_EXPECTED[quantity]})")


def parse_header(name: str, path: str = "<table>") -> ColumnSpec | None:
    """Read a ``<source>_<quantity>_<unit>`` header; None when it names no quantity.

    Parameters
    ----------
    name : str
        The column header, e.g. ``"zvezda_pressure_mmHg"``, ``"lab_T_C"``,
        ``"o2_injection_kg_per_day"``, ``"pirs_hatch"``.
    path : str
        The file the header is from, for error messages.

    Returns
    -------
    ColumnSpec or None
        None for columns such as ``notes`` that contain no quantity keyword.

    Raises
    ------
    TelemetryError
        The header has a quantity keyword but its unit is missing or unknown.

    Notes
    -----
    Keywords (any case): ``pressure``/``p``; ``T``/``temp``/``temperature``; ``ppO2``;
    ``ppCO2``; ``hatch``/``open``; ``injection``/``inject``/``added``; ``depress``;
    ``vent``. Tokens after a hatch keyword are taken as part of the hatch name; tokens after
    ``depress`` or ``vent`` (``pump_status``, ``valve``) only name the channel. States have
    no unit.

    Examples
    --------
    >>> spec = parse_header("node1_p_psi")
    >>> spec.source, spec.quantity, spec.unit, round(spec.scale, 3)
    ('node1', 'pressure', 'psi', 6894.757)
    >>> parse_header("crew_activity") is None
    True
    >>> spec = parse_header("crewlock_depress_pump_status")
    >>> spec.source, spec.quantity, spec.unit
    ('crewlock', 'depress', '')
    """
    tokens = name.split("_")
    hits = [i for i, tok in enumerate(tokens) if tok.lower() in _KEYWORDS]
    if not hits:
        return None
    states = [i for i in hits if _KEYWORDS[tokens[i].lower()] in ("depress", "vent")]
    i = states[0] if states else hits[-1]  # depress_pump_status: what follows is no unit
    quantity = _KEYWORDS[tokens[i].lower()]
    before, after = tokens[:i], tokens[i + 1:]
    if quantity == "hatch":
        return ColumnSpec(name, "_".join(before + after), "hatch", "")
    if quantity in STATES:
        return ColumnSpec(name, "_".join(before), quantity, "")
    unit = re.sub(r"(?i)_per_", "/", "_".join(after))
    if unit.lower() == "psia":
        unit = "psi"
    where = f"{path}: column {name!r}"
    try:
        return _unit_spec(name, "_".join(before), quantity, unit, where)
    except TelemetryError:
        if "_" in unit:  # "deg_C" -> "degC"
            try:
                return _unit_spec(name, "_".join(before), quantity, unit.replace("_", ""), where)
            except TelemetryError:
                pass
        raise


def _time_unit(token: str) -> float | None:
    try:
        return unit_conversion(token, "time")[0]
    except UnitError:
        return None


def find_time_column(names: Sequence[str], path: str,
                     given: str | None = None) -> tuple[str, float]:
    """Pick the time column; returns its name and seconds per unit for numeric times.

    Parameters
    ----------
    names : sequence of str
        The table's column headers.
    path : str
        The file, for error messages.
    given : str, optional
        A column named by the caller or a mapping file (exact, else case-insensitive).

    Returns
    -------
    name : str
    unit_s : float
        Seconds per unit [s] for numeric time values (1 unless the name is ``time_<unit>``).

    Raises
    ------
    TelemetryError
        No such column, or none with an accepted name (the message lists both).
    """
    shown = ", ".join(names) or "(none)"
    if given is not None:
        if given in names:
            return given, _name_unit(given)
        folded = [n for n in names if n.lower() == given.lower()]
        if len(folded) == 1:
            return folded[0], _name_unit(folded[0])
        raise TelemetryError(f"{path}: time column {given!r} not found (columns: {shown})")
    lowered = [n.strip().lower() for n in names]
    for wanted in TIME_NAMES[:5]:
        if wanted in lowered:
            return names[lowered.index(wanted)], 1.0
    for n, low in zip(names, lowered, strict=True):
        head, sep, tail = low.partition("_")
        if head == "time" and sep and (tail in _ISO_SUFFIXES or _time_unit(tail) is not None):
            return n, _name_unit(n)
    if "date" in lowered:
        return names[lowered.index("date")], 1.0
    raise TelemetryError(
        f"{path}: no time column (columns: {shown}; expected one named "
        f"{', '.join(TIME_NAMES)} or time_<unit> such as time_s, time_min, time_h, "
        "time_day, or pass time_column=)")


def _name_unit(name: str) -> float:
    head, sep, tail = name.lower().partition("_")
    if head == "time" and sep:
        unit = _time_unit(tail)
        if unit is not None:
            return unit
    return 1.0


_MAPPING_KEYS = ("time", "columns", "metadata")
_TIME_KEYS = ("column", "unit")
_COLUMN_KEYS = ("source", "quantity", "unit", "resolution", "on_change", "codes", "ignore",
                "reference", "description")


def _resolution(text: object, spec: ColumnSpec, where: str) -> float:
    """A resolution such as ``"1 mmHg"`` (or a bare number in the column's unit) in SI."""
    match = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(\S*)\s*", str(text))
    dims = _DIMENSION.get(spec.quantity, ())
    if match is not None and dims:
        try:
            value = float(match.group(1))
            unit = match.group(2) or spec.unit
            for dim in dims:
                try:
                    scale = unit_conversion(unit, dim)[0]
                except UnitError:
                    continue
                if value > 0:
                    return value * scale
        except ValueError:
            pass
    raise TelemetryError(f"{where}: resolution {text!r} is not a positive "
                         f"{_EXPECTED.get(spec.quantity, 'number')}")


def load_mapping(path: str | Path) -> TableMapping:
    """Read a TOML mapping file that says what each column of a table holds.

    Parameters
    ----------
    path : str or Path
        A file such as::

            [time]
            column = "GMT"        # optional; unit = "h" for numeric times in hours
            [columns.P_SM]        # a column header in the table
            source = "zvezda"
            quantity = "pressure" # pressure, temperature, ppO2, ppCO2, hatch, injection
            unit = "mmHg"
            resolution = "1 mmHg" # optional
            on_change = true      # optional: sent only when it changes (values are held)
            codes = { "2" = 0 }   # optional: raw codes read as other values (nan: unknown)
            reference = "..."     # optional: where the entry's facts come from
            description = "..."   # optional
            [columns.notes]
            ignore = true         # a column to leave out (needs no other key)
            [metadata]            # optional key = "value" pairs (volume, vehicle, ...)

    Returns
    -------
    TableMapping

    Raises
    ------
    TelemetryError
        Missing or malformed file, an unknown key or quantity, or a bad unit; the message
        names the file and the key.
    """
    where = str(path)
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise TelemetryError(f"{where}: mapping file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise TelemetryError(f"{where}: not valid TOML ({exc})") from None
    for key in doc:
        if key not in _MAPPING_KEYS:
            raise TelemetryError(f"{where}: unknown key {key!r} "
                                 f"(expected {', '.join(_MAPPING_KEYS)})")
    time = doc.get("time", {})
    if not isinstance(time, dict):
        raise TelemetryError(f"{where}: 'time' must be a table such as [time]")
    for key in time:
        if key not in _TIME_KEYS:
            raise TelemetryError(f"{where}: [time]: unknown key {key!r} "
                                 f"(expected {', '.join(_TIME_KEYS)})")
    unit_s = None
    if "unit" in time:
        unit_s = _time_unit(str(time["unit"]))
        if unit_s is None:
            raise TelemetryError(f"{where}: [time]: unknown time unit {time['unit']!r} "
                                 "(expected s, min, h or day)")
    columns: dict[str, ColumnSpec] = {}
    ignored: set[str] = set()
    notes: dict[str, str] = {}
    table = doc.get("columns", {})
    if not isinstance(table, dict):
        raise TelemetryError(f"{where}: 'columns' must hold tables such as [columns.P_SM]")
    for header, entry in table.items():
        item = f"{where}: [columns.{header}]"
        if not isinstance(entry, dict):
            raise TelemetryError(f"{item}: expected a table with source, quantity and unit")
        for key in entry:
            if key not in _COLUMN_KEYS:
                raise TelemetryError(f"{item}: unknown key {key!r} "
                                     f"(expected {', '.join(_COLUMN_KEYS)})")
        note = " ".join(str(entry[k]) for k in ("description", "reference") if k in entry)
        if note:
            notes[str(header)] = note
        if entry.get("ignore") is True:
            ignored.add(str(header))
            continue
        quantity = entry.get("quantity")
        if quantity not in QUANTITIES:
            raise TelemetryError(f"{item}: quantity {quantity!r} is not one of "
                                 f"{', '.join(QUANTITIES)}")
        unit = str(entry.get("unit", ""))
        spec = _unit_spec(header, str(entry.get("source", header)), quantity,
                          re.sub(r"(?i)_per_", "/", unit), item)
        if "resolution" in entry:
            spec = replace(spec, resolution=_resolution(entry["resolution"], spec, item))
        if "on_change" in entry:
            if not isinstance(entry["on_change"], bool):
                raise TelemetryError(f"{item}: on_change must be true or false")
            spec = replace(spec, on_change=entry["on_change"])
        if "codes" in entry:
            spec = replace(spec, codes=_codes(entry["codes"], item))
        columns[str(header)] = spec
    meta = doc.get("metadata", {})
    if not isinstance(meta, dict):
        raise TelemetryError(f"{where}: 'metadata' must be a table of key = \"value\"")
    column = time.get("column")
    return TableMapping(where, None if column is None else str(column), unit_s, columns,
                        {str(k): str(v) for k, v in meta.items()}, frozenset(ignored), notes)


def _codes(table: object, where: str) -> tuple[tuple[float, float], ...]:
    """``{ "1" = 1, "2" = 0, "3" = nan }`` as (raw, value) pairs."""
    pairs: list[tuple[float, float]] = []
    if isinstance(table, dict):
        for raw, value in table.items():
            try:
                pairs.append((float(raw), float(value)))
            except (TypeError, ValueError):
                break
        else:
            return tuple(pairs)
    raise TelemetryError(f"{where}: codes must be a table of raw code = value, such as "
                         "{ \"1\" = 1, \"2\" = 0, \"3\" = nan }")
