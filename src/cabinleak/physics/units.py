"""Physical quantities read at the edges of the program (CLI, TOML) converted to SI floats.

Inside ``cabinleak`` every number is SI: Pa, m, m², m³, s, kg, kg/s, K and Pa/s. Text such as
``"730 mmHg"`` or ``"1.4 kg/day"`` is turned into those units once, here, by
:func:`parse_quantity`; the ``format_*`` functions go the other way for human-readable output.

Conversion factors are exact where a definition exists and otherwise follow NIST Special
Publication 811, *Guide for the Use of the International System of Units (SI)*, 2008 edition,
Appendix B.8/B.9 ("Factors for units listed alphabetically / by kind of quantity").
"""

from __future__ import annotations

import math
import numbers
import re

from cabinleak.errors import UnitError

__all__ = [
    "ATM_PA", "DAY_S", "HOUR_S", "MMHG_PA", "PSI_PA", "YEAR_S",
    "echo_quantity", "format_duration", "format_mass_rate", "format_pressure", "format_quantity",
    "is_bare_number", "parse_quantity", "si_unit",
]  # fmt: skip

# --- Conversion factors (NIST SP 811, 2008, Appendix B) -----------------------------------
MMHG_PA: float = 133.322387415  # conventional mmHg [Pa]: 13.5951 g/cm³ x 1 mm x g_n, exact
TORR_PA: float = 101325.0 / 760.0  # torr [Pa]: 1/760 standard atmosphere, exact
PSI_PA: float = 6894.757293168  # lbf/in² [Pa]: 0.45359237 kg x 9.80665 m/s² / (0.0254 m)²
ATM_PA: float = 101325.0  # standard atmosphere [Pa], exact
INHG_PA: float = 3386.389  # conventional inch of mercury [Pa], NIST SP 811 B.9
INCH_M: float = 0.0254  # international inch [m], exact
FOOT_M: float = 0.3048  # international foot [m], exact
LB_KG: float = 0.45359237  # avoirdupois pound [kg], exact
MINUTE_S: float = 60.0  # minute [s]
HOUR_S: float = 3600.0  # hour [s]
DAY_S: float = 86400.0  # day of 24 h [s]
WEEK_S: float = 7 * DAY_S  # week of 7 d [s]
YEAR_S: float = 365.25 * DAY_S  # Julian year [s], 365.25 d exactly (IAU)
DEGREE_RAD: float = math.pi / 180.0  # degree of arc [rad], exact

# Dimension name -> (SI unit, phrase used in messages, example quantity).
_DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "pressure": ("Pa", "a pressure", "730 mmHg"),
    "length": ("m", "a length", "2 mm"),
    "area": ("m²", "an area", "0.5 m2"),
    "volume": ("m³", "a volume", "4.5 m3"),
    "time": ("s", "a time", "11.5 h"),
    "mass": ("kg", "a mass", "3 kg"),
    "mass_rate": ("kg/s", "a mass rate", "1.4 kg/day"),
    "temperature": ("K", "a temperature", "22 C"),
    "pressure_rate": ("Pa/s", "a pressure rate", "1 mmHg/h"),
    "volume_rate": ("m³/s", "a volume flow", "140 cfm"),
    "speed": ("m/s", "a speed", "7 km/s"),
    "angle": ("rad", "an angle", "51.6 deg"),
    "frequency": ("1/s", "a rate of events", "1 /year"),
    "temperature_difference": ("K", "a temperature difference", "0.1 K"),
}

# Unit spelling -> (dimension, factor, offset); SI value = number * factor + offset.
_UNITS: dict[str, tuple[str, float, float]] = {}


def _add(dimension: str, factor: float, *spellings: str, offset: float = 0.0) -> None:
    for spelling in spellings:
        _UNITS[spelling] = (dimension, factor, offset)


_add("pressure", 1.0, "Pa")
_add("pressure", 1e3, "kPa")
_add("pressure", 1e6, "MPa")
_add("pressure", 1e2, "hPa", "mbar")
_add("pressure", 1e5, "bar")
_add("pressure", MMHG_PA, "mmHg")
_add("pressure", TORR_PA, "torr", "Torr")
_add("pressure", PSI_PA, "psi", "psia")
_add("pressure", ATM_PA, "atm")
_add("pressure", INHG_PA, "inHg")
_add("length", 1.0, "m")
_add("length", 1e-2, "cm")
_add("length", 1e-3, "mm")
_add("length", 1e-6, "um", "µm", "μm")  # micro sign U+00B5 and Greek mu U+03BC
_add("length", 1e3, "km")
_add("length", INCH_M, "in")
_add("length", FOOT_M, "ft")
_add("area", 1.0, "m2", "m²", "m^2")
_add("area", 1e-4, "cm2", "cm²")
_add("area", 1e-6, "mm2", "mm²")
_add("area", INCH_M**2, "in2", "in²", "in^2")
_add("area", FOOT_M**2, "ft2", "ft²", "ft^2")
_add("volume", 1.0, "m3", "m³", "m^3")
_add("volume", 1e-3, "L", "l", "liter", "litre", "liters", "litres")
_add("volume", 1e-6, "cm3", "cm³")
_add("volume", FOOT_M**3, "ft3", "ft³", "ft^3")
_add("time", 1.0, "s", "sec", "second", "seconds")
_add("time", 1e-3, "ms")
_add("time", MINUTE_S, "min", "minute", "minutes")
_add("time", HOUR_S, "h", "hr", "hour", "hours")
_add("time", DAY_S, "d", "day", "days")
_add("time", WEEK_S, "week", "weeks")
_add("time", YEAR_S, "y", "yr", "year", "years")
_add("mass", 1.0, "kg")
_add("mass", 1e-3, "g")
_add("mass", LB_KG, "lb", "lbm")
_add("temperature", 1.0, "K")
_add("temperature", 1.0, "C", "°C", "degC", offset=273.15)
_add("temperature", 5.0 / 9.0, "F", "°F", "degF", offset=273.15 - 32.0 * 5.0 / 9.0)
for _num, _dens in {
    "kg": ("s", "h", "day", "d"),
    "g": ("s", "day"),
    "lb": ("day", "d", "h"),
}.items():
    for _den in _dens:
        _add("mass_rate", _UNITS[_num][1] / _UNITS[_den][1], f"{_num}/{_den}")
for _num, _dens in {
    "Pa": ("s",),
    "mmHg": ("h", "min", "day"),
    "mbar": ("h",),
    "psi": ("h", "day"),
    "kPa": ("h",),
}.items():
    for _den in _dens:
        _add("pressure_rate", _UNITS[_num][1] / _UNITS[_den][1], f"{_num}/{_den}")

for _num, _dens in {"m3": ("s", "min", "h"), "m³": ("s", "min", "h"), "L": ("s", "min"),
                    "ft3": ("min",)}.items():
    for _den in _dens:
        _add("volume_rate", _UNITS[_num][1] / _UNITS[_den][1], f"{_num}/{_den}")
_add("volume_rate", _UNITS["ft3"][1] / 60.0, "cfm")  # cubic feet per minute
_add("speed", 1.0, "m/s")
_add("speed", 1e3, "km/s")
_add("speed", 1e3 / HOUR_S, "km/h")
_add("angle", DEGREE_RAD, "deg", "°", "degree", "degrees")
_add("angle", 1.0, "rad")
for _den in ("s", "h", "day", "d", "week", "year", "yr", "y"):
    _add("frequency", 1.0 / _UNITS[_den][1], f"/{_den}")
# Per-time spellings built on demand by _lookup: <unit of this dimension>/<time unit>.
_PER_TIME = {"pressure": "pressure_rate", "mass": "mass_rate", "length": "speed",
             "volume": "volume_rate"}

# Spellings without an SI prefix may be written in any case ("PSI", "MMHG", "Hours").
# Prefixed SI symbols (mm/Mm, mPa/MPa, ...) are case-sensitive: a wrong case is a 1e6 error.
_PREFIXED = {"kPa", "MPa", "hPa", "cm2", "mm2", "cm3"}
_CASE_FREE: dict[str, str] = {
    s.lower(): s
    for s in _UNITS
    if len(s) > 2 and s.isascii() and "/" not in s
    if s not in _PREFIXED
}
_NUMBER = re.compile(
    r"\s*([+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?))\s*(.*?)\s*$",
    re.IGNORECASE,
)


def _lookup(unit: str) -> tuple[str, float, float] | None:
    """Find a unit spelling: exact, then case-free, then ``<pressure|mass>/<time>``."""
    if unit in _UNITS:
        return _UNITS[unit]
    if unit.lower() in _CASE_FREE:
        return _UNITS[_CASE_FREE[unit.lower()]]
    num, sep, den = unit.partition("/")
    if sep and den:
        top, bottom = (_lookup(num) if num else None), _lookup(den)
        if bottom and bottom[0] == "time":
            if not num:  # "/year": events per time
                return ("frequency", 1.0 / bottom[1], 0.0)
            if top and top[0] in _PER_TIME:
                return (_PER_TIME[top[0]], top[1] / bottom[1], 0.0)
    return None


def _expected(dimension: str) -> str:
    _, phrase, example = _DIMENSIONS[dimension]
    kind = "temperature" if dimension == "temperature_difference" else dimension
    units = ", ".join(s for s, entry in _UNITS.items() if entry[0] == kind)
    return f"{phrase} such as {example!r} (units: {units})"


def parse_quantity(
    text: str | float | int, dimension: str, *, default_unit: str | None = None
) -> float:
    """Convert a quantity such as ``"730 mmHg"`` to an SI float.

    Parameters
    ----------
    text : str or float or int
        A number followed by a unit (whitespace optional, e.g. ``"14.7psi"``, ``"-1e-4 kg/s"``),
        or a bare number, which needs `default_unit`.
    dimension : str
        One of ``pressure`` [Pa], ``length`` [m], ``area`` [m²], ``volume`` [m³], ``time`` [s],
        ``mass`` [kg], ``mass_rate`` [kg/s], ``temperature`` [K], ``pressure_rate`` [Pa/s],
        ``volume_rate`` [m³/s], ``speed`` [m/s], ``angle`` [rad], ``frequency`` [1/s] (written
        ``"1 /year"``) or ``temperature_difference`` [K] (°C and °F without their offset).
    default_unit : str, optional
        Unit used for a bare number; must belong to `dimension`.

    Returns
    -------
    float
        The value in the SI unit of `dimension` (temperatures in kelvin, offset applied).

    Raises
    ------
    UnitError
        No number, unknown unit, unit of another dimension, missing unit, non-finite value,
        or a temperature below absolute zero.
    ValueError
        `dimension` or `default_unit` is not valid (a programming error, not a user error).
    """
    if dimension not in _DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; choose from {sorted(_DIMENSIONS)}")
    if default_unit is not None and (_lookup(default_unit) or ("",))[0] != dimension:
        raise ValueError(f"default_unit {default_unit!r} is not a unit of {dimension}")
    shown = str(text)
    if isinstance(text, bool) or not isinstance(text, str | numbers.Real):
        raise UnitError(
            shown, f"expected text or a number, got {type(text).__name__}", _expected(dimension)
        )
    if isinstance(text, str):
        match = _NUMBER.match(text)
        if match is None:
            raise UnitError(shown, "no number found", _expected(dimension))
        value, unit = float(match.group(1)), re.sub(r"\s*/\s*", "/", match.group(2))
    else:
        value, unit = float(text), ""
    if not unit:
        if default_unit is None:
            raise UnitError(shown, "no unit given", _expected(dimension))
        unit = default_unit
    entry = _lookup(unit)
    if entry is None:
        raise UnitError(shown, f"unknown unit {unit!r}", _expected(dimension))
    unit_dim, factor, offset = entry
    if dimension == "temperature_difference" and unit_dim == "temperature":
        unit_dim, offset = dimension, 0.0  # a change of 1 °C is a change of 1 K
    if unit_dim != dimension:
        raise UnitError(
            shown,
            f"{unit!r} is {_DIMENSIONS[unit_dim][1]}, not {_DIMENSIONS[dimension][1]}",
            _expected(dimension),
        )
    si = value * factor + offset
    if not math.isfinite(si):
        raise UnitError(shown, "not a finite number", _expected(dimension))
    if dimension == "temperature" and si < 0.0:
        raise UnitError(shown, f"{si:.2f} K is below absolute zero", _expected(dimension))
    return si


def echo_quantity(text: str, dimension: str) -> str:
    """A quantity as given, tidied, with the crew's unit when that is another one.

    Examples
    --------
    >>> echo_quantity("0.7atm", "pressure")
    '0.7 atm (532 mmHg)'
    >>> echo_quantity("36h", "time")
    '36 h'
    >>> echo_quantity("1/year", "frequency")
    '1/year'
    """
    si = parse_quantity(text, dimension)
    match = _NUMBER.match(text)
    if match is None or not match.group(2):
        return format_quantity(si, dimension)
    unit = re.sub(r"\s*/\s*", "/", match.group(2))
    given = f"{match.group(1)}{'' if unit.startswith('/') else ' '}{unit}"  # 1/year
    shown = format_quantity(si, dimension)
    shown_match = _NUMBER.match(shown)
    shown_unit = shown_match.group(2).strip() if shown_match else ""
    same = _lookup(unit) == _lookup(shown_unit)
    return given if same else f"{given} ({shown})"


def si_unit(dimension: str) -> str:
    """The SI unit values of `dimension` are given in inside cabinleak, e.g. ``"Pa"``."""
    return _DIMENSIONS[dimension][0]


def is_bare_number(text: str) -> bool:
    """Whether `text` is a number with no unit (``"490"``, ``"-1e3"``, ``"nan"``)."""
    match = _NUMBER.match(text)
    return match is not None and not match.group(2)


# Dimension -> (unit, factor) in which a value is shown back to the user (the crew's units).
_SHOWN: dict[str, tuple[str, float]] = {
    "pressure": ("mmHg", MMHG_PA), "area": ("m²", 1.0), "volume": ("m³", 1.0),
    "mass": ("kg", 1.0), "temperature": ("K", 1.0), "temperature_difference": ("K", 1.0),
    "pressure_rate": ("mmHg/h", MMHG_PA / HOUR_S), "volume_rate": ("m³/h", 1.0 / HOUR_S),
    "speed": ("km/s", 1e3), "angle": ("deg", DEGREE_RAD), "frequency": ("/year", 1.0 / YEAR_S),
}  # fmt: skip


def format_quantity(si: float, dimension: str) -> str:
    """Format an SI value in the unit crews use for its dimension.

    Parameters
    ----------
    si : float
        The value in the SI unit of `dimension` (see :func:`parse_quantity`).
    dimension : str
        Its dimension: times as :func:`format_duration`, mass rates as
        :func:`format_mass_rate`, lengths in mm below 1 m and km from 1 km, pressures in
        mmHg, speeds in km/s, angles in degrees, event rates per year.

    Examples
    --------
    >>> format_quantity(65327.97, "pressure")
    '490 mmHg'
    >>> format_quantity(0.002, "length")
    '2 mm'
    """
    if dimension == "time":
        return format_duration(si)
    if dimension == "mass_rate":
        return format_mass_rate(si)
    if dimension == "length":
        unit, factor = ("mm", 1e-3) if abs(si) < 1.0 else ("km", 1e3) if abs(si) >= 1e3 else (
            "m", 1.0)
    else:
        unit, factor = _SHOWN[dimension]
    return f"{_number(si / factor)}{'' if unit.startswith('/') else ' '}{unit}"


def _number(value: float) -> str:
    """Format with 1 decimal (trailing ``.0`` dropped), none from 100 up, 3 digits below 1."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 100.0:
        return f"{value:.0f}"
    if abs(value) >= 1.0 or value == 0.0:
        text = f"{value:.1f}"
        return text[:-2] if text.endswith(".0") else text
    return f"{value:.3g}"


def format_pressure(p_Pa: float) -> str:
    """Format a pressure in mmHg with one decimal, e.g. ``"730.0 mmHg"``.

    Parameters
    ----------
    p_Pa : float
        Pressure [Pa].
    """
    return f"{p_Pa / MMHG_PA:.1f} mmHg"


def format_duration(t_s: float) -> str:
    """Format a duration in its natural unit: ``"45 s"``, ``"12 min"``, ``"11.5 h"``, ``"2.3 d"``.

    Parameters
    ----------
    t_s : float
        Duration [s]; seconds below 2 min, minutes below 2 h, hours below 2 d, days beyond.
    """
    size = abs(t_s)
    if not math.isfinite(size) or size < 2 * MINUTE_S:
        return f"{_number(t_s)} s"
    if size < 2 * HOUR_S:
        return f"{_number(t_s / MINUTE_S)} min"
    if size < 2 * DAY_S:
        return f"{_number(t_s / HOUR_S)} h"
    return f"{_number(t_s / DAY_S)} d"


def format_mass_rate(kg_per_s: float) -> str:
    """Format a mass flow per day, e.g. ``"1.40 kg/day"`` (``"3.20 g/day"`` below 10 g/day).

    Parameters
    ----------
    kg_per_s : float
        Mass flow [kg/s].
    """
    per_day = kg_per_s * DAY_S
    if 0.0 < abs(per_day) < 0.01:
        return f"{per_day * 1e3:.2f} g/day"
    return f"{per_day:.2f} kg/day"
