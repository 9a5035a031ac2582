"""Every option of every command, and every input error: one line on stderr, exit code 2.

The table below classifies each option the parsers define (a test fails when an option is
added without a line here). A physical quantity needs its unit: a bare number is refused
with an example, a negative or zero value where it is meaningless, and an accepted value
is echoed with its unit.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from cabinleak.cli import build_parser, main
from cabinleak.cli.common import Quantity, echo_text

# The least each command needs to parse; an option given after these overrides them.
BASE: dict[str, list[str]] = {
    "stations": ["stations"],
    "simulate": ["simulate", "test-chamber", "--duration", "10min"],
    "analyze": ["analyze", "x.csv"],
    "leaktest": ["leaktest", "x.csv"],
    "locate": ["locate"],
    "mmod": ["mmod", "--wall", "single:0.2cm", "--area", "10m2", "--exposure", "1y"],
    "attribute": ["attribute"],
    "demo": ["demo"],
    "campaign": ["campaign", "x.toml"],
    "serve": ["serve"],
}

# (command, option) -> kind. Quantities: ("q", a valid value, zero allowed?).
Q, SEED, COUNT, NUMBER, FLAG, TEXT = "q", "seed", "count", "number", "flag", "text"
OPTIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("stations", "--json"): (FLAG,),
    ("simulate", "--leak"): (Q, "chamber:2mm", "chamber:{}"),
    ("simulate", "--close"): (Q, "h@1h", "h@{}", "zero ok"),
    ("simulate", "--open"): (Q, "h@1h", "h@{}", "zero ok"),
    ("simulate", "--remove"): (TEXT,),
    ("simulate", "--duration"): (Q, "36h"),
    ("simulate", "--floor"): (Q, "490mmHg"),
    ("simulate", "--n-out"): (COUNT,),
    ("simulate", "--out"): (TEXT,),
    ("simulate", "--telemetry"): (TEXT,),
    ("simulate", "--seed"): (SEED,),
    ("simulate", "--plot"): (TEXT,),
    ("simulate", "--json"): (FLAG,),
    ("analyze", "--station"): (TEXT,),
    ("analyze", "--volume"): (Q, "4.5m3"),
    ("analyze", "--volume-uncertainty"): (NUMBER,),
    ("analyze", "--floor"): (Q, "490mmHg"),
    ("analyze", "--ppO2-floor"): (Q, "120mmHg"),
    ("analyze", "--cd"): (NUMBER,),
    ("analyze", "--false-alarms"): (Q, "1/year"),
    ("analyze", "--background"): (Q, "0.2kg/day", "{}", "zero ok"),
    ("analyze", "--wander"): (Q, "0.1mmHg/h", "{}", "zero ok"),
    ("analyze", "--year"): (COUNT,),
    ("analyze", "--crew"): (NUMBER,),
    ("analyze", "--supply"): (Q, "N2=120kg", "N2={}", "zero ok"),
    ("analyze", "--pressure-noise"): (Q, "0.05mmHg"),
    ("analyze", "--resolution"): (Q, "1mmHg"),
    ("analyze", "--temperature-noise"): (Q, "0.05K"),
    ("analyze", "--mapping"): (TEXT,),
    ("analyze", "--gauge"): (FLAG,),
    ("analyze", "--seed"): (SEED,),
    ("analyze", "--report"): (TEXT,),
    ("analyze", "--json"): (FLAG,),
    ("leaktest", "--spec"): (Q, "0.1kg/day"),
    ("leaktest", "--volume"): (Q, "10.6m3"),
    ("leaktest", "--mapping"): (TEXT,),
    ("leaktest", "--json"): (FLAG,),
    ("locate", "--station"): (TEXT,),
    ("locate", "--rate"): (Q, "0.7kg/day"),
    ("locate", "--prior"): (TEXT,),
    ("locate", "--results"): (TEXT,),
    ("locate", "--telemetry"): (TEXT,),
    ("locate", "--session"): (TEXT,),
    ("locate", "--policy"): (TEXT,),
    ("locate", "--simulate-leak"): (TEXT,),  # MODULE:RATE or MODULE:HOLE, checked by locate
    ("locate", "--evaluate"): (FLAG,),
    ("locate", "--sites"): (COUNT,),
    ("locate", "--seed"): (SEED,),
    ("locate", "--window"): (TEXT,),
    ("locate", "--clock"): (TEXT,),
    ("locate", "--world"): (TEXT,),
    ("locate", "--gauge-resolution"): (Q, "1mmHg", "{}", "zero ok"),
    ("locate", "--drift"): (Q, "0.2mmHg/h", "{}", "zero ok"),
    ("locate", "--drift-from"): (TEXT,),
    ("locate", "--interactive"): (FLAG,),
    ("locate", "--json"): (FLAG,),
    ("mmod", "--wall"): (Q, "single:0.2cm", "single:{}"),
    ("mmod", "--area"): (Q, "10m2"),
    ("mmod", "--exposure"): (Q, "60d"),
    ("mmod", "--hole"): (Q, "2mm"),
    ("mmod", "--altitude"): (Q, "400km"),
    ("mmod", "--inclination"): (Q, "51.6deg", "{}", "zero ok"),
    ("mmod", "--year"): (NUMBER,),
    ("mmod", "--speed"): (Q, "7km/s"),
    ("mmod", "--json"): (FLAG,),
    ("mmod", "--size"): (Q, "1mm"),
    ("mmod", "--density"): (TEXT,),  # a density with its unit, read by density_option
    ("mmod", "--station"): (TEXT,),
    ("mmod", "--module"): (TEXT,),
    ("mmod", "--fleet"): (FLAG,),
    ("mmod", "--history"): (TEXT,),
    ("attribute", "--station"): (TEXT,),
    ("attribute", "--module"): (TEXT,),
    ("attribute", "--exposure"): (Q, "60d"),
    ("attribute", "--hole"): (Q, "2mm"),
    ("attribute", "--evidence"): (TEXT,),
    ("attribute", "--wall"): (Q, "single:0.2cm", "single:{}"),
    ("attribute", "--area"): (Q, "10m2"),
    ("attribute", "--altitude"): (Q, "400km"),
    ("attribute", "--inclination"): (Q, "51.6deg", "{}", "zero ok"),
    ("attribute", "--year"): (NUMBER,),
    ("attribute", "--speed"): (Q, "7km/s"),
    ("attribute", "--catalogue"): (FLAG,),
    ("attribute", "--report"): (TEXT,),
    ("attribute", "--json"): (FLAG,),
    ("demo", "--plot"): (TEXT,),
    ("demo", "--telemetry"): (TEXT,),
    ("demo", "--report"): (TEXT,),
    ("demo", "--preview"): (TEXT,),
    ("demo", "--out"): (TEXT,),
    ("demo", "--seed"): (SEED,),
    ("demo", "--json"): (FLAG,),
    ("campaign", "--example"): (TEXT,),
    ("campaign", "--scenarios"): (COUNT,),
    ("campaign", "--workers"): (COUNT,),
    ("campaign", "--scheduler"): (TEXT,),
    ("campaign", "--dask"): (FLAG,),
    ("campaign", "--out"): (TEXT,),
    ("campaign", "--report"): (TEXT,),
    ("campaign", "--json"): (FLAG,),
    ("serve", "--station"): (TEXT,),
    ("serve", "--data"): (TEXT,),
    ("serve", "--host"): (TEXT,),
    ("serve", "--port"): (COUNT,),
    ("serve", "--token"): (TEXT,),
    ("serve", "--demo"): (FLAG,),
    ("serve", "--replay"): (TEXT,),
    ("serve", "--follow"): (TEXT,),
    ("serve", "--speed"): (NUMBER,),
    ("serve", "--cadence"): (NUMBER,),
    ("serve", "--window-rows"): (COUNT,),
    ("serve", "--json"): (FLAG,),
}


def _parser_options() -> set[tuple[str, str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {(name, action.option_strings[-1])
            for name, p in sub.choices.items() for action in p._actions
            if action.option_strings and action.option_strings[-1] != "--help"}


def test_every_option_is_classified() -> None:
    assert _parser_options() == set(OPTIONS)


def _one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run the CLI; it must fail with exit code 2, one stderr line, no traceback or warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, (argv, err)
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err and "usage:" not in err
    assert not [str(w.message) for w in caught], argv
    return err.strip()


QUANTITIES = [(c, o, k[1:]) for (c, o), k in OPTIONS.items() if k[0] == Q]


@pytest.mark.parametrize(("command", "option", "spec"), QUANTITIES,
                         ids=[f"{c}{o}" for c, o, _ in QUANTITIES])
def test_a_quantity_needs_its_unit(capsys: pytest.CaptureFixture[str], command: str,
                                   option: str, spec: tuple[str, ...]) -> None:
    form = spec[1] if len(spec) > 1 else "{}"
    err = _one_error_line(capsys, [*BASE[command], option, form.format("490")])
    assert err.startswith(f"cabinleak {command}: error: {option}: ")
    assert "unit" in err


@pytest.mark.parametrize(("command", "option", "spec"), QUANTITIES,
                         ids=[f"{c}{o}" for c, o, _ in QUANTITIES])
def test_a_negative_or_zero_quantity_is_refused(capsys: pytest.CaptureFixture[str],
                                                command: str, option: str,
                                                spec: tuple[str, ...]) -> None:
    valid = spec[0]
    form = spec[1] if len(spec) > 1 else "{}"
    unit = valid.split(":")[-1].split("@")[-1].split("=")[-1].lstrip("0123456789.")
    values = ["-1" + unit] + ([] if "zero ok" in spec else ["0" + unit])
    for value in values:
        # both "--opt -1h" and "--opt=-1h" reach the option's check
        for argv in ([option, form.format(value)], [f"{option}={form.format(value)}"]):
            err = _one_error_line(capsys, [*BASE[command], *argv])
            assert f"error: {option}: " in err, err
            assert "must be" in err or "within" in err, err


@pytest.mark.parametrize(("command", "option", "spec"), QUANTITIES,
                         ids=[f"{c}{o}" for c, o, _ in QUANTITIES])
def test_an_accepted_quantity_is_echoed_with_its_unit(command: str, option: str,
                                                      spec: tuple[str, ...]) -> None:
    from cabinleak.cli.common import attach_negative_values

    if option == "--wall":  # a wall is echoed by the risk it gives (its thicknesses in mm)
        return
    args = build_parser().parse_args(attach_negative_values([*BASE[command], option,
                                                             spec[0]]))
    line = echo_text(args)
    shown = next(p for p in line.removeprefix("options: ").split(", ")
                 if p.startswith(option + " "))
    value = getattr(args, option[2:].replace("-", "_"))
    value = value[-1] if isinstance(value, list) else value
    assert str(value) in shown
    quantity = value if isinstance(value, Quantity) else next(
        v for v in vars(value).values() if isinstance(v, Quantity))
    # the unit follows the number (after a space, or "/" for a rate such as 1/year)
    unit = str(quantity).lstrip("0123456789.+-e ")
    assert any(c.isalpha() or c in "/°" for c in unit)


@pytest.mark.parametrize("command", [c for (c, o), k in OPTIONS.items() if k[0] == SEED])
def test_a_seed_is_a_whole_number_from_zero(capsys: pytest.CaptureFixture[str],
                                            command: str) -> None:
    for bad in ("-1", "abc", "1.5"):
        for argv in (["--seed", bad], [f"--seed={bad}"]):
            err = _one_error_line(capsys, [*BASE[command], *argv])
            assert f"cabinleak {command}: error: --seed: " in err


def test_simulate_echoes_what_it_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "test-chamber", "--duration", "10min", "--floor", "0.7atm"]) == 0
    out = capsys.readouterr().out.splitlines()
    # 0.7 atm = 0.7 x 101325 Pa / 133.322 Pa/mmHg = 532.0 mmHg
    assert out[0] == "options: --duration 10 min, --floor 0.7 atm (532 mmHg)"
    assert main(["simulate", "test-chamber", "--duration", "10min", "--floor", "490mmHg",
                 "--json"]) == 0
    options = json.loads(capsys.readouterr().out)["options"]
    assert options["floor"] == {"given": "490mmHg", "value": pytest.approx(490 * 133.322387415,
                                                                            rel=1e-12, abs=0),
                                "unit": "Pa"}
    assert options["duration"]["value"] == 600.0


def test_the_same_flag_means_the_same_unit_everywhere(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    """--floor 490 was 490 Pa in simulate and 490 mmHg in analyze: now refused in both."""
    for command in ("simulate", "analyze"):
        err = _one_error_line(capsys, [*BASE[command], "--floor", "490"])
        assert err == f"cabinleak {command}: error: --floor: give a unit, e.g. 490mmHg"
    err = _one_error_line(capsys, [*BASE["mmod"], "--exposure", "60"])
    assert err == "cabinleak mmod: error: --exposure: give a unit, e.g. 60d"


# ------------------------------------------------------------ the README's promise

GARBAGE = bytes(range(256)) * 8 + b"\n\xff\xfe,\x00\x01\n" * 40


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, str]:
    gauge = tmp_path / "gauge.csv"
    gauge.write_text("# volume = 4.5 m3\ntime_h,x_pressure_mmHg\n0,730\n11.5,678\n")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(GARBAGE)
    huge = tmp_path / "huge.csv"
    huge.write_text("time_s,p_pressure_mmHg\n0,1e308\n1,1e308\n")
    text = tmp_path / "text.csv"
    text.write_text("time_s,p_pressure_mmHg\n0,abc\n1,def\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    nohatch = tmp_path / "nohatch.csv"
    nohatch.write_text("time_h,zvezda_pressure_mmHg\n0,760\n1,759\n2,758\n")
    bad_toml = tmp_path / "bad.toml"
    bad_toml.write_text("[[leak]\n")
    evidence = tmp_path / "ev.toml"
    evidence.write_text("[observed]\nnot_a_key = true\n")
    return {"gauge": str(gauge), "garbage": str(garbage), "huge": str(huge),
            "text": str(text), "empty": str(empty), "nohatch": str(nohatch),
            "bad_toml": str(bad_toml), "evidence": str(evidence),
            "missing": str(tmp_path / "missing.csv"), "xlsx": str(tmp_path / "x.xlsx"),
            "dir": str(tmp_path)}


BAD = [
    # the command line itself
    [], ["bogus"], ["simulate"], ["simulate", "iss"], ["stations", "--bogus"],
    ["simulate", "iss", "--duration", "1h", "--n-out", "1"],
    ["simulate", "iss", "--duration", "1h", "--n-out", "many"],
    ["simulate", "iss", "--duration", "1h", "--json=yes"],
    # simulate
    ["simulate", "iss", "--duration", "-1h"], ["simulate", "iss", "--duration", "36"],
    ["simulate", "iss", "--duration", "2 fortnights"], ["simulate", "iss", "--duration", "1kg"],
    ["simulate", "iss", "--duration", "nan h"], ["simulate", "iss", "--duration", "1h",
                                                  "--floor=-5psi"],
    ["simulate", "iss", "--duration", "1h", "--leak", "soyuz-om:2"],
    ["simulate", "iss", "--duration", "1h", "--leak", "soyuz-om"],
    ["simulate", "iss", "--duration", "1h", "--leak", "soyuz-om:2mm:abc"],
    ["simulate", "iss", "--duration", "1h", "--leak", "nowhere:2mm"],
    ["simulate", "iss", "--duration", "1h", "--close", "zvezda-prk"],
    ["simulate", "iss", "--duration", "1h", "--close", "nowhere@1h"],
    ["simulate", "iss", "--duration", "1h", "--open", "zvezda-prk@2"],
    ["simulate", "iss", "--duration", "1h", "--remove", "nowhere"],
    ["simulate", "mir", "--duration", "1h"], ["simulate", "{bad_toml}", "--duration", "1h"],
    ["simulate", "iss", "--duration", "1h", "--out", "{xlsx}"],
    ["simulate", "test-chamber", "--duration", "1min", "--telemetry", "{dir}/t.csv"],
    # analyze
    ["analyze", "{missing}"], ["analyze", "{empty}"], ["analyze", "{garbage}"],
    ["analyze", "{text}"], ["analyze", "{huge}", "--volume", "4m3"],
    ["analyze", "{xlsx}"], ["analyze", "{gauge}", "--floor", "490"],
    ["analyze", "{gauge}", "--seed", "abc"], ["analyze", "{gauge}", "--seed=-1"],
    ["analyze", "{gauge}", "--cd", "0"], ["analyze", "{gauge}", "--cd", "nan"],
    ["analyze", "{gauge}", "--crew", "-2"], ["analyze", "{gauge}", "--false-alarms", "1"],
    ["analyze", "{gauge}", "--volume-uncertainty", "150%"],
    ["analyze", "{gauge}", "--supply", "N2=120"], ["analyze", "{gauge}", "--supply", "H2=1kg"],
    ["analyze", "{gauge}", "--temperature-noise", "0.1"],
    ["analyze", "{gauge}", "--volume", "4.5"], ["analyze", "{gauge}", "--volume", "-4.5m3"],
    ["analyze", "{gauge}", "--station", "iss"], ["analyze", "{gauge}", "--mapping", "{missing}"],
    # leaktest
    ["leaktest", "{gauge}", "--spec", "0.1"], ["leaktest", "{missing}"],
    ["leaktest", "{garbage}", "--volume", "4m3", "--spec", "0.1kg/day"],
    ["leaktest", "{gauge}", "--volume", "0m3"],
    # locate
    ["locate", "--rate", "0.7"], ["locate", "--rate", "-1kg/day"], ["locate", "--sites", "0"],
    ["locate", "--seed=-1", "--evaluate"], ["locate", "--station", "mir"],
    ["locate", "--simulate-leak", "nowhere:1mm"], ["locate", "--simulate-leak", "prk:2"],
    ["locate", "--policy", "guess"], ["locate", "--results", "{missing}"],
    ["locate", "--telemetry", "{garbage}", "--json"], ["locate", "--telemetry", "{nohatch}"],
    ["locate", "--window", "22", "--json"], ["locate", "--window", "25-6", "--json"],
    ["locate", "--prior", "{bad_toml}", "--json"],
    ["locate", "--gauge-resolution", "1"], ["locate", "--gauge-resolution", "1kg"],
    ["locate", "--drift", "0.2mmHg"], ["locate", "--world", "perfect"],
    ["locate", "--world", "ideal", "--gauge-resolution", "1mmHg"],
    ["locate", "--drift", "0.2mmHg/h", "--drift-from", "{gauge}"],
    ["locate", "--drift-from", "{garbage}", "--json"], ["locate", "--drift-from", "{missing}"],
    ["locate", "--drift-from", "{gauge}", "--json"],
    # mmod and attribute
    ["mmod", "--wall", "single:0.2", "--area", "10m2", "--exposure", "1y"],
    ["mmod", "--wall", "foam:2cm", "--area", "10m2", "--exposure", "1y"],
    ["mmod", "--wall", "single:0.2cm", "--area", "10", "--exposure", "1y"],
    ["mmod", "--wall", "single:0.2cm", "--area", "10m2", "--exposure", "60"],
    ["mmod", "--wall", "single:0.2cm", "--area", "10m2", "--exposure", "-1y"],
    ["mmod", "--wall", "single:0.2cm", "--area", "10m2", "--exposure", "1y", "--speed", "7"],
    ["mmod", "--wall", "single:0.2cm", "--area", "10m2", "--exposure", "1y", "--altitude",
     "5000km"],
    ["mmod", "--wall", "single:0.2cm", "--area", "10m2", "--exposure", "1y", "--inclination",
     "51.6"],
    ["mmod", "--wall", "single:0.2cm", "--area", "10m2", "--exposure", "1y", "--year", "1900"],
    ["attribute", "--module", "soyuz-om", "--exposure", "60d"],
    ["attribute", "--module", "nowhere", "--exposure", "60d", "--hole", "2mm"],
    ["attribute", "--module", "soyuz-om", "--exposure", "60d", "--hole", "2"],
    ["attribute", "--module", "soyuz-om", "--exposure", "60d", "--hole", "2mm",
     "--evidence", "{evidence}"],
    ["attribute", "--module", "soyuz-om", "--exposure", "60d", "--hole", "2mm",
     "--evidence", "{missing}"],
    # demo
    ["demo", "--seed", "-3"], ["demo", "--seed", "x"],
    # campaign (bad spec files: tests/test_campaign_cli.py)
    ["campaign"], ["campaign", "{missing}"], ["campaign", "{garbage}"],
    ["campaign", "--example", "mir"], ["campaign", "{missing}", "--workers", "0"],
    ["campaign", "{missing}", "--scenarios", "many"],
    ["campaign", "{missing}", "--workers", "2", "--scheduler", "tcp://h:8786"],
    # serve: refused before anything listens
    ["serve", "--host", "0.0.0.0"], ["serve", "--port", "many"], ["serve", "--port", "-5"],
    ["serve", "--port", "70000"], ["serve", "--speed", "-1"], ["serve", "--cadence", "0.1"],
    ["serve", "--window-rows", "0"], ["serve", "--replay", "{missing}"],
    ["serve", "--follow", "{missing}"], ["serve", "--station", "nowhere"],
]


@pytest.mark.parametrize("argv", BAD, ids=[" ".join(a) or "(none)" for a in BAD])
def test_every_input_error_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str],
                                                  files: dict[str, str],
                                                  argv: list[str]) -> None:
    _one_error_line(capsys, [a.format(**files) for a in argv])


def test_at_least_40_bad_invocations_across_all_commands() -> None:
    assert len(BAD) >= 40
    assert {a[0] for a in BAD if a} >= set(BASE) - {"stations"} | {"stations"}


@pytest.mark.parametrize("argv", [
    ["analyze", "{garbage}", "--volume", "4m3"],
    ["leaktest", "{garbage}", "--volume", "4m3", "--spec", "0.1kg/day"],
    ["locate", "--telemetry", "{garbage}", "--json"],
    ["analyze", "{huge}", "--volume", "4m3"],
])
def test_garbage_tables_give_one_line_in_a_real_process(files: dict[str, str],
                                                        argv: list[str]) -> None:
    """'Exception ignored ... Traceback' (an unraisable exception) and numpy warnings reach
    the terminal only in a real process, outside pytest's capture."""
    run = subprocess.run([sys.executable, "-c", "import sys; from cabinleak.cli import main; "
                          "sys.exit(main(sys.argv[1:]))", *(a.format(**files) for a in argv)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert len(run.stderr.splitlines()) == 1, run.stderr


def _examples() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    texts = [parser.epilog or ""] + [p.epilog or "" for p in sub.choices.values()]
    readme = Path(__file__).resolve().parents[1] / "README.md"
    texts.append(readme.read_text(encoding="utf-8"))
    lines = {line.strip().split("  #")[0].removeprefix("$ ").strip()
             for text in texts for line in text.splitlines()}
    return sorted(line for line in lines
                  if line.startswith("cabinleak ") and "[" not in line and "|" not in line
                  and "..." not in line
                  and not line.split()[1].endswith(":"))  # an output line, "cabinleak locate: …"


@pytest.mark.parametrize("line", _examples())
def test_every_example_parses(line: str) -> None:
    """The examples in --help and the README follow the rule (units everywhere)."""
    import shlex

    from cabinleak.cli.common import attach_negative_values

    command = line.split(" > ")[0]  # a shell redirection of the output is not an argument
    build_parser().parse_args(attach_negative_values(shlex.split(command)[1:]))
