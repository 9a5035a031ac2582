"""The public ISS feed as an input, depress-pump and vent states, and the real records' bad cases.

Real records are the project's copies in ``tests/data/real/`` (provenance in its README).
Reference times are worked out by hand from the feed's definition (hours since 00:00 UTC on
31 December of the year before): 10 October 2017 is day 283 of 2017, so 07:02:33 UTC that day
is 283 × 24 + 7 + 2/60 + 33/3600 = 6799.0425 h. 1 mmHg = 133.322387415 Pa (NIST SP 811).
"""

from __future__ import annotations

import csv
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cabinleak.cli import main
from cabinleak.station import load_station
from cabinleak.telemetry import (
    TelemetryError,
    load_mapping,
    parse_header,
    read_binned,
    read_telemetry,
)
from cabinleak.telemetry.feed import FEED_MAPPING, feed_time, is_feed

MMHG = 133.322387415  # Pa
REAL = Path(__file__).parent / "data" / "real"
WIDE = REAL / "iss-crewlock-eva-2017-10-10.csv"
FEED = REAL / "iss-crewlock-eva-2017-10-10-feed.csv"


def _wide_rows() -> list[dict[str, str]]:
    lines = [ln for ln in WIDE.read_text().splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _write(tmp_path: Path, text: str, name: str = "feed.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


# ------------------------------------------------------------------ feed times


def test_feed_time_against_hand_worked_values() -> None:
    assert feed_time(6799.0425, 2017) == datetime(2017, 10, 10, 7, 2, 33, tzinfo=UTC)
    assert feed_time(24.0, 2017) == datetime(2017, 1, 1, tzinfo=UTC)
    # 2016 is a leap year: 31 December 2016 is day 366, its 12:00 is 366 × 24 + 12 h
    assert feed_time(366 * 24 + 12.0, 2016) == datetime(2016, 12, 31, 12, tzinfo=UTC)


def test_header_detection() -> None:
    assert is_feed(["item", "timestamp", "value"])
    assert is_feed(["Timestamp", "Item", "Value", "time"])
    assert not is_feed(["time", "crewlock_pressure_mmHg"])


# ------------------------------------------------------------------ the real sample


def test_feed_sample_holds_the_wide_record() -> None:
    """The feed form of the crewlock record gives back the wide record's values at its times."""
    tel = read_telemetry(FEED)
    assert tel.metadata["year"] == "2017"
    p = tel.channel("AIRLOCK000049")
    assert (p.source, p.quantity, p.unit, p.on_change) == ("quest", "pressure", "mmHg", True)
    assert p.resolution == pytest.approx(0.6345 * MMHG, rel=1e-12, abs=0)
    assert tel.start_time is not None
    rows = _wide_rows()
    assert abs((tel.start_time - _at(rows[0]["time"])).total_seconds()) < 0.005
    t_s = np.array([(_at(r["time"]) - tel.start_time).total_seconds() for r in rows])
    k = np.searchsorted(tel.time_s, t_s + 0.005, side="right") - 1  # the row at that time
    want = np.array([float(r["crewlock_pressure_mmHg"]) for r in rows]) * MMHG
    assert np.max(np.abs(p.values[k] - want)) < 1e-6  # Pa
    assert not [i for i in tel.issues if i.kind in ("spike", "step")]
    assert all("no change reported" in i.detail or "more spans" in i.detail
               for i in tel.issues if i.kind == "gap")


def test_feed_sample_pump_spans() -> None:
    """The pump status is held: on from 07:02:33 to 11:58:39 UTC, as the record's reports say."""
    tel = read_telemetry(FEED)
    status, switch = tel.channel("AIRLOCK000047"), tel.channel("AIRLOCK000048")
    assert (status.quantity, status.source, switch.quantity) == ("depress", "quest", "depress")
    assert tel.start_time is not None
    t0 = tel.start_time

    def value(channel_values: np.ndarray, when: str) -> float:
        i = np.searchsorted(tel.time_s, (_at(when) - t0).total_seconds() + 0.005) - 1
        return float(channel_values[i])

    assert value(status.values, "2017-10-10T07:02:32Z") == 0.0
    assert value(status.values, "2017-10-10T07:02:34Z") == 1.0
    assert value(status.values, "2017-10-10T11:58:38Z") == 1.0
    assert value(status.values, "2017-10-10T11:58:40Z") == 0.0
    # the switch: on 07:36:36-08:00:07 and 11:22:44-11:40:36
    assert value(switch.values, "2017-10-10T07:50:00Z") == 1.0
    assert value(switch.values, "2017-10-10T09:00:00Z") == 0.0
    assert value(switch.values, "2017-10-10T11:30:00Z") == 1.0
    assert value(switch.values, "2017-10-10T11:45:00Z") == 0.0


def test_analyze_reads_the_feed_with_no_editing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(FEED), "--station", "iss", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out  # the estimate itself is the estimator's business


def test_year_from_option_and_iso_column(tmp_path: Path) -> None:
    body = "item,timestamp,value\nUSLAB000058,6799.0425,744.94\nUSLAB000058,6799.5,744.84\n"
    f = _write(tmp_path, body)
    tel = read_telemetry(f, year=2017)
    assert tel.start_time == datetime(2017, 10, 10, 7, 2, 33, tzinfo=UTC)
    assert tel.metadata["year_from"] == "given"
    # around new year: 31 Dec 2017 23:30 is hour 365 × 24 + 23.5 of 2017
    f = _write(tmp_path, "time,item,timestamp,value\n"
               "2017-12-31T23:30:00Z,USLAB000058,8783.5,744.94\n"
               "2018-01-01T00:30:00Z,USLAB000058,8784.5,744.84\n", "end.csv")
    tel = read_telemetry(f)
    assert tel.start_time == datetime(2017, 12, 31, 23, 30, tzinfo=UTC)
    assert tel.metadata["year_from"] == "ISO time column"
    f = _write(tmp_path, "time,item,timestamp,value\n"
               "2018-01-01T00:30:00Z,USLAB000058,24.5,744.94\n"
               "2018-01-01T01:30:00Z,USLAB000058,25.5,744.84\n", "new.csv")
    assert read_telemetry(f).start_time == datetime(2018, 1, 1, 0, 30, tzinfo=UTC)
    # the feed's own year item, when the recorder kept it
    f = _write(tmp_path, body + "TIME_000002,6799.5,2017\n", "year-item.csv")
    tel = read_telemetry(f)
    assert tel.metadata["year_from"] == "TIME_000002"
    assert tel.start_time == datetime(2017, 10, 10, 7, 2, 33, tzinfo=UTC)


def test_held_values_unknowns_and_repeats(tmp_path: Path) -> None:
    f = _write(tmp_path, "# year = 2017\nitem,timestamp,value\n"
               "USLAB000058,100.0,744.94\n"
               "AIRLOCK000047,100.5,1\n"
               "AIRLOCK000047,101.0,-\n"
               "USLAB000058,101.5,744.84\n"
               "USLAB000058,101.5,744.74\n"   # a second report at one time: the later wins
               "AIRLOCK000047,102.0,0\n"
               "USLAB000054,102.0,560.1\n")   # ppN2: in the mapping, left out
    tel = read_telemetry(f)
    np.testing.assert_array_equal(tel.time_s, np.array([0.0, 0.5, 1.0, 1.5, 2.0]) * 3600)
    p = tel.channel("USLAB000058").values / MMHG
    np.testing.assert_allclose(p, [744.94, 744.94, 744.94, 744.74, 744.74], rtol=0, atol=1e-9)
    pump = tel.channel("AIRLOCK000047").values
    np.testing.assert_array_equal(pump, [np.nan, 1.0, np.nan, np.nan, 0.0])
    assert tel.metadata["ignored_columns"] == "USLAB000054"


def test_vent_codes_and_pump_failed_code(tmp_path: Path) -> None:
    f = _write(tmp_path, "# year = 2017\nitem,timestamp,value\n"
               "USLAB000058,100.0,744.94\nUSLAB000062,100.1,2\nUSLAB000062,100.2,1\n"
               "USLAB000062,100.3,3\nAIRLOCK000047,100.4,3\nUSLAB000058,100.5,744.84\n")
    tel = read_telemetry(f)
    vent = tel.channel("USLAB000062")
    assert (vent.quantity, vent.source) == ("vent", "destiny")
    np.testing.assert_array_equal(vent.values, [np.nan, 0.0, 1.0, np.nan, np.nan, np.nan])
    # AIRLOCK000047 code 3 (not off, failed) is neither on nor off: reported, unknown
    assert np.isnan(tel.channel("AIRLOCK000047").values).all()
    assert any(i.channel == "AIRLOCK000047" and "not 1/0" in i.detail for i in tel.issues)


def test_a_mapping_file_adds_items(tmp_path: Path) -> None:
    f = _write(tmp_path, "# year = 2017\nitem,timestamp,value\n"
               "USLAB000058,100.0,744.94\nP1000001,100.0,14.5\nUSLAB000058,101.0,744.84\n")
    with pytest.raises(TelemetryError, match="unknown feed item P1000001"):
        read_telemetry(f)
    m = tmp_path / "extra.toml"
    m.write_text('[columns.P1000001]\nsource = "unity"\nquantity = "pressure"\nunit = "psi"\n')
    tel = read_telemetry(f, mapping=m)
    assert tel.channel("P1000001").on_change
    m.write_text("[columns.P1000001]\nignore = true\n")
    assert [c.name for c in read_telemetry(f, mapping=m).channels] == ["USLAB000058"]


def test_the_bundled_mapping_covers_the_item_list() -> None:
    """Every item of the project's public-feed list is mapped, to a module of station iss."""
    lines = [ln for ln in (REAL / "iss-public-telemetry-puis.csv").read_text().splitlines()
             if not ln.startswith("#")]
    listed = {row["pui"] for row in csv.DictReader(lines)}
    with open(FEED_MAPPING, "rb") as fh:
        mapped = tomllib.load(fh)["columns"]
    assert listed <= set(mapped)
    modules = set(load_station("iss").module_ids)
    for item, entry in mapped.items():
        assert entry.get("reference"), item
        if not entry.get("ignore"):
            assert entry["source"] in modules, item
            assert entry["on_change"] is True, item


# ------------------------------------------------------------------ wide tables


def test_depress_headers(tmp_path: Path) -> None:
    spec = parse_header("crewlock_depress_pump_status")
    assert spec is not None and (spec.source, spec.quantity, spec.unit) == ("crewlock",
                                                                            "depress", "")
    spec = parse_header("depress_pump_switch")
    assert spec is not None and (spec.source, spec.quantity) == ("", "depress")
    spec = parse_header("quest_vent_valve")
    assert spec is not None and (spec.source, spec.quantity) == ("quest", "vent")
    m = tmp_path / "map.toml"
    m.write_text('[columns.x]\nquantity = "depress"\nunit = "mmHg"\n')
    with pytest.raises(TelemetryError, match="depress columns take no unit, got 'mmHg' "
                       r"\(expected values 1 on, 0 off\)"):
        load_mapping(m)


def test_the_wide_crewlock_record_reads_its_pump_columns() -> None:
    tel = read_telemetry(WIDE)
    status, switch = tel.channel("depress_pump_status"), tel.channel("depress_pump_switch")
    assert status.quantity == switch.quantity == "depress"
    # reported (not '-') at 3 and 5 distinct times in the file: 0 at the start, then changes
    assert np.count_nonzero(np.isfinite(status.values)) == 3
    assert np.count_nonzero(np.isfinite(switch.values)) == 5
    assert set(status.values[np.isfinite(status.values)]) == {0.0, 1.0}
    assert "ignored_columns" not in tel.metadata


# ------------------------------------------------------------------ bad input, through the CLI


def test_unknown_items_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, "# year = 2017\nitem,timestamp,value\nUSLAB000058,100.0,744.94\n"
               "S0000004,100.0,1\nZ1000013,100.1,2\nUSLAB000058,101.0,744.84\n")
    err = _error(["analyze", f, "--station", "iss"], capsys)
    assert "unknown feed items S0000004, Z1000013" in err
    assert str(FEED_MAPPING) in err and "--mapping" in err


def test_no_year(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "".join(ln for ln in FEED.read_text().splitlines(keepends=True)
                   if not ln.startswith("# year"))
    f = _write(tmp_path, text)
    err = _error(["analyze", f, "--station", "iss"], capsys)
    assert "does not say the year" in err and "--year" in err and "6783.55 h" in err
    tel = read_telemetry(f, year=2017)
    assert tel.start_time is not None and tel.start_time.year == 2017


def test_no_pressure_item(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, "# year = 2017\nitem,timestamp,value\nUSLAB000059,100.0,22.1\n"
               "USLAB000059,101.0,22.2\n")
    err = _error(["analyze", f, "--station", "iss"], capsys)
    assert "holds no pressure item (items: USLAB000059; pressure items: AIRLOCK000049, " in err


def test_bad_timestamp_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _write(tmp_path, "# year = 2017\nitem,timestamp,value\nUSLAB000058,100.0,744.94\n"
               "USLAB000058,9999,744.84\n")
    err = _error(["analyze", f, "--volume", "100m3"], capsys)
    assert "line 4, column 'timestamp': cannot read 9999" in err


def test_only_pressure_all_gaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"2017-10-10T07:{m:02d}:00Z,,22.0\n" for m in range(30))
    f = _write(tmp_path, "time,lab_pressure_mmHg,lab_T_C\n" + rows, "empty.csv")
    err = _error(["analyze", f, "--volume", "100m3"], capsys)
    assert "no usable pressure reading" in err and "'lab_pressure_mmHg'" in err


def test_temperature_in_the_wrong_unit(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    rows = "".join(f"2017-10-10T07:{m:02d}:00Z,{744.9 - 0.01 * m:.2f},295.1\n"
                   for m in range(30))
    f = _write(tmp_path, "time,lab_pressure_mmHg,lab_T_C\n" + rows, "hot.csv")
    err = _error(["analyze", f, "--volume", "100m3"], capsys)
    assert "column 'lab_T_C'" in err and "295.1 C" in err and "568.25 K" in err
    assert "unit" in err
    with pytest.raises(TelemetryError, match=r"column 'lab_T_C': readings such as 295.1 C "
                       r"\(= 568.25 K, line 2\)"):
        read_binned(f, bin_s=60.0)  # long tables are streamed: the same check


# ------------------------------------------------------------------ real records read as they are


@pytest.mark.parametrize(("name", "column", "step_mmHg"), [
    # steps read off the records: 746.2092896 - 744.9402466 = 2 x 0.6345 (crewlock gauge,
    # whose steps range 0.6324-0.6366 mmHg over the depress); 758.75482 - 758.65381 =
    # 0.10101 (airlock PCA sensor)
    ("iss-crewlock-eva-2017-10-10.csv", "crewlock_pressure_mmHg", 0.6345),
    ("iss-airlock-2025-08-06.csv", "airlock_pressure_mmHg", 0.10101),
])
def test_resolution_of_float32_records(name: str, column: str, step_mmHg: float) -> None:
    """Values stored as 32-bit floats (7 digits) still show their reading step."""
    tel = read_telemetry(REAL / name)
    c = tel.channel(column)
    assert c.resolution == pytest.approx(step_mmHg * MMHG, abs=0.0005 * MMHG)
    # no "sensor step" shifted a real record below vacuum
    assert np.nanmin(c.values) >= 0.0
    assert not [i for i in tel.issues if i.kind == "step" and "shifted back" in i.detail]


def test_the_airlock_record_as_a_feed(tmp_path: Path) -> None:
    """The airlock record (one row per change) turned into feed rows reads back the same."""
    src = REAL / "iss-airlock-2025-08-06.csv"
    rows = list(csv.DictReader(ln for ln in src.read_text().splitlines()
                               if not ln.startswith("#")))
    epoch = datetime(2024, 12, 31, tzinfo=UTC)
    body = "".join(f"AIRLOCK000054,{(_at(r['time']) - epoch).total_seconds() / 3600:.6f},"
                   f"{r['airlock_pressure_mmHg']}\n" for r in rows)
    f = _write(tmp_path, "item,timestamp,value\n" + body)
    feed = read_telemetry(f, year=2025)
    wide = read_telemetry(src)
    assert feed.start_time is not None and wide.start_time is not None
    assert abs((feed.start_time - wide.start_time).total_seconds()) < 0.01
    np.testing.assert_allclose(feed.time_s, wide.time_s, rtol=0, atol=0.01)  # s
    np.testing.assert_allclose(feed.channel("AIRLOCK000054").values,
                               wide.channel("airlock_pressure_mmHg").values, rtol=0, atol=1e-6)
    assert feed.channel("AIRLOCK000054").resolution == pytest.approx(0.101 * MMHG, abs=1e-9)


def test_a_wide_table_marked_on_change_by_its_mapping(tmp_path: Path) -> None:
    m = tmp_path / "map.toml"
    m.write_text('[columns.airlock_pressure_mmHg]\nsource = "quest"\nquantity = "pressure"\n'
                 'unit = "mmHg"\nresolution = "0.101 mmHg"\non_change = true\n'
                 'reference = "ISS-Telemetry-Data, one row per change"\n')
    tel = read_telemetry(REAL / "iss-airlock-2025-08-06.csv", mapping=m)
    c = tel.channel("airlock_pressure_mmHg")
    assert c.on_change and c.source == "quest"
    note = load_mapping(m).notes["airlock_pressure_mmHg"]
    assert note == "ISS-Telemetry-Data, one row per change"
