"""Bad station files: one clear line naming the file, the item and the bound; exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from stations_text import MINIMAL_CHAMBER

from cabinleak.cli import main
from cabinleak.errors import StationError
from cabinleak.station import load_station, parse_station

MINIMAL = MINIMAL_CHAMBER


def test_minimal_file_from_the_issue_loads() -> None:
    st = parse_station(MINIMAL)
    assert st.module_ids == ("chamber",)
    assert st.leaks[0].diameter_m == pytest.approx(0.010, abs=0)
    assert st.leaks[0].discharge_coefficient == 1.0


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (MINIMAL.replace('module = "chamber"', 'module = "airlock"'),
         r"leak 'leak1': module 'airlock' is not a module of station 'test-chamber' "
         r"\(modules: chamber\)"),
        (MINIMAL + '[[hatch]]\nid = "h1"\nbetween = ["chamber", "lab"]\narea_m2 = 0.5\n',
         r"hatch 'h1': module 'lab' is not a module"),
        (MINIMAL.replace("volume_m3 = 100", "volume_m3 = -3"),
         r"module 'chamber': volume_m3 must be > 0, got -3"),
        (MINIMAL.replace("volume_m3 = 100", "volume_m3 = 0"),
         r"module 'chamber': volume_m3 must be > 0, got 0"),
        (MINIMAL.replace("volume_m3 = 100\n", ""), r"module 'chamber': missing field 'volume_m3'"),
        (MINIMAL.replace("volume_m3 = 100", 'volume = "100 furlong3"'),
         r"volume: cannot read '100 furlong3': unknown unit"),
        (MINIMAL.replace("volume_m3 = 100", "volume_m3 = 100\nvolume_m4 = 1"),
         r"unknown field\(s\) 'volume_m4'"),
        (MINIMAL.replace("discharge_coefficient = 1.0", "discharge_coefficient = 1.5"),
         r"discharge_coefficient must be in \(0, 1\], got 1.5"),
        (MINIMAL.replace("[[leak]]", "[[leak]"), r"TOML syntax"),
    ],
)
def test_bad_station_text(text: str, pattern: str) -> None:
    with pytest.raises(StationError, match=pattern):
        parse_station(text, source="bad.toml")


def test_error_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "st.toml"
    f.write_text(MINIMAL.replace("volume_m3 = 100", "volume_m3 = -3"))
    with pytest.raises(StationError, match=r"st\.toml: module 'chamber'"):
        load_station(f)


def test_unknown_station_lists_bundled() -> None:
    with pytest.raises(StationError, match=r"bundled: .*iss"):
        load_station("mir")


@pytest.mark.parametrize(
    ("edit", "args", "pattern"),
    [
        (("volume_m3 = 100", "volume_m3 = -3"), ["--duration", "1h"], "volume_m3 must be > 0"),
        (("[[leak]]", "[[leak]"), ["--duration", "1h"], "TOML syntax"),
        (("", ""), ["--duration", "0s"], "must be > 0"),
        (("", ""), ["--duration=-2h"], "must be > 0"),
        (("", ""), ["--duration", "2 fortnights"], "unknown unit"),
        (("", ""), ["--duration", "1h", "--leak", "nowhere:2mm"], "module 'nowhere'"),
        (("", ""), ["--duration", "1h", "--leak", "chamber:2mm:1.7"], r"\(0, 1\]"),
        (("", ""), ["--duration", "1h", "--close", "h9@1h"], "hatch 'h9'"),
        (("", ""), ["--duration", "1h", "--floor", "490 mmHgx"], "unknown unit"),
        (("", ""), ["--duration", "1h", "--out", "x.xlsx"], "expected .csv or .parquet"),
    ],
)
def test_cli_bad_input_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       edit: tuple[str, str], args: list[str],
                                       pattern: str) -> None:
    f = tmp_path / "st.toml"
    f.write_text(MINIMAL.replace(*edit) if edit[0] else MINIMAL)
    if "--out" in args:
        args = [*args[:-1], str(tmp_path / args[-1])]
    rc = main(["simulate", str(f), *args])
    err = capsys.readouterr().err
    assert rc == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    import re

    assert re.search(pattern, err), err
