#!/usr/bin/env python3
"""Benchmark ``cabinleak analyze`` on a year of 1 Hz telemetry: streaming read, then analysis.

The data (generated once with a fixed seed, cached as Parquet under ``--data``): an
ISS-like cabin of 916 m³, one well-mixed volume, read at 1 Hz by 20 pressure sensors
(noise 0.05 mmHg 1σ, read to 0.1 mmHg, each with a fixed bias of 0.2 mmHg 1σ) and 20
thermometers (0.05 K, read to 0.1 K, bias 0.2 K 1σ), stored as float32 in ``sNN_pressure_Pa``
and ``sNN_T_K`` columns beside ``time_s``: 31.5 M rows × 41 columns for a year. The gas
(R = ``gas.R_AIR``) at 295 K ± 0.5 K (a 90-minute thermal cycle, p = m·R·T/V) leaks at
a constant background of 0.1 kg/day from the start, and from the middle of the record
also through an orifice to vacuum (rate ∝ mass, 2 kg/day at the onset). The file is
written one 12-day row group at a time, so generation needs little memory.

What is timed, each in a fresh process (so each peak RSS is its own), with the file in
the OS page cache:

1. the streaming path: :func:`cabinleak.telemetry.read_auto` (the year is over its
   5 M-row limit: :func:`~cabinleak.telemetry.read_binned` into bins of
   max(60 s, duration/20000)), then :func:`cabinleak.estimate.analysis.analyze` with
   ``volume_m3=916`` (the columns name sensors, not station modules);
2. the non-streaming path on one month of the same kind of record (leak from its
   middle): :func:`~cabinleak.telemetry.read_telemetry` then ``analyze``;
3. the streaming path on that month, like for like.

The analysis is told the background leak (0.1 kg/day, as a station knows its own) and
runs at 0.1 false alarms per year: its default design, 1 per year, is expected to give
about one false alarm on a year-long record. The leak rate it reports at the last
sample is the whole outflow, background included.

Usage::

    python benchmarks/bench_analyze.py            # a year (generation ~1 min, once)
    python benchmarks/bench_analyze.py --quick    # one month instead of a year
    python benchmarks/bench_analyze.py --write    # also record the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from cabinleak.physics import gas
from cabinleak.physics.units import DAY_S, MMHG_PA

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, table, write_section

SECTION = "bench_analyze"
VOLUME_M3 = 916.0
P0_PA = 101325.0
T0_K = 295.0
CYCLE_S = 5400.0  # thermal cycle: one orbit
CYCLE_K = 0.5
BACKGROUND_KG_PER_DAY = 0.1
LEAK_KG_PER_DAY = 2.0
SENSORS = 20
P_NOISE_MMHG, P_RES_MMHG, P_BIAS_MMHG = 0.05, 0.1, 0.2
T_NOISE_K, T_RES_K, T_BIAS_K = 0.05, 0.1, 0.2
ROW_GROUP = 12 * 86400  # rows per Parquet row group (12 days)
FALSE_ALARMS_PER_YEAR = 0.1
FORMAT = 2  # bump when the generated data change, to invalidate caches


@dataclass(frozen=True)
class Truth:
    """The simulated cabin's gas mass m(t) [kg]: a constant background leak, and from the
    onset an orifice leak to vacuum (rate ∝ m, 2 kg/day at the onset)."""

    days: float

    @property
    def duration_s(self) -> float:
        return self.days * DAY_S

    @property
    def onset_s(self) -> float:
        return 0.5 * self.duration_s

    @property
    def m0_kg(self) -> float:
        return P0_PA * VOLUME_M3 / (gas.R_AIR * T0_K)

    @property
    def background_kg_per_s(self) -> float:
        return BACKGROUND_KG_PER_DAY / DAY_S

    @property
    def k_leak(self) -> float:  # [1/s]
        m_on = self.m0_kg - self.background_kg_per_s * self.onset_s
        return LEAK_KG_PER_DAY / DAY_S / m_on

    def mass_kg(self, t: np.ndarray) -> np.ndarray:
        """dm/dt = −b before the onset, −b − k·m after it."""
        b, k, on = self.background_kg_per_s, self.k_leak, self.onset_s
        m_on = self.m0_kg - b * on
        after = (m_on + b / k) * np.exp(-k * np.maximum(t - on, 0.0)) - b / k
        return np.where(t < on, self.m0_kg - b * t, after)

    def leak_kg_per_day(self, t: float) -> float:
        """The orifice leak's own rate at time t, the background apart [kg/day]."""
        if t < self.onset_s:
            return 0.0
        return float(self.k_leak * self.mass_kg(np.array([t]))[0] * DAY_S)

    def outflow_kg_per_day(self, t: float) -> float:
        """All the gas leaving at time t: background and leak [kg/day]."""
        return BACKGROUND_KG_PER_DAY + self.leak_kg_per_day(t)


def data_path(folder: Path, days: float, seed: int) -> Path:
    return folder / f"cabin_{days:g}d_seed{seed}_v{FORMAT}.parquet"


def generate(path: Path, days: float, seed: int) -> tuple[float, bool]:
    """Write the table unless a complete one is cached: the seconds writing it took (as
    recorded beside it when cached), and whether it was cached."""
    truth = Truth(days)
    rows = round(truth.duration_s)
    took = path.with_suffix(".seconds")
    if path.exists() and took.exists():
        try:
            if pq.ParquetFile(path).metadata.num_rows == rows:
                return float(took.read_text()), True
        except (pa.ArrowInvalid, OSError, ValueError):
            pass
    w0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    bias_p = rng.normal(0.0, P_BIAS_MMHG, SENSORS)
    bias_t = rng.normal(0.0, T_BIAS_K, SENSORS)
    names = ([f"s{i + 1:02d}_pressure_Pa" for i in range(SENSORS)]
             + [f"s{i + 1:02d}_T_K" for i in range(SENSORS)])
    schema = pa.schema([("time_s", pa.float64()), *((n, pa.float32()) for n in names)],
                       metadata={"vehicle": "ISS-like benchmark cabin",
                                 "volume": f"{VOLUME_M3:g} m3"})
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    f32 = np.float32
    with pq.ParquetWriter(part, schema) as writer:
        for start in range(0, rows, ROW_GROUP):
            t = np.arange(start, min(rows, start + ROW_GROUP), dtype=np.float64)
            temp = T0_K + CYCLE_K * np.sin(2.0 * np.pi * t / CYCLE_S)
            p_mmhg = (truth.mass_kg(t) * gas.R_AIR * temp / VOLUME_M3 / MMHG_PA).astype(f32)
            temp32 = temp.astype(f32)
            cols = [pa.array(t)]
            for b in bias_p:
                x = p_mmhg + f32(b) + rng.standard_normal(t.size, dtype=f32) * f32(P_NOISE_MMHG)
                cols.append(pa.array(np.round(x / f32(P_RES_MMHG)) * f32(P_RES_MMHG * MMHG_PA)))
            for b in bias_t:
                x = temp32 + f32(b) + rng.standard_normal(t.size, dtype=f32) * f32(T_NOISE_K)
                cols.append(pa.array(np.round(x / f32(T_RES_K)) * f32(T_RES_K)))
            writer.write_table(pa.Table.from_arrays(cols, schema=schema),
                               row_group_size=ROW_GROUP)
    part.replace(path)
    seconds = time.perf_counter() - w0
    took.write_text(f"{seconds:.1f}\n")
    return seconds, False


def warm(path: Path) -> None:
    """Read the file once so every timed run finds it in the OS page cache."""
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


# ---------------------------------------------------------------- one timed run (a process)


def child(mode: str, path: str) -> dict[str, Any]:
    from cabinleak.estimate.analysis import Settings, analyze
    from cabinleak.telemetry import read_auto, read_telemetry

    # the generated cabin has no operational wander (white sensors, a thermal cycle the
    # thermometers see): the analysis is told so, as it is told the background
    settings = Settings(background_kg_per_s=BACKGROUND_KG_PER_DAY / DAY_S,
                        false_alarms_per_year=FALSE_ALARMS_PER_YEAR, wander_Pa_per_s=0.0)
    rows = pq.ParquetFile(path).metadata.num_rows
    w0 = time.perf_counter()
    if mode == "full":
        tel = read_telemetry(path)
    else:  # "auto": read_auto's own choice; "stream": streamed whatever the length
        tel = read_auto(path, max_rows=0 if mode == "stream" else 5_000_000)
    w1 = time.perf_counter()
    res = analyze(tel, volume_m3=VOLUME_M3, settings=settings)
    w2 = time.perf_counter()
    v = res.primary
    q = v.leak_rate_kg_per_s.scaled(DAY_S)
    return {"mode": mode, "rows": rows, "table_rows": int(tel.time_s.size),
            "bin_s": tel.bin_s, "read_s": w1 - w0, "analyze_s": w2 - w1,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "rate": [q.value, q.low, q.high], "onset_s": v.onset_s,
            "detected": v.leak_detected, "law": v.laws.preferred,
            "end_s": float(tel.time_s[-1]), "issues": len(tel.issues)}


def run_child(mode: str, path: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path)],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# ---------------------------------------------------------------- the benchmark


def fmt_rate(r: Sequence[float]) -> str:
    return f"{r[0]:.4f} ({r[1]:.4f} to {r[2]:.4f})"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="one month instead of a year for the streaming run")
    ap.add_argument("--days", type=float, default=None,
                    help="record length of the streaming run [days] (default 365; --quick 30)")
    ap.add_argument("--slice-days", type=float, default=30.0,
                    help="record length of the non-streaming comparison [days] (default 30)")
    ap.add_argument("--data", type=Path,
                    default=Path(tempfile.gettempdir()) / "cabinleak-bench-analyze",
                    help="folder for the generated tables (kept between runs)")
    ap.add_argument("--seed", type=int, default=20240921, help="random seed of the data")
    ap.add_argument("--write", action="store_true",
                    help="replace this benchmark's section of docs/benchmarks.md")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    days = args.days if args.days is not None else (30.0 if args.quick else 365.0)
    command = shlex.join(["python", "benchmarks/bench_analyze.py",
                          *(sys.argv[1:] if argv is None else argv)])
    info = machine_info()
    info["versions"] += f", pyarrow {pa.__version__}"
    print(f"# {SECTION}\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(f"- command: `{command}`\n", flush=True)

    big, small = data_path(args.data, days, args.seed), data_path(args.data, args.slice_days,
                                                                  args.seed)
    gen = {d: generate(p, d, args.seed) for d, p in ((days, big), (args.slice_days, small))}
    for d, p in ((days, big), (args.slice_days, small)):
        seconds, cached = gen[d]
        how = f"generated in {seconds:.1f} s" + (", cached" if cached else "")
        print(f"data: {p} ({d:g} days, {p.stat().st_size / 1e6:.0f} MB, {how})", flush=True)
        warm(p)

    # a year is over read_auto's 5 M-row limit; a month is not, and is streamed on request
    auto = Truth(days).duration_s > 5e6
    runs = [(f"streaming (`read_auto{'' if auto else '(max_rows=0)'}`), {days:g} days",
             Truth(days), run_child("auto" if auto else "stream", big)),
            (f"non-streaming (`read_telemetry`), {args.slice_days:g} days",
             Truth(args.slice_days), run_child("full", small))]
    if big != small:
        runs.append((f"streaming (`read_auto(max_rows=0)`), {args.slice_days:g} days",
                     Truth(args.slice_days), run_child("stream", small)))
    timing, results = [], []
    for name, truth, r in runs:
        total = r["read_s"] + r["analyze_s"]
        r["total_s"], r["rows_per_s"] = total, r["rows"] / total
        bins = f"{r['bin_s']:.0f} s bins" if r["bin_s"] else "raw rows"
        timing.append([name, f"{r['rows'] / 1e6:.2f} M × 41", f"{r['table_rows']:,} ({bins})",
                       f"{r['read_s']:.1f}", f"{r['analyze_s']:.1f}", f"{total:.1f}",
                       f"{r['rows_per_s'] / 1e6:.2f} M", f"{r['peak_rss_mb']:,.0f}"])
        onset = "none" if r["onset_s"] is None else f"{r['onset_s'] / DAY_S:.3f} d"
        end = r["end_s"]
        results.append([name, fmt_rate(r["rate"]), f"{truth.outflow_kg_per_day(end):.4f} "
                        f"({truth.leak_kg_per_day(end):.4f})",
                        onset, f"{truth.onset_s / DAY_S:.3f} d", r["law"], "orifice"])
    timing_table = table(["run", "rows × columns", "rows analysed", "read s", "analyze s",
                          "total s", "rows/s", "peak RSS MB"], timing)
    result_table = table(["run", "leak rate now kg/day (95 %)",
                          "true outflow (of which the leak) kg/day", "onset", "true onset",
                          "flow law", "true law"], results)
    print("\n" + timing_table + "\n\n" + result_table + "\n")

    stream, full, like = runs[0][2], runs[1][2], runs[-1][2]
    if like is full:
        like = stream
    verdict = [
        f"- Target: {days:g} days of 1 Hz telemetry read and analysed in under 60 s: "
        f"{stream['total_s']:.1f} s, {'met' if stream['total_s'] < 60 else 'NOT met'} "
        f"(peak RSS {stream['peak_rss_mb'] / 1024:.2f} GiB).",
        f"- Throughput: the streaming path handles {stream['rows_per_s'] / 1e6:.2f} M rows/s "
        f"on {days:g} days, {stream['rows_per_s'] / full['rows_per_s']:.0f}x the "
        f"non-streaming path's {full['rows_per_s'] / 1e6:.2f} M rows/s on {args.slice_days:g} "
        f"days ({like['rows_per_s'] / full['rows_per_s']:.0f}x on the same {args.slice_days:g} "
        "days).",
        f"- The non-streaming path spends {full['analyze_s'] / full['total_s']:.0%} of its "
        f"time analysing {full['rows'] / 1e6:.1f} M raw rows; its peak RSS of "
        f"{full['peak_rss_mb'] / 1024:.1f} GiB for {args.slice_days:g} days would be about "
        f"{full['peak_rss_mb'] / 1024 * days / args.slice_days:.0f} GiB for {days:g} days.",
        "- Data generation (once; the files are cached under --data): " + "; ".join(
            f"{d:g} days ({p.stat().st_size / 1e6:.0f} MB) {gen[d][0]:.0f} s"
            + (" in an earlier run" if gen[d][1] else "")
            for d, p in dict(((days, big), (args.slice_days, small))).items()) + ".",
    ]
    print("\n".join(verdict))
    if args.write:
        write_docs(info, command, days, args.slice_days, timing_table, result_table, verdict)
        print(f"\nwrote section '{SECTION} days={days:g}' of docs/benchmarks.md")
    return 0


def write_docs(info: dict[str, str], command: str, days: float, slice_days: float,
               timing_table: str, result_table: str, verdict: list[str]) -> None:
    body = [
        "## Analysing a year of telemetry: streaming read vs full read "
        "(`benchmarks/bench_analyze.py`)",
        "",
        f"An ISS-like cabin ({VOLUME_M3:g} m³) read at 1 Hz by {SENSORS} pressure sensors "
        f"({P_NOISE_MMHG:g} mmHg noise, {P_RES_MMHG:g} mmHg resolution) and {SENSORS} "
        f"thermometers ({T_NOISE_K:g} K, {T_RES_K:g} K), float32 Parquet; a 90-minute "
        f"±{CYCLE_K:g} K thermal cycle, a constant {BACKGROUND_KG_PER_DAY:g} kg/day background "
        f"leak and an orifice leak of {LEAK_KG_PER_DAY:g} kg/day (at its onset, in the middle "
        "of the record; its rate falls with the pressure). "
        f"Streaming: `read_auto` then `analyze(tel, volume_m3={VOLUME_M3:g})`; "
        f"non-streaming: `read_telemetry` then `analyze` on {slice_days:g} days. Each run "
        "in its own process, the file in the OS page cache; the analysis knows the "
        f"background and runs at {FALSE_ALARMS_PER_YEAR:g} false alarms per year (its default, "
        "1 per year, expects about one false alarm in a year-long record). "
        "Throughput is file rows per second of read + analysis.",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        f"- command: `{command}`",
        "",
        "### Timings",
        "",
        timing_table,
        "",
        "### What the analysis found",
        "",
        result_table,
        "",
        *verdict,
    ]
    write_section(f"{SECTION} days={days:g}", body)


if __name__ == "__main__":
    sys.exit(main())
