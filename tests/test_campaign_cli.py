"""``cabinleak campaign``: the bundled example, a run with its summary and report, and bad
input (one line naming the key, exit code 2)."""

from __future__ import annotations

import json

import pytest
from campaign_fixtures import write_spec

from cabinleak.cli import main


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def test_example_is_valid(capsys, tmp_path):
    from cabinleak.campaign.spec import load_spec

    assert main(["campaign", "--example", "iss"]) == 0
    text = capsys.readouterr().out
    (tmp_path / "iss.toml").write_text(text)
    spec = load_spec(tmp_path / "iss.toml")
    assert spec.station == "iss" and spec.policy == "planner" and spec.compare
    assert [v.id for v in spec.vehicles] == ["soyuz", "crew-dragon"]


def test_run_json_report_and_resume(capsys, tmp_path):
    spec = write_spec(tmp_path, n=600, chunk=200)
    out, report = tmp_path / "out", tmp_path / "r.html"
    argv = ["campaign", str(spec), "--out", str(out), "--report", str(report), "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    names = [o["name"] for o in summary["outcomes"]]
    assert names == ["nominal", "evacuation", "loss of escape vehicle",
                     "crew exposed below floor"]
    assert sum(o["count"] for o in summary["outcomes"]) == 600
    assert all(o["low"] <= o["p"] <= o["high"] for o in summary["outcomes"])
    assert len(list((out / "chunks").glob("*.parquet"))) == 3
    html = report.read_text()
    assert "Outcome probabilities" in html and "module-by-module" in html
    assert "Response model parameters" in html and "490.0 mmHg" in html
    assert main(["campaign", str(spec), "--out", str(out)]) == 0
    assert "0 chunk(s) computed, 3 read back" in capsys.readouterr().out


@pytest.mark.parametrize(("edit", "expected"), [
    (("location = \"b\"", "location = \"zz\""), "[crew] location: module 'zz' is not in"),
    (("[leak_site]", "[leak_site]\nbogus = 1"), "[leak_site] bogus: unknown key"),
    (("modules = { a = 1, b = 1, c = 2 }", "modules = { a = 1, q = 1 }"),
     "[leak_site] modules: module 'q' is not in station 'three'"),
    (("scenarios = 600", "scenarios = 600\npolicy = \"guess\""),
     "[campaign] policy: must be one of planner, module-by-module, got 'guess'"),
    (("weights = [2, 1, 1]", "weights = [2, -1, 1]"), "[hole] weights: need one weight >= 0"),
    (("[hole]\ndistribution = \"listed\"", "[hole]\ndistribution = \"lognormal\"\nsigma = -1"),
     "[hole] sigma: must be > 0"),
    (("[hole]\ndistribution = \"listed\"",
      "[hole]\ndistribution = \"uniform\"\nmin = \"5 mm\"\nmax = \"2 mm\""),
     "[hole] max: must be larger than min"),
    (("size = 3", "size = 9"), "[crew] size: 9 crew but the escape vehicles have 4 seats"),
    (("[response]", "[response]\nfloor = \"490\""), "[response] floor: cannot read '490'"),
])
def test_bad_spec_one_line(capsys, tmp_path, edit, expected):
    spec = write_spec(tmp_path, n=600, chunk=200)
    old, new = edit
    text = spec.read_text()
    if old == "[hole]\ndistribution = \"listed\"":
        # replace the whole listed hole table
        start, end = text.index("[hole]"), text.index("[crew]")
        text = text[:start] + new + "\n" + text[end:]
    else:
        assert old in text
        text = text.replace(old, new)
    spec.write_text(text)
    err = one_line_error(capsys, ["campaign", str(spec)])
    assert expected in err, err


def test_unknown_example_and_missing_file(capsys, tmp_path):
    assert "no such example" in one_line_error(capsys, ["campaign", "--example", "mir"])
    assert "not found" in one_line_error(capsys, ["campaign", str(tmp_path / "none.toml")])


def test_unreachable_scheduler(capsys, tmp_path):
    """One line with the address and the error, exit 2 (nothing listens on port 9)."""
    pytest.importorskip("dask.distributed")
    spec = write_spec(tmp_path, n=10, chunk=10)
    err = one_line_error(capsys, ["campaign", str(spec), "--scheduler", "tcp://127.0.0.1:9"])
    assert "cannot reach tcp://127.0.0.1:9" in err


def test_station_file_beside_the_spec(tmp_path, monkeypatch, capsys):
    """``station = "three.toml"`` is found beside the spec, whatever the working folder."""
    spec = write_spec(tmp_path, n=20, chunk=20)
    spec.write_text(spec.read_text().replace(str(tmp_path / "three.toml"), "three.toml"))
    monkeypatch.chdir(tmp_path.parent)
    assert main(["campaign", str(spec), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["scenarios"] == 20
