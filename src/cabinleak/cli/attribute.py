"""``cabinleak mmod`` (penetration risk) and ``cabinleak attribute`` (what made the hole)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cabinleak.attribute.risk import (
    Environment,
    Risk,
    Wall,
    parse_wall,
    sphere_area_m2,
    surface_risk,
)
from cabinleak.cli.common import UsageError
from cabinleak.physics.units import parse_quantity
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


def _positive(text: str, dimension: str, option: str, unit: str) -> float:
    value = parse_quantity(text, dimension, default_unit=unit)
    if not value > 0:
        raise UsageError(f"{option} {text!r}: must be > 0")
    return value


def _exposure(text: str) -> float:
    t = text.strip()
    if t.endswith("y") and not t.endswith("day"):  # years: not a unit parse_quantity knows
        try:
            years = float(t[:-1])
        except ValueError:
            raise UsageError(f"--exposure {text!r}: expected a duration such as 60d or 1y"
                             ) from None
        if not years > 0:
            raise UsageError(f"--exposure {text!r}: must be > 0")
        return years * 365.25 * 86400.0
    return _positive(text, "time", "--exposure", "d")


def _speed(text: str) -> float:
    """'7km/s', '7 km/s' or '7000 m/s' → [m/s]."""
    t = text.strip().lower().replace(" ", "")
    for unit, factor in (("km/s", 1e3), ("m/s", 1.0)):
        if t.endswith(unit):
            try:
                value = float(t[: -len(unit)]) * factor
            except ValueError:
                break
            if not value > 0:
                raise UsageError(f"--speed {text!r}: must be > 0")
            return value
    raise UsageError(f"--speed {text!r}: expected a speed such as 7km/s or 7000m/s")


def _environment(args: argparse.Namespace) -> Environment:
    return Environment(altitude_m=_positive(args.altitude, "length", "--altitude", "km"),
                       inclination_deg=args.inclination, year=args.year)


def _risk(args: argparse.Namespace, wall: Wall, area_m2: float) -> Risk:
    speed = None if args.speed is None else _speed(args.speed)
    hole = None if args.hole is None else _positive(args.hole, "length", "--hole", "mm")
    return surface_risk([wall], area_m2, _exposure(args.exposure), _environment(args),
                        speed_m_s=speed, hole_m=hole)


def cmd_mmod(args: argparse.Namespace) -> int:
    risk = _risk(args, parse_wall(args.wall), _positive(args.area, "area", "--area", "m2"))
    print(json.dumps(risk.to_dict(), indent=2) if args.json else risk)
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
        area = _positive(args.area, "area", "--area", "m2")
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
                               "notes": notes, "report": args.report}
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
    p.add_argument("--altitude", default="400km", help="orbit altitude (default 400km)")
    p.add_argument("--inclination", type=float, default=51.6,
                   help="orbit inclination [deg] (default 51.6, the ISS)")
    p.add_argument("--year", type=float, default=2018.0,
                   help="year, for the debris population (default 2018)")
    p.add_argument("--speed", help="impact speed for the critical diameter, e.g. 7km/s "
                                   "(default: each population's mean speed)")


def add_parsers(sub: Any) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("mmod", help="micrometeoroid and debris penetration risk of a wall",
                       epilog=MMOD_EXAMPLES, formatter_class=raw)
    p.add_argument("--wall", required=True, help="single:0.2cm[:MATERIAL] or "
                                                 "whipple:BUMPER:WALL:STANDOFF")
    p.add_argument("--area", required=True, help="exposed area, e.g. 10m2")
    p.add_argument("--exposure", required=True, help="exposure time, e.g. 60d or 1y")
    p.add_argument("--hole", help="also: chance of a hole at least this large, e.g. 2mm")
    _environment_options(p)
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_mmod)

    p = sub.add_parser("attribute", help="what made the hole: MMOD, a defect, fatigue, a "
                                         "seal, or a deliberate act", epilog=ATTRIBUTE_EXAMPLES,
                       formatter_class=raw)
    p.add_argument("--station", default="iss", help="bundled station or TOML (default iss)")
    p.add_argument("--module", help="the module with the hole, e.g. soyuz-om")
    p.add_argument("--exposure", help="time the module was exposed, e.g. 60d")
    p.add_argument("--hole", help="the hole's diameter, e.g. 2mm")
    p.add_argument("--evidence", help="evidence TOML file, or 'ms09' (the bundled example)")
    p.add_argument("--wall", help=f"the module's wall (default {DEFAULT_WALL}, an estimate)")
    p.add_argument("--area", help="the module's exposed area (default: a sphere of its volume)")
    _environment_options(p)
    p.add_argument("--catalogue", action="store_true",
                   help="list the observations and their default likelihoods")
    p.add_argument("--report", metavar="FILE.html", help="write an HTML report")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_attribute)
