"""Exception types that carry what went wrong, where, and what was expected.

The CLI turns any :class:`CabinleakError` into one line on stderr and exit code 2.
"""

from __future__ import annotations


class CabinleakError(ValueError):
    """Base class for every error caused by user input (files, units, names, numbers)."""


class UnitError(CabinleakError):
    """A quantity string could not be parsed, or has the wrong dimension."""

    def __init__(self, text: str, problem: str, expected: str | None = None) -> None:
        self.text = text
        self.problem = problem
        self.expected = expected
        msg = f"cannot read {text!r}: {problem}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)


class StationError(CabinleakError):
    """A station description is invalid; names the file and the item."""

    def __init__(self, source: str, item: str, problem: str) -> None:
        self.source = source
        self.item = item
        self.problem = problem
        super().__init__(f"{source}: {item}: {problem}")


class ScenarioError(CabinleakError):
    """A simulation request (leak, event, duration) is invalid."""


class SimulationError(CabinleakError):
    """The integrator could not finish (step limit reached); says where it stopped."""
