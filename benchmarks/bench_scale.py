#!/usr/bin/env python3
"""Benchmark how the network simulator scales with the number of modules and the run length.

Stations are random recursive trees (module i joined by an open 0.8 m hatch to a module
drawn from those before it; 5-100 m³ each, all isothermal, no crew) with a 2 mm hole in
the last module, run on the full network (``model="network"``: the reduced closed form
would make every case trivial). Each case runs in a fresh process; the table gives its
CPU time (user + system of the child) and its peak resident memory, for the sparse
implicit solves of today (``step_isothermal.SPARSE_FROM_MODULES``) against the dense
inverses they replace (``--dense``, the same code with the threshold out of reach), in
the same run. A case that takes longer than ``--timeout`` is marked as such.

Usage::

    python benchmarks/bench_scale.py                # the full table (a few minutes)
    python benchmarks/bench_scale.py --quick        # 10-1000 modules, 1 h and 1 d
    python benchmarks/bench_scale.py --write        # also record it in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, table, write_section

SECTION = "Network simulator scaling"
DAY_S = 86400.0
DURATIONS = {"1 h": 3600.0, "1 d": DAY_S, "30 d": 30 * DAY_S, "1 yr": 365.25 * DAY_S}
SIZES = (10, 100, 300, 1000, 2000, 3000)
DENSE_UP_TO = 2000  # dense cases beyond this would take minutes each


def station_text(n: int, seed: int = 1) -> str:
    import numpy as np

    rng = np.random.default_rng(seed)
    out = [f'name = "tree{n}"']
    for i in range(n):
        out += ["[[module]]", f'id = "m{i}"', f"volume_m3 = {rng.uniform(5, 100):.3f}",
                "pressure_Pa = 101325", "temperature_K = 295"]
    for i in range(1, n):
        out += ["[[hatch]]", f'id = "h{i}"', f'between = ["m{int(rng.integers(0, i))}", "m{i}"]',
                "diameter_m = 0.8"]
    return "\n".join(out)


def run_case(n: int, duration_s: float, dense: bool) -> dict[str, float]:
    """One case in this process: CPU seconds of the simulation alone, peak RSS [MB]."""
    from cabinleak.simulate import simulate, step_isothermal
    from cabinleak.station import Leak, parse_station

    if dense:
        step_isothermal.SPARSE_FROM_MODULES = 10**9
    st = parse_station(station_text(n), source=f"tree{n}.toml")
    leak = Leak(module=f"m{n - 1}", diameter_m=2e-3, discharge_coefficient=0.6)
    t0 = time.process_time()
    res = simulate(st, duration_s, leaks=[leak], n_out=11, model="network")
    cpu = time.process_time() - t0
    return {"cpu_s": cpu, "rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "p_end_Pa": float(res.pressure_Pa[-1, -1])}


def measure(n: int, duration_s: float, dense: bool, timeout_s: float) -> dict[str, float] | None:
    cmd = [sys.executable, __file__, "--case", str(n), str(duration_s)] + (["--dense"] if dense
                                                                            else [])
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=True)
    except subprocess.TimeoutExpired:
        return None
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def growth_exponents(rows: list[list[str]], from_modules: int = 300) -> str:
    """k of CPU ∝ n^k per simulated duration: the least-squares slope of log CPU against
    log n over the sizes from ``from_modules`` (below, fixed costs dominate)."""
    import numpy as np

    parts = []
    for label in DURATIONS:
        pts = [(int(r[0]), float(r[2])) for r in rows
               if r[1] == label and int(r[0]) >= from_modules and not r[2].startswith(">")]
        if len(pts) >= 2:
            x, y = np.log([p[0] for p in pts]), np.log([p[1] for p in pts])
            parts.append(f"{label} k = {np.polyfit(x, y, 1)[0]:.2f}")
    return (f"- Growth exponent k of CPU ∝ n^k ({from_modules} modules and up): "
            + ", ".join(parts) + ".")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", nargs=2, metavar=("N", "SECONDS"), help=argparse.SUPPRESS)
    ap.add_argument("--dense", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="10-1000 modules, 1 h and 1 d")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds a case may take (default 300)")
    ap.add_argument("--write", action="store_true",
                    help="replace this benchmark's section of docs/benchmarks.md")
    args = ap.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(int(args.case[0]), float(args.case[1]), args.dense)))
        return 0
    command = shlex.join(["python", "benchmarks/bench_scale.py",
                          *(sys.argv[1:] if argv is None else argv)])
    info = machine_info()
    print(f"# {SECTION}\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(f"- command: `{command}`\n", flush=True)
    sizes = [s for s in SIZES if s <= 1000] if args.quick else list(SIZES)
    durations = {k: v for k, v in DURATIONS.items() if not args.quick or v <= DAY_S}
    rows = []
    for n in sizes:
        for label, dur in durations.items():
            sparse = measure(n, dur, False, args.timeout)
            dense = (measure(n, dur, True, args.timeout)
                     if n <= DENSE_UP_TO and dur <= DAY_S else None)

            def cell(r: dict[str, float] | None) -> str:
                return f"> {args.timeout:g}" if r is None else f"{r['cpu_s']:.2f}"

            ratio = (f"{dense['cpu_s'] / sparse['cpu_s']:.1f}" if sparse and dense else "-")
            rows.append([str(n), label, cell(sparse),
                         f"{sparse['rss_MB']:.0f}" if sparse else "-",
                         cell(dense) if n <= DENSE_UP_TO and dur <= DAY_S else "not run",
                         ratio])
            print(" | ".join(rows[-1]), flush=True)
    result = table(["modules", "simulated", "CPU s", "peak MB", "dense inverses CPU s",
                    "dense / sparse"], rows)
    growth = growth_exponents(rows)
    print("\n" + result + "\n\n" + growth)
    if args.write:
        write_section(SECTION, [
            f"## {SECTION} (`benchmarks/bench_scale.py`)",
            "",
            "Random recursive trees of open hatches, all isothermal, a 2 mm hole in the last "
            "module, on the full network; CPU time and peak memory of each case in a fresh "
            "process. `dense inverses` is the same code with the sparse factorisations "
            "switched off (the implementation before them), run in the same session; "
            "`not run`: dense cases longer than a day or larger than "
            f"{DENSE_UP_TO} modules.",
            "",
            *(f"- {k}: {v}" for k, v in info.items()),
            f"- command: `{command}`",
            "",
            result,
            "",
            growth,
        ])
        print(f"\nwrote section '{SECTION}' of docs/benchmarks.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
