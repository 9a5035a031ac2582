"""Tests for :mod:`cabinleak.physics.units`.

Reference factors are typed in independently from NIST Special Publication 811, *Guide for the
Use of the International System of Units (SI)*, 2008, Appendix B.8/B.9, so that a typo in the
module's table does not also hide in the test.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cabinleak.errors import UnitError
from cabinleak.physics import units
from cabinleak.physics.units import (
    ATM_PA,
    DAY_S,
    HOUR_S,
    MMHG_PA,
    PSI_PA,
    echo_quantity,
    format_duration,
    format_mass_rate,
    format_pressure,
    format_quantity,
    is_bare_number,
    parse_quantity,
)

# NIST SP 811 (2008) Appendix B: exact or conventional values.
MMHG = 133.322387415  # mmHg, conventional: 13.5951 g/cm³ x 1 mm x 9.80665 m/s²
TORR = 101325.0 / 760.0
PSI = 0.45359237 * 9.80665 / 0.0254**2  # lbf / in² = 6894.757293168...
INHG = 3386.389
IN, FT, LB = 0.0254, 0.3048, 0.45359237
H, D = 3600.0, 86400.0
YEAR = 365.25 * D  # Julian year, 365.25 d exactly (IAU, Resolution B1 1994)
DEG = 3.141592653589793 / 180  # degree of arc = π/180 rad (SI Brochure, 9th ed., Table 8)

# dimension -> {unit spelling: factor to SI} for every linear unit the module must accept.
REFERENCE: dict[str, dict[str, float]] = {
    "pressure": {
        "Pa": 1.0, "kPa": 1e3, "MPa": 1e6, "hPa": 100.0, "mbar": 100.0, "bar": 1e5,
        "mmHg": MMHG, "torr": TORR, "Torr": TORR, "psi": PSI, "psia": PSI, "atm": 101325.0,
        "inHg": INHG,
    },
    "length": {
        "m": 1.0, "cm": 1e-2, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "km": 1e3, "in": IN, "ft": FT,
    },
    "area": {
        "m2": 1.0, "m²": 1.0, "cm2": 1e-4, "mm2": 1e-6, "mm²": 1e-6, "in2": IN**2, "ft2": FT**2,
    },
    "volume": {
        "m3": 1.0, "m³": 1.0, "L": 1e-3, "l": 1e-3, "liter": 1e-3, "litre": 1e-3, "cm3": 1e-6,
        "ft3": FT**3, "ft^3": FT**3,
    },
    "time": {
        "s": 1.0, "sec": 1.0, "ms": 1e-3, "min": 60.0, "h": H, "hr": H, "hour": H, "hours": H,
        "d": D, "day": D, "days": D, "week": 7 * D, "weeks": 7 * D,
        "y": YEAR, "yr": YEAR, "year": YEAR, "years": YEAR,
    },
    "mass": {"kg": 1.0, "g": 1e-3, "lb": LB, "lbm": LB},
    "mass_rate": {
        "kg/s": 1.0, "kg/h": 1 / H, "kg/day": 1 / D, "kg/d": 1 / D, "g/s": 1e-3,
        "g/day": 1e-3 / D, "lb/day": LB / D, "lb/d": LB / D, "lb/h": LB / H,
    },
    "pressure_rate": {
        "Pa/s": 1.0, "mmHg/h": MMHG / H, "mmHg/min": MMHG / 60, "mmHg/day": MMHG / D,
        "mbar/h": 100 / H, "psi/h": PSI / H, "psi/day": PSI / D, "kPa/h": 1e3 / H,
    },
    # cfm = ft³/min, ft = 0.3048 m exactly (NIST SP 811, B.8)
    "volume_rate": {
        "m3/s": 1.0, "m³/s": 1.0, "m3/min": 1 / 60, "m³/min": 1 / 60, "m3/h": 1 / H,
        "m³/h": 1 / H, "L/s": 1e-3, "L/min": 1e-3 / 60, "ft3/min": 0.3048**3 / 60,
        "cfm": 0.3048**3 / 60,
    },
    "speed": {"m/s": 1.0, "km/s": 1e3, "km/h": 1 / 3.6},
    "angle": {"deg": DEG, "°": DEG, "degree": DEG, "degrees": DEG, "rad": 1.0},
    "frequency": {
        "/s": 1.0, "/h": 1 / H, "/day": 1 / D, "/d": 1 / D, "/week": 1 / (7 * D),
        "/year": 1 / YEAR, "/yr": 1 / YEAR, "/y": 1 / YEAR,
    },
}  # fmt: skip
TEMPERATURE: dict[str, tuple[float, float]] = {  # unit -> (factor, offset) to kelvin
    "K": (1.0, 0.0),
    "C": (1.0, 273.15),
    "°C": (1.0, 273.15),
    "degC": (1.0, 273.15),
    "F": (5 / 9, 273.15 - 32 * 5 / 9),
    "°F": (5 / 9, 273.15 - 32 * 5 / 9),
    "degF": (5 / 9, 273.15 - 32 * 5 / 9),
}

EXAMPLES: list[tuple[str, str, float]] = [
    ("730 mmHg", "pressure", 730 * MMHG),
    ("730mmHg", "pressure", 730 * MMHG),
    ("14.7 psi", "pressure", 14.7 * PSI),
    ("14.7 psia", "pressure", 14.7 * PSI),
    ("101325 Pa", "pressure", 101325.0),
    ("1013 mbar", "pressure", 101300.0),
    ("101.3 kPa", "pressure", 101300.0),
    ("1 atm", "pressure", 101325.0),
    ("2 mm", "length", 0.002),
    ("0.1 in", "length", 0.00254),
    ("11.5 h", "time", 41400.0),
    ("36h", "time", 129600.0),
    ("7 d", "time", 604800.0),
    ("7 days", "time", 604800.0),
    ("30 min", "time", 1800.0),
    ("90 s", "time", 90.0),
    ("1 ms", "time", 0.001),
    ("1.4 kg/day", "mass_rate", 1.4 / D),
    ("3.7 lb/day", "mass_rate", 3.7 * LB / D),
    ("1e-4 kg/s", "mass_rate", 1e-4),
    ("140 cfm", "volume_rate", 140 * 0.3048**3 / 60),
    ("4.5m3", "volume", 4.5),
    ("4.5 m³", "volume", 4.5),
    ("10 ft3", "volume", 10 * FT**3),
    ("2703 ft^3", "volume", 2703 * FT**3),
    ("0.5 m2", "area", 0.5),
    ("0.5 m²", "area", 0.5),
    ("295 K", "temperature", 295.0),
    ("22 C", "temperature", 295.15),
    ("22 °C", "temperature", 295.15),
    ("22 degC", "temperature", 295.15),
    ("71.6 F", "temperature", 295.15),
    ("-40 °F", "temperature", 233.15),
    ("1 mmHg/h", "pressure_rate", MMHG / H),
]


@pytest.mark.parametrize(("text", "dimension", "expected"), EXAMPLES)
def test_examples_parse_to_si(text: str, dimension: str, expected: float) -> None:
    assert parse_quantity(text, dimension) == pytest.approx(expected, rel=1e-12, abs=0)


def test_nist_reference_values() -> None:
    # Conventional mmHg = 13.5951 g/cm³ x 1 mm x 9.80665 m/s² = 133.322387415 Pa (NIST SP 811
    # B.8 lists 1.333224 E+02), so 760 mmHg = 101 325.0144 Pa: 1 atm + 0.0144 Pa, not exactly.
    assert parse_quantity("760 mmHg", "pressure") == pytest.approx(101325.0144, abs=1e-4)
    assert parse_quantity("760 mmHg", "pressure") == pytest.approx(101325.0, abs=0.02)
    assert parse_quantity("760 torr", "pressure") == pytest.approx(101325.0, abs=1e-9)
    # 14.7 psi x 6894.757293168 Pa/psi = 101 352.93 Pa.
    assert parse_quantity("14.7 psi", "pressure") == pytest.approx(101352.93, abs=0.01)
    assert parse_quantity("29.92 inHg", "pressure") == pytest.approx(101320.76, abs=0.01)


def test_public_constants() -> None:
    assert MMHG_PA == MMHG
    assert pytest.approx(PSI, rel=1e-12, abs=0) == PSI_PA
    assert ATM_PA == 101325.0
    assert (DAY_S, HOUR_S) == (86400.0, 3600.0)


def test_reference_covers_the_module_table() -> None:
    """Every spelling in the module table has an independent reference factor here."""
    for spelling, (dimension, factor, offset) in units._UNITS.items():
        if dimension == "temperature":
            assert TEMPERATURE[spelling] == pytest.approx((factor, offset), rel=1e-12, abs=0)
        elif spelling in REFERENCE[dimension]:
            assert factor == pytest.approx(
                REFERENCE[dimension][spelling], rel=1e-12, abs=0), spelling


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  730   mmHg  ", 730 * MMHG),
        ("-5 Pa", -5.0),
        ("+5 Pa", 5.0),
        (".5 kPa", 500.0),
        ("5. kPa", 5000.0),
        ("1E3 Pa", 1000.0),
        ("14.7 PSI", 14.7 * PSI),
        ("14.7 Psi", 14.7 * PSI),
        ("730 MMHG", 730 * MMHG),
        ("1 ATM", 101325.0),
        ("1013 MBAR", 101300.0),
    ],
)
def test_spacing_signs_and_case_fallback(text: str, expected: float) -> None:
    assert parse_quantity(text, "pressure") == pytest.approx(expected, rel=1e-12, abs=0)


def test_other_spellings() -> None:
    assert parse_quantity("2 HOURS", "time") == 7200.0
    assert parse_quantity("-1e-4 kg / s", "mass_rate") == -1e-4
    assert parse_quantity("1 torr/h", "pressure_rate") == pytest.approx(TORR / H, abs=0)
    assert parse_quantity("2 lbm/day", "mass_rate") == pytest.approx(2 * LB / D, abs=0)
    assert parse_quantity("3 μm", "length") == pytest.approx(3e-6, abs=0)  # Greek mu as well as µ


def test_prefixed_si_symbols_are_case_sensitive() -> None:
    with pytest.raises(UnitError, match="unknown unit 'mpa'"):
        parse_quantity("1 mpa", "pressure")  # milli- or mega-? refuse to guess
    with pytest.raises(UnitError, match="unknown unit 'MM'"):
        parse_quantity("2 MM", "length")


def test_bare_numbers_need_default_unit() -> None:
    assert parse_quantity(730, "pressure", default_unit="mmHg") == pytest.approx(730 * MMHG, abs=0)
    assert parse_quantity(1.5, "time", default_unit="h") == 5400.0
    assert parse_quantity("730", "pressure", default_unit="mmHg") == pytest.approx(730 * MMHG,
                                                                                   abs=0)
    assert parse_quantity("2 d", "time", default_unit="h") == 172800.0  # explicit unit wins
    assert parse_quantity(22, "temperature", default_unit="C") == pytest.approx(295.15, abs=0)
    with pytest.raises(UnitError, match="no unit given"):
        parse_quantity(730, "pressure")
    with pytest.raises(UnitError, match=r"cannot read '730': no unit given"):
        parse_quantity("730", "pressure")
    with pytest.raises(UnitError, match="got bool"):
        parse_quantity(True, "pressure", default_unit="Pa")


def test_unknown_unit_lists_known_units() -> None:
    with pytest.raises(UnitError, match="unknown unit 'furlong'") as info:
        parse_quantity("3 furlong", "length")
    assert info.value.problem == "unknown unit 'furlong'"
    assert info.value.expected is not None
    assert info.value.expected.startswith("a length such as '2 mm' (units: m, cm, mm,")
    with pytest.raises(UnitError, match=r"a pressure such as '730 mmHg' \(units: Pa, kPa, "):
        parse_quantity("3 bananas", "pressure")


@pytest.mark.parametrize(
    ("text", "dimension", "problem"),
    [
        ("2 mm", "pressure", "'mm' is a length, not a pressure"),
        ("0.5 m2", "length", "'m2' is an area, not a length"),
        ("1 kg/s", "pressure", "'kg/s' is a mass rate, not a pressure"),
        ("1 mmHg/h", "pressure", "'mmHg/h' is a pressure rate, not a pressure"),
        ("22 C", "time", "'C' is a temperature, not a time"),
    ],
)
def test_wrong_dimension(text: str, dimension: str, problem: str) -> None:
    with pytest.raises(UnitError, match=problem) as info:
        parse_quantity(text, dimension)
    assert info.value.problem == problem
    assert info.value.text == text


@pytest.mark.parametrize("text", ["", "   ", "mmHg", "abc Pa", "Pa 730"])
def test_no_number(text: str) -> None:
    with pytest.raises(UnitError, match="no number found"):
        parse_quantity(text, "pressure")


@pytest.mark.parametrize(
    "text", ["nan Pa", "NaN mmHg", "inf Pa", "-inf Pa", "infinity psi", "1e400 Pa", "1e306 psi"]
)
def test_non_finite_text(text: str) -> None:
    with pytest.raises(UnitError, match="not a finite number"):
        parse_quantity(text, "pressure")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers(value: float) -> None:
    with pytest.raises(UnitError, match="not a finite number"):
        parse_quantity(value, "pressure", default_unit="Pa")


def test_below_absolute_zero() -> None:
    with pytest.raises(UnitError, match="below absolute zero"):
        parse_quantity("-300 C", "temperature")
    assert parse_quantity("-273.15 C", "temperature") == 0.0


def test_programming_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown dimension 'presure'"):
        parse_quantity("730 mmHg", "presure")
    with pytest.raises(ValueError, match="default_unit 'mm' is not a unit of pressure"):
        parse_quantity("730", "pressure", default_unit="mm")
    with pytest.raises(ValueError, match="default_unit 'furlong'"):
        parse_quantity("730", "length", default_unit="furlong")


def test_unit_error_is_a_value_error_with_one_line() -> None:
    with pytest.raises(ValueError, match="cannot read") as info:
        parse_quantity("2 mm", "pressure")
    assert isinstance(info.value, UnitError)
    assert "\n" not in str(info.value)


# --- properties ------------------------------------------------------------------------------

positive = st.floats(min_value=1e-30, max_value=1e30, allow_nan=False, allow_infinity=False)
linear_units = st.sampled_from(
    [(dim, unit, factor) for dim, table in REFERENCE.items() for unit, factor in table.items()]
)


@given(x=positive, case=linear_units, space=st.sampled_from(["", " ", "  "]))
def test_round_trip_linear_units(x: float, case: tuple[str, str, float], space: str) -> None:
    dimension, unit, factor = case
    assert parse_quantity(f"{x}{space}{unit}", dimension) / factor == pytest.approx(
        x, rel=1e-12, abs=0)


@given(x=st.floats(min_value=0.0, max_value=1e6), unit=st.sampled_from(sorted(TEMPERATURE)))
def test_round_trip_temperature(x: float, unit: str) -> None:
    factor, offset = TEMPERATURE[unit]
    kelvin = parse_quantity(f"{x} {unit}", "temperature")
    assert (kelvin - offset) / factor == pytest.approx(x, rel=1e-9, abs=1e-9)


@given(text=st.text(max_size=30), dimension=st.sampled_from(sorted(REFERENCE)))
def test_arbitrary_text_gives_a_finite_float_or_unit_error(text: str, dimension: str) -> None:
    try:
        value = parse_quantity(text, dimension)
    except UnitError:
        return
    assert math.isfinite(value)


# --- formatting ------------------------------------------------------------------------------


def test_format_pressure() -> None:
    assert format_pressure(730 * MMHG) == "730.0 mmHg"
    assert format_pressure(101325.0) == "760.0 mmHg"
    assert format_pressure(0.0) == "0.0 mmHg"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45.0, "45 s"),
        (0.25, "0.25 s"),
        (90.5, "90.5 s"),
        (720.0, "12 min"),
        (11.5 * H, "11.5 h"),
        (2.3 * D, "2.3 d"),
        (400 * D, "400 d"),
        (-45.0, "-45 s"),
        (0.0, "0 s"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_format_mass_rate() -> None:
    assert format_mass_rate(1.4 / D) == "1.40 kg/day"
    assert format_mass_rate(0.0) == "0.00 kg/day"
    assert format_mass_rate(3.2e-3 / D) == "3.20 g/day"


@given(t=st.floats(min_value=1.0, max_value=1e9))
def test_format_duration_parses_back(t: float) -> None:
    assert parse_quantity(format_duration(t), "time") == pytest.approx(t, rel=0.05, abs=0)


@given(p=st.floats(min_value=0.0, max_value=1e7))
def test_format_pressure_parses_back(p: float) -> None:
    assert parse_quantity(format_pressure(p), "pressure") == pytest.approx(p, abs=0.05 * MMHG)


# --- dimensions the command line needs, and the echo of a value read -----------------------


@pytest.mark.parametrize(
    ("text", "dimension", "expected"),
    [
        ("1 /year", "frequency", 1 / YEAR),
        ("1/year", "frequency", 1 / YEAR),
        ("2 / day", "frequency", 2 / D),
        ("7 km/s", "speed", 7000.0),
        ("3 mm/s", "speed", 3e-3),  # built from <length>/<time>
        ("51.6 deg", "angle", 51.6 * DEG),
        ("1y", "time", YEAR),
        ("2 L/h", "volume_rate", 2e-3 / H),
        ("0.1 K", "temperature_difference", 0.1),
        ("0.1 C", "temperature_difference", 0.1),  # a change: no 273.15 offset
        ("0.9 F", "temperature_difference", 0.5),
    ],
)
def test_command_line_dimensions(text: str, dimension: str, expected: float) -> None:
    assert parse_quantity(text, dimension) == pytest.approx(expected, rel=1e-12, abs=0)


def test_a_temperature_difference_refuses_other_dimensions() -> None:
    with pytest.raises(UnitError, match="not a temperature difference"):
        parse_quantity("0.1 mmHg", "temperature_difference")


@pytest.mark.parametrize(("text", "bare"), [
    ("490", True), (" -1e3 ", True), ("nan", True), ("inf", True), ("490mmHg", False),
    ("490 mmHg", False), ("abc", False), ("", False), ("1/year", False),
])
def test_is_bare_number(text: str, bare: bool) -> None:
    assert is_bare_number(text) is bare


@pytest.mark.parametrize(("si", "dimension", "text"), [
    (490 * MMHG, "pressure", "490 mmHg"),
    (0.002, "length", "2 mm"),
    (400e3, "length", "400 km"),
    (5.0, "length", "5 m"),
    (36 * H, "time", "36 h"),
    (1.4 / D, "mass_rate", "1.40 kg/day"),
    (7000.0, "speed", "7 km/s"),
    (51.6 * DEG, "angle", "51.6 deg"),
    (1 / YEAR, "frequency", "1/year"),
])
def test_format_quantity(si: float, dimension: str, text: str) -> None:
    assert format_quantity(si, dimension) == text


@pytest.mark.parametrize(("text", "dimension", "echo"), [
    ("490mmHg", "pressure", "490 mmHg"),
    ("0.7atm", "pressure", "0.7 atm (532 mmHg)"),  # 0.7 x 101325 / 133.322 = 532.0
    ("36h", "time", "36 h"),
    ("1y", "time", "1 y (365 d)"),
    ("2 mm", "length", "2 mm"),
    ("0.2 in", "length", "0.2 in (5.1 mm)"),  # 5.08 mm to one decimal
])
def test_echo_gives_the_value_as_read_and_in_the_crews_unit(text: str, dimension: str,
                                                            echo: str) -> None:
    assert echo_quantity(text, dimension) == echo
