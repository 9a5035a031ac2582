"""``cabinleak mmod`` (penetration risk) and ``cabinleak attribute`` (what made the hole)."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from cabinleak.attribute.risk import (
    Environment,
    Risk,
    Wall,
    parse_wall,
    sphere_area_m2,
    surface_risk,
)
from cabinleak.cli.common import UsageError, echo_json, number, quantity
from cabinleak.errors import CabinleakError
from cabinleak.physics.units import is_bare_number
from cabinleak.station import load_station

MMOD_EXAMPLES = """\
examples:
  cabinleak mmod --wall single:0.2cm --area 10m2 --exposure 1y --altitude 400km
  cabinleak mmod --wall whipple:0.13cm:0.48cm:11cm --area 100m2 --exposure 1y --json
  cabinleak mmod --wall single:0.2cm --area 10m2 --exposure 60d --speed 7km/s --hole 2mm
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

# The Soyuz orbital module's wall and shielding are not public. A bare 1.5 mm aluminium
# wall is an estimate that overstates the MMOD prior (real modules carry blankets or
# shields): it gives a natural cause the benefit of the doubt.
DEFAULT_WALL = "single:0.15cm"


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


def cmd_mmod(args: argparse.Namespace) -> int:
    risk = _risk(args, parse_wall(args.wall), args.area.si)
    print(json.dumps(risk.to_dict() | {"options": echo_json(args)}, indent=2) if args.json
          else risk)
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
    notes = []
    if args.area is None:
        area = sphere_area_m2(module.volume_m3)
        notes.append(f"area {area:.3g} m²: a sphere of the module's {module.volume_m3:g} m³ "
                     "(an estimate; give --area)")
    else:
        area = args.area.si
    if args.wall is None:
        notes.append(f"wall {DEFAULT_WALL}: a bare wall, no shield (no public figure; it "
                     "overstates the MMOD prior, giving a natural cause the benefit of the "
                     "doubt); give --wall")
    risk = _risk(args, parse_wall(args.wall or DEFAULT_WALL), area)
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
    p.add_argument("--wall", required=True, type=wall_option,
                   help="single:0.2cm[:MATERIAL] or whipple:BUMPER:WALL:STANDOFF")
    p.add_argument("--area", required=True, type=quantity("area", "10m2"),
                   help="exposed area, e.g. 10m2")
    p.add_argument("--exposure", required=True, type=quantity("time", "60d"),
                   help="exposure time, e.g. 60d or 1y")
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
                   help=f"the module's wall (default {DEFAULT_WALL}, an estimate)")
    p.add_argument("--area", type=quantity("area", "10m2"),
                   help="the module's exposed area (default: a sphere of its volume)")
    _environment_options(p)
    p.add_argument("--catalogue", action="store_true",
                   help="list the observations and their default likelihoods")
    p.add_argument("--report", metavar="FILE.html", help="write an HTML report")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_attribute)
