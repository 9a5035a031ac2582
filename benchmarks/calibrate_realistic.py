#!/usr/bin/env python3
"""Measure real ISS records and the realistic generator side by side (docs/calibration.md).

Real records (``--data``, default ``/work/shared/data/real-telemetry``; each file's ``#``
header says what and whence):

* ``iss-airlock-2025-08-06.csv``: Quest pressure from the public feed, one row per change
  of a once-a-minute archive, 0.101 mmHg steps, 17.2 h, hatch open, no leak;
* ``astropi-iss-2022-01-31.csv``: Astro Pi Mark II, 0.1 hPa steps every 5 s, 19.5 h, and
  the board temperature (not cabin air);
* ``iss-crewlock-eva-2017-10-10.csv``: the public feed recorded live around an EVA; the
  rows of all its items show when the link was lost.

The generator runs the same length and is read the same way (the Quest comparison through
a 60 s hold, as the archive reads the feed); its statistics are medians over ``--seeds``
seeds, with the 10th and 90th percentiles.

Usage::

    python benchmarks/calibrate_realistic.py              # 20 seeds (about 20 s)
    python benchmarks/calibrate_realistic.py --seeds 5
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from cabinleak.physics.gas import R_AIR
from cabinleak.telemetry.realistic import ASTRO_PI, RealisticWorld, realistic_run
from cabinleak.telemetry.record_stats import (
    ADEV_TAUS_S,
    RecordStatistics,
    find_gaps,
    pt_coupling,
    record_statistics,
)

MMHG_PA = 101325.0 / 760.0
HPA_PA = 100.0
ISS_VOLUME_M3 = 916.0
ISS_T_K = 295.0
#: kg/day of gas per mmHg/h of pressure rate in the ISS volume: V/(R·T)·133.32 Pa·24
KG_DAY_PER_MMHG_H = ISS_VOLUME_M3 / (R_AIR * ISS_T_K) * MMHG_PA * 24.0
LOS_MIN_S = 15 * 60.0  # a span this long with no row at all, while rows come every seconds


def read_csv(path: Path) -> tuple[np.ndarray, dict[str, list[str]]]:
    """Seconds since the first row and the text columns of a real record."""
    lines = [x.rstrip("\n") for x in path.read_text().splitlines() if not x.startswith("#")]
    head = lines[0].split(",")
    rows = [x.split(",") for x in lines[1:] if x]
    cols = {h: [r[i] for r in rows] for i, h in enumerate(head)}
    stamps = np.array([s.rstrip("Z") for s in cols["time"]], dtype="datetime64[s]")
    return (stamps - stamps[0]).astype(float), cols


def stats_row(label: str, s: RecordStatistics) -> list[float]:
    return [s.changes_per_h, s.residual_sd, s.range_] + [v for _, v in s.rate_adev]


def generated(duration_s: float, world: RealisticWorld, seeds: int, period_s: float,
              to_unit: float) -> np.ndarray:
    rows = []
    for seed in range(seeds):
        run = realistic_run(duration_s, volume_m3=ISS_VOLUME_M3, seed=seed, world=world)
        ch = run.telemetry.channels[0]
        ok = ch.valid
        s = record_statistics(run.telemetry.time_s[ok], ch.values[ok] * to_unit,
                              period_s=period_s)
        rows.append(stats_row("gen", s))
    return np.array(rows)


def table(title: str, real: RecordStatistics, gen: np.ndarray, unit: str) -> str:
    names = ["changes per hour", f"residual sd [{unit}]", f"range [{unit}]"] + [
        f"rate Allan dev. τ = {tau / 60:g} min [{unit}/h]" for tau in ADEV_TAUS_S]
    real_row = stats_row("real", real)
    med = np.median(gen, axis=0)
    lo, hi = np.percentile(gen, 10, axis=0), np.percentile(gen, 90, axis=0)
    out = [f"### {title}", "",
           "| statistic | real | generated (median) | generated 10–90 % | ratio |",
           "|---|---:|---:|---:|---:|"]
    for name, r, m, a, b in zip(names, real_row, med, lo, hi, strict=True):
        out.append(f"| {name} | {r:.3g} | {m:.3g} | {a:.3g} – {b:.3g} | {m / r:.2f} |")
    out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data/real-telemetry"))
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args()
    t0 = time.perf_counter()

    # Quest, public feed, once-a-minute archive
    t, cols = read_csv(args.data / "iss-airlock-2025-08-06.csv")
    p = np.array(cols["airlock_pressure_mmHg"], dtype=float)
    quest = record_statistics(t, p, period_s=60.0)
    gen_q = generated(t[-1], RealisticWorld(), args.seeds, 60.0, 1.0 / MMHG_PA)
    print(f"Quest (public feed): {quest}")
    print(table("Quest pressure, public feed (60 s archive), 17.2 h", quest, gen_q, "mmHg"))
    print("rate Allan deviation in kg/day for 916 m³ at 295 K "
          f"(× {KG_DAY_PER_MMHG_H:.1f} kg/day per mmHg/h):")
    print("| τ | real | generated (median) |\n|---|---:|---:|")
    for k, (tau, v) in enumerate(quest.rate_adev):
        print(f"| {tau / 60:g} min | {v * KG_DAY_PER_MMHG_H:.2f} | "
              f"{np.median(gen_q[:, 3 + k]) * KG_DAY_PER_MMHG_H:.2f} |")
    print()

    # Astro Pi, 5 s log
    t, cols = read_csv(args.data / "astropi-iss-2022-01-31.csv")
    p = np.array(cols["pressure_hPa"], dtype=float) * HPA_PA / MMHG_PA
    temp = np.array(cols["sensor_T_C"], dtype=float)
    astro5 = record_statistics(t, p, period_s=5.0)
    astro = record_statistics(t, p, period_s=60.0)
    gen_a = generated(t[-1], ASTRO_PI, args.seeds, 60.0, 1.0 / MMHG_PA)
    gen_a5 = generated(t[-1], ASTRO_PI, args.seeds, 5.0, 1.0 / MMHG_PA)
    print(f"Astro Pi: {astro}; changes per hour at 5 s: real {astro5.changes_per_h:.1f}, "
          f"generated {np.median(gen_a5[:, 0]):.1f}")
    print(table("Astro Pi pressure (60 s hold), 19.5 h", astro, gen_a, "mmHg"))
    real_c = pt_coupling(t, p, temp)
    gen_c = []
    for seed in range(args.seeds):
        run = realistic_run(t[-1], volume_m3=ISS_VOLUME_M3, seed=seed, world=ASTRO_PI)
        tel = run.telemetry
        gen_c.append(pt_coupling(tel.time_s, tel.channels[0].values / MMHG_PA,
                                 tel.channels[1].values))
    print("### Astro Pi pressure against its board temperature (5 min … 1 h band)\n")
    print("| statistic | real | generated (median) |\n|---|---:|---:|")
    for name, attr, fmt in (("slope [mmHg/K]", "slope", ".3g"), ("correlation r", "correlation",
                            ".2f"), ("pressure leads T by [min]", "lag_s", ".0f"),
                            ("board T sd [K]", "temperature_sd", ".2f")):
        real_v = getattr(real_c, attr) / (60.0 if attr == "lag_s" else 1.0)
        gen_v = np.median([getattr(c, attr) for c in gen_c]) / (60.0 if attr == "lag_s" else 1.0)
        print(f"| {name} | {real_v:{fmt}} | {gen_v:{fmt}} |")
    print(f"\n(ideal gas at 760 mmHg, 295 K: {760 / 295:.2f} mmHg/K)\n")

    # Signal loss, from the live-recorded EVA file (rows of every item)
    t, cols = read_csv(args.data / "iss-crewlock-eva-2017-10-10.csv")
    live = t >= 15.25 * 3600.0  # before: the recording itself had not started
    gaps = find_gaps(t[live], LOS_MIN_S)
    span = t[live][-1] - t[live][0]
    world = RealisticWorld()
    runs = [realistic_run(30 * 86400.0, volume_m3=ISS_VOLUME_M3, seed=s, world=world)
            for s in range(min(args.seeds, 5))]
    los = np.concatenate([r.los_spans for r in runs])
    lengths = los[:, 1] - los[:, 0]
    lengths = lengths[lengths >= LOS_MIN_S]
    print("### Signal loss (spans of 15 min or more with no row)\n")
    print("| statistic | real (EVA file, 12.9 h live) | generated (5 × 30 days) |")
    print("|---|---:|---:|")
    print(f"| LOS spans | {len(gaps)} | {lengths.size} |")
    print(f"| fraction of time lost | {gaps[:, 1].sum() / span:.2f} | "
          f"{np.sum(los[:, 1] - los[:, 0]) / (len(runs) * 30 * 86400.0):.2f} (all spans) |")
    print(f"| median LOS [min] | {np.median(gaps[:, 1]) / 60:.0f} | "
          f"{np.median(lengths) / 60:.0f} |")
    print(f"| LOS lengths [min] | {', '.join(f'{g / 60:.0f}' for g in gaps[:, 1])} | "
          f"10–90 %: {np.percentile(lengths, 10) / 60:.0f} – "
          f"{np.percentile(lengths, 90) / 60:.0f} |")
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
