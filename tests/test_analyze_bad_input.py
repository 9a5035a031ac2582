"""Records `analyze` cannot use get one line and exit code 2; usable but odd ones an answer.

Each case failed before its fix: a traceback (times of 1e300 s or 1e-300 s apart, an empty
temperature column), a normal report of an impossible cabin (psi under an _mmHg header),
or "mass_sd_kg must be > 0" (a pressure that never changes).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cabinleak.cli import main


def _table(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(("times", "expected"), [
    ([f"{k}e299" for k in range(11)], "more than a century"),
    ([f"{k}e-300" for k in range(11)], "finer than a microsecond"),
])
def test_an_impossible_clock_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         times: list[str], expected: str) -> None:
    rows = [f"{t},{760 - k}" for k, t in enumerate(times)]
    path = _table(tmp_path / "t.csv", "time_s,x_pressure_mmHg", rows)
    assert expected in _one_line(capsys, ["analyze", str(path), "--volume", "10m3"])


def test_psi_under_an_mmhg_header_is_refused(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    rows = [f"{k},{14.70 - 0.01 * k:.2f}" for k in range(22)]
    path = _table(tmp_path / "p.csv", "time_h,lab_pressure_mmHg", rows)
    err = _one_line(capsys, ["analyze", str(path), "--volume", "100m3"])
    assert "not a crewed cabin's pressure" in err and "psi" in err


def test_a_stuck_pressure_channel_is_refused(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    rows = [f"{10 * k},760.0" for k in range(100)]
    path = _table(tmp_path / "s.csv", "time_s,x_pressure_mmHg", rows)
    assert "never changes" in _one_line(capsys, ["analyze", str(path), "--volume", "10m3"])


def test_an_empty_temperature_column_is_as_none(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    rows = [f"{10 * k},{760 - 0.05 * k:.2f}," for k in range(60)]
    path = _table(tmp_path / "e.csv", "time_s,x_pressure_mmHg,x_T_C", rows)
    assert main(["analyze", str(path), "--volume", "10m3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["temperature_compensated"] is False


def test_a_pressure_already_below_the_floor_is_said(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    rows = [f"{k},{500 - 2 * k}" for k in range(22)]
    path = _table(tmp_path / "f.csv", "time_h,x_pressure_mmHg", rows)
    assert main(["analyze", str(path), "--volume", "10m3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any("already below the floor" in n for n in out["notes"])


def test_a_column_that_names_no_module_says_what_is_expected(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The EVA recording's 'depress_pump_status' has no module before the quantity."""
    path = tmp_path / "eva.csv"
    path.write_text("time,quest_pressure_mmHg,depress_pump_status\n"
                    "2017-10-09T15:32:54Z,744.9,0\n2017-10-09T15:33:54Z,744.9,0\n"
                    "2017-10-09T15:34:54Z,744.8,1\n")
    err = _one_line(capsys, ["analyze", str(path), "--station", "iss"])
    assert "'depress_pump_status' names no module" in err
    assert "zvezda_depress_pump_status" in err
