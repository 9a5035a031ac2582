"""The ``cabinleak`` command line.

Every error caused by input (files, units, names, numbers) ends in one line on
stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from cabinleak import __version__
from cabinleak.errors import CabinleakError, ScenarioError
from cabinleak.physics.units import MMHG_PA, format_duration, format_pressure, parse_quantity
from cabinleak.simulate import HatchEvent, SimulationResult, simulate
from cabinleak.station import Leak, Station, bundled_stations, load_station
from cabinleak.telemetry import sensor_columns, state_columns, write_table

EXAMPLES = """\
examples:
  cabinleak stations
  cabinleak simulate test-chamber --duration 2h --floor 0.7atm
  cabinleak simulate iss --leak soyuz-om:2mm:0.6 --duration 36h --floor 490mmHg --plot p.png
  cabinleak simulate iss --leak prk:1mm --close zvezda-prk@2h --duration 1d --out run.csv
  cabinleak simulate iss --leak soyuz-om:1.5mm --duration 12h --telemetry tm.parquet
  cabinleak simulate iss --remove soyuz --remove progress --leak destiny:3mm --duration 7d --json
  cabinleak demo --plot demo.png
"""


class _Progress:
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


def _parse_leak(text: str, station: Station) -> Leak:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise ScenarioError(f"--leak {text!r}: expected MODULE:DIAMETER[:CD], "
                            "e.g. soyuz-om:2mm:0.6")
    station.module(parts[0])
    diameter = parse_quantity(parts[1], "length", default_unit="mm")
    if diameter <= 0:
        raise ScenarioError(f"--leak {text!r}: diameter must be > 0")
    cd = 0.6
    if len(parts) == 3:
        try:
            cd = float(parts[2])
        except ValueError:
            raise ScenarioError(f"--leak {text!r}: discharge coefficient {parts[2]!r} is not a "
                                "number (expected 0 < Cd <= 1)") from None
        if not 0 < cd <= 1:
            raise ScenarioError(f"--leak {text!r}: discharge coefficient must be in (0, 1], "
                                f"got {cd:g}")
    return Leak(module=parts[0], diameter_m=diameter, discharge_coefficient=cd,
                id=f"cli-leak-{parts[0]}")


def _parse_hatch_event(text: str, station: Station, is_open: bool) -> HatchEvent:
    flag = "--open" if is_open else "--close"
    if "@" not in text:
        raise ScenarioError(f"{flag} {text!r}: expected HATCH@TIME, e.g. zvezda-prk@2h")
    hatch, when = text.split("@", 1)
    station.hatch(hatch)
    t = parse_quantity(when, "time", default_unit="s")
    if t < 0:
        raise ScenarioError(f"{flag} {text!r}: time must be >= 0")
    return HatchEvent(time_s=t, hatch=hatch, open=is_open)


def _duration(text: str) -> float:
    t = parse_quantity(text, "time", default_unit="s")
    if not t > 0:
        raise ScenarioError(f"--duration {text!r}: must be > 0")
    return t


def _summary(result: SimulationResult, floor_Pa: float | None, *,
             per_module: bool = True) -> str:
    """The terminal summary: totals, the floor, and a table of modules."""
    lines = [str(result)]
    if floor_Pa is not None:
        ttf = result.time_to_floor_s(floor_Pa)
        when = "not reached" if ttf is None else f"after {format_duration(ttf)}"
        lines.append(f"floor {format_pressure(floor_Pa)}: {when} "
                     f"(within the {format_duration(float(result.time_s[-1]))} simulated)")
    if not per_module:
        return "\n".join(lines)
    lines.append("")
    lines.append(f"{'module':<14}{'volume m³':>10}{'p start mmHg':>14}{'p end mmHg':>12}"
                 f"{'T end K':>9}{'ppO2 end mmHg':>15}")
    o2 = result.partial_pressure_Pa("O2")
    for i, mid in enumerate(result.module_ids):
        lines.append(f"{mid:<14}{result.volume_m3[i]:>10.2f}"
                     f"{result.pressure_Pa[0, i] / MMHG_PA:>14.2f}"
                     f"{result.pressure_Pa[-1, i] / MMHG_PA:>12.2f}"
                     f"{result.temperature_K[-1, i]:>9.2f}{o2[-1, i] / MMHG_PA:>15.2f}")
    return "\n".join(lines)


def cmd_stations(args: argparse.Namespace) -> int:
    stations: list[dict[str, Any]] = []
    for name, desc in bundled_stations().items():
        st = load_station(name)
        stations.append({"name": name, "description": desc, "volume_m3": st.volume_m3,
                         "modules": list(st.module_ids),
                         "hatches": [h.id for h in st.hatches], "groups": list(st.groups())})
    if args.json:
        print(json.dumps({"stations": stations}, indent=2))
    else:
        for s in stations:
            n_mod = len(s["modules"])
            plural = "s" if n_mod != 1 else " "
            print(f"{s['name']:<14}{n_mod:>3} module{plural} {s['volume_m3']:>8.1f} m³  "
                  f"{s['description']}")
            print(f"{'':<14}modules: {', '.join(s['modules'])}")
    return 0


def run_simulation(args: argparse.Namespace,
                   station: Station) -> tuple[SimulationResult, float | None]:
    """Run the simulation an argument namespace describes; write the files it asks for.

    Returns the result and the ``--floor`` in pascals (None without one).
    """
    leaks = [_parse_leak(x, station) for x in args.leak]
    events = [_parse_hatch_event(x, station, False) for x in args.close]
    events += [_parse_hatch_event(x, station, True) for x in args.open]
    duration = _duration(args.duration)
    floor = parse_quantity(args.floor, "pressure", default_unit="Pa") if args.floor else None
    progress = _Progress(not args.json, f"simulating {format_duration(duration)}")
    result = simulate(station, duration, leaks=leaks, events=events, n_out=args.n_out,
                      progress=progress)
    progress.done()
    if args.out:
        write_table(state_columns(result), args.out)
    if args.telemetry:
        write_table(sensor_columns(result, station.sensors, rng=args.seed), args.telemetry)
    if args.plot:
        from cabinleak.report.plots import plot_pressures

        highlight = tuple(dict.fromkeys(lk.module for lk in leaks))
        title = (f"{station.name}: "
                 + ", ".join(f"{lk.describe()} in {lk.module}" for lk in leaks)) if leaks else ""
        plot_pressures(result, args.plot, floor_Pa=floor, highlight=highlight, title=title)
    return result, floor


def cmd_simulate(args: argparse.Namespace) -> int:
    station = load_station(args.station)
    if args.remove:
        station = station.without(args.remove)
    result, floor = run_simulation(args, station)
    if args.json:
        out = result.to_dict(floor)
        out["outputs"] = {"table": args.out, "telemetry": args.telemetry, "plot": args.plot}
        print(json.dumps(out, indent=2))
    else:
        print(_summary(result, floor))
        for what, path in (("table", args.out), ("telemetry", args.telemetry),
                           ("plot", args.plot)):
            if path:
                print(f"{what} written to {path}")
    return 0


DEMO_LEAK = "soyuz-om:1.8mm:0.6"


def cmd_demo(args: argparse.Namespace) -> int:
    """A 1.8 mm hole (Cd 0.6) in the Soyuz MS orbital module, hatches open, two days."""
    station = load_station("iss")
    ns = argparse.Namespace(
        leak=[DEMO_LEAK], close=[], open=[], duration="48h", floor="490mmHg", n_out=193,
        out=args.out, plot=args.plot, json=args.json, telemetry=None, seed=0)
    result, floor = run_simulation(ns, station)
    hours = float(result.time_s[-1]) / 3600.0
    # the whole station shares one pressure through its open hatches: read it in Zvezda
    p = result.pressure("zvezda")
    rate_mmhg_h = (p[0] - p[-1]) / MMHG_PA / hours
    leak = _parse_leak(DEMO_LEAK, station)
    if args.json:
        out = result.to_dict(floor)
        out["demo"] = {"leak": f"{leak.describe()} in {leak.module}",
                       "mean_rate_mmHg_per_h": rate_mmhg_h, "plot": args.plot}
        print(json.dumps(out, indent=2))
        return 0
    crew = sum(c.count for c in station.crew)
    print(f"cabinleak demo: {station.description.splitlines()[0]}")
    print(f"A {leak.describe()} in {leak.module}, {crew:g} crew using O2, {hours:g} hours.\n")
    print(_summary(result, floor, per_module=False))
    print(f"mean station pressure drop {rate_mmhg_h:.2f} mmHg/h "
          "(Soyuz MS-09, 2018: about 0.6 mmHg/h reported)")
    if args.plot:
        print(f"plot written to {args.plot}")
    return 0


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

    p = sub.add_parser("demo", help="worked example: a Soyuz MS hole on the ISS, two days",
                       epilog="example:\n  cabinleak demo --plot demo.png",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--plot", default="cabinleak-demo.png", metavar="FILE.png",
                   help="plot file (default cabinleak-demo.png)")
    p.add_argument("--out", metavar="FILE", help="write the time series (.csv or .parquet)")
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except CabinleakError as exc:
        print(f"cabinleak: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cabinleak: error: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
