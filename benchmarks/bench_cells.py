#!/usr/bin/env python3
"""Benchmark the few-cell ODE against the full network, and check they agree.

Where no closed form exists but the cells of open hatches hold, ``simulate`` runs the
cells as the modules of a small network (``model="cells"``, :mod:`cabinleak.simulate.cell_ode`).
Cases, each run by ``model="auto"`` and by ``model="network"`` in the same process:

- the bundled ISS (24 modules): a 2 mm hole and a crack (no closed form for two laws in
  one cell); a hatch closing at 2 h whose seal then leaks (a leak between two cells);
  Columbus shut with its crew member and a 1 mm hole there (a crew cut off from the
  life support);
- random trees of 100, 300 and 1,000 modules (as ``bench_scale.py``: 5-100 m³ each,
  0.8 m hatches), a 2 mm hole and a crack for a day.

CPU time is the median of ``--repeats`` runs after one untimed run; agreement is the
largest |Δp| between the two over the outputs, in units of the error scale
rtol·p + atol of one run.

Usage::

    python benchmarks/bench_cells.py            # about a minute
    python benchmarks/bench_cells.py --write    # also record it in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from cabinleak.simulate import HatchEvent, simulate
from cabinleak.station import Leak, Station, load_station, parse_station

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, table, write_section
from bench_scale import station_text

SECTION = "Few-cell ODE"
DAY_S = 86400.0


def crack(module: str) -> Leak:
    return Leak(module=module, law="crack", crack_length_m=0.05, crack_gap_m=2e-5,
                wall_thickness_m=3e-3)


def cases() -> list[tuple[str, Station, list[Leak], list[HatchEvent], float]]:
    iss = load_station("iss")
    hole = Leak(module="soyuz-om", diameter_m=2e-3, discharge_coefficient=0.6)
    out = [
        ("ISS, 2 mm hole and a crack in zvezda, 7 d", iss.replace(crew=()),
         [hole, crack("zvezda")], [], 7 * DAY_S),
        ("ISS, rassvet-soyuz-om closes at 2 h and its seal leaks (0.5 mm), 1 d",
         iss.replace(crew=()),
         [hole, Leak(module="rassvet", to="soyuz-om", diameter_m=0.5e-3)],
         [HatchEvent(7200.0, "rassvet-soyuz-om")], DAY_S),
        ("ISS, Columbus shut with its crew member, 1 mm hole there, 2 d",
         iss.with_hatch_open("harmony-columbus", False).with_leaks(
             [Leak(module="columbus", diameter_m=1e-3)]), [], [], 2 * DAY_S),
    ]
    for n in (100, 300, 1000):
        st = parse_station(station_text(n), source=f"tree{n}.toml")
        out.append((f"random tree of {n} modules, 2 mm hole and a crack, 1 d", st,
                    [Leak(module=f"m{n - 1}", diameter_m=2e-3, discharge_coefficient=0.6),
                     crack("m1")], [], DAY_S))
    return out


def cpu(st: Station, leaks: list[Leak], events: list[HatchEvent], duration_s: float,
        model: str, repeats: int) -> tuple[float, object]:
    simulate(st, duration_s, leaks=leaks, events=events, n_out=11, model=model)  # untimed
    times, res = [], None
    for _ in range(repeats):
        c0 = time.process_time()
        res = simulate(st, duration_s, leaks=leaks, events=events, n_out=11, model=model)
        times.append(time.process_time() - c0)
    return statistics.median(times), res


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per case (default 5)")
    ap.add_argument("--write", action="store_true",
                    help="replace this benchmark's section of docs/benchmarks.md")
    args = ap.parse_args(argv)
    command = shlex.join(["python", "benchmarks/bench_cells.py",
                          *(sys.argv[1:] if argv is None else argv)])
    info = machine_info()
    print(f"# {SECTION}\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(f"- command: `{command}`\n", flush=True)
    rows = []
    for label, st, leaks, events, dur in cases():
        t_red, red = cpu(st, leaks, events, dur, "auto", args.repeats)
        t_net, full = cpu(st, leaks, events, dur, "network", args.repeats)
        p_red, p_net = red.pressure_Pa, full.pressure_Pa  # type: ignore[attr-defined]
        atol = 1e-9 * max(m.pressure_Pa for m in st.modules)
        agree = float(np.max(np.abs(p_red - p_net) / (1e-5 * p_net + atol)))
        rows.append([label, red.model, f"{t_red * 1e3:.1f}",  # type: ignore[attr-defined]
                     f"{t_net * 1e3:.1f}", f"{t_net / t_red:.2g}", f"{agree:.2g}"])
        print(" | ".join(rows[-1]), flush=True)
    result = table(["case", "model (auto)", "CPU ms", "network CPU ms", "network / auto",
                    "max |Δp| / (rtol·p + atol)"], rows)
    print("\n" + result)
    if args.write:
        write_section(SECTION, [
            f"## {SECTION} (`benchmarks/bench_cells.py`)",
            "",
            "Scenarios with no closed form that the cells still hold, run by the cells' "
            "ODE (`model=\"auto\"`) and by the full network in the same process; CPU "
            f"medians of {args.repeats} runs; agreement in units of one run's error scale.",
            "",
            *(f"- {k}: {v}" for k, v in info.items()),
            f"- command: `{command}`",
            "",
            result,
        ])
        print(f"\nwrote section '{SECTION}' of docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
