"""``cabinleak stations`` and ``cabinleak simulate``."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cabinleak.cli.common import (
    OptionValue,
    Progress,
    Quantity,
    count,
    echo_json,
    quantity,
    read_quantity,
    seed,
)
from cabinleak.physics.units import MMHG_PA, format_duration, format_pressure

# The station and the simulator (NumPy) are imported where they are used, so that
# `cabinleak simulate --help` reads no model (see cabinleak.cli).
if TYPE_CHECKING:
    from cabinleak.simulate import HatchEvent, SimulationResult
    from cabinleak.station import Leak, Station

SIMULATE_EXAMPLES = """\
examples:
  cabinleak simulate test-chamber --duration 2h --floor 0.7atm
  cabinleak simulate iss --leak soyuz-om:2mm:0.6 --duration 36h --floor 490mmHg --plot p.png
  cabinleak simulate iss --leak prk:1mm --close zvezda-prk@2h --duration 1d --out run.csv
  cabinleak simulate iss --leak soyuz-om:1.5mm --duration 12h --telemetry tm.parquet
  cabinleak simulate iss --remove soyuz --remove progress --leak destiny:3mm --duration 7d --json
"""


@dataclass(frozen=True)
class LeakOption(OptionValue):
    """``--leak MODULE:DIAMETER[:CD]`` as read; the module is checked against the station."""

    module: str
    diameter: Quantity
    cd: float = 0.6

    def __str__(self) -> str:
        return f"{self.module}:{self.diameter} Cd {self.cd:g}"

    def to_dict(self) -> dict[str, Any]:
        return {"module": self.module, "diameter": self.diameter.to_dict(), "cd": self.cd}


def leak_option(text: str) -> LeakOption:
    """``soyuz-om:2mm:0.6`` → LeakOption (argparse type of ``--leak``)."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0]:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MODULE:DIAMETER[:CD], "
                                         "e.g. soyuz-om:2mm:0.6")
    try:
        diameter = read_quantity(parts[1], "length", "soyuz-om:2mm")
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: diameter: {exc}") from None
    cd = 0.6
    if len(parts) == 3:
        try:
            cd = float(parts[2])
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: discharge coefficient {parts[2]!r} is not a number "
                "(expected 0 < Cd <= 1)") from None
        if not 0 < cd <= 1:
            raise argparse.ArgumentTypeError(f"{text!r}: discharge coefficient must be in "
                                             f"(0, 1], got {cd:g}")
    return LeakOption(parts[0], diameter, cd)


def parse_leak(option: LeakOption, station: Station) -> Leak:
    from cabinleak.station import Leak

    station.module(option.module)
    return Leak(module=option.module, diameter_m=option.diameter.si,
                discharge_coefficient=option.cd, id=f"cli-leak-{option.module}")


@dataclass(frozen=True)
class HatchOption(OptionValue):
    """``--close``/``--open HATCH@TIME`` as read; the hatch is checked against the station."""

    hatch: str
    time: Quantity

    def __str__(self) -> str:
        return f"{self.hatch}@{self.time}"

    def to_dict(self) -> dict[str, Any]:
        return {"hatch": self.hatch, "time": self.time.to_dict()}


def hatch_option(text: str) -> HatchOption:
    """``zvezda-prk@2h`` → HatchOption (argparse type of ``--close`` and ``--open``)."""
    hatch, sep, when = text.partition("@")
    if not sep or not hatch:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HATCH@TIME, e.g. zvezda-prk@2h")
    try:
        return HatchOption(hatch, read_quantity(when, "time", f"{hatch}@2h", zero_ok=True))
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: time: {exc}") from None


def _hatch_event(option: HatchOption, station: Station, is_open: bool) -> HatchEvent:
    from cabinleak.simulate import HatchEvent

    station.hatch(option.hatch)
    return HatchEvent(time_s=option.time.si, hatch=option.hatch, open=is_open)


def summary(result: SimulationResult, floor_Pa: float | None, *,
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
    from cabinleak.station import bundled_stations, load_station

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
    from cabinleak.simulate import check_floor, simulate
    from cabinleak.telemetry import sensor_columns, state_columns, write_table

    leaks = [parse_leak(x, station) for x in args.leak]
    events = [_hatch_event(x, station, False) for x in args.close]
    events += [_hatch_event(x, station, True) for x in args.open]
    duration = args.duration.si
    floor = args.floor.si if args.floor else None
    if floor is not None:
        check_floor(floor)  # the simulate layer's own check
    progress = Progress(not args.json, f"simulating {format_duration(duration)}")
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
    from cabinleak.station import load_station

    station = load_station(args.station)
    if args.remove:
        station = station.without(args.remove)
    result, floor = run_simulation(args, station)
    if args.json:
        out = result.to_dict(floor)
        out["outputs"] = {"table": args.out, "telemetry": args.telemetry, "plot": args.plot}
        out["options"] = echo_json(args)
        print(json.dumps(out, indent=2))
    else:
        print(summary(result, floor))
        for what, path in (("table", args.out), ("telemetry", args.telemetry),
                           ("plot", args.plot)):
            if path:
                print(f"{what} written to {path}")
    return 0


def stations_parser(p: argparse.ArgumentParser) -> None:
    """Fill the parser of ``cabinleak stations`` (its one-line help is in cabinleak.cli)."""
    p.epilog = "example:\n  cabinleak stations --json"
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_stations)


def simulate_parser(p: argparse.ArgumentParser) -> None:
    """Fill the parser of ``cabinleak simulate``."""
    p.epilog = SIMULATE_EXAMPLES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("station", help="bundled station name (see `cabinleak stations`) or TOML file")
    p.add_argument("--leak", action="append", default=[], metavar="MODULE:DIAMETER[:CD]",
                   type=leak_option,
                   help="add a round hole to vacuum, e.g. soyuz-om:2mm:0.6 (Cd default 0.6)")
    p.add_argument("--close", action="append", default=[], metavar="HATCH@TIME",
                   type=hatch_option,
                   help="close a hatch at a time, e.g. zvezda-prk@2h")
    p.add_argument("--open", action="append", default=[], metavar="HATCH@TIME",
                   type=hatch_option,
                   help="open a hatch at a time")
    p.add_argument("--remove", action="append", default=[], metavar="GROUP",
                   help="remove a module or group, e.g. soyuz or progress")
    p.add_argument("--duration", required=True, type=quantity("time", "36h"),
                   help="simulated time, e.g. 36h, 7d, 90min")
    p.add_argument("--floor", type=quantity("pressure", "490mmHg"),
                   help="pressure floor for time_to_floor, e.g. 490mmHg")
    p.add_argument("--n-out", type=count(2), default=401, help="output times (default 401)")
    p.add_argument("--out", metavar="FILE", help="write the time series (.csv or .parquet)")
    p.add_argument("--telemetry", metavar="FILE",
                   help="write what the station's [[sensor]]s would report (.csv or .parquet)")
    p.add_argument("--seed", type=seed, default=0, help="sensor-noise seed (default 0)")
    p.add_argument("--plot", metavar="FILE.png", help="write a pressure plot")
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    p.set_defaults(func=cmd_simulate)
