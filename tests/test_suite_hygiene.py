"""Checks on the test suite itself: that its comparisons can fail, and that CI cannot skip
the validation against other codes without saying so."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import missing_reference_packages, running_in_ci

TESTS = Path(__file__).parent


def _approx_calls_without_abs() -> list[str]:
    found = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "approx"
                    and not any(k.arg == "abs" for k in node.keywords)):
                found.append(f"{path.name}:{node.lineno}")
    return found


def test_every_approx_states_its_absolute_tolerance() -> None:
    """pytest.approx keeps abs=1e-12 unless told otherwise, which passes anything at SI
    scales like 3e-15 m³ or 1e-7 kg/s (a crack coefficient 290x off passed that way).
    Every approx in tests/ says abs= explicitly: abs=0, or a tolerance in physical units."""
    assert _approx_calls_without_abs() == []


def test_approx_with_abs_zero_fails_on_tiny_values() -> None:
    default_approx = pytest.approx  # the trap, on purpose: abs left at its default
    assert default_approx(3e-15 * 290, rel=0.02) == 3e-15
    assert 3e-15 != pytest.approx(3e-15 * 290, rel=0.02, abs=0)


@pytest.mark.parametrize(("value", "ci"), [("true", True), ("1", True), ("TRUE", True),
                                           ("", False), ("false", False), ("0", False)])
def test_ci_is_recognised(value: str, ci: bool) -> None:
    assert running_in_ci({"CI": value}) is ci
    assert running_in_ci({}) is False


def test_missing_reference_packages_are_named() -> None:
    def importer(name: str) -> object:
        if name == "cantera":
            raise ModuleNotFoundError(name)
        return object()

    assert missing_reference_packages(importer) == ["cantera"]


def test_ci_without_a_reference_package_fails_the_run(pytester: pytest.Pytester,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI=true, a reference package that cannot be imported stops the run with a
    usage error (exit code 4) instead of skipping its validation tests."""
    pytester.makeconftest((TESTS / "conftest.py").read_text().replace(
        'REFERENCE_PACKAGES = ("cantera", "CoolProp.CoolProp")',
        'REFERENCE_PACKAGES = ("cantera", "no_such_reference_package_xyz")'))
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    monkeypatch.setenv("CI", "true")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no_such_reference_package_xyz*skipped silently*"])
    monkeypatch.setenv("CI", "false")
    assert pytester.runpytest_subprocess("-p", "no:cacheprovider").ret == pytest.ExitCode.OK
