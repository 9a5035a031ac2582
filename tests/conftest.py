"""Test-suite configuration: Hypothesis profiles, and no silent skips of validation in CI.

Hypothesis profiles (choose with ``HYPOTHESIS_PROFILE``):

- ``ci`` (loaded by default, and always under ``CI=true``): no per-example deadline (the
  200 ms default fails on a loaded machine: timing is not what these tests check, speed
  lives in ``benchmarks/``), ``derandomize=True`` so every run draws the same examples
  and a red build reproduces; the too-slow health check off for the same reason.
- ``mutate``: as ``ci`` with 20 examples a test, for ``tools/mutate.py``.
- ``explore``: no deadline, random examples and 10x as many of them, for a developer
  hunting counterexamples (``HYPOTHESIS_PROFILE=explore pytest tests/test_x.py``).

Validation against other codes (Cantera, CoolProp) is skipped where they are not
installed, so that a user without them can still run the suite. Under ``CI=true`` a
missing reference package fails the run instead: a skipped validation is no validation.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]  # test_suite_hygiene.py runs the conftest in a sandbox

#: the import names of the packages that the validation tests run as references
REFERENCE_PACKAGES = ("cantera", "CoolProp.CoolProp")

settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
# tools/mutate.py runs the mapped tests once per mutant: fewer examples, same draws
settings.register_profile("mutate", deadline=None, derandomize=True, max_examples=20,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", deadline=None, max_examples=1000, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])


def running_in_ci(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """True where the environment says CI (``CI=true`` or ``CI=1``, as CI services set)."""
    return environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_reference_packages(
        importer: Callable[[str], object] = importlib.import_module) -> list[str]:
    """The reference packages that cannot be imported."""
    missing = []
    for name in REFERENCE_PACKAGES:
        try:
            importer(name)
        except ImportError:
            missing.append(name)
    return missing


settings.load_profile("ci" if running_in_ci() else os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    if running_in_ci():
        missing = missing_reference_packages()
        if missing:
            raise pytest.UsageError(
                f"CI=true but the reference package(s) {', '.join(missing)} cannot be "
                "imported: the validation tests against them would be skipped silently. "
                "Install the test extras: pip install -e '.[test]'")
