"""The ``cabinleak`` command line.

Every error caused by input (options, files, units, names, numbers) ends in one line
on stderr, ``cabinleak COMMAND: error: ...``, and exit code 2, never a traceback or a
usage block. The rules every option follows are in :mod:`cabinleak.cli.common`.

Start-up is kept short (``benchmarks/bench_startup.py``): this module and
:mod:`cabinleak.cli.common` import no NumPy, and a command's module (which fills its
parser) is imported only when that command is parsed, so ``cabinleak --help`` imports no
command module and ``cabinleak stations`` no simulator, estimator or SciPy. ``simulate``
and ``analyze`` import the models only inside the functions that use them, so that their
``--help`` is as quick; the other command modules import theirs at the top.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from cabinleak import __version__
from cabinleak.cli.common import ParseError, Parser, attach_negative_values, echo_text
from cabinleak.errors import CabinleakError

#: The commands in the order ``cabinleak --help`` lists them: name → (``module:function``
#: under ``cabinleak.cli`` that fills the command's parser, one-line help). The one-line
#: help lives here, not in the module, so that listing the commands imports none of them.
COMMANDS: dict[str, tuple[str, str]] = {
    "stations": ("simulate:stations_parser", "list the bundled stations"),
    "simulate": ("simulate:simulate_parser", "simulate a station with leaks and hatch events"),
    "analyze": ("analyze:analyze_parser", "detect a leak and estimate its size from telemetry"),
    "leaktest": ("analyze:leaktest_parser",
                 "ground pressure-decay acceptance test (ASTM E2930 practice)"),
    "locate": ("locate:locate_parser", "plan hatch-closure tests and find where the leak is"),
    "mmod": ("attribute:mmod_parser",
             "micrometeoroid and debris risk: the environment, a wall, a station, the fleet"),
    "attribute": ("attribute:attribute_parser",
                  "what made the hole: MMOD, a defect, fatigue, a seal, or a deliberate act"),
    "campaign": ("campaign:campaign_parser",
                 "consequence campaigns: many holes, the crew's response, outcome odds"),
    "demo": ("demo:demo_parser",
             "worked example: a Soyuz MS hole on the ISS, simulated then analysed"),
    "serve": ("serve:serve_parser", "the live console: telemetry in, leak alarms in a browser"),
}

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
  cabinleak campaign --example iss  # prints the ISS example: > iss-campaign.toml
  cabinleak campaign iss-campaign.toml --workers 2 --out iss-run --report iss.html
  cabinleak demo --plot demo.png --report demo-report.html
  cabinleak serve --demo
"""


class CommandParser(Parser):
    """A command's parser that is filled (its options, epilog and ``func``) the first time
    it parses, by the function `source` names (``module:function`` under ``cabinleak.cli``);
    the top level's ``--help`` needs only the one-line help it was added with."""

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source: str | None = source

    def fill(self) -> None:
        """Import the command's module and let it add its options (once)."""
        if self.source is not None:
            module, _, function = self.source.partition(":")
            self.source = None
            getattr(importlib.import_module(f"cabinleak.cli.{module}"), function)(self)

    # argparse hands the rest of the command line to a command's parser through this
    # method, which reads the parser's actions (and their defaults) first
    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self.fill()
        return super().parse_known_args(args, namespace)


def build_parser(*, lazy: bool = False) -> argparse.ArgumentParser:
    """The whole command line. With `lazy` (what :func:`main` uses) each command's parser
    is filled only when that command is parsed; without, all are filled now, for reading
    their options and epilogs."""
    parser = Parser(
        prog="cabinleak", description="Air leaks in crewed spacecraft and habitats.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"cabinleak {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=CommandParser)
    for name, (source, line) in COMMANDS.items():
        command = sub.add_parser(name, help=line, source=source)
        if not lazy:
            command.fill()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(lazy=True)
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
