"""``cabinleak demo``: simulate a Soyuz MS-09-like hole on the ISS, read it as telemetry, analyse.

The truth is known, so the demo prints the estimate next to it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from datetime import UTC, datetime
from typing import Any

import numpy as np

from cabinleak.cli.common import Progress, seed
from cabinleak.cli.simulate import summary
from cabinleak.estimate.analysis import LeakAnalysis, Settings, analyze, interval_text
from cabinleak.locate.campaign import Campaign
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA, parse_quantity
from cabinleak.simulate import SimulationResult, simulate
from cabinleak.station import Leak, Station, Supply, load_station
from cabinleak.telemetry import read_telemetry, write_table
from cabinleak.telemetry.synthetic import synthetic_telemetry

# The scenario: a 1.8 mm hole (Cd 0.6) opens in the Soyuz orbital module 8 h into the
# record (23:00 UTC, when controllers saw the 2018 leak); an N2 repress runs 24-26 h.
DEMO_START = datetime(2018, 8, 29, 15, 0, tzinfo=UTC)
DEMO_HOURS = 40.0
LEAK_START_H = 8.0
HOLE_MM, HOLE_CD = 1.8, 0.6
REPRESS_H = (24.0, 26.0)
REPRESS_KG_PER_DAY = 120.0  # about 10 kg in two hours, the 2018 "+10 mmHg" scale
THERMAL_K = 0.5  # cabin temperature swing over each 90-minute orbit
TELEMETRY_HZ = 0.1
FLOOR = "490mmHg"


def demo_station() -> tuple[Station, Leak]:
    base = load_station("iss")
    repress = Supply(id="n2-repress", module="zvezda", gas="N2", mode="fixed",
                     rate_kg_per_s=REPRESS_KG_PER_DAY / DAY_S, start_s=REPRESS_H[0] * HOUR_S,
                     stop_s=REPRESS_H[1] * HOUR_S)
    leak = Leak(module="soyuz-om", diameter_m=HOLE_MM * 1e-3, discharge_coefficient=HOLE_CD,
                start_s=LEAK_START_H * HOUR_S, id="demo-hole")
    return base.replace(supplies=(repress,)), leak


def run_demo(telemetry_path: str, *, seed: int = 0, quiet: bool = False
             ) -> tuple[Station, Leak, SimulationResult, LeakAnalysis]:
    """Simulate, write the telemetry, read it back and analyse it."""
    station, leak = demo_station()
    duration = DEMO_HOURS * HOUR_S
    progress = Progress(not quiet, "simulating the demo")
    # outputs on both sides of each switch, so the logged supply flow steps, not ramps
    switches = [h * HOUR_S for h in (LEAK_START_H, *REPRESS_H)]
    t_eval = np.union1d(np.linspace(0.0, duration, 1201),
                        [*switches, *(t + 1.0 for t in switches)])
    result = simulate(station, duration, leaks=[leak], t_eval=t_eval, progress=progress)
    progress.done()
    cols = synthetic_telemetry(result, station, rng=seed, rate_Hz=TELEMETRY_HZ,
                               thermal_amplitude_K=THERMAL_K)
    write_table(cols, telemetry_path, start_time=DEMO_START,
                metadata={"station": station.name,
                          "scenario": f"{leak.describe()} in {leak.module} from "
                                      f"{LEAK_START_H:g} h; N2 repress {REPRESS_H[0]:g}-"
                                      f"{REPRESS_H[1]:g} h; +-{THERMAL_K:g} K orbit cycle"})
    tel = read_telemetry(telemetry_path)
    settings = Settings(floor_Pa=parse_quantity(FLOOR, "pressure"), seed=seed)
    return station, leak, result, analyze(tel, station=station, settings=settings)


def _truth(result: SimulationResult, leak: Leak) -> dict[str, float]:
    return {"leak_rate_kg_per_day": float(result.vented_kg_per_s[-1] * DAY_S),
            "effective_area_m2": leak.cd_area_m2,
            "hole_diameter_mm": HOLE_MM, "discharge_coefficient": HOLE_CD,
            "onset_h": LEAK_START_H,
            "station_pressure_fall_mmHg_per_h": _mmhg_per_h(result)}


def cmd_demo(args: argparse.Namespace) -> int:
    """The worked example (see the module docstring)."""
    station, leak, result, analysis = run_demo(args.telemetry, seed=args.seed, quiet=args.json)
    truth = _truth(result, leak)
    campaign = locate_demo_leak(station, leak, seed=args.seed)
    attribution, risk = attribute_demo_hole(leak)
    if args.plot:
        from cabinleak.report.plots import plot_pressures

        plot_pressures(result, args.plot, floor_Pa=parse_quantity(FLOOR, "pressure"),
                       highlight=(leak.module,),
                       title=f"{station.name}: {leak.describe()} in {leak.module}")
    if args.report:
        from cabinleak.report.leak_report import write_leak_report

        write_leak_report(analysis, args.report, preview_png=args.preview)
    if args.out:
        from cabinleak.telemetry import state_columns

        write_table(state_columns(result), args.out)
    if args.json:
        out: dict[str, Any] = {"simulation": result.to_dict(parse_quantity(FLOOR, "pressure")),
                               "analysis": analysis.to_dict(), "truth": truth,
                               "localization": campaign.to_dict(),
                               "attribution": {"risk": risk.to_dict(),
                                               "cause": attribution.to_dict()},
                               "files": {"telemetry": args.telemetry, "plot": args.plot,
                                         "report": args.report}}
        print(json.dumps(out, indent=2))
        return 0
    crew = sum(c.count for c in station.crew)
    print(f"cabinleak demo: {station.description.splitlines()[0]}")
    print(f"Truth: a {leak.describe()} in {leak.module} from {LEAK_START_H:g} h, {crew:g} crew, "
          f"an N2 repress {REPRESS_H[0]:g}-{REPRESS_H[1]:g} h, a ±{THERMAL_K:g} K orbital "
          f"thermal cycle, {DEMO_HOURS:g} h simulated.\n")
    print(summary(result, parse_quantity(FLOOR, "pressure"), per_module=False))
    print(f"\nTelemetry ({len(station.sensors)} sensors at {TELEMETRY_HZ:g} Hz) written to "
          f"{args.telemetry}; the analysis of it:")
    print(analysis)
    v = analysis.primary
    rate = interval_text(v.leak_rate_kg_per_s, DAY_S, "kg/day")
    area = interval_text(v.effective_area_m2, 1e6, "mm²")
    print(f"\nEstimate vs truth: leak rate {rate} vs {truth['leak_rate_kg_per_day']:.4f}; "
          f"Cd·A {area} vs {leak.cd_area_m2 * 1e6:.5f}; onset {_h(v.onset_s, analysis)} "
          f"vs {LEAK_START_H:g} h.")
    print(f"Station pressure fell {truth['station_pressure_fall_mmHg_per_h']:.2f} mmHg/h once "
          "the hole opened "
          "(Soyuz MS-09, 2018: about 0.6 mmHg/h reported).")
    print("\nWhere is it? A localization campaign planned by cabinleak, simulated:")
    print(campaign)
    post = attribution.posterior
    print(f"\nWhat made it? The hole's evidence as reported for Soyuz MS-09 (drilled rim, tool "
          f"marks, sealant, behind a panel), {DOCKED_DAYS} days docked:")
    print(f"  physics prior: P(an MMOD hole of at least {HOLE_MM:g} mm) = "
          f"{risk.probability_hole:.3g} (the orbital module's surfaces in the iss station file)")
    print("  posterior: " + ", ".join(f"{c} {post[c]:.3g}"
                                      for c in sorted(post, key=post.get, reverse=True)))
    for what, path in (("plot", args.plot), ("report", args.report), ("table", args.out)):
        if path:
            print(f"{what} written to {path}")
    return 0


def locate_demo_leak(station: Station, leak: Leak, *, seed: int = 0) -> Campaign:
    """The demo hole found by planned hatch closures (each test re-simulated)."""
    from cabinleak.locate.campaign import run_campaign, search_context
    from cabinleak.locate.planner import InformationPlanner

    hole = dataclasses.replace(leak, start_s=0.0)
    return run_campaign(station, hole, InformationPlanner(), ctx=search_context(station),
                        rng=seed)


DOCKED_DAYS = 84  # Soyuz MS-09: launched 6 June 2018, leak seen 29 August


def attribute_demo_hole(leak: Leak) -> tuple[Any, Any]:
    """The cause of the demo hole: physics prior for the module, the MS-09 evidence."""
    from cabinleak.attribute.cause import attribute, prior_from
    from cabinleak.attribute.evidence import load_evidence
    from cabinleak.attribute.risk import Environment
    from cabinleak.attribute.surfaces import module_risk

    # the prior from the module's MMOD surfaces (walls, areas, faces) in the station file
    risk = module_risk(load_station("iss"), leak.module, DOCKED_DAYS * DAY_S, Environment(),
                       hole_m=HOLE_MM * 1e-3)
    prior = prior_from(risk.probability_hole or 0.0)
    return attribute(prior, load_evidence("ms09")), risk


def _h(t_s: float | None, a: LeakAnalysis) -> str:
    return "none" if t_s is None else f"{(t_s - a.time_s[0]) / HOUR_S:.2f} h"


def _mmhg_per_h(result: SimulationResult) -> float:
    """Mean pressure fall from the leak's start to the repress [mmHg/h]."""
    p = result.pressure("zvezda")
    t = result.time_s
    a, b = np.searchsorted(t, [LEAK_START_H * HOUR_S, REPRESS_H[0] * HOUR_S])
    rate = (p[a] - p[b - 1]) / (t[b - 1] - t[a])
    return float(rate / MMHG_PA * HOUR_S) if math.isfinite(rate) else float("nan")


def demo_parser(p: argparse.ArgumentParser) -> None:
    """Fill the parser of ``cabinleak demo`` (its one-line help is in cabinleak.cli)."""
    p.epilog = "example:\n  cabinleak demo --plot demo.png --report demo-report.html"
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.add_argument("--plot", default="cabinleak-demo.png", metavar="FILE.png",
                   help="simulation plot (default cabinleak-demo.png)")
    p.add_argument("--telemetry", default="cabinleak-demo-telemetry.csv", metavar="FILE",
                   help="where the demo telemetry goes (default cabinleak-demo-telemetry.csv)")
    p.add_argument("--report", default="cabinleak-demo-report.html", metavar="FILE.html",
                   help="HTML report of the analysis (default cabinleak-demo-report.html)")
    p.add_argument("--preview", metavar="FILE.png",
                   help="also write the report's plots as one PNG (the README picture)")
    p.add_argument("--out", metavar="FILE", help="write the simulated states (.csv or .parquet)")
    p.add_argument("--seed", type=seed, default=0, help="sensor-noise seed (default 0)")
    p.add_argument("--json", action="store_true", help="machine-readable summary on stdout")
    p.set_defaults(func=cmd_demo)
