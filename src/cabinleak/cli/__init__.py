"""The ``cabinleak`` command line.

Every error caused by input (options, files, units, names, numbers) ends in one line
on stderr, ``cabinleak COMMAND: error: ...``, and exit code 2, never a traceback or a
usage block. The rules every option follows are in :mod:`cabinleak.cli.common`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cabinleak import __version__
from cabinleak.cli import analyze, attribute, demo, locate, simulate
from cabinleak.cli.common import ParseError, Parser, attach_negative_values, echo_text
from cabinleak.errors import CabinleakError

EXAMPLES = """\
examples:
  cabinleak stations
  cabinleak simulate test-chamber --duration 2h --floor 0.7atm
  cabinleak simulate iss --leak soyuz-om:2mm:0.6 --duration 36h --floor 490mmHg --plot p.png
  cabinleak simulate iss --leak prk:1mm --close zvezda-prk@2h --duration 1d --out run.csv
  cabinleak simulate iss --leak soyuz-om:1.5mm --duration 12h --telemetry tm.parquet
  cabinleak simulate iss --remove soyuz --remove progress --leak destiny:3mm --duration 7d --json
  cabinleak analyze telemetry.csv --station iss --floor 490mmHg --report report.html
  cabinleak analyze gauge.csv --volume 4.5m3 --json
  cabinleak leaktest examples/leaktest/*.csv --spec 0.1kg/day
  cabinleak locate --station iss --rate 0.7kg/day
  cabinleak locate --station iss --simulate-leak soyuz-om:2mm --json
  cabinleak mmod --wall single:0.2cm --area 10m2 --exposure 1y --altitude 400km
  cabinleak attribute --module soyuz-om --exposure 60d --hole 2mm --evidence ms09
  cabinleak demo --plot demo.png --report demo-report.html
"""


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="cabinleak", description="Air leaks in crewed spacecraft and habitats.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"cabinleak {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for command in (simulate, analyze, locate, attribute, demo):
        command.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(attach_negative_values(
            sys.argv[1:] if argv is None else argv))
    except ParseError as exc:
        print(f"{exc.prog}: error: {exc}", file=sys.stderr)
        return 2
    prog = f"cabinleak {args.command}"
    try:
        if not getattr(args, "json", False) and (line := echo_text(args)):
            print(line)
        return int(args.func(args))
    except CabinleakError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head: the reader has what it wanted
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(f"{prog}: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
