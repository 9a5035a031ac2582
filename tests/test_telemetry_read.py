"""Reading telemetry tables: headers, times, mapping files, cleaning, and every error message.

Unit factors in expected values are the NIST SP 811 (2008) Appendix B values, typed in here
independently: 1 mmHg = 133.322387415 Pa, 1 psi = 6894.757293168 Pa, 0 °C = 273.15 K.
Tables are written by the tests into ``tmp_path``; the cleaning tests build records with
known defects (seeded noise) and check that exactly those are found, where they are.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cabinleak.simulate import simulate
from cabinleak.station import Sensor, load_station
from cabinleak.telemetry import (
    ColumnSpec,
    Telemetry,
    TelemetryError,
    load_mapping,
    parse_header,
    read_telemetry,
    sensor_columns,
    state_columns,
    write_table,
)

MMHG = 133.322387415  # Pa
PSI = 6894.757293168  # Pa
C0 = 273.15  # K
DAY = 86400.0  # s


def write_csv(path: Path, header: list[str], rows: list[list[object]] | np.ndarray,
              comments: tuple[str, ...] = ()) -> Path:
    lines = [*comments, ",".join(header)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def record(n: int = 400, noise_mmHg: float = 0.03, seed: int = 1) -> np.ndarray:
    """A slow leak at 1 Hz: 750 mmHg falling 3.6 mmHg/h, with white noise."""
    rng = np.random.default_rng(seed)
    return 750.0 - 1e-3 * np.arange(n) + rng.normal(0.0, noise_mmHg, n)


def write_record(path: Path, columns: dict[str, np.ndarray]) -> Path:
    names = ["time_s", *columns]
    n = len(next(iter(columns.values())))
    data = np.column_stack([np.arange(n, dtype=float), *columns.values()])
    return write_csv(path, names, [[f"{v:.6f}" for v in row] for row in data])


def kinds(tel: Telemetry) -> list[str]:
    return [i.kind for i in tel.issues]


# --- headers ------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "source", "quantity", "unit", "si_of_1"), [
    ("zvezda_pressure_mmHg", "zvezda", "pressure", "mmHg", MMHG),
    ("node1_p_psi", "node1", "pressure", "psi", PSI),
    ("node1_p_psia", "node1", "pressure", "psi", PSI),
    ("soyuz_om_pressure_kPa", "soyuz_om", "pressure", "kPa", 1e3),
    ("rs-pressure-1_pressure_mbar", "rs-pressure-1", "pressure", "mbar", 100.0),
    ("lab_T_C", "lab", "temperature", "C", 1.0 + C0),
    ("lab_temp_F", "lab", "temperature", "F", (1.0 - 32.0) * 5.0 / 9.0 + C0),
    ("lab_temperature_deg_C", "lab", "temperature", "degC", 1.0 + C0),
    ("cabin_ppO2_mmHg", "cabin", "ppO2", "mmHg", MMHG),
    ("cabin_PPCO2_torr", "cabin", "ppCO2", "torr", 101325.0 / 760.0),
    ("o2_injection_kg", "o2", "injection", "kg", 1.0),
    ("o2_added_lb", "o2", "injection", "lb", 0.45359237),
    ("n2_inject_kg_per_day", "n2", "injection", "kg/day", 1.0 / DAY),
])
def test_header_parsing(header: str, source: str, quantity: str, unit: str,
                        si_of_1: float) -> None:
    spec = parse_header(header, "t.csv")
    assert spec is not None
    assert (spec.name, spec.source, spec.quantity, spec.unit) == (header, source, quantity, unit)
    assert spec.to_si(np.array([1.0]))[0] == pytest.approx(si_of_1, rel=1e-12, abs=0)


def test_header_keyword_rules() -> None:
    # the last keyword splits, so a source may contain one
    spec = parse_header("p_sensor_pressure_Pa")
    assert spec is not None and (spec.source, spec.quantity) == ("p_sensor", "pressure")
    hatch = parse_header("pirs_hatch")
    assert hatch == ColumnSpec("pirs_hatch", "pirs", "hatch", "")
    assert parse_header("crew_activity") is None
    assert parse_header("notes") is None
    rate = parse_header("o2_injection_kg_per_day")
    assert rate is not None and rate.rate
    mass = parse_header("o2_injection_kg")
    assert mass is not None and not mass.rate


def test_header_with_unknown_unit() -> None:
    with pytest.raises(TelemetryError) as err:
        parse_header("x_pressure_foo", "data.csv")
    assert str(err.value) == ("data.csv: column 'x_pressure_foo': unknown unit 'foo' "
                              "(expected a pressure unit such as mmHg, Pa, psi)")
    with pytest.raises(TelemetryError, match=r"column 'lab_T': no unit \(expected a "
                                             r"temperature unit such as C, K, F\)"):
        parse_header("lab_T", "data.csv")
    with pytest.raises(TelemetryError, match=r"'kg/m' .*a mass unit such as kg"):
        parse_header("o2_injection_kg_per_m", "data.csv")


# --- times, metadata, conversions ---------------------------------------------------------

def test_iso_times_metadata_and_units(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "soyuz.csv",
                  ["utc", "soyuz_om_pressure_mmHg", "lab_T_C", "node1_p_psi", "notes",
                   "crew_activity"],
                  [["2018-08-29T23:00:00Z", 750, 22.0, 14.5, "start", "sleep"],
                   ["2018-08-30T01:00:10+02:00", 749.5, 22.5, 14.5, None, None],
                   ["2018-08-29 23:00:20", 749, 23.0, 14.5, None, "exercise"]],
                  comments=("# volume = 4.5 m3", "# vehicle = soyuz-ms-27",
                            "# station=iss", "# a free comment"))
    tel = read_telemetry(f)
    assert tel.start_time == datetime(2018, 8, 29, 23, 0, tzinfo=UTC)
    np.testing.assert_array_equal(tel.time_s, [0.0, 10.0, 20.0])
    assert dict(tel.metadata) == {"volume": "4.5 m3", "vehicle": "soyuz-ms-27",
                                  "station": "iss", "ignored_columns": "notes,crew_activity"}
    np.testing.assert_allclose(tel.channel("soyuz_om_pressure_mmHg").values,
                               np.array([750, 749.5, 749]) * MMHG, rtol=1e-14)
    np.testing.assert_allclose(tel.channel("lab_T_C").values, [295.15, 295.65, 296.15])
    assert tel.channel("node1_p_psi").values[0] == pytest.approx(14.5 * PSI, rel=1e-14, abs=0)
    assert tel.channel("soyuz_om_pressure_mmHg").source == "soyuz_om"
    assert tel.is_gauge  # 3 rows
    assert tel.issues == ()


def test_iso_times_out_of_order_start_at_earliest(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["timestamp", "a_p_Pa"],
                  [["2018-08-29T23:00:10Z", 2.0], ["2018-08-29T23:00:00Z", 1.0]])
    tel = read_telemetry(f)
    assert tel.start_time == datetime(2018, 8, 29, 23, 0, tzinfo=UTC)
    np.testing.assert_array_equal(tel.time_s, [0.0, 10.0])
    np.testing.assert_array_equal(tel.channel("a_p_Pa").values, [1.0, 2.0])


def test_numeric_times_in_hours_not_shifted(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["TIME_H", "zvezda_pressure_mmHg"],
                  [[1.5, 750], [2.0, 749], [2.5, 748]])
    tel = read_telemetry(f)
    assert tel.start_time is None
    np.testing.assert_allclose(tel.time_s, [5400.0, 7200.0, 9000.0])
    f = write_csv(tmp_path / "d.csv", ["time_day", "zvezda_pressure_mmHg"], [[1, 750], [2, 749]])
    np.testing.assert_allclose(read_telemetry(f).time_s, [DAY, 2 * DAY])


def test_time_column_argument(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["elapsed", "zvezda_pressure_mmHg"], [[0, 750], [60, 749]])
    tel = read_telemetry(f, time_column="elapsed")
    np.testing.assert_array_equal(tel.time_s, [0.0, 60.0])


def test_injection_kg_per_day_is_cumulative(tmp_path: Path) -> None:
    # rate held over the interval ending at each row: 0 + 2 kg/day·1 h + 4 kg/day·2 h
    f = write_csv(tmp_path / "t.csv", ["time_h", "zvezda_pressure_mmHg", "o2_injection_kg_per_day"],
                  [[0, 750, 9.0], [1, 750, 2.0], [3, 751, 4.0], [4, 751, None]])
    inj = read_telemetry(f).channel("o2_injection_kg_per_day")
    np.testing.assert_allclose(inj.values, [0.0, 2 / 24, 2 / 24 + 8 / 24, 10 / 24],
                               rtol=1e-12)
    assert (inj.quantity, inj.unit) == ("injection", "kg/day")


def test_injection_mass_per_interval_is_cumulative(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["time_s", "zvezda_pressure_mmHg", "o2_injection_lb"],
                  [[0, 750, 1.0], [10, 750, None], [20, 751, 2.0], [30, 751, 0.5]])
    inj = read_telemetry(f).channel("o2_injection_lb")
    np.testing.assert_allclose(inj.values, np.array([0.0, 0.0, 2.0, 2.5]) * 0.45359237)


def test_hatch_values_as_text(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["time_s", "zvezda_pressure_mmHg", "pirs_hatch"],
                  [[0, 750, "open"], [1, 750, "Closed"], [2, 750, "TRUE"], [3, 750, 0],
                   [4, 750, "false"]])
    np.testing.assert_array_equal(read_telemetry(f).channel("pirs_hatch").values,
                                  [1, 0, 1, 0, 0])
    f = write_csv(tmp_path / "b.csv", ["gmt", "zvezda_pressure_mmHg", "pirs_hatch_open"],
                  [["2018-08-29 23:00 UTC", 750, "closed"], ["2018-08-29 23:01 UTC", 750, "open"]])
    tel = read_telemetry(f)
    np.testing.assert_array_equal(tel.channel("pirs_hatch_open").values, [0, 1])
    assert tel.channel("pirs_hatch_open").source == "pirs_hatch"
    np.testing.assert_array_equal(tel.time_s, [0.0, 60.0])


# --- mapping files ------------------------------------------------------------------------

MAPPING = """
[time]
column = "GMT"

[columns.P_SM]
source = "zvezda"
quantity = "pressure"
unit = "mmHg"
resolution = "1 mmHg"

[columns.T_SM]
source = "zvezda"
quantity = "temperature"
unit = "C"

[metadata]
volume = "89 m3"
"""


def test_mapping_file(tmp_path: Path) -> None:
    m = tmp_path / "map.toml"
    m.write_text(MAPPING)
    f = write_csv(tmp_path / "t.csv", ["GMT", "P_SM", "T_SM", "Comment"],
                  [["2018-08-29T23:00Z", 750, 22, "x"], ["2018-08-30T05:00Z", 749, 22, ""],
                   ["2018-08-31T02:00Z", 747, 21, ""]])
    tel = read_telemetry(f, mapping=m)
    p = tel.channel("P_SM")
    assert (p.source, p.quantity, p.unit) == ("zvezda", "pressure", "mmHg")
    assert p.resolution == pytest.approx(MMHG, abs=0)
    assert tel.channel("T_SM").values[2] == pytest.approx(21 + C0, abs=0)
    np.testing.assert_allclose(tel.time_s, [0, 6 * 3600, 27 * 3600])
    assert tel.metadata["volume"] == "89 m3"
    assert tel.metadata["ignored_columns"] == "Comment"


def test_mapping_numeric_time_unit(tmp_path: Path) -> None:
    m = tmp_path / "map.toml"
    m.write_text('[time]\ncolumn = "MET"\nunit = "h"\n'
                 '[columns.P1]\nquantity = "pressure"\nunit = "psi"\n')
    f = write_csv(tmp_path / "t.csv", ["MET", "P1"], [[0.5, 14.7], [1.0, 14.6]])
    tel = read_telemetry(f, mapping=m)
    np.testing.assert_allclose(tel.time_s, [1800.0, 3600.0])
    assert tel.channel("P1").source == "P1"


@pytest.mark.parametrize(("text", "message"), [
    ('[columns.P_SM]\nquantity = "pressure"\nunit = "mmHg"\nscale = 2\n',
     "map.toml: [columns.P_SM]: unknown key 'scale' (expected source, quantity, unit, "
     "resolution, on_change, codes, ignore, reference, description)"),
    ('[columns.P_SM]\nquantity = "presure"\nunit = "mmHg"\n',
     "map.toml: [columns.P_SM]: quantity 'presure' is not one of pressure, temperature, "
     "ppO2, ppCO2, hatch, injection"),
    ('[columns.P_SM]\nquantity = "pressure"\nunit = "mmHgg"\n',
     "map.toml: [columns.P_SM]: unknown unit 'mmHgg' (expected a pressure unit such as "
     "mmHg, Pa, psi)"),
    ('[timing]\ncolumn = "GMT"\n',
     "map.toml: unknown key 'timing' (expected time, columns, metadata)"),
    ('[time]\nunit = "fortnight"\n',
     "map.toml: [time]: unknown time unit 'fortnight' (expected s, min, h or day)"),
    ('[columns.P_SM]\nquantity = "pressure"\nunit = "mmHg"\nresolution = "a lot"\n',
     "map.toml: [columns.P_SM]: resolution 'a lot' is not a positive a pressure unit"),
    ("[time\n", "map.toml: not valid TOML"),
])
def test_mapping_errors(tmp_path: Path, text: str, message: str) -> None:
    m = tmp_path / "map.toml"
    m.write_text(text)
    with pytest.raises(TelemetryError) as err:
        load_mapping(m)
    assert str(err.value).startswith(str(tmp_path / message))


def test_mapping_column_missing_from_table(tmp_path: Path) -> None:
    m = tmp_path / "map.toml"
    m.write_text('[columns.P_FGB]\nquantity = "pressure"\nunit = "mmHg"\n')
    f = write_csv(tmp_path / "t.csv", ["time", "P_SM"], [[0, 750], [1, 749]])
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f, mapping=m)
    assert str(err.value) == (f"{m}: [columns.P_FGB]: no column 'P_FGB' in {f} "
                              "(columns: time, P_SM)")


# --- gauges and resolution ----------------------------------------------------------------

def test_gauge_table_detected_with_1_mmHg_resolution(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "gauge.csv", ["date", "pressure_mmHg"],
                  [["2018-08-20", 755], ["2018-08-22 09:00", 754], ["2018-08-25", 752],
                   ["2018-08-29T06:30", 749], ["2018-09-02", 747]])
    tel = read_telemetry(f)
    assert tel.is_gauge
    p = tel.channel("pressure_mmHg")
    assert p.source == ""
    assert p.resolution == pytest.approx(MMHG, abs=0)
    assert tel.issues == ()  # days apart, but no gaps reported for a gauge table
    assert not read_telemetry(f, gauge=False).is_gauge


def test_regular_table_is_not_a_gauge_and_resolution_is_inferred(tmp_path: Path) -> None:
    p = np.round(record(200, noise_mmHg=0.08) / 0.1) * 0.1
    tel = read_telemetry(write_record(tmp_path / "t.csv", {
        "zvezda_pressure_mmHg": p, "lab_ppO2_mmHg": p / 5 + 0.0123,
        "lab_ppCO2_mmHg": record(200, noise_mmHg=0.3, seed=9) / 100}))
    assert not tel.is_gauge
    assert tel.channel("zvezda_pressure_mmHg").resolution == pytest.approx(
        0.1 * MMHG, rel=1e-6, abs=0)
    assert tel.channel("lab_ppO2_mmHg").resolution == pytest.approx(0.02 * MMHG, rel=1e-6, abs=0)
    assert tel.channel("lab_ppCO2_mmHg").resolution == 0.0  # not quantised
    assert tel.issues == ()


def test_channel_sampled_every_tenth_row_is_not_a_dropout(tmp_path: Path) -> None:
    temp = np.full(200, np.nan)
    temp[::10] = 22.0
    temp[50] = np.nan  # one real dropout
    tel = read_telemetry(write_record(tmp_path / "t.csv", {"zvezda_pressure_mmHg": record(200),
                                                           "lab_T_C": temp}))
    [issue] = tel.issues
    assert issue.kind == "dropout"
    assert str(issue) == ("lab_T_C: 1 unusable reading (1 empty/NaN), first at line 52; "
                          "set to missing")


# --- cleaning -----------------------------------------------------------------------------

def test_unsorted_rows_are_sorted(tmp_path: Path) -> None:
    rows = [[t, 750 - t / 100] for t in range(60)]
    rows[40], rows[41] = rows[41], rows[40]
    f = write_csv(tmp_path / "t.csv", ["time_s", "a_p_mmHg"], rows, comments=("# x = 1",))
    tel = read_telemetry(f)
    assert np.all(np.diff(tel.time_s) > 0)
    [issue] = tel.issues
    assert issue.kind == "unsorted" and issue.row == 44  # 1 comment, header, 41 rows before
    assert str(issue) == "rows not in time order (first at line 44, t=40 s after t=41 s); sorted"


def test_duplicate_times_dropped_or_averaged(tmp_path: Path) -> None:
    rows = [[t, 750.0] for t in range(30)]
    rows.insert(5, [4, 750.0])  # identical row
    rows.insert(11, [9, 752.0])  # same time, another value
    f = write_csv(tmp_path / "t.csv", ["time_s", "a_p_mmHg"], rows)
    tel = read_telemetry(f, gauge=False)
    np.testing.assert_array_equal(tel.time_s, np.arange(30.0))
    assert tel.channel("a_p_mmHg").values[9] == pytest.approx(751.0 * MMHG, abs=0)
    first, second = tel.issues
    assert str(first) == "2 rows share the time t=4 s (lines 6-7); identical, kept one"
    assert str(second) == "2 rows share the time t=9 s (lines 12-13); values averaged"
    assert (first.kind, first.row, first.time_s) == ("duplicate", 6, 4.0)


def test_many_duplicate_times_are_summarised(tmp_path: Path) -> None:
    rows = [[t // 2, 750.0] for t in range(100)]  # every time twice
    tel = read_telemetry(write_csv(tmp_path / "t.csv", ["time_s", "a_p_mmHg"], rows))
    dup = [i for i in tel.issues if i.kind == "duplicate"]
    assert len(dup) == 11
    assert str(dup[-1]) == ("... and 40 more times shared by several rows (80 rows in all); "
                            "values averaged")


def test_gap_reported_and_kept(tmp_path: Path) -> None:
    t = np.concatenate([np.arange(100.0), 3700 + np.arange(100.0)])
    rows = [[v, 750.0] for v in t]
    tel = read_telemetry(write_csv(tmp_path / "t.csv", ["time_s", "a_p_mmHg"], rows))
    np.testing.assert_array_equal(tel.time_s, t)
    [gap] = tel.issues
    assert gap.kind == "gap" and gap.time_s == 99.0 and gap.row == 101
    assert str(gap) == ("gap of 60 min without rows after t=99 s (line 101; median spacing "
                        "1 s); data kept")


def test_dropouts_counted_per_channel(tmp_path: Path) -> None:
    p = [f"{v:.2f}" for v in record(100)]
    temp = ["22.0"] * 100
    p[10], p[20], p[30], p[40], p[50], p[60] = "", "NA", "-", "-999", "nan", "9999"
    p[70] = "-5"  # impossible: negative
    temp[80] = "-300"  # -26.85 K
    f = write_csv(tmp_path / "t.csv", ["time_s", "zvezda_pressure_mmHg", "lab_T_C"],
                  [[i, a, b] for i, (a, b) in enumerate(zip(p, temp, strict=True))],
                  comments=("# volume = 89 m3",))
    tel = read_telemetry(f)
    values = tel.channel("zvezda_pressure_mmHg").values
    assert np.flatnonzero(np.isnan(values)).tolist() == [10, 20, 30, 40, 50, 60, 70]
    pressure, temperature = tel.issues
    assert str(pressure) == ("zvezda_pressure_mmHg: 7 unusable readings (4 empty/NaN; "
                             "2 sentinel -999/-9999/-99999/9999/99999; 1 impossible, "
                             "< 0 or > 10 atm), first at line 13; set to missing")
    assert (pressure.kind, pressure.channel, pressure.row) == ("dropout",
                                                               "zvezda_pressure_mmHg", 13)
    assert "1 impossible, < 150 K or > 400 K), first at line 83" in str(temperature)


def test_spike_removed(tmp_path: Path) -> None:
    p = record(300)
    p[120] += 5.0
    temp = 22 + np.random.default_rng(5).normal(0, 0.01, 300)
    temp[200] -= 1.0
    tel = read_telemetry(write_record(tmp_path / "t.csv", {"zvezda_pressure_mmHg": p,
                                                           "lab_T_C": temp}))
    assert kinds(tel) == ["spike", "spike"]
    assert np.flatnonzero(~tel.channel("zvezda_pressure_mmHg").valid).tolist() == [120]
    assert np.flatnonzero(~tel.channel("lab_T_C").valid).tolist() == [200]
    spike = tel.issues[0]
    assert spike.row == 122 and spike.time_s == 120.0
    assert str(spike).startswith("zvezda_pressure_mmHg: 1 single-sample spike (largest +5")
    assert str(spike).endswith("first at line 122 (t=2 min); set to missing")


def test_sensor_step_shifted_back(tmp_path: Path) -> None:
    clean = record(400)
    p = clean.copy()
    p[250:] += 3.2
    tel = read_telemetry(write_record(tmp_path / "t.csv", {"zvezda_pressure_mmHg": p}))
    [step] = tel.issues
    assert (step.kind, step.row, step.time_s) == ("step", 252, 250.0)
    assert re.fullmatch(r"sensor step of \+3\.(19|2)\d* mmHg in zvezda_pressure_mmHg at "
                        r"t=4\.2 min \(line 252\); later readings shifted back", str(step))
    fixed = tel.channel("zvezda_pressure_mmHg").values / MMHG
    np.testing.assert_allclose(fixed, clean, atol=0.03)  # the shift is known to ~noise/√15


def test_rapid_depressurisation_is_not_a_step(tmp_path: Path) -> None:
    p = record(400)
    p[200:] -= 1.5 * np.arange(1, 201)  # a hole opens: 1.5 mmHg/s and it goes on
    tel = read_telemetry(write_record(tmp_path / "t.csv", {"zvezda_pressure_mmHg": p}))
    assert tel.issues == ()
    np.testing.assert_allclose(tel.channel("zvezda_pressure_mmHg").values / MMHG, p,
                               atol=1e-6)


def test_very_large_level_shift_is_kept_and_reported(tmp_path: Path) -> None:
    p = record(400)
    p[200:] -= 200.0  # a volume opened to near vacuum within one sample
    tel = read_telemetry(write_record(tmp_path / "t.csv", {"zvezda_pressure_mmHg": p}))
    [issue] = tel.issues
    assert issue.kind == "step" and issue.row == 202
    assert str(issue).startswith("level shift of -200")
    assert str(issue).endswith("is too large for a sensor fault (> 10 % of the reading); "
                               "kept as real")
    np.testing.assert_allclose(tel.channel("zvezda_pressure_mmHg").values / MMHG, p,
                               atol=1e-6)


def test_equalisation_through_a_hatch_is_not_a_step(tmp_path: Path) -> None:
    # a hatch opens at row 200: both sides jump toward each other in one sample
    a, b = record(400, seed=2) - 10.0, record(400, seed=3)
    a[200:] += 6.0
    b[200:] -= 4.0
    tel = read_telemetry(write_record(tmp_path / "t.csv", {"zvezda_pressure_mmHg": a,
                                                           "zarya_pressure_mmHg": b}))
    assert tel.issues == ()
    # one side barely moves (a small module opened to a big one): it joins the other's level
    a, b = record(400, seed=2) - 10.0, record(400, seed=3)
    a[200:] += 10.0
    tel = read_telemetry(write_record(tmp_path / "u.csv", {"soyuz_pressure_mmHg": a,
                                                           "station_pressure_mmHg": b}))
    assert tel.issues == ()
    # a hatch column says so
    hatch = np.where(np.arange(400) < 200, 0.0, 1.0)
    a = record(400)
    a[200:] += 5.0
    tel = read_telemetry(write_record(tmp_path / "v.csv", {"zvezda_pressure_mmHg": a,
                                                           "pirs_hatch": hatch}))
    assert tel.issues == ()


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(60, 600),
       noise=st.sampled_from([0.0, 0.01, 0.05, 0.3]), resolution=st.sampled_from([0.0, 0.1, 1.0]),
       rate=st.sampled_from([0.0, -1e-3, -0.05]))
def test_clean_records_come_back_untouched(tmp_path_factory: pytest.TempPathFactory, seed: int,
                                           n: int, noise: float, resolution: float,
                                           rate: float) -> None:
    """No false alarms: a record with white noise, quantisation and a slope has no issues."""
    rng = np.random.default_rng(seed)
    p = 750.0 + rate * np.arange(n) + rng.normal(0.0, noise, n) if noise else \
        750.0 + rate * np.arange(n)
    if resolution:
        p = np.round(p / resolution) * resolution
    temp = 295.0 + 0.2 * np.sin(np.arange(n) / 50) + rng.normal(0.0, noise / 10, n)
    f = tmp_path_factory.mktemp("clean") / "t.parquet"
    write_table({"time_s": np.arange(n) * 10.0, "zvezda_pressure_mmHg": p, "lab_T_K": temp}, f)
    tel = read_telemetry(f)
    assert tel.issues == ()
    np.testing.assert_array_equal(tel.channel("zvezda_pressure_mmHg").values, p * MMHG)
    np.testing.assert_array_equal(tel.channel("lab_T_K").values, temp)


# --- formats ------------------------------------------------------------------------------

def test_csv_and_parquet_read_the_same(tmp_path: Path) -> None:
    n = 120
    t = (np.datetime64("2018-08-29T23:00:00") + np.arange(n).astype("timedelta64[s]"))
    p = np.round(record(n) / 0.1) * 0.1
    p[30] = np.nan
    temp = np.round((22 + np.random.default_rng(4).normal(0, 0.02, n)) / 0.01) * 0.01
    temp[80] += 1.0  # a spike
    iso = [str(x) + "Z" for x in t]
    iso[50], iso[51] = iso[51], iso[50]
    table = pa.table({"time": iso, "zvezda_pressure_mmHg": p, "lab_T_C": temp,
                      "notes": ["x"] * n},
                     metadata={"volume": "4.5 m3", "station": "iss"})
    pq.write_table(table, tmp_path / "t.parquet")
    write_csv(tmp_path / "t.csv", table.column_names,
              [[a, "" if np.isnan(b) else repr(float(b)), repr(float(c)), d]
               for a, b, c, d in zip(iso, p, temp, ["x"] * n, strict=True)],
              comments=("# volume = 4.5 m3", "# station = iss"))
    c, q = read_telemetry(tmp_path / "t.csv"), read_telemetry(tmp_path / "t.parquet")
    np.testing.assert_array_equal(c.time_s, q.time_s)
    assert c.start_time == q.start_time == datetime(2018, 8, 29, 23, tzinfo=UTC)
    assert dict(c.metadata) == dict(q.metadata)
    assert c.is_gauge == q.is_gauge
    for a, b in zip(c.channels, q.channels, strict=True):
        assert (a.name, a.source, a.quantity, a.unit) == (b.name, b.source, b.quantity, b.unit)
        np.testing.assert_array_equal(a.values, b.values)
        assert a.resolution == pytest.approx(b.resolution, rel=1e-9, abs=0)
    assert [(i.kind, i.channel, i.time_s) for i in c.issues] == \
        [(i.kind, i.channel, i.time_s) for i in q.issues] == \
        [("unsorted", None, 50.0), ("dropout", "zvezda_pressure_mmHg", None),
         ("spike", "lab_T_C", 80.0)]
    # CSV lines count the two comments; Parquet rows count from the first data row
    assert "line 55" in str(c.issues[0]) and "row 52" in str(q.issues[0])


def test_parquet_timestamps_and_schema_metadata(tmp_path: Path) -> None:
    t = np.datetime64("2018-08-29T23:00:00") + np.array([0, 60, 120]).astype("timedelta64[s]")
    for tz in (None, "UTC"):
        table = pa.table({"datetime": pa.array(t, pa.timestamp("s", tz=tz)),
                          "zvezda_pressure_mmHg": pa.array([750, 749, 748], pa.int64())},
                         metadata={"volume": "89 m3"})
        pq.write_table(table, tmp_path / "t.parquet")
        tel = read_telemetry(tmp_path / "t.parquet")
        assert tel.start_time == datetime(2018, 8, 29, 23, tzinfo=UTC)
        np.testing.assert_array_equal(tel.time_s, [0.0, 60.0, 120.0])
        assert dict(tel.metadata) == {"volume": "89 m3"}
        assert tel.channel("zvezda_pressure_mmHg").values[2] == pytest.approx(748 * MMHG, abs=0)


@pytest.fixture(scope="module")
def chamber_run():  # type: ignore[no-untyped-def]
    return simulate(load_station("test-chamber"), 600.0, n_out=601)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_table_round_trip(tmp_path: Path, suffix: str,
                                chamber_run) -> None:  # type: ignore[no-untyped-def]
    sensors = [Sensor(id="p-1", module="chamber", resolution=0.1 * MMHG, noise_sd=0.05 * MMHG,
                      rate_Hz=1.0),
               Sensor(id="t-1", module="chamber", quantity="temperature", resolution=0.1,
                      noise_sd=0.05, rate_Hz=0.1)]
    for cols in (state_columns(chamber_run), sensor_columns(chamber_run, sensors, rng=3)):
        f = write_table(cols, tmp_path / f"t{suffix}")
        tel = read_telemetry(f)
        assert tel.issues == ()
        assert tel.start_time is None
        np.testing.assert_array_equal(tel.time_s, cols["time_s"])
        read = {c.name for c in tel.channels}
        assert read == set(cols) - {"time_s", "vented_kg_per_s"}
        for c in tel.channels:
            if suffix == ".parquet":  # binary: bit for bit
                np.testing.assert_array_equal(c.values, cols[c.name])
            else:  # write_table prints 10 significant digits
                np.testing.assert_allclose(c.values, cols[c.name], rtol=5e-10)


# --- errors -------------------------------------------------------------------------------

def test_error_unknown_format_missing_and_empty(tmp_path: Path) -> None:
    with pytest.raises(TelemetryError) as err:
        read_telemetry(tmp_path / "t.xlsx")
    assert str(err.value) == f"{tmp_path / 't.xlsx'}: unknown table format '.xlsx' " \
                             "(expected .csv or .parquet)"
    with pytest.raises(TelemetryError) as err:
        read_telemetry(tmp_path / "none.csv")
    assert str(err.value) == f"{tmp_path / 'none.csv'}: file not found"
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(TelemetryError, match=r"e\.csv: empty file \(expected a header row"):
        read_telemetry(tmp_path / "e.csv")
    (tmp_path / "c.csv").write_text("# volume = 3 m3\n\n")
    with pytest.raises(TelemetryError, match=r"c\.csv: empty file \(only comments"):
        read_telemetry(tmp_path / "c.csv")


def test_error_no_time_column(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["when", "zvezda_pressure_mmHg"], [[0, 750], [1, 749]])
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f)
    assert str(err.value) == (
        f"{f}: no time column (columns: when, zvezda_pressure_mmHg; expected one named time, "
        "timestamp, datetime, utc, gmt, date or time_<unit> such as time_s, time_min, "
        "time_h, time_day, or pass time_column=)")
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f, time_column="GMT")
    assert str(err.value) == (f"{f}: time column 'GMT' not found "
                              "(columns: when, zvezda_pressure_mmHg)")


def test_error_unparseable_time(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["time", "zvezda_pressure_mmHg"],
                  [["2018-08-29T23:00:00Z", 750], ["2018-08-29T23:00:10Z", 750],
                   ["2018-08-29T25:00:20Z", 749], ["2018-08-29T23:00:30Z", 749]],
                  comments=("# vehicle = soyuz",))
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f)
    assert str(err.value) == (f"{f}: line 5, column 'time': cannot read time "
                              "'2018-08-29T25:00:20Z' (expected ISO 8601 such as "
                              "2018-08-29T23:00:00Z, or a number of seconds)")
    f = write_csv(tmp_path / "n.csv", ["time_h", "zvezda_pressure_mmHg"],
                  [[0, 750], [1, 750], ["1:30", 749]])
    with pytest.raises(TelemetryError, match=r"line 4, column 'time_h': cannot read time "
                                             r"'1:30' \(.*or a number of units of 3600 s\)"):
        read_telemetry(f)
    f = write_csv(tmp_path / "m.csv", ["time", "zvezda_pressure_mmHg"],
                  [[0, 750], [None, 750], [2, 749]])
    with pytest.raises(TelemetryError, match=r"m\.csv: line 3, column 'time': no time"):
        read_telemetry(f)


def test_error_no_pressure_column(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["time", "lab_T_C", "notes"], [[0, 22, ""], [1, 22, ""]])
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f)
    assert str(err.value) == (f"{f}: no pressure column (channels: lab_T_C; expected a header "
                              "such as zvezda_pressure_mmHg, or a mapping file entry with "
                              "quantity = \"pressure\")")


def test_error_too_few_usable_rows(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["time", "zvezda_pressure_mmHg"], [[0, 750]])
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f)
    assert str(err.value) == (f"{f}: fewer than 2 usable rows (1 data rows; need at least 2 "
                              "with a time and a pressure)")
    f = write_csv(tmp_path / "u.csv", ["time", "zvezda_pressure_mmHg"],
                  [[0, 750], [1, "NA"], [2, -9999]])
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f)
    assert str(err.value) == (f"{f}: fewer than 2 usable rows (1 with a time and a pressure "
                              "reading; need at least 2)")


@pytest.mark.parametrize("cell", ["12,5", "abc", "open"])
def test_error_non_numeric_cell(tmp_path: Path, cell: str) -> None:
    rows: list[list[object]] = [[t, 750.0] for t in range(10)]
    rows[6][1] = f'"{cell}"'
    f = write_csv(tmp_path / "t.csv", ["time_s", "zvezda_pressure_mmHg"], rows,
                  comments=("# station = iss",))
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f)
    assert str(err.value) == (f"{f}: line 9, column 'zvezda_pressure_mmHg': cannot read "
                              f"{cell!r} as a number (expected a number, or empty, NA, NaN "
                              "or - for a missing value)")


def test_error_row_with_wrong_number_of_fields(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["time_s", "zvezda_pressure_mmHg"],
                  [[0, 750], [1, 750], [2, 749, 3], [3, 748]], comments=("# a = b",))
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f)
    assert str(err.value) == f"{f}: line 5: 3 fields '2,749,3' (expected 2, as in the header)"


def test_error_unknown_unit_in_table(tmp_path: Path) -> None:
    f = write_csv(tmp_path / "t.csv", ["time_s", "x_pressure_foo"], [[0, 1], [1, 2]])
    with pytest.raises(TelemetryError) as err:
        read_telemetry(f)
    assert str(err.value) == (f"{f}: column 'x_pressure_foo': unknown unit 'foo' "
                              "(expected a pressure unit such as mmHg, Pa, psi)")
