"""``cabinleak locate`` under bad input: typed readings, damaged sessions, a changed
``--rate``, and how groups are named. Every test drives the real command line
(:func:`cabinleak.cli.main`), with the crew's typing fed to ``input``."""

from __future__ import annotations

import builtins
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cabinleak.cli import main
from cabinleak.station import load_station

Answer = str | Callable[[int], str]
ISS_MODULES = set(load_station("iss").module_ids)


def quiet(n: int) -> str:
    """No change in any of the ``n`` groups, as START END."""
    return "; ".join(f"{g}: 760.00 760.00" for g in range(1, n + 1))


def first_bad(value: str) -> Callable[[int], str]:
    """Group 1 reads ``value`` (START END or one change), the others no change."""
    return lambda n: "; ".join([f"1: {value}"] + [f"{g}: 760 760" for g in range(2, n + 1)])


class Crew:
    """Types the answers in order at the readings prompt; an answer may depend on the
    number of groups of the test shown last. Ends the input (EOF) when out of answers."""

    def __init__(self, capsys: pytest.CaptureFixture[str], answers: list[Answer]) -> None:
        self.capsys = capsys
        self.answers = list(answers)
        self.out = ""
        self.err = ""

    def __call__(self, prompt: str = "") -> str:
        got = self.capsys.readouterr()
        self.out += got.out
        self.err += got.err
        if not self.answers:
            raise EOFError
        answer = self.answers.pop(0)
        if callable(answer):
            shown = [line for line in self.out.splitlines() if line.startswith("Next test")]
            answer = answer(len(re.findall(r"group \d+:", shown[-1])))
        return answer

    def finish(self) -> tuple[str, str]:
        got = self.capsys.readouterr()
        return self.out + got.out, self.err + got.err


def run_crew(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             answers: list[Answer], *args: str) -> tuple[int, str, str]:
    crew = Crew(capsys, answers)
    monkeypatch.setattr(builtins, "input", crew)
    rc = main(["locate", "--station", "iss", "--interactive", *args])
    out, err = crew.finish()
    return rc, out, err


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Runs ``argv``; it must end with exit code 2 and exactly one line on stderr."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("cabinleak locate: error: ") and "Traceback" not in err
    return err.strip()


def saved_tests(session: Path) -> list[dict]:
    return json.loads(session.read_text())["tests"]


# ---------------------------------------------------------------- typed readings


@pytest.mark.parametrize(("typed", "expected"), [
    ("760 nan", "not a number"),
    ("nan", "not a number"),
    ("760 inf", "not a finite number"),
    ("760 1e308", "between 0 and"),
    ("-1e308", "larger than the whole cabin pressure"),
    ("760 -760", "between 0 and"),
    ("-760 760", "between 0 and"),
    ("-900", "larger than the whole cabin pressure"),
])
def test_bad_typed_reading_is_refused_and_asked_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        typed: str, expected: str) -> None:
    """A first test typed well, then a bad reading: one line says what is wrong and what
    is expected, the crew is asked again, and nothing entered before is lost."""
    session = tmp_path / "s.json"
    rc, out, err = run_crew(monkeypatch, capsys, [quiet, first_bad(typed), quiet],
                            "--rate", "0.7kg/day", "--session", str(session))
    assert rc == 0 and "Traceback" not in out + err
    refusals = [line for line in out.splitlines() if expected in line]
    assert len(refusals) == 1, out
    assert "mmHg" in refusals[0]
    tests = saved_tests(session)
    assert len(tests) == 2  # the good test before and the one typed again
    assert all(dp == 0.0 for t in tests for dp in t["dp_mmHg"])
    # and the session resumes
    assert main(["locate", "--station", "iss", "--rate", "0.7kg/day", "--session",
                 str(session), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["tests"]) == 2


@pytest.mark.parametrize(("reading", "expected"), [
    ("nan", "not a number"),
    ("[760.0, inf]", "not a finite number"),
    ("-1e308", "larger than the whole cabin pressure"),
    ("[-748.2, 748.0]", "between 0 and"),
])
def test_bad_reading_in_results_file_is_one_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 reading: str, expected: str) -> None:
    f = tmp_path / "r.toml"
    f.write_text('[[test]]\nclosed = ["zvezda-prk"]\nhours = 1\n'
                 f"readings_mmHg = {{1 = 0, 2 = {reading}}}\n")
    err = one_line_error(capsys, ["locate", "--station", "iss", "--results", str(f)])
    assert expected in err and "test 1" in err and "group 2" in err


def test_hours_must_be_finite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "r.toml"
    f.write_text('[[test]]\nclosed = ["zvezda-prk"]\nhours = inf\n'
                 "readings_mmHg = {1 = 0, 2 = 0}\n")
    err = one_line_error(capsys, ["locate", "--station", "iss", "--results", str(f)])
    assert "hold" in err and "inf" in err


# ---------------------------------------------------------------- damaged sessions


def _good_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str]) -> Path:
    session = tmp_path / "s.json"
    rc, _, _ = run_crew(monkeypatch, capsys, [quiet], "--rate", "0.7kg/day",
                        "--session", str(session))
    assert rc == 0 and len(saved_tests(session)) == 1
    return session


@pytest.mark.parametrize("damage", [
    b"[1, 2, 3]",
    b"\x00\xff\xfe garbage \x89PNG",
    b"",
    b'{"station": "iss", "tests": [{"closed": ["harmony-pma-3", "rassvet-soyuz-om"], '
    b'"hours": 0.675, "dp_mmHg": [NaN, 0.0, 0.0]}]}',
    b'{"station": "iss", "tests": {"closed": []}}',
    b'{"station": "iss", "tests": [{"closed": "zvezda-prk", "hours": 1, "dp_mmHg": [0, 0]}]}',
    b'{"station": "iss", "tests": [{"closed": ["zvezda-prk"], "hours": "x", '
    b'"dp_mmHg": [0, 0]}]}',
    b'{"station": "iss", "tests": [{"closed": ["zvezda-prk"], "hours": 1, "dp_mmHg": 0}]}',
])
def test_damaged_session_is_one_line_and_names_the_good_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        damage: bytes) -> None:
    session = _good_session(tmp_path, monkeypatch, capsys)
    good = session.read_bytes()
    session.write_bytes(damage)
    err = one_line_error(capsys, ["locate", "--station", "iss", "--rate", "0.7kg/day",
                                  "--session", str(session), "--json"])
    backup = Path(str(session) + ".bak")
    assert "damaged" in err and str(backup) in err
    assert backup.read_bytes() == good  # the last good session, kept beside it
    assert session.read_bytes() == damage  # the damaged file is left for inspection
    # the good copy resumes
    assert main(["locate", "--station", "iss", "--rate", "0.7kg/day", "--session",
                 str(backup), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["tests"]) == 1


def test_damaged_session_without_a_good_copy(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    session = tmp_path / "s.json"
    session.write_bytes(b"[]")
    err = one_line_error(capsys, ["locate", "--station", "iss", "--session", str(session)])
    assert "damaged" in err and "no earlier good copy" in err


def test_session_of_another_station_is_one_line(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    session = tmp_path / "s.json"
    session.write_text('{"station": "mir", "tests": []}')
    err = one_line_error(capsys, ["locate", "--station", "iss", "--session", str(session)])
    assert "'mir'" in err and "another --session" in err


def test_damaged_session_in_a_real_process(tmp_path: Path) -> None:
    """The whole of stderr, from the command run as a process: one line, exit code 2."""
    session = tmp_path / "s.json"
    session.write_bytes(b'{"station": "iss", "tests": [{"closed": ["zvezda-prk"], '
                        b'"hours": 1, "dp_mmHg": [NaN, 0]}]}')
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from cabinleak.cli import main; sys.exit(main())",
         "locate", "--station", "iss", "--session", str(session)],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert run.returncode == 2
    assert run.stderr.startswith(f"cabinleak locate: error: {session}: damaged session (")
    assert "NaN" in run.stderr and len(run.stderr.splitlines()) == 1, run.stderr


# ---------------------------------------------------------------- the rate prior


def test_session_keeps_the_rate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    session = _good_session(tmp_path, monkeypatch, capsys)
    saved = json.loads(session.read_text())["rate_kg_per_day"]
    assert saved == pytest.approx(0.7, rel=1e-12, abs=0)
    argv = ["locate", "--station", "iss", "--session", str(session), "--json"]
    # resumed with the same rate, in other units: the same recommendation
    assert main([*argv, "--rate", "700g/day"]) == 0
    same = json.loads(capsys.readouterr().out)
    # resumed with another rate: refused, saying which rate the session has
    err = one_line_error(capsys, [*argv, "--rate", "5kg/day"])
    assert "0.7 kg/day" in err and "5 kg/day" in err
    # resumed without --rate: the session's rate, with a note
    assert main(argv) == 0
    got = capsys.readouterr()
    # the same answer; only the options echoed differ (none given this time)
    assert json.loads(got.out) | {"options": None} == same | {"options": None}
    assert "0.7 kg/day" in got.err and len(got.err.strip().splitlines()) == 1
    assert json.loads(got.out)["rate_kg_per_day"] == pytest.approx(0.7, rel=1e-12, abs=0)


def test_session_without_a_rate_refuses_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    session = tmp_path / "s.json"
    rc, _, _ = run_crew(monkeypatch, capsys, [quiet], "--session", str(session))
    assert rc == 0 and json.loads(session.read_text())["rate_kg_per_day"] is None
    err = one_line_error(capsys, ["locate", "--station", "iss", "--rate", "0.7kg/day",
                                  "--session", str(session)])
    assert "without --rate" in err


def test_session_from_before_the_rate_was_kept(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A session file without rate_kg_per_day (written by an earlier version) resumes
    with the --rate given."""
    session = tmp_path / "s.json"
    session.write_text('{"station": "iss", "tests": [{"closed": ["zvezda-prk"], '
                       '"hours": 1.0, "dp_mmHg": [0.0, -0.4]}]}')
    assert main(["locate", "--station", "iss", "--rate", "0.7kg/day", "--session",
                 str(session), "--json"]) == 0
    got = capsys.readouterr()
    out = json.loads(got.out)
    assert len(out["tests"]) == 1 and out["rate_kg_per_day"] == pytest.approx(0.7, rel=1e-12, abs=0)
    assert got.err == ""


# ---------------------------------------------------------------- groups by module


def test_groups_are_listed_by_their_modules(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["locate", "--station", "iss", "--rate", "0.7kg/day",
            "--session", str(tmp_path / "s.json")]
    assert main([*argv, "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)["next"]["groups"]
    assert all(isinstance(g, list) for g in groups)
    listed = [m for g in groups for m in g]
    assert sorted(listed) == sorted(ISS_MODULES)  # every module once
    assert main(argv) == 0
    text = capsys.readouterr().out
    shown = next(line for line in text.splitlines() if line.startswith("Next test"))
    assert " more" not in shown
    assert all(m in shown for m in ISS_MODULES)


def test_simulated_campaign_json_lists_group_modules(capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    assert main(["locate", "--station", "iss", "--simulate-leak", "soyuz-om:2mm",
                 "--json"]) == 0
    for t in json.loads(capsys.readouterr().out)["tests"]:
        assert [m for g in t["groups"] for m in g] and \
            sorted(m for g in t["groups"] for m in g) == sorted(ISS_MODULES)
        assert not any(" more" in k for k in t["readings_mmHg"])


# ---------------------------------------------------------------- the sensing it is given


def _campaign_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    assert main(["locate", "--station", "iss", "--simulate-leak", "prk:0.7kg/day",
                 "--policy", "module-by-module", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_hand_read_gauges_read_whole_millimetres(capsys: pytest.CaptureFixture[str]) -> None:
    """--gauge-resolution 1mmHg: the realistic world reads every change in whole mmHg, and
    the campaign says what it assumed."""
    out = _campaign_json(capsys, "--gauge-resolution", "1mmHg")
    assert out["world"] == "realistic" and out["sensing"].startswith("gauges read to 1 mmHg")
    reads = [dp for t in out["tests"] for dp in t["readings_mmHg"].values()]
    assert reads and all(dp == pytest.approx(round(dp), abs=1e-9) for dp in reads)
    assert out["found"] == "prk" and out["confidence"] >= 0.95


def test_the_ideal_world_reads_without_steps(capsys: pytest.CaptureFixture[str]) -> None:
    out = _campaign_json(capsys, "--world", "ideal")
    assert out["world"] == "ideal" and "0.1 K" in out["sensing"]
    reads = [dp for t in out["tests"] for dp in t["readings_mmHg"].values()]
    assert any(abs(dp / 0.10101 - round(dp / 0.10101)) > 1e-3 for dp in reads)


def test_the_drift_given_or_measured_is_the_one_assumed(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    results = tmp_path / "r.toml"
    results.write_text('[[test]]\nclosed = ["zvezda-prk"]\nhours = 2\n'
                       'readings_mmHg = {1 = 0, 2 = -1}\n')
    base = ["locate", "--station", "iss", "--rate", "0.7kg/day", "--results", str(results)]
    assert main([*base, "--drift", "0.4mmHg/h", "--json"]) == 0
    assert "drift 1σ 0.4 mmHg over a 1 h hold" in json.loads(capsys.readouterr().out)["sensing"]
    record = Path(__file__).resolve().parents[1] / "examples/real/astropi-2022-01-31.csv"
    assert main([*base, "--drift-from", str(record), "--json"]) == 0
    assert f"measured on {record}" in json.loads(capsys.readouterr().out)["sensing"]
    assert main([*base, "--drift", "0mmHg/h", "--gauge-resolution", "1mmHg"]) == 0
    text = capsys.readouterr().out
    assert "(assumed: gauges read to 1 mmHg, noise 0.0075 mmHg; drift 1σ 0 mmHg" in text


@pytest.mark.parametrize(("extra", "expected"), [
    (["--world", "ideal", "--drift", "0.2mmHg/h"], "--drift describes real gauges"),
    (["--world", "ideal", "--gauge-resolution", "1mmHg"], "--gauge-resolution describes"),
    (["--drift", "0.2mmHg/h", "--drift-from", "x.csv"], "--drift and --drift-from"),
    (["--gauge-resolution", "1"], "--gauge-resolution: give a unit, e.g. 1mmHg"),
    (["--gauge-resolution", "-1mmHg"], "--gauge-resolution: must be >= 0"),
    (["--drift", "0.2mmHg"], "--drift: "),
    (["--drift-from", "{gauge}"], "too few"),
])
def test_bad_sensing_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 extra: list[str], expected: str) -> None:
    gauge = tmp_path / "gauge.csv"
    gauge.write_text("# volume = 4.5 m3\ntime_h,x_pressure_mmHg\n0,730\n11.5,678\n")
    err = one_line_error(capsys, ["locate", "--station", "iss", "--json",
                                  *(e.format(gauge=gauge) for e in extra)])
    assert expected in err


def test_a_session_resumes_with_its_own_sensing(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Started with hand-read gauges: resumed with them it goes on; resumed with the feed's
    gauges (the default) it is refused in one line that says what it assumed."""
    session = tmp_path / "s.json"
    rc, _, _ = run_crew(monkeypatch, capsys, [quiet], "--session", str(session),
                        "--gauge-resolution", "1mmHg")
    assert rc == 0
    assert json.loads(session.read_text())["sensing"].startswith("gauges read to 1 mmHg")
    argv = ["locate", "--station", "iss", "--session", str(session), "--json"]
    assert main([*argv, "--gauge-resolution", "1mmHg"]) == 0
    assert len(json.loads(capsys.readouterr().out)["tests"]) == 1
    err = one_line_error(capsys, argv)
    assert "gauges read to 1 mmHg" in err and "gauges read to 0.101 mmHg" in err
