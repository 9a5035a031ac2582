#!/usr/bin/env python3
"""Benchmark station MMOD risk: the bundled ISS surfaces refined to many elements, 10 years.

Each element of the bundled ``iss`` is split into P equal pieces (same face and wall;
:func:`cabinleak.attribute.surfaces.refined`), which leaves the risk unchanged and
multiplies the elements; :func:`~cabinleak.attribute.surfaces.station_risk` then computes
every module's expected penetrations over 10 years. The table gives the median wall time
of R runs of ``station_risk`` for each refinement (the refined station is built once,
outside the timing), the expected penetrations (the same in every row, a check) and
P(none). Target (issue 11): at least 10,000 elements in under 1 s.

Usage::

    python benchmarks/bench_mmod.py               # 5 runs of each refinement
    python benchmarks/bench_mmod.py --runs 9
    python benchmarks/bench_mmod.py --write       # also record the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, table, write_section

from cabinleak.attribute.risk import Environment
from cabinleak.attribute.surfaces import refined, station_risk
from cabinleak.station import load_station

SECTION = "mmod"
YEARS = 10.0
PIECES = (1, 10, 100, 1000)
TARGET_S = 1.0
TARGET_ELEMENTS = 10_000


def measure(pieces: int, runs: int) -> tuple[int, float, float, float]:
    """(elements, median seconds, expected penetrations, P(none)) for one refinement."""
    base = load_station("iss")
    station = base.replace(surfaces=refined(base.surfaces, pieces))
    exposure_s = YEARS * 365.25 * 86400.0
    env = Environment()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        risk = station_risk(station, exposure_s, env)
        times.append(time.perf_counter() - start)
    return (len(station.surfaces), statistics.median(times), risk.expected_penetrations,
            risk.probability_no_penetration)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs of each refinement (default 5)")
    ap.add_argument("--write", action="store_true",
                    help="replace this benchmark's section of docs/benchmarks.md")
    args = ap.parse_args(argv)
    command = shlex.join(["python", "benchmarks/bench_mmod.py",
                          *(sys.argv[1:] if argv is None else argv)])
    info = machine_info()
    print(f"# {SECTION}\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(f"- command: `{command}`\n", flush=True)

    rows, ok = [], True
    for pieces in PIECES:
        n, seconds, expected, p_none = measure(pieces, args.runs)
        if n >= TARGET_ELEMENTS and seconds >= TARGET_S:
            ok = False
        rows.append([str(pieces), f"{n:,}", f"{seconds:.4f}", f"{expected:.4g}",
                     f"{p_none:.4f}"])
    result = table(["pieces per element", "elements", f"median s ({args.runs} runs)",
                    f"expected penetrations, {YEARS:g} y", "P(none)"], rows)
    verdict = (f"- Target: {TARGET_ELEMENTS:,} elements or more in under {TARGET_S:g} s: "
               + ("met." if ok else "NOT met."))
    print(result + "\n\n" + verdict)
    if args.write:
        write_section(SECTION, [
            "## Station MMOD risk (`benchmarks/bench_mmod.py`)",
            "",
            f"Every module's expected penetrations over {YEARS:g} years from the bundled ISS "
            "surfaces, each element split into equal pieces (the same risk, more elements); "
            f"median wall time of {args.runs} runs of `station_risk`.",
            "",
            *(f"- {k}: {v}" for k, v in info.items()),
            f"- command: `{command}`",
            "",
            result,
            "",
            verdict,
        ])
        print(f"\nwrote section '{SECTION}' of docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
