"""The ``cabinleak`` command line.

Every error caused by input (files, units, names, numbers) ends in one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from cabinleak import __version__
from cabinleak.cli.analyze import add_parsers as add_analyze_parsers
from cabinleak.cli.attribute import add_parsers as add_attribute_parsers
from cabinleak.cli.demo import add_parser as add_demo_parser
from cabinleak.cli.locate import add_parser as add_locate_parser
from cabinleak.cli.simulate import cmd_simulate, cmd_stations
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
    parser = argparse.ArgumentParser(
        prog="cabinleak", description="Air leaks in crewed spacecraft and habitats.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"cabinleak {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("stations", help="list the bundled stations",
                       epilog="example:\n  cabinleak stations --json",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_stations)

    p = sub.add_parser("simulate", help="simulate a station with leaks and hatch events",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("station", help="bundled station name (see `cabinleak stations`) or TOML file")
    p.add_argument("--leak", action="append", default=[], metavar="MODULE:DIAMETER[:CD]",
                   help="add a round hole to vacuum, e.g. soyuz-om:2mm:0.6 (Cd default 0.6)")
    p.add_argument("--close", action="append", default=[], metavar="HATCH@TIME",
                   help="close a hatch at a time, e.g. zvezda-prk@2h")
    p.add_argument("--open", action="append", default=[], metavar="HATCH@TIME",
                   help="open a hatch at a time")
    p.add_argument("--remove", action="append", default=[], metavar="GROUP",
                   help="remove a module or group, e.g. soyuz or progress")
    p.add_argument("--duration", required=True, help="simulated time, e.g. 36h, 7d, 90min")
    p.add_argument("--floor", help="pressure floor for time_to_floor, e.g. 490mmHg")
    p.add_argument("--n-out", type=int, default=401, help="output times (default 401)")
    p.add_argument("--out", metavar="FILE", help="write the time series (.csv or .parquet)")
    p.add_argument("--telemetry", metavar="FILE",
                   help="write what the station's [[sensor]]s would report (.csv or .parquet)")
    p.add_argument("--seed", type=int, default=0, help="sensor-noise seed (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="write a pressure plot")
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    p.set_defaults(func=cmd_simulate)

    add_analyze_parsers(sub)
    add_locate_parser(sub)
    add_attribute_parsers(sub)

    add_demo_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CabinleakError as exc:
        print(f"cabinleak: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head: the reader has what it wanted
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(f"cabinleak: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
