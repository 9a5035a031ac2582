#!/usr/bin/env python3
"""Benchmark consequence campaigns (``cabinleak campaign``) on the bundled ISS example.

1. **Tables** (once per campaign, before the scenarios): the localization lookup (the
   searches played per policy, cell, rate and replicate), the detector's delay table and
   the MMOD site weights, on 2 local workers.
2. **Cost per link** on one chunk of ISS scenarios: drawing the inputs, the detector's
   delay, the localization lookup, the whole response (pressures, decision, outcome, both
   policies), and turning the chunk into a Parquet file.
3. **Full chain** in this process: scenarios per second per core (each chunk is encoded
   as Parquet by its task in both cases; with ``--out`` it is also written to disk).
4. **Scaling**: the same campaign on 1 and 2 local worker processes (efficiency =
   speed-up / workers).
5. **Per-task overhead** of a Dask LocalCluster (2 worker processes) against a
   ProcessPoolExecutor(2): many one-scenario chunks, time per task.
6. **1,000,000 scenarios** on 2 workers: run with ``--million``, else estimated from 4.

Usage::

    python benchmarks/bench_campaign.py            # about 3-4 minutes on 2 shared cores
    python benchmarks/bench_campaign.py --quick    # fewer scenarios, 1 search replicate
    python benchmarks/bench_campaign.py --million  # also run 1e6 scenarios on 2 workers
    python benchmarks/bench_campaign.py --write    # also record the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, table, write_section

from cabinleak.campaign.prepare import prepare, run_chunk
from cabinleak.campaign.response import respond
from cabinleak.campaign.runner import run, to_table
from cabinleak.campaign.sampling import draw_inputs
from cabinleak.campaign.spec import parse_spec


def _spec(scenarios: int, chunk: int, replicates: int):  # -> CampaignSpec
    text = resources.files("cabinleak.campaign").joinpath("iss-example.toml").read_text()
    spec = parse_spec(text, "iss-example.toml")
    return replace(spec, scenarios=scenarios, chunk_size=chunk,
                   response=replace(spec.response, locate_replicates=replicates))


def _timed(fn, *args, repeat: int = 3):  # -> (best seconds, result)
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--million", action="store_true")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    info = machine_info()
    chunk = 50_000
    n_chain = 100_000 if args.quick else 400_000
    reps = 1 if args.quick else 3
    rows: list[list[str]] = []

    # 1. tables
    spec = _spec(n_chain, chunk, reps)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(2) as ex:
        model = prepare(spec, executor=ex)
    t_prep = time.perf_counter() - t0
    searches = model.locate.elapsed_s.size
    rows.append(["tables: localization lookup + detector + MMOD (2 workers)",
                 f"{searches} searches", f"{t_prep:.1f} s", "once per campaign"])

    # 2. cost per link, one chunk
    rng = np.random.default_rng(0)
    t_draw, inputs = _timed(lambda: draw_inputs(spec, model.sites, model.hole_table, reps,
                                                np.random.default_rng(1), chunk, 0, 0))
    module = np.asarray(inputs["module"], dtype=np.intp)
    cda = np.asarray(inputs["cd_area_mm2"]) * 1e-6
    q0 = cda * model.gas.psi * model.gas.pressure_Pa / np.sqrt(model.gas.rt_J_per_kg)
    draw = np.asarray(inputs["locate_draw"], dtype=np.intp)
    t_det, _ = _timed(model.delays.delay_s, q0)
    t_loc, _ = _timed(lambda: model.locate.lookup(0, module, q0 * 86400, draw))
    t_resp, _ = _timed(lambda: respond(module, cda, np.asarray(inputs["asleep"]), draw,
                                       model.gas, model.delays, model.locate, 0,
                                       spec.response))
    seed = np.random.SeedSequence(0)
    t_chunk, cols = _timed(lambda: run_chunk(model, 0, seed, 0, chunk))
    with tempfile.TemporaryDirectory() as tmp:
        import pyarrow.parquet as pq

        def write() -> None:
            pq.write_table(to_table(model, cols), Path(tmp) / "c.parquet",
                           compression="zstd")

        t_pq, _ = _timed(write)
    del rng
    per = 1e6 / chunk
    for name, t in (("draw the inputs", t_draw), ("detection (delay table)", t_det),
                    ("localization (lookup)", t_loc),
                    ("response, one policy (pressures, decision, outcome)", t_resp),
                    ("whole chunk, both policies (run_chunk)", t_chunk),
                    ("to Parquet (table + write)", t_pq)):
        rows.append([f"link: {name}", f"{chunk:,} scenarios", f"{t * 1e3:.1f} ms",
                     f"{t * per:.2f} µs/scenario"])

    # 3. full chain in this process
    t0 = time.perf_counter()
    res = run(spec, model=model)
    t_serial = time.perf_counter() - t0
    rate1 = n_chain / t_serial
    rows.append(["full chain, this process (chunks kept in memory)", f"{n_chain:,} scenarios",
                 f"{t_serial:.2f} s", f"{rate1:,.0f} scenarios/s"])
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run(spec, model=model, out=Path(tmp) / "out")
        t_out = time.perf_counter() - t0
    rows.append(["full chain, this process, a Parquet file per chunk", f"{n_chain:,} scenarios",
                 f"{t_out:.2f} s", f"{n_chain / t_out:,.0f} scenarios/s"])
    del res

    # 4. 1 vs 2 workers (chunks of 25,000: 16 tasks)
    small = replace(spec, chunk_size=25_000)
    rates = {}
    for w in (1, 2):
        with ProcessPoolExecutor(w) as ex:
            ex.submit(int).result()  # start the workers
            t0 = time.perf_counter()
            run(small, model=model, executor=ex)
            rates[w] = n_chain / (time.perf_counter() - t0)
        rows.append([f"local processes: {w} worker(s)", f"{n_chain:,} scenarios",
                     f"{n_chain / rates[w]:.2f} s", f"{rates[w]:,.0f} scenarios/s"])
    eff = rates[2] / rates[1] / 2
    rows.append(["scaling 1 → 2 workers", "", f"efficiency {eff:.0%}",
                 f"speed-up {rates[2] / rates[1]:.2f}"])

    # 5. per-task overhead: Dask against local processes (one scenario per task)
    tasks = 200
    tiny = replace(spec, scenarios=tasks, chunk_size=1)
    with ProcessPoolExecutor(2) as ex:
        ex.submit(int).result()
        t0 = time.perf_counter()
        run(tiny, model=model, executor=ex)
        t_pp = (time.perf_counter() - t0) / tasks
    rows.append(["per-task time, ProcessPoolExecutor(2)", f"{tasks} one-scenario tasks",
                 f"{t_pp * 1e3:.2f} ms/task", ""])
    try:
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster) as client:
            exd = client.get_executor(pure=False)
            run(replace(tiny, scenarios=4), model=model, executor=exd)  # warm the workers
            t0 = time.perf_counter()
            run(tiny, model=model, executor=exd)
            t_dask = (time.perf_counter() - t0) / tasks
            t0 = time.perf_counter()
            run(small, model=model, executor=exd)
            rate_dask = n_chain / (time.perf_counter() - t0)
        rows.append(["per-task time, Dask LocalCluster (2 processes)",
                     f"{tasks} one-scenario tasks", f"{t_dask * 1e3:.2f} ms/task",
                     f"{(t_dask - t_pp) * 1e3:+.2f} ms against local processes"])
        rows.append(["Dask LocalCluster (2 processes), full chain", f"{n_chain:,} scenarios",
                     f"{n_chain / rate_dask:.2f} s", f"{rate_dask:,.0f} scenarios/s"])
    except ImportError:
        rows.append(["Dask", "not installed (pip install 'cabinleak[dask]')", "", ""])

    # 6. a million on 2 workers
    million = replace(spec, scenarios=1_000_000, chunk_size=50_000)
    if args.million:
        with ProcessPoolExecutor(2) as ex, tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run(million, model=model, executor=ex, out=Path(tmp) / "out")
            t_m = time.perf_counter() - t0
        rows.append(["1,000,000 scenarios, 2 workers, Parquet (run)", "", f"{t_m:.1f} s",
                     f"+ {t_prep:.0f} s of tables = {(t_m + t_prep) / 60:.1f} min"])
    else:
        est = 1e6 / rates[2]
        rows.append(["1,000,000 scenarios, 2 workers (estimate from 4.)", "",
                     f"{est:.1f} s", f"+ {t_prep:.0f} s of tables = "
                     f"{(est + t_prep) / 60:.1f} min"])

    header = ["measurement", "size", "time", "rate / note"]
    out = table(header, rows)
    print("\n".join(f"{k}: {v}" for k, v in info.items()))
    print(out)
    if args.write:
        body = ["## Consequence campaigns (`bench_campaign.py`)", "",
                f"`{shlex.join(['python', 'benchmarks/bench_campaign.py', *(argv or [])])}`",
                "", *(f"- {k}: {v}" for k, v in info.items()), "", out]
        write_section("bench_campaign", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
