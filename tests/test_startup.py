"""What a short command imports. ``cabinleak --help`` took 2 s of CPU (110x ``python -c
pass``) because every command, SciPy and the models were imported up front; now a command's
module is imported only when it runs, and the models only where they are used. The speed
itself is measured in ``benchmarks/bench_startup.py``; these tests pin the imports that set
it, each in a fresh interpreter."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import types

import pytest

import cabinleak.estimate
import cabinleak.telemetry
from cabinleak.cli import COMMANDS, build_parser, main
from cabinleak.lazy import lazy_package

# Runs the command line as the console script does and prints what it imported.
PROBE = """\
import contextlib, io, json, sys
from cabinleak.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        rc = main(sys.argv[1:])
    except SystemExit as exc:  # --help ends through argparse
        rc = exc.code
print(json.dumps({"rc": rc, "modules": sorted(sys.modules)}))
"""
# Never needed to list, simulate or describe: the inference layers, plots, tables.
HEAVY = ("scipy", "matplotlib", "pyarrow", "cabinleak.estimate", "cabinleak.locate",
         "cabinleak.attribute", "cabinleak.report")
MODELS = ("numpy", "cabinleak.station", "cabinleak.simulate", "cabinleak.telemetry")
COMMAND_MODULES = {f"cabinleak.cli.{source.partition(':')[0]}" for source, _ in COMMANDS.values()}


def _imported(code: str, *argv: str) -> set[str]:
    run = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.splitlines()[-1])
    assert out.get("rc", 0) == 0, run.stderr
    return set(out["modules"])


def _cli_imports(*argv: str) -> set[str]:
    return _imported(PROBE, *argv)


def _under(modules: set[str], *packages: str) -> list[str]:
    """The modules that are one of `packages` or inside one."""
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


def test_help_imports_no_model_and_no_command() -> None:
    modules = _cli_imports("--help")
    assert _under(modules, *HEAVY, *MODELS) == []
    assert modules & COMMAND_MODULES == set()


@pytest.mark.parametrize("command", ["simulate", "analyze", "leaktest"])
def test_a_commands_help_imports_its_own_module_and_no_model(command: str) -> None:
    modules = _cli_imports(command, "--help")
    assert _under(modules, *HEAVY, *MODELS) == []
    assert modules & COMMAND_MODULES == {f"cabinleak.cli.{COMMANDS[command][0].split(':')[0]}"}


def test_stations_reads_the_station_files_and_nothing_else() -> None:
    modules = _cli_imports("stations")
    assert _under(modules, *HEAVY, "cabinleak.simulate", "cabinleak.telemetry") == []
    assert modules & COMMAND_MODULES == {"cabinleak.cli.simulate"}
    assert "cabinleak.station" in modules  # the probe did run the command


def test_simulate_imports_the_simulator_and_not_the_inference() -> None:
    modules = _cli_imports("simulate", "test-chamber", "--duration", "1h", "--n-out", "3")
    assert _under(modules, *HEAVY) == []
    assert modules & COMMAND_MODULES == {"cabinleak.cli.simulate"}
    assert "cabinleak.simulate.integrator" in modules


def test_help_lists_every_command_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    listing = " ".join(capsys.readouterr().out.split())  # the help is wrapped to the terminal
    at = [listing.find(f" {name} {help} ") for name, (_, help) in COMMANDS.items()]
    assert -1 not in at and at == sorted(at), listing


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_commands_help_is_whole_when_its_parser_is_filled_on_demand(
        command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``cabinleak CMD --help`` (the parser filled as it parses) prints what the parser
    filled up front prints: every option and the examples."""
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    shown = capsys.readouterr().out
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert shown == sub.choices[command].format_help()
    assert "example" in shown and "--json" in shown


@pytest.mark.parametrize(("argv", "message"), [
    (["bogus"], "cabinleak: error: COMMAND: invalid choice: 'bogus' (choose from "
                + ", ".join(f"'{name}'" for name in COMMANDS) + ")"),
    (["simulate", "test-chamber", "--duration", "1"],
     "cabinleak simulate: error: --duration: give a unit, e.g. 36h"),
    (["mmod", "--area", "10m2"],
     "cabinleak mmod: error: --area does not apply to the environment alone (no --wall, "
     "--station or --fleet)"),
])
def test_usage_errors_stay_one_line(argv: list[str], message: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err == message + "\n"


# ------------------------------------------------------------ lazy re-exports


def test_a_light_submodule_does_not_pull_scipy_or_pyarrow() -> None:
    code = ("import json, sys; import cabinleak.estimate.checks, cabinleak.telemetry.model; "
            "print(json.dumps({'modules': sorted(sys.modules)}))")
    modules = _imported(code)
    assert _under(modules, "scipy", "pyarrow", "matplotlib") == []
    assert _under(modules, "cabinleak.estimate", "cabinleak.telemetry") == [
        "cabinleak.estimate", "cabinleak.estimate.checks", "cabinleak.telemetry",
        "cabinleak.telemetry.model"]


@pytest.mark.parametrize("package", [cabinleak.estimate, cabinleak.telemetry])
def test_each_lazy_name_is_its_submodules_object(package: types.ModuleType) -> None:
    exports = vars(package)["_exports"]
    assert set(exports) == set(package.__all__)
    for name, submodule in exports.items():
        defining = importlib.import_module(f"{package.__name__}.{submodule}")
        assert getattr(package, name) is getattr(defining, name), name
        assert name in dir(package)


def test_a_name_shared_with_its_submodule_stays_the_reexport() -> None:
    """``cabinleak.estimate.forecast`` is the function, as when ``__init__`` imported all,
    even when the submodule of that name was imported first (which sets it on the
    package)."""
    code = ("import json; import cabinleak.estimate.analysis; "
            "from cabinleak.estimate import forecast; import cabinleak.estimate as e; "
            "print(json.dumps({'modules': [type(forecast).__name__, type(e.forecast).__name__]}))")
    assert _imported(code) == {"function"}


def test_lazy_exports_must_match_all(monkeypatch: pytest.MonkeyPatch) -> None:
    package = types.ModuleType("cabinleak_fake_package")
    package.__all__ = ["a", "b"]
    monkeypatch.setitem(sys.modules, package.__name__, package)
    with pytest.raises(ValueError, match=r"differ: \['b', 'c'\]"):
        lazy_package(package.__name__, {"one": ("a", "c")})
