"""``cabinleak analyze`` (telemetry → leak answers) and ``cabinleak leaktest`` (ground tests)."""

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
    number,
    quantity,
    read_quantity,
    seed,
)
from cabinleak.physics.units import YEAR_S

# The estimator (SciPy), the station and the readers (pyarrow) are imported where they
# are used, so that `cabinleak analyze --help` reads none of them (see cabinleak.cli).
if TYPE_CHECKING:
    from cabinleak.estimate.analysis import LeakAnalysis, Settings
    from cabinleak.station import Station

ANALYZE_EXAMPLES = """\
examples:
  cabinleak analyze telemetry.csv --station iss --floor 490mmHg --report report.html
  cabinleak analyze prk-gauge.csv --volume 4.5m3 --floor 600mmHg --json
  cabinleak analyze tm.parquet --station iss --supply N2=120kg --supply O2=300kg
  cabinleak analyze gauge.csv --volume 916m3 --gauge --cd 0.8

The table has a time column (ISO 8601 or time_s/time_h) and one column per channel
named <module or sensor>_<quantity>_<unit>: zvezda_pressure_mmHg, lab_T_C,
zvezda_injection_kg (gas added), zvezda-prk_hatch (1 open, 0 closed),
quest_depress_pump_status (1 on, 0 off).
A record of the public ISS feed (item,timestamp,value; one row per change, e.g.
USLAB000058 for the Lab cabin pressure) is read as it is; give --year when it has no
'# year = 2017' line.
"""

LEAKTEST_EXAMPLES = """\
examples:
  cabinleak leaktest examples/leaktest/*.csv --spec 0.1kg/day
  cabinleak leaktest record.csv --volume 10.6m3 --spec 0.1kg/day --json

Each record is a pressure-decay test table (time, pressure, temperature); the
volume and spec may come from '# volume = 10.6 m3' and '# spec = 0.1 kg/day' lines.
"""


@dataclass(frozen=True)
class SupplyOption(OptionValue):
    """``--supply GAS=MASS`` as read."""

    gas: str
    mass: Quantity

    def __str__(self) -> str:
        return f"{self.gas}={self.mass}"

    def to_dict(self) -> dict[str, Any]:
        return {"gas": self.gas, "mass": self.mass.to_dict()}


def supply_option(text: str) -> SupplyOption:
    """``N2=120kg`` → SupplyOption (argparse type of ``--supply``)."""
    gas, sep, amount = text.partition("=")
    gas = gas.strip().upper()
    if not sep or gas not in ("N2", "O2"):
        raise argparse.ArgumentTypeError(f"{text!r}: expected N2=AMOUNT or O2=AMOUNT, "
                                         "e.g. N2=120kg")
    try:
        return SupplyOption(gas, read_quantity(amount, "mass", f"{gas}=120kg", zero_ok=True))
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def fraction(text: str) -> float:
    """'5%' or '0.05' → 0.05 (argparse type of ``--volume-uncertainty``)."""
    body = text.strip()
    try:
        value = float(body[:-1]) / 100 if body.endswith("%") else float(body)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 5% or 0.05, "
                                         f"got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100 %, got {text}")
    return value


def _si(value: Quantity | None) -> float | None:
    return None if value is None else value.si


def _settings(args: argparse.Namespace) -> Settings:
    from cabinleak.estimate.analysis import DEFAULT_FLOOR_PA, Settings

    inventory = {s.gas: s.mass.si for s in args.supply}
    return Settings(
        floor_Pa=DEFAULT_FLOOR_PA if args.floor is None else args.floor.si,
        ppO2_floor_Pa=_si(args.ppO2_floor), discharge_coefficient=args.cd,
        false_alarms_per_year=args.false_alarms.si * YEAR_S,
        background_kg_per_s=0.0 if args.background is None else args.background.si,
        inventory_kg=inventory, pressure_sd_Pa=_si(args.pressure_noise),
        pressure_resolution_Pa=_si(args.resolution),
        temperature_sd_K=_si(args.temperature_noise),
        crew=args.crew, seed=args.seed, volume_rel_sd=args.volume_uncertainty,
        wander_Pa_per_s=_si(args.wander))


def run_analysis(args: argparse.Namespace) -> LeakAnalysis:
    from cabinleak.estimate.analysis import analyze
    from cabinleak.station import load_station
    from cabinleak.telemetry import read_auto

    station: Station | None = load_station(args.station) if args.station else None
    volume = _si(args.volume)
    settings = _settings(args)
    progress = Progress(not args.json, "reading telemetry")
    # long tables are streamed into bins as they are read (see telemetry.stream)
    # a record of the public ISS feed (item,timestamp,value) is recognised by its header
    tel = read_auto(args.telemetry, mapping=args.mapping, gauge=True if args.gauge else None,
                    progress=progress, year=args.year)
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
        out["options"] = echo_json(args)
        print(json.dumps(out, indent=2))
    else:
        print(result)
        if args.report:
            print(f"\nreport written to {args.report}")
    return 0


def cmd_leaktest(args: argparse.Namespace) -> int:
    from cabinleak.estimate.acceptance import acceptance_test
    from cabinleak.estimate.fleet import fleet_summary
    from cabinleak.telemetry import read_telemetry

    spec, volume = _si(args.spec), _si(args.volume)
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
                          "fleet": fleet.to_dict(), "options": echo_json(args)}, indent=2))
        return 0
    for r in results:
        print(r)
        print()
    print(fleet)
    return 0


def analyze_parser(p: argparse.ArgumentParser) -> None:
    """Fill the parser of ``cabinleak analyze`` (its one-line help is in cabinleak.cli)."""
    p.epilog = ANALYZE_EXAMPLES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("telemetry",
                   help="telemetry table (.csv or .parquet), or hand-read gauge values")
    p.add_argument("--station", help="bundled station name or TOML file: maps channels to modules")
    p.add_argument("--volume", type=quantity("volume", "4.5m3"),
                   help="gas volume when there is no station, e.g. 4.5m3")
    p.add_argument("--volume-uncertainty", metavar="PCT", type=fraction, default=0.0,
                   help="1-sigma error of the volume, e.g. 3%% (default: taken as exact)")
    p.add_argument("--floor", type=quantity("pressure", "490mmHg"),
                   help="pressure floor for the forecast (default 490mmHg)")
    p.add_argument("--ppO2-floor", dest="ppO2_floor", type=quantity("pressure", "120mmHg"),
                   help="ppO2 floor, e.g. 120mmHg")
    p.add_argument("--cd", type=number(0.0, 1.0, low_open=True,
                                       what="the discharge coefficient"), default=0.6,
                   help="discharge coefficient for the equivalent hole (default 0.6)")
    p.add_argument("--false-alarms", type=quantity("frequency", "1/year"), default="1/year",
                   metavar="RATE", help="false-alarm rate of the leak test (default 1/year)")
    p.add_argument("--background", type=quantity("mass_rate", "0.2kg/day", zero_ok=True),
                   help="normal leakage not to alarm on, e.g. 0.2kg/day")
    p.add_argument("--wander", type=quantity("pressure_rate", "0.1mmHg/h", zero_ok=True),
                   help="the pressure-rate wander of normal operations (1σ over 6 h) assumed "
                        "where the record is too short to show it (default: 0.1mmHg/h with "
                        "crew aboard or no station, 0mmHg/h for an uncrewed module or a "
                        "ground test with a '# spec' line)")
    p.add_argument("--crew", type=number(0.0, what="the crew"),
                   help="crew in the volume (default: the station's)")
    p.add_argument("--supply", action="append", default=[], metavar="GAS=MASS",
                   type=supply_option,
                   help="gas in store for days of supply, e.g. N2=120kg (repeatable)")
    p.add_argument("--pressure-noise", type=quantity("pressure", "0.05mmHg"),
                   help="per-sample pressure noise, e.g. 0.05mmHg (default: estimated from "
                        "the record)")
    p.add_argument("--resolution", type=quantity("pressure", "1mmHg"),
                   help="pressure reading resolution, e.g. 1mmHg (default: inferred; 1 mmHg "
                        "for hand-read gauges)")
    p.add_argument("--temperature-noise", type=quantity("temperature_difference", "0.05K"),
                   help="per-sample temperature noise, e.g. 0.05K (default: from the data)")
    p.add_argument("--mapping", help="TOML file mapping column names to modules and units")
    p.add_argument("--year", type=count(1958),
                   help="year of a public ISS feed record's timestamps (hours since 31 Dec of "
                        "the year before), when the record has no '# year' line")
    p.add_argument("--gauge", action="store_true",
                   help="treat the table as hand-read gauge values (1 mmHg resolution)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the forecast's draws")
    p.add_argument("--report", metavar="FILE.html", help="write an HTML report with plots")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_analyze)


def leaktest_parser(p: argparse.ArgumentParser) -> None:
    """Fill the parser of ``cabinleak leaktest``."""
    p.epilog = LEAKTEST_EXAMPLES
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("records", nargs="+", help="test records (.csv or .parquet)")
    p.add_argument("--spec", type=quantity("mass_rate", "0.1kg/day"),
                   help="specified maximum leak rate, e.g. 0.1kg/day (default: each record's "
                        "'# spec' line)")
    p.add_argument("--volume", type=quantity("volume", "10.6m3"),
                   help="free gas volume (default: each record's '# volume' line)")
    p.add_argument("--mapping", help="TOML file mapping column names to units")
    p.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    p.set_defaults(func=cmd_leaktest)
