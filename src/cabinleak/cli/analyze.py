"""``cabinleak analyze`` (telemetry → leak answers) and ``cabinleak leaktest`` (ground tests)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from cabinleak.cli.common import Progress, UsageError
from cabinleak.estimate.analysis import DEFAULT_FLOOR_PA, LeakAnalysis, Settings, analyze
from cabinleak.physics.units import parse_quantity
from cabinleak.station import Station, load_station
from cabinleak.telemetry import read_auto, read_telemetry

ANALYZE_EXAMPLES = """\
examples:
  cabinleak analyze telemetry.csv --station iss --floor 490mmHg --report report.html
  cabinleak analyze prk-gauge.csv --volume 4.5m3 --floor 600mmHg --json
  cabinleak analyze tm.parquet --station iss --supply N2=120kg --supply O2=300kg
  cabinleak analyze gauge.csv --volume 916m3 --gauge --cd 0.8

The table has a time column (ISO 8601 or time_s/time_h) and one column per channel
named <module or sensor>_<quantity>_<unit>: zvezda_pressure_mmHg, lab_T_C,
zvezda_injection_kg (gas added), zvezda-prk_hatch (1 open, 0 closed).
"""

LEAKTEST_EXAMPLES = """\
examples:
  cabinleak leaktest examples/leaktest/*.csv --spec 0.1kg/day
  cabinleak leaktest record.csv --volume 10.6m3 --spec 0.1kg/day --json

Each record is a pressure-decay test table (time, pressure, temperature); the
volume and spec may come from '# volume = 10.6 m3' and '# spec = 0.1 kg/day' lines.
"""


def _positive(text: str | None, dimension: str, option: str, unit: str) -> float | None:
    if text is None:
        return None
    value = parse_quantity(text, dimension, default_unit=unit)
    if not value > 0:
        raise UsageError(f"{option} {text!r}: must be > 0")
    return value


def _inventory(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        gas, sep, amount = item.partition("=")
        gas = gas.strip().upper()
        if not sep or gas not in ("N2", "O2"):
            raise UsageError(f"--supply {item!r}: expected N2=AMOUNT or O2=AMOUNT, e.g. N2=120kg")
        mass = parse_quantity(amount, "mass", default_unit="kg")
        if mass < 0:
            raise UsageError(f"--supply {item!r}: amount must be >= 0")
        out[gas] = mass
    return out


def _fraction(text: str | None) -> float:
    """'5%' or '0.05' → 0.05."""
    if text is None:
        return 0.0
    body = text.strip()
    try:
        value = float(body[:-1]) / 100 if body.endswith("%") else float(body)
    except ValueError:
        raise UsageError(f"--volume-uncertainty {text!r}: expected a fraction such as 5% "
                         "or 0.05") from None
    if not 0 <= value < 1:
        raise UsageError(f"--volume-uncertainty {text!r}: must be between 0 and 100 %")
    return value


def _settings(args: argparse.Namespace) -> Settings:
    floor = (DEFAULT_FLOOR_PA if args.floor is None
             else _positive(args.floor, "pressure", "--floor", "mmHg"))
    cd = args.cd
    if not 0 < cd <= 1:
        raise UsageError(f"--cd {cd:g}: the discharge coefficient must be in (0, 1]")
    if not args.false_alarms > 0:
        raise UsageError(f"--false-alarms {args.false_alarms:g}: must be > 0 per year")
    background = (parse_quantity(args.background, "mass_rate", default_unit="kg/day")
                  if args.background else 0.0)
    if args.temperature_noise is not None and not args.temperature_noise > 0:
        raise UsageError(f"--temperature-noise {args.temperature_noise:g}: must be > 0 K")
    if args.crew is not None and args.crew < 0:
        raise UsageError(f"--crew {args.crew:g}: must be >= 0")
    return Settings(
        floor_Pa=floor, ppO2_floor_Pa=_positive(args.ppO2_floor, "pressure", "--ppO2-floor",
                                                "mmHg"),
        discharge_coefficient=cd, false_alarms_per_year=args.false_alarms,
        background_kg_per_s=background, inventory_kg=_inventory(args.supply),
        pressure_sd_Pa=_positive(args.pressure_noise, "pressure", "--pressure-noise", "mmHg"),
        pressure_resolution_Pa=_positive(args.resolution, "pressure", "--resolution", "mmHg"),
        temperature_sd_K=args.temperature_noise,
        crew=args.crew, seed=args.seed, volume_rel_sd=_fraction(args.volume_uncertainty))


def run_analysis(args: argparse.Namespace) -> LeakAnalysis:
    station: Station | None = load_station(args.station) if args.station else None
    volume = _positive(args.volume, "volume", "--volume", "m3")
    settings = _settings(args)
    progress = Progress(not args.json, "reading telemetry")
    # long tables are streamed into bins as they are read (see telemetry.stream)
    tel = read_auto(args.telemetry, mapping=args.mapping, gauge=True if args.gauge else None,
                    progress=progress)
    progress.done()
    return analyze(tel, station=station, volume_m3=volume, settings=settings)


def cmd_analyze(args: argparse.Namespace) -> int:
    result = run_analysis(args)
    if args.report:
        from cabinleak.report.leak_report import write_leak_report

        write_leak_report(result, args.report)
    if args.json:
        out: dict[str, Any] = result.to_dict()
        out["report"] = args.report
        print(json.dumps(out, indent=2))
    else:
        print(result)
        if args.report:
            print(f"\nreport written to {args.report}")
    return 0


def cmd_leaktest(args: argparse.Namespace) -> int:
    from cabinleak.estimate.acceptance import acceptance_test
    from cabinleak.estimate.fleet import fleet_summary

    spec = _positive(args.spec, "mass_rate", "--spec", "kg/day")
    volume = _positive(args.volume, "volume", "--volume", "m3")
    results = []
    progress = Progress(not args.json, f"{len(args.records)} records")
    for i, path in enumerate(args.records):
        progress(i / len(args.records))
        tel = read_telemetry(path, mapping=args.mapping)
        results.append(acceptance_test(tel, volume_m3=volume, spec_kg_per_s=spec))
    progress.done()
    fleet = fleet_summary(results)
    if args.json:
        print(json.dumps({"records": [r.to_dict() for r in results],
                          "fleet": fleet.to_dict()}, indent=2))
        return 0
    for r in results:
        print(r)
        print()
    print(fleet)
    return 0


def add_parsers(sub: Any) -> None:
    raw = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("analyze", help="detect a leak and estimate its size from telemetry",
                       epilog=ANALYZE_EXAMPLES, formatter_class=raw)
    p.add_argument("telemetry",
                   help="telemetry table (.csv or .parquet), or hand-read gauge values")
    p.add_argument("--station", help="bundled station name or TOML file: maps channels to modules")
    p.add_argument("--volume", help="gas volume when there is no station, e.g. 4.5m3")
    p.add_argument("--volume-uncertainty", metavar="PCT",
                   help="1-sigma error of the volume, e.g. 3%% (default: taken as exact)")
    p.add_argument("--floor", help="pressure floor for the forecast (default 490mmHg)")
    p.add_argument("--ppO2-floor", dest="ppO2_floor", help="ppO2 floor, e.g. 120mmHg")
    p.add_argument("--cd", type=float, default=0.6,
                   help="discharge coefficient for the equivalent hole (default 0.6)")
    p.add_argument("--false-alarms", type=float, default=1.0, metavar="PER_YEAR",
                   help="false-alarm rate of the leak test (default 1 per year)")
    p.add_argument("--background", help="normal leakage not to alarm on, e.g. 0.2kg/day")
    p.add_argument("--crew", type=float, help="crew in the volume (default: the station's)")
    p.add_argument("--supply", action="append", default=[], metavar="GAS=MASS",
                   help="gas in store for days of supply, e.g. N2=120kg (repeatable)")
    p.add_argument("--pressure-noise", help="per-sample pressure noise, e.g. 0.05mmHg "
                                            "(default: estimated from the record)")
    p.add_argument("--resolution", help="pressure reading resolution, e.g. 1mmHg (default: "
                                        "inferred; 1 mmHg for hand-read gauges)")
    p.add_argument("--temperature-noise", type=float, metavar="K",
                   help="per-sample temperature noise [K] (default: from the data)")
    p.add_argument("--mapping", help="TOML file mapping column names to modules and units")
    p.add_argument("--gauge", action="store_true",
                   help="treat the table as hand-read gauge values (1 mmHg resolution)")
    p.add_argument("--seed", type=int, default=0, help="seed of the forecast's draws")
    p.add_argument("--report", metavar="FILE.html", help="write an HTML report with plots")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("leaktest",
                       help="ground pressure-decay acceptance test (ASTM E2930 practice)",
                       epilog=LEAKTEST_EXAMPLES, formatter_class=raw)
    p.add_argument("records", nargs="+", help="test records (.csv or .parquet)")
    p.add_argument("--spec", help="specified maximum leak rate, e.g. 0.1kg/day "
                                  "(default: each record's '# spec' line)")
    p.add_argument("--volume", help="free gas volume (default: each record's '# volume' line)")
    p.add_argument("--mapping", help="TOML file mapping column names to units")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_leaktest)
