"""What the subcommands share: the usage error and the progress bar."""

from __future__ import annotations

import sys

from cabinleak.errors import CabinleakError


class UsageError(CabinleakError):
    """A command-line option is invalid."""


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
