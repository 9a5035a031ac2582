"""What the subcommands share: the parser, the option types, the usage error, the echo of
the options read, and the progress bar.

One rule for every option: a physical quantity needs its unit (a bare number is refused
with an example, ``--floor: give a unit, e.g. 490mmHg``), and one that cannot be negative
or zero is refused when it is. Each option is converted once, while the command line is
parsed, so a bad value ends the run before any work with one line and exit code 2; the
values read are echoed with their units (:func:`echo_text`, :func:`echo_json`).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from cabinleak.errors import CabinleakError, UnitError
from cabinleak.physics.units import echo_quantity, is_bare_number, parse_quantity, si_unit


class UsageError(CabinleakError):
    """A command-line option is invalid."""


class ParseError(UsageError):
    """The command line itself could not be read; ``prog`` is the (sub)command's name."""

    def __init__(self, prog: str, message: str) -> None:
        self.prog = prog
        super().__init__(message)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block): it raises
    :class:`ParseError`, and ``cabinleak.cli.main`` prints it and returns 2."""

    def error(self, message: str) -> NoReturn:
        raise ParseError(self.prog, message.removeprefix("argument "))


_NEGATIVE_VALUE = re.compile(r"-\.?\d")


def attach_negative_values(argv: Sequence[str]) -> list[str]:
    """``--duration -1h`` → ``--duration=-1h``, so that a negative value reaches its option's
    check (argparse would take ``-1h`` for an option and say only "expected one argument").
    No cabinleak option starts with ``-`` and a digit."""
    out: list[str] = []
    for arg in argv:
        prev = out[-1] if out else ""
        if (_NEGATIVE_VALUE.match(arg) and prev.startswith("--") and "=" not in prev
                and prev != "--"):
            out[-1] = f"{prev}={arg}"
        else:
            out.append(arg)
    return out


# ------------------------------------------------------------------- option types


class OptionValue(ABC):
    """An option's value that carries a unit: echoed as ``str`` and in ``--json``."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """What ``--json`` echoes of the value."""


@dataclass(frozen=True)
class Quantity(OptionValue):
    """An option's physical value: as given, and in SI."""

    text: str  # as given, e.g. "0.7atm"
    si: float  # in the SI unit of `dimension`
    dimension: str

    def __str__(self) -> str:
        return echo_quantity(self.text, self.dimension)

    def to_dict(self) -> dict[str, Any]:
        return {"given": self.text, "value": self.si, "unit": si_unit(self.dimension)}


def read_quantity(text: str, dimension: str, example: str, *,
                  zero_ok: bool = False) -> Quantity:
    """A quantity with its unit, > 0 (or ≥ 0 with `zero_ok`).

    Raises
    ------
    argparse.ArgumentTypeError
        A bare number (the message gives `example`), text that is not such a quantity,
        or a value that is negative (or zero).
    """
    if is_bare_number(text):
        raise argparse.ArgumentTypeError(f"give a unit, e.g. {example}")
    try:
        si = parse_quantity(text, dimension)
    except UnitError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if si < 0 or (si == 0 and not zero_ok):
        raise argparse.ArgumentTypeError(f"must be {'>=' if zero_ok else '>'} 0, got {text}")
    return Quantity(text, si, dimension)


def quantity(dimension: str, example: str, *, zero_ok: bool = False
             ) -> Callable[[str], Quantity]:
    """An argparse ``type`` for a quantity (see :func:`read_quantity`)."""

    def read(text: str) -> Quantity:
        return read_quantity(text, dimension, example, zero_ok=zero_ok)

    read.__name__ = dimension  # argparse names the type in some messages
    return read


def seed(text: str) -> int:
    """A random seed: a whole number >= 0 (numpy refuses negative seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def count(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number >= `minimum`."""

    def read(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    read.__name__ = "count"
    return read


def number(low: float = -math.inf, high: float = math.inf, *, low_open: bool = False,
           what: str = "a number") -> Callable[[str], float]:
    """An argparse ``type`` for a finite plain number in [low, high] ((low, high] with
    `low_open`): dimensionless values such as a discharge coefficient or a crew count."""
    lo = "(" if low_open else "["

    def read(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        inside = (value > low if low_open else value >= low) and value <= high
        if not (math.isfinite(value) and inside):
            bounds = (f"in {lo}{low:g}, {high:g}]" if math.isfinite(high)
                      else f"{'>' if low_open else '>='} {low:g}")
            raise argparse.ArgumentTypeError(f"{what} must be {bounds}, got {text}")
        return value

    read.__name__ = "number"
    return read


# ---------------------------------------------------------------- the echo


def _options(args: argparse.Namespace) -> list[tuple[str, Any]]:
    """(option, value) of every value in `args` that carries a unit."""
    out = []
    for dest, value in vars(args).items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, OptionValue):
                out.append(("--" + dest.replace("_", "-"), item))
    return out


def echo_text(args: argparse.Namespace) -> str:
    """One line with every value read that carries a unit, e.g.
    ``options: --duration 36 h, --floor 0.7 atm (532 mmHg)``; empty when there are none."""
    parts = [f"{option} {item}" for option, item in _options(args)]
    return "options: " + ", ".join(parts) if parts else ""


def echo_json(args: argparse.Namespace) -> dict[str, Any]:
    """The values read, for ``--json``: ``{"floor": {"given", "value", "unit"}, ...}``;
    repeatable options give lists."""
    out: dict[str, Any] = {}
    for option, item in _options(args):
        key = option[2:].replace("-", "_")
        if isinstance(getattr(args, key, None), list):
            out.setdefault(key, []).append(item.to_dict())
        else:
            out[key] = item.to_dict()
    return out


# ---------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr, shown only on a terminal."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.label = label
        self.last = -1

    def __call__(self, fraction: float) -> None:
        if not self.enabled:
            return
        pct = int(100 * min(max(fraction, 0.0), 1.0))
        if pct != self.last:
            self.last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {pct:3d}%")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * (len(self.label) + 34) + "\r")
            sys.stderr.flush()
