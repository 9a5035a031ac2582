#!/usr/bin/env python3
"""Refresh the README's sample outputs from what their commands print now.

``tests/test_readme.py`` fails when a sample output block (a fenced block without a
language tag that starts with ``$ cabinleak ...``) differs from what the command prints.
After an intended change of output, this rewrites those blocks: a block without ``...``
is replaced whole; in a block with ``...`` lines, the lines before the first ``...`` and
after the last one are replaced by as many lines from the start and the end of what the
command prints (what is left out stays left out). Review the diff before committing.

Usage: ``PYTHONPATH=src python tools/readme_samples.py [--check]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_readme import ELLIPSIS, README, matches, run, samples  # noqa: E402


def refreshed(shown: tuple[str, ...], printed: list[str]) -> list[str]:
    """``shown`` brought up to date with ``printed``, keeping its ``...`` cuts."""
    if ELLIPSIS not in shown:
        return printed
    first = shown.index(ELLIPSIS)
    last = len(shown) - 1 - shown[::-1].index(ELLIPSIS)
    tail = len(shown) - last - 1
    middle = list(shown[first:last + 1])
    return printed[:first] + middle + (printed[len(printed) - tail:] if tail else [])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only list the blocks out of date")
    args = ap.parse_args()
    lines = README.read_text(encoding="utf-8").splitlines()
    stale = 0
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        (where / "examples").symlink_to(ROOT / "examples")
        run(where, "cabinleak demo", ())
        # from the last block up, so earlier line numbers stay right
        for s in reversed(samples()):
            if not s.command:
                continue
            printed = run(where, s.command, s.replies)
            if matches(s.lines, printed):
                continue
            stale += 1
            print(f"README.md:{s.line}: {s.command}", file=sys.stderr)
            if not args.check:
                start = s.line + 1  # 0-based index of the first line after "$ ..."
                lines[start:start + len(s.lines)] = refreshed(s.lines, printed)
    if stale and not args.check:
        README.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{stale} sample block(s) {'out of date' if args.check else 'refreshed'}",
          file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
