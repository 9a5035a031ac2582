#!/usr/bin/env python3
"""Benchmark the live console (``cabinleak serve``): ingest, first paint, alarm latency.

Three measurements, each against a real server started as ``cabinleak serve`` in a
subprocess (this process's Python and ``PYTHONPATH``) on a free port:

1. **Ingest**: 40 channels (pressure and temperature of 20 ISS modules) at 10 Hz for
   ``--seconds`` of wall time, one row per request, each answered only once committed
   (``synchronous=FULL``). Request latency (median, 99th percentile) and the server's
   CPU share (its user + system time from ``/proc``, over the wall time; the background
   estimate every 5 s included).
2. **First paint**: a record of ``--days`` of 1 Hz rows for the same 40 channels, written
   to the store beforehand; the server started on it (``--window-rows`` large enough to
   hold it), then the overview opened in headless Chromium: the server's start-up (the
   record read back and run through the leak test), the page's first contentful paint
   and the time until its pressure plot holds the data, and the server's resident memory.
3. **Alarm latency**: the demo's leak record posted through the API as fast as it is
   taken while the overview is open; from the answer of the request whose samples made
   the test decide, to the page's alarm count turning to 1 (a MutationObserver, both
   clocks on this machine).

Usage::

    python benchmarks/bench_serve.py                 # 60 s ingest, 7 days, the alarm
    python benchmarks/bench_serve.py --seconds 20 --days 1
    python benchmarks/bench_serve.py --write         # also record the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, table, write_section

SECTION = "serve"
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
MODULES = ("zvezda", "zarya", "unity", "destiny", "harmony", "tranquility", "cupola",
           "columbus", "kibo-pm", "kibo-elm-ps", "leonardo", "quest", "beam", "pma-1",
           "pma-2", "pma-3", "poisk", "nauka", "prichal", "rassvet")
HEADER = ["time"] + [f"{m}_{q}" for m in MODULES for q in ("pressure_mmHg", "T_C")]
TOKEN = "bench"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data: Path, *extra: str) -> tuple[subprocess.Popen[str], str, float]:
    """The server, its base URL, and the seconds until it answered."""
    port = _port()
    env = os.environ | {"OMP_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from cabinleak.cli import main; "
         "sys.exit(main(sys.argv[1:]))", "serve", "--data", str(data), "--port", str(port),
         "--token", TOKEN, *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            request("GET", f"{base}/api/status")
            return proc, base, time.perf_counter() - t0
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"the server ended: {proc.stderr.read() if proc.stderr else ''}"
                                   ) from None
            time.sleep(0.05)


def request(method: str, url: str, body: bytes | None = None,
            content_type: str = "text/csv") -> bytes:
    req = urllib.request.Request(url, data=body, method=method, headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=60) as r:
        return bytes(r.read())


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    found = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(found.group(1)) / 1024 if found else float("nan")


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def row(t: float, rng: np.random.Generator) -> str:
    p = 760.0 + rng.normal(0, 0.05, len(MODULES))
    temp = 21.5 + rng.normal(0, 0.05, len(MODULES))
    return f"{t:.1f}," + ",".join(f"{a:.2f},{b:.2f}" for a, b in zip(p, temp, strict=True))


def bench_ingest(seconds: float) -> dict[str, float]:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, _ = start_server(Path(tmp))
        try:
            head = ",".join(HEADER)
            lat: list[float] = []
            cpu0, t0 = cpu_s(proc.pid), time.perf_counter()
            k = 0
            while (now := time.perf_counter() - t0) < seconds:
                if now < k * 0.1:
                    time.sleep(k * 0.1 - now)
                a = time.perf_counter()
                request("POST", f"{base}/api/samples", f"{head}\n{row(k * 0.1, rng)}\n".encode())
                lat.append(time.perf_counter() - a)
                k += 1
            wall = time.perf_counter() - t0
            cpu = cpu_s(proc.pid) - cpu0
            rows = json.loads(request("GET", f"{base}/api/status"))["rows"]
        finally:
            stop(proc)
    return {"rows": k, "stored": rows, "rate_hz": k / wall,
            "median_ms": 1e3 * statistics.median(lat),
            "p99_ms": 1e3 * float(np.percentile(lat, 99)), "cpu_share": cpu / wall}


def fill_week(data: Path, days: float) -> float:
    """Write ``days`` of 1 Hz rows to a console's store the way the API does; seconds."""
    from cabinleak.serve.ingest import parse_csv
    from cabinleak.serve.live import Live
    from cabinleak.serve.store import Store
    from cabinleak.station import load_station

    t0 = time.perf_counter()
    station = load_station("iss")
    live = Live(station, Store(data), window_rows=int(days * 86400) + 10)
    rng = np.random.default_rng(1)
    n = int(days * 86400)
    chunk = 3600
    spec_batch = parse_csv(",".join(HEADER) + "\n" + row(-1.0, rng), station)
    live.ingest(spec_batch)
    specs = spec_batch.specs
    for a in range(0, n, chunk):
        t = np.arange(a, min(a + chunk, n), dtype=float)
        vals = []
        for s in specs:
            if s.quantity == "pressure":
                vals.append((760.0 + rng.normal(0, 0.05, t.size)) * s.scale)
            else:
                vals.append(21.5 + 273.15 + rng.normal(0, 0.05, t.size))
        from cabinleak.serve.ingest import Batch

        live.ingest(Batch(t, specs, tuple(vals), None))
    live.store.close()
    return time.perf_counter() - t0


def bench_first_paint(days: float) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        fill_s = fill_week(Path(tmp), days)
        rows = int(days * 86400) + 10
        proc, base, start_s = start_server(Path(tmp), "--window-rows", str(rows))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                t0 = time.perf_counter()
                page.goto(f"{base}/?token={TOKEN}")
                page.wait_for_function("document.querySelector('.plot .u-over') !== null",
                                       timeout=120_000)
                plotted = time.perf_counter() - t0
                fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')"
                                    "[0]?.startTime ?? NaN")
                browser.close()
            mem = rss_mb(proc.pid)
        finally:
            stop(proc)
    return {"days": days, "fill_s": fill_s, "start_s": start_s, "fcp_ms": float(fcp),
            "plot_s": plotted, "rss_mb": mem}


def bench_alarm() -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    from cabinleak.serve.sources import demo_telemetry

    tel = demo_telemetry(hours=3.0)
    names = [c.name for c in tel.channels]
    with tempfile.TemporaryDirectory() as tmp:
        proc, base, _ = start_server(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_page()
                page.goto(f"{base}/?token={TOKEN}")
                page.evaluate("""() => { window.alarmAt = null;
                    new MutationObserver(() => {
                        if (document.getElementById('alarm-count').textContent === '1'
                            && window.alarmAt === null) window.alarmAt = Date.now(); })
                    .observe(document.getElementById('alarm-count'),
                             {childList: true, characterData: true, subtree: true}); }""")
                decided = None
                for k in range(tel.time_s.size):
                    line = f"{tel.time_s[k]:g}," + ",".join(
                        f"{tel.channel(n).values[k]:.6f}" for n in names)
                    request("POST", f"{base}/api/samples",
                            f"time,{','.join(names)}\n{line}\n".encode())
                    if json.loads(request("GET", f"{base}/api/alarms")):
                        decided = time.time() * 1e3
                        break
                if decided is None:
                    raise RuntimeError("no alarm in the demo's leak record")
                page.wait_for_function("window.alarmAt !== null", timeout=30_000)
                shown = float(page.evaluate("window.alarmAt"))
                browser.close()
        finally:
            stop(proc)
    return {"latency_ms": shown - decided}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="ingest duration (60)")
    ap.add_argument("--days", type=float, default=7.0, help="record for the first paint (7)")
    ap.add_argument("--only", choices=("ingest", "paint", "alarm"), default=None,
                    help="run one of the three")
    ap.add_argument("--write", action="store_true", help="record in docs/benchmarks.md")
    args = ap.parse_args()
    if args.write and args.only:
        ap.error("--write records all three: leave out --only")
    info = machine_info()
    rows = []
    if args.only in (None, "ingest"):
        ing = bench_ingest(args.seconds)
        rows.append(["ingest: 40 channels at 10 Hz, one durable request a row",
                     f"{ing['rate_hz']:.1f} rows/s ({ing['stored']} of {ing['rows']} "
                     f"stored); request median {ing['median_ms']:.1f} ms, p99 "
                     f"{ing['p99_ms']:.1f} ms; server CPU {100 * ing['cpu_share']:.0f} % "
                     "of one core"])
    if args.only in (None, "paint"):
        paint = bench_first_paint(args.days)
        rows.append([f"first paint: {paint['days']:g} days of 1 Hz × 40 channels",
                     f"server start {paint['start_s']:.1f} s (record read back and tested); "
                     f"first contentful paint {paint['fcp_ms']:.0f} ms; pressure plot drawn "
                     f"{paint['plot_s']:.2f} s after navigation; server memory "
                     f"{paint['rss_mb']:.0f} MB (store filled in {paint['fill_s']:.0f} s)"])
    if args.only in (None, "alarm"):
        alarm = bench_alarm()
        rows.append(["alarm: detector's decision to the page's alarm count",
                     f"{alarm['latency_ms']:.0f} ms"])
    text = table(["measurement", "result"], rows)
    print(text)
    if args.write:
        body = ["## Live console (`cabinleak serve`)", "",
                "`python benchmarks/bench_serve.py` (see its docstring for what is timed).",
                "", *(f"- {k}: {v}" for k, v in info.items()), "", text]
        write_section(SECTION, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
