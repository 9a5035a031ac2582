"""The command line: summaries, --json, files written, and the closed form through the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from stations_text import MINIMAL_CHAMBER

from cabinleak.cli import main

CHAMBER = MINIMAL_CHAMBER


def _closed_form_isothermal(t_s: float, r: float, gamma: float) -> float:
    """p(t) of reference/physics.md, single volume, choked, isothermal."""
    psi = math.sqrt(gamma) * (2 / (gamma + 1)) ** ((gamma + 1) / (2 * (gamma - 1)))
    tau = 100.0 / (math.pi * 0.01**2 / 4 * psi * math.sqrt(r * 295.0))
    return 101325.0 * math.exp(-t_s / tau)


def test_simulate_minimal_toml_matches_closed_form(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from cabinleak.physics import gas

    f = tmp_path / "chamber.toml"
    f.write_text(CHAMBER)
    assert main(["simulate", str(f), "--duration", "0.5h", "--floor", "0.8atm", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    air = gas.AIR_MASS_FRACTIONS
    r, g = float(gas.gas_constant(air)), float(gas.gamma_mixture(air, 295.0))
    expected = _closed_form_isothermal(1800.0, r, g)
    assert out["modules"]["chamber"]["pressure_Pa"] == pytest.approx(expected, rel=1e-3, abs=0)
    assert out["modules"]["chamber"]["volume_m3"] == 100.0
    assert out["modules"]["chamber"]["temperature_K"] == pytest.approx(295.0, abs=0)
    # time to 0.8 atm from the closed form: τ·ln(1/0.8)
    tau = -1800.0 / math.log(expected / 101325.0)
    assert out["time_to_floor_s"] == pytest.approx(tau * math.log(1 / 0.8), rel=2e-3, abs=0)


def test_floor_not_reached_is_null(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "test-chamber", "--duration", "60s", "--floor", "100mmHg",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["time_to_floor_s"] is None


def test_stations_json_lists_module_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stations", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    names = {s["name"]: s for s in data["stations"]}
    assert {"iss", "soyuz-ms", "test-chamber"} <= set(names)
    assert "prk" in names["iss"]["modules"]
    assert names["test-chamber"]["modules"] == ["chamber"]


def test_simulate_writes_csv_parquet_and_plot(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    csv, parquet, png = tmp_path / "r.csv", tmp_path / "r.parquet", tmp_path / "p.png"
    assert main(["simulate", "soyuz-ms", "--leak", "soyuz-om:1mm", "--duration", "2h",
                 "--out", str(csv), "--plot", str(png), "--n-out", "25"]) == 0
    text = capsys.readouterr().out
    assert "module" in text and "mmHg" in text
    header = csv.read_text().splitlines()[0].split(",")
    assert header[0] == "time_s" and "soyuz-om_pressure_Pa" in header
    data = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert data.shape[0] == 25
    assert png.stat().st_size > 10_000
    assert main(["simulate", "soyuz-ms", "--duration", "1h", "--out", str(parquet)]) == 0
    import pyarrow.parquet as pq

    assert "time_s" in pq.read_table(parquet).column_names


def test_hatch_close_isolates_a_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "iss", "--leak", "prk:2mm", "--close", "zvezda-prk@0s",
                 "--duration", "6h", "--json"]) == 0
    mods = json.loads(capsys.readouterr().out)["modules"]
    assert mods["prk"]["pressure_Pa"] < mods["zvezda"]["pressure_Pa"] - 1000.0
    # the rest of the station holds its pressure (crew use only)
    assert mods["destiny"]["pressure_Pa"] == pytest.approx(101325.0, rel=2e-4, abs=0)


def test_demo_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "demo.png"
    assert main(["demo", "--plot", str(png), "--json", "--telemetry", str(tmp_path / "tm.csv"),
                 "--report", str(tmp_path / "r.html")]) == 0
    out = json.loads(capsys.readouterr().out)
    # about 0.6 mmHg/h was reported for the 2018 Soyuz MS-09 hole (1.5-2 mm)
    assert 0.3 < out["truth"]["station_pressure_fall_mmHg_per_h"] < 1.5
    assert png.exists()


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--help"])
    assert exc.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_telemetry_written_from_station_sensors(tmp_path: Path) -> None:
    tm = tmp_path / "tm.csv"
    assert main(["simulate", "soyuz-ms", "--leak", "soyuz-om:0.5mm", "--duration", "10min",
                 "--telemetry", str(tm)]) == 0
    header = tm.read_text().splitlines()[0].split(",")
    assert header[0] == "time_s"
    assert all(h.endswith(("_pressure_Pa", "_T_K")) for h in header[1:])


def test_telemetry_without_sensors_is_an_input_error(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["simulate", "test-chamber", "--duration", "10min",
               "--telemetry", str(tmp_path / "tm.csv")])
    assert rc == 2
    assert "no [[sensor]]" in capsys.readouterr().err
