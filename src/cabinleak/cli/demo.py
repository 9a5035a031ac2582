"""``cabinleak demo``: the worked example."""

from __future__ import annotations

import argparse
import json

from cabinleak.cli.simulate import parse_leak, run_simulation, summary
from cabinleak.physics.units import MMHG_PA
from cabinleak.station import load_station

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
    leak = parse_leak(DEMO_LEAK, station)
    if args.json:
        out = result.to_dict(floor)
        out["demo"] = {"leak": f"{leak.describe()} in {leak.module}",
                       "mean_rate_mmHg_per_h": rate_mmhg_h, "plot": args.plot}
        print(json.dumps(out, indent=2))
        return 0
    crew = sum(c.count for c in station.crew)
    print(f"cabinleak demo: {station.description.splitlines()[0]}")
    print(f"A {leak.describe()} in {leak.module}, {crew:g} crew using O2, {hours:g} hours.\n")
    print(summary(result, floor, per_module=False))
    print(f"mean station pressure drop {rate_mmhg_h:.2f} mmHg/h "
          "(Soyuz MS-09, 2018: about 0.6 mmHg/h reported)")
    if args.plot:
        print(f"plot written to {args.plot}")
    return 0
