#!/usr/bin/env python3
"""Benchmark how long the command line takes to start: CPU time of whole short commands.

Each command runs N times in a fresh process (``sys.executable``, with this process's
environment, so ``PYTHONPATH`` picks the tree measured); the CPU time of a run is the
child's user + system time (``resource.getrusage(RUSAGE_CHILDREN)`` before and after),
and the table gives the median. CPU time rather than wall time, because the machines
this runs on are shared: another process slows a run's wall clock, much less its CPU
time. Two references run in the same loop, interleaved with the commands, so that the
ratios hold on a busy machine: ``python -c pass`` (the interpreter alone) and
``python -c "import numpy"`` (the floor of any command that computes, since every model
holds NumPy arrays). A third, ``python -c "import cabinleak.simulate"``, is the floor of
``cabinleak simulate``: NumPy and the simulator's modules, before any work.

``cabinleak`` is run as ``python -c "import sys; from cabinleak.cli import main;
sys.exit(main())" ARGS``, what the console script does. The children may write bytecode
caches (``PYTHONDONTWRITEBYTECODE`` is removed from their environment) and one untimed
run of each command writes them: an installed package has its ``.pyc`` files (pip
compiles them), so compiling the sources anew in every run is a cost users do not pay.

Usage::

    python benchmarks/bench_startup.py            # 7 runs of each command
    python benchmarks/bench_startup.py --runs 15
    python benchmarks/bench_startup.py --write    # also record the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, table, write_section

SECTION = "startup"
CLI = "import sys; from cabinleak.cli import main; sys.exit(main())"
PASS = ("`python -c pass`", ["-c", "pass"])
NUMPY = ('`python -c "import numpy"`', ["-c", "import numpy"])
SIMULATOR = ('`python -c "import cabinleak.simulate"`', ["-c", "import cabinleak.simulate"])
# (row label, arguments of `cabinleak`); the simulation is the smallest bundled case:
# one 100 m³ volume with a 10 mm hole, one hour.
COMMANDS: list[tuple[str, list[str]]] = [
    ("--help", ["--help"]),
    ("stations", ["stations"]),
    ("simulate --help", ["simulate", "--help"]),
    ("simulate test-chamber --duration 1h", ["simulate", "test-chamber", "--duration", "1h"]),
    ("analyze --help", ["analyze", "--help"]),
]
TARGET_S = 0.3
# the children's environment: PYTHONPATH as given, bytecode caches allowed (see above)
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def cpu_seconds(args: Sequence[str]) -> float:
    """User + system CPU time [s] of one run of ``python ARGS``; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], check=True, env=ENV,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int) -> dict[str, float]:
    """Median CPU time [s] of each reference and command over `runs` rounds, interleaved."""
    cases = [PASS, NUMPY, SIMULATOR] + [(f"`cabinleak {label}`", ["-c", CLI, *argv])
                             for label, argv in COMMANDS]
    times: dict[str, list[float]] = {label: [] for label, _ in cases}
    for _, args in cases:  # one untimed run each: bytecode compiled, files in the cache
        cpu_seconds(args)
    for _ in range(runs):
        for label, args in cases:
            times[label].append(cpu_seconds(args))
    return {label: statistics.median(t) for label, t in times.items()}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    ap.add_argument("--write", action="store_true",
                    help="replace this benchmark's section of docs/benchmarks.md")
    args = ap.parse_args(argv)
    command = shlex.join(["python", "benchmarks/bench_startup.py",
                          *(sys.argv[1:] if argv is None else argv)])
    info = machine_info()
    print(f"# {SECTION}\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(f"- command: `{command}`\n", flush=True)

    median = measure(args.runs)
    base, numpy = median[PASS[0]], median[NUMPY[0]]
    rows = [[label, f"{t:.3f}", f"{t / base:.1f}" if base > 0 else "-", f"{t / numpy:.2f}"]
            for label, t in median.items()]
    result = table(["command", f"median CPU s ({args.runs} runs)", "× `python -c pass`",
                    "× `import numpy`"], rows)
    over = [label for label, t in median.items() if label.startswith("`cabinleak")
            and t >= TARGET_S]
    verdict = (f"- Target: every command above under {TARGET_S} s of CPU: "
               + ("met." if not over else f"NOT met by {', '.join(over)}."))
    print(result + "\n\n" + verdict)
    if args.write:
        write_section(SECTION, [
            "## Start-up time of the command line (`benchmarks/bench_startup.py`)",
            "",
            "CPU time (user + system) of short commands, each in a fresh process, median of "
            f"{args.runs} interleaved runs, against the interpreter alone, importing NumPy "
            "(the floor of any command that computes) and importing the simulator (the "
            "floor of `cabinleak simulate`).",
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
