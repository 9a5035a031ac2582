"""``cabinleak mmod`` (penetration risk) and ``cabinleak attribute`` (what made the hole)."""

from __future__ import annotations

import argparse
import json
import math
import re
from typing import Any

from cabinleak.attribute.risk import (
    Environment,
    Risk,
    Wall,
    parse_wall,
    surface_risk,
)
from cabinleak.attribute.surfaces import DEFAULT_PRIOR_WALL
from cabinleak.cli.common import UsageError, echo_json, number, quantity
from cabinleak.errors import CabinleakError
from cabinleak.physics.units import is_bare_number
from cabinleak.station import load_station

MMOD_EXAMPLES = """\
examples:
  cabinleak mmod --size 1mm --altitude 400km --inclination 51.6deg --year 2018 --json
  cabinleak mmod --station iss --exposure 10y
  cabinleak mmod --station iss --module soyuz-om --exposure 84d --json
  cabinleak mmod --fleet
  cabinleak mmod --wall single:0.2cm --area 10m2 --exposure 1y --altitude 400km
  cabinleak mmod --wall whipple:0.13cm:0.48cm:11cm --area 100m2 --exposure 1y --json
  cabinleak mmod --wall single:0.2cm --area 10m2 --exposure 60d --speed 7km/s --hole 2mm

Without --wall, --station or --fleet: the environment alone (--size; fluxes on a randomly
tumbling plate). --station: every module's risk from the station file's MMOD surfaces.
--fleet: the expected penetrations over the Soyuz, Progress and ISS-module exposure
history bundled with cabinleak, against the none observed.
"""

ATTRIBUTE_EXAMPLES = """\
examples:
  cabinleak attribute --station iss --module soyuz-om --exposure 60d --hole 2mm --evidence ms09
  cabinleak attribute --module soyuz-om --exposure 60d --hole 2mm --evidence ev.toml --json
  cabinleak attribute --module soyuz-om --exposure 60d --hole 2mm --report attribution.html

--evidence takes a TOML file ([observed] key = true/false; [likelihoods.KEY] overrides)
or the bundled example 'ms09' (Soyuz MS-09, 2018). 'cabinleak attribute --catalogue'
lists the observations and their default likelihoods.
"""



def wall_option(text: str) -> str:
    """A wall spec whose thicknesses carry units (argparse type of ``--wall``); the text is
    kept and read by :func:`~cabinleak.attribute.risk.parse_wall`."""
    parts = [p.strip() for p in text.split(":")]
    lengths = {"single": parts[1:2], "whipple": parts[1:4]}.get(parts[0].lower(), [])
    for part in lengths:
        if is_bare_number(part):
            raise argparse.ArgumentTypeError(f"{text!r}: give each thickness a unit, e.g. "
                                             "single:0.2cm or whipple:0.1cm:0.3cm:10cm")
    try:
        parse_wall(text)
    except CabinleakError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _environment(args: argparse.Namespace) -> Environment:
    return Environment(altitude_m=args.altitude.si,
                       inclination_deg=math.degrees(args.inclination.si), year=args.year)


def _risk(args: argparse.Namespace, wall: Wall, area_m2: float) -> Risk:
    return surface_risk([wall], area_m2, args.exposure.si, _environment(args),
                        speed_m_s=None if args.speed is None else args.speed.si,
                        hole_m=None if args.hole is None else args.hole.si)


_DENSITY = re.compile(r"^\s*([0-9.eE+-]+)\s*(g/cm3|g/cm³|kg/m3|kg/m³)\s*$")


def density_option(text: str) -> float:
    """A density with its unit, ``1g/cm3`` or ``1000kg/m3`` [kg/m³] (argparse type)."""
    match = _DENSITY.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give a density with its unit, e.g. 1g/cm3 "
                                         "or 1000kg/m3")
    try:
        value = float(match.group(1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not a number") from None
    value *= 1000.0 if match.group(2).startswith("g") else 1.0
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _mode(args: argparse.Namespace) -> str:
    """Which of the four questions ``mmod`` answers; refuses options that do not belong."""
    modes = [m for m, given in (("wall", args.wall), ("station", args.station),
                                ("fleet", args.fleet)) if given]
    if len(modes) > 1:
        raise UsageError(f"give one of --wall, --station, --fleet (got {', '.join(modes)})")
    mode = modes[0] if modes else "environment"
    what = {"wall": "--wall", "station": "--station", "fleet": "--fleet",
            "environment": "the environment alone (no --wall, --station or --fleet)"}[mode]
    extra = {"wall": ("size", "module", "density"),
             "station": ("size", "area", "speed", "density"),
             "fleet": ("size", "area", "speed", "density", "module", "hole", "exposure"),
             "environment": ("area", "exposure", "speed", "module", "hole")}[mode]
    for option in extra:
        if getattr(args, option) is not None:
            raise UsageError(f"--{option} does not apply to {what}")
    need = {"wall": ("area", "exposure"), "station": ("exposure",), "fleet": (),
            "environment": ("size",)}[mode]
    for option in need:
        if getattr(args, option) is None:
            raise UsageError(f"--{option} is required for {what} (see cabinleak mmod --help)")
    if mode == "station" and args.hole is not None and not args.module:
        raise UsageError("--hole with --station needs --module")
    return mode


def cmd_mmod(args: argparse.Namespace) -> int:
    mode = _mode(args)
    result: Any
    if mode == "wall":
        result = _risk(args, parse_wall(args.wall), args.area.si)
    elif mode == "environment":
        from cabinleak.attribute.environment import METEOROID_DENSITY_KG_M3
        from cabinleak.attribute.risk import environment_flux

        result = environment_flux(args.size.si, _environment(args),
                                  args.density or METEOROID_DENSITY_KG_M3)
    elif mode == "station":
        from cabinleak.attribute.surfaces import module_risk, station_risk

        station = load_station(args.station)
        if args.hole is not None:
            result = module_risk(station, args.module[0], args.exposure.si, _environment(args),
                                 hole_m=args.hole.si)
        else:
            result = station_risk(station, args.exposure.si, _environment(args),
                                  modules=args.module)
    else:
        from cabinleak.attribute.fleet import fleet_record, load_history

        result = fleet_record(load_history(args.history), _environment(args))
    print(json.dumps(result.to_dict() | {"options": echo_json(args)}, indent=2) if args.json
          else result)
    return 0


def cmd_attribute(args: argparse.Namespace) -> int:
    from cabinleak.attribute.cause import attribute, prior_from
    from cabinleak.attribute.evidence import catalogue_text, evidence_from, load_evidence

    if args.catalogue:
        print(catalogue_text())
        return 0
    for option in ("module", "exposure", "hole"):
        if getattr(args, option) is None:
            raise UsageError(f"--{option} is required (see cabinleak attribute --help)")
    station = load_station(args.station)
    module = station.module(args.module)
    from cabinleak.attribute.surfaces import prior_risk

    risk, found = prior_risk(station, module.id, args.exposure.si, _environment(args),
                             hole_m=args.hole.si, wall=args.wall,
                             area_m2=None if args.area is None else args.area.si,
                             speed_m_s=None if args.speed is None else args.speed.si)
    notes = list(found)
    if args.wall is None and not any(n.startswith("walls and areas") for n in found):
        notes.append("give --wall and --area, or MMOD surfaces in the station file")
    p_hole = risk.probability_hole or 0.0
    prior = prior_from(p_hole, source=f"physics: P(an MMOD hole of at least {args.hole} in "
                                      f"{module.id} over {args.exposure}) = {p_hole:.3g}")
    evidence = load_evidence(args.evidence) if args.evidence else evidence_from({})
    result = attribute(prior, evidence)
    if args.report:
        from cabinleak.report.attribution_report import write_attribution_report

        write_attribution_report(args.report, module=module.id, risk=risk, result=result,
                                 notes=notes)
    if args.json:
        out: dict[str, Any] = {"station": station.name, "module": module.id,
                               "risk": risk.to_dict(), "attribution": result.to_dict(),
                               "notes": notes, "report": args.report,
                               "options": echo_json(args)}
        print(json.dumps(out, indent=2))
        return 0
    print(f"{station.name} / {module.id}: MMOD risk over {args.exposure}")
    print(risk)
    for n in notes:
        print(f"  note: {n}")
    print()
    print(result)
    if args.report:
        print(f"\nreport written to {args.report}")
    return 0


def _environment_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--altitude", type=quantity("length", "400km"), default="400km",
                   help="orbit altitude (default 400km)")
    p.add_argument("--inclination", type=quantity("angle", "51.6deg", zero_ok=True),
                   default="51.6deg", help="orbit inclination (default 51.6deg, the ISS)")
    p.add_argument("--year", type=number(what="the year"), default=2018.0,
                   help="year, for the debris population (default 2018)")
    p.add_argument("--speed", type=quantity("speed", "7km/s"),
                   help="impact speed for the critical diameter, e.g. 7km/s "
                        "(default: each population's mean speed)")


def mmod_parser(p: argparse.ArgumentParser) -> None:
    """Fill the parser of ``cabinleak mmod`` (its one-line help is in cabinleak.cli)."""
    p.epilog = MMOD_EXAMPLES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--size", type=quantity("length", "1mm"),
                   help="the environment alone: fluxes of particles at least this size")
    p.add_argument("--density", type=density_option,
                   help="meteoroid density for --size, e.g. 1g/cm3 (default 1g/cm3)")
    p.add_argument("--station", help="a station's risk from its MMOD surfaces (bundled name "
                                     "or TOML), e.g. iss")
    p.add_argument("--module", action="append",
                   help="with --station: only this module (repeatable)")
    p.add_argument("--fleet", action="store_true",
                   help="the fleet record: expected penetrations over the bundled exposure "
                        "history against the none observed")
    p.add_argument("--history", help=argparse.SUPPRESS)  # another history TOML (tests)
    p.add_argument("--wall", type=wall_option,
                   help="single:0.2cm[:MATERIAL] or whipple:BUMPER:WALL:STANDOFF")
    p.add_argument("--area", type=quantity("area", "10m2"),
                   help="exposed area, e.g. 10m2 (with --wall)")
    p.add_argument("--exposure", type=quantity("time", "60d"),
                   help="exposure time, e.g. 60d or 10y (with --wall or --station)")
    p.add_argument("--hole", type=quantity("length", "2mm"),
                   help="also: chance of a hole at least this large, e.g. 2mm")
    _environment_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_mmod)


def attribute_parser(p: argparse.ArgumentParser) -> None:
    """Fill the parser of ``cabinleak attribute``."""
    p.epilog = ATTRIBUTE_EXAMPLES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--station", default="iss", help="bundled station or TOML (default iss)")
    p.add_argument("--module", help="the module with the hole, e.g. soyuz-om")
    p.add_argument("--exposure", type=quantity("time", "60d"),
                   help="time the module was exposed, e.g. 60d")
    p.add_argument("--hole", type=quantity("length", "2mm"), help="the hole's diameter, e.g. 2mm")
    p.add_argument("--evidence", help="evidence TOML file, or 'ms09' (the bundled example)")
    p.add_argument("--wall", type=wall_option,
                   help="the module's wall (default: the module's MMOD surfaces in the station "
                        f"file, else {DEFAULT_PRIOR_WALL}, an estimate)")
    p.add_argument("--area", type=quantity("area", "10m2"),
                   help="the module's exposed area (default: its MMOD surfaces, else a sphere "
                        "of its volume)")
    _environment_options(p)
    p.add_argument("--catalogue", action="store_true",
                   help="list the observations and their default likelihoods")
    p.add_argument("--report", metavar="FILE.html", help="write an HTML report")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_attribute)
