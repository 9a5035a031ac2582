"""The leak test and the rate interval in the realistic world (issue 14).

Records come from :mod:`cabinleak.telemetry.realistic`, calibrated on real ISS records
(docs/calibration.md): quantised report-by-exception pressure, signal-loss gaps, sensor
drift, thermal wander, crew, oxygen generator and represses. Three measurements:

* false alarms per year on no-leak records at ``--false-alarms 1``: the analysis's own
  noise model (measured wander plus the operational prior) feeds the test, which is run
  on each record from its start and restarted after every alarm (a renewal count);
* mean delay to the alarm after a leak of 1, 3, 10 and 30 kg/day starts, against Lorden's
  bound for the same noise: the block-slope observations with the effective block 1σ the
  test itself uses, the best block length;
* coverage of the 95 % leak-rate interval over many seeds.

Run: ``python benchmarks/bench_realistic.py [--years 5] [--seeds 200] [--write]``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace

import numpy as np
from _common import machine_info, table, write_section

from cabinleak.estimate.analysis import Settings, analyze
from cabinleak.estimate.detect import YEAR_S, detect_leak
from cabinleak.physics.flow import choked_flux_factor
from cabinleak.simulate.realistic import Consumables
from cabinleak.station import Station, load_station
from cabinleak.telemetry import Telemetry
from cabinleak.telemetry.realistic import realistic_record, realistic_run

VOLUME_M3 = 916.0  # the realistic world's ISS volume (docs/calibration.md)
DAY_S = 86400.0
# the station's normal consumption, given as a flight controller knows it: the crew's O2
# use less the generator's output, the realistic world's mean net loss [kg/s]
BACKGROUND_KG_PER_S = -Consumables().net_kg_per_s
SETTINGS = Settings(background_kg_per_s=BACKGROUND_KG_PER_S)


def cd_area_for(rate_kg_per_day: float, p_Pa: float = 101325.0, t_K: float = 295.0) -> float:
    """Cd·A [m²] of a choked orifice with this outflow at 1 atm and 295 K (air)."""
    psi = float(choked_flux_factor(1.4))
    return rate_kg_per_day / DAY_S * math.sqrt(287.05 * t_K) / (psi * p_Pa)


def as_station(tel: Telemetry) -> Telemetry:
    """The generator's channels, named for the ISS's Destiny (a crewed volume)."""
    return replace(tel, channels=tuple(replace(c, source="destiny") for c in tel.channels))


def renewal_alarms(tel: Telemetry, iss: Station) -> tuple[int, float]:
    """Alarms of the analysis's test over a record, restarted after each; and its length."""
    a = analyze(as_station(tel), station=iss, settings=SETTINGS)
    v = a.primary
    ms, wander = v.series, v.wander  # the analysis's own noise model
    t, m, sd = ms.time_s, ms.mass_kg, ms.mass_sd_kg
    start, alarms = float(t[0]), 0
    while True:
        k = t >= start
        if k.sum() < 64:
            break
        det = detect_leak(t[k], m[k], sd[k], wander=wander,
                          background_kg_per_s=BACKGROUND_KG_PER_S)
        if not det.alarm or det.alarm_time_s is None:
            break
        alarms += 1
        start = det.alarm_time_s
    return alarms, float(t[-1] - t[0])


def false_alarms(years: int) -> list[str]:
    iss = load_station("iss")
    total, span, t0 = 0, 0.0, time.perf_counter()
    for seed in range(years):
        tel = realistic_record(YEAR_S, volume_m3=VOLUME_M3, seed=1000 + seed)
        n, s = renewal_alarms(tel, iss)
        total += n
        span += s
        print(f"  year {seed + 1}/{years}: {n} alarm(s)", file=sys.stderr)
    yrs = span / YEAR_S
    # exact Poisson 95 % interval on the rate (Garwood 1936)
    from scipy.stats import chi2
    lo = chi2.ppf(0.025, 2 * total) / 2 / yrs if total else 0.0
    hi = chi2.ppf(0.975, 2 * total + 2) / 2 / yrs
    return [table(["records", "simulated years", "alarms", "per year", "95 % interval",
                   "CPU s"],
                  [[f"{years} × 1 yr", f"{yrs:.2f}", str(total), f"{total / yrs:.2f}",
                    f"{lo:.2f} to {hi:.2f}", f"{time.perf_counter() - t0:.0f}"]])]


def delays(seeds: int) -> list[str]:
    iss = load_station("iss")
    rows = []
    for rate in (1.0, 3.0, 10.0, 30.0):
        # records long enough for the slowest: a day before, then up to 9 days of leak
        days = 10.0 if rate < 3 else 4.0 if rate < 30 else 2.0
        start = 1.0 * DAY_S
        found, delay, bounds = 0, [], []
        for seed in range(seeds):
            tel = realistic_record(days * DAY_S, volume_m3=VOLUME_M3,
                                   leak_cd_area_m2=cd_area_for(rate), leak_start_s=start,
                                   seed=seed)
            v = analyze(as_station(tel), station=iss, settings=SETTINGS).primary
            det = v.detection
            t0 = float(v.series.time_s[0])
            if det is not None and det.alarm and det.alarm_time_s is not None \
                    and det.alarm_time_s - t0 >= start:
                found += 1
                delay.append(det.alarm_time_s - t0 - start)
            if det is not None:
                bounds.append(lorden_effective(det, rate / DAY_S))
        mean = np.mean(delay) / 3600 if delay else math.nan
        bound = float(np.median(bounds)) / 3600
        rows.append([f"{rate:g}", f"{found}/{seeds}", f"{mean:.2f}", f"{bound:.2f}",
                     f"{mean / bound:.2f}" if delay else "-"])
    return [table(["leak kg/day", "found after onset", "mean delay h",
                   "Lorden bound h (same noise)", "ratio"], rows)]


def lorden_effective(det, rate_kg_per_s: float) -> float:  # type: ignore[no-untyped-def]
    """Lorden's bound at the best block length, with the test's effective block 1σ."""
    d = det.design
    best = math.inf
    for b, sd in zip(d.blocks_s, d.slope_sd_kg_per_s, strict=True):
        gamma = YEAR_S / (d.false_alarms_per_year * b)
        info = rate_kg_per_s**2 / (2.0 * sd**2)
        best = min(best, b * math.log(max(gamma, 1.0)) / info)
    return best


def coverage(seeds: int) -> list[str]:
    iss = load_station("iss")
    rate = 10.0
    hits, z = 0, []
    t0 = time.perf_counter()
    for seed in range(seeds):
        run = realistic_run(DAY_S, volume_m3=VOLUME_M3, leak_cd_area_m2=cd_area_for(rate),
                            leak_start_s=0.0, seed=5000 + seed)
        v = analyze(as_station(run.telemetry), station=iss, settings=SETTINGS).primary
        q = v.leak_rate_kg_per_s.scaled(DAY_S)
        # what the analysis reports: the record's whole outflow at the end, the leak's
        # and the background it was given (the world's mean net loss)
        truth = (float(run.truth.leak_kg_per_s[-1]) + BACKGROUND_KG_PER_S) * DAY_S
        hits += q.low <= truth <= q.high
        z.append((q.value - truth) / max((q.high - q.low) / 3.92, 1e-300))
    cov = hits / seeds
    se = math.sqrt(cov * (1 - cov) / seeds)
    return [table(["seeds", "leak kg/day", "coverage (nominal 95 %)", "± 1σ", "mean z",
                   "sd z", "CPU s"],
                  [[str(seeds), f"{rate:g}", f"{100 * cov:.1f} %", f"{100 * se:.1f} %",
                    f"{np.mean(z):+.2f}", f"{np.std(z):.2f}",
                    f"{time.perf_counter() - t0:.0f}"]])]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--delay-seeds", type=int, default=10)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    info = machine_info()
    body = ["## The realistic world (issue 14)", "",
            "Records of `cabinleak.telemetry.realistic` (calibrated on real ISS records, "
            "docs/calibration.md), analysed as `cabinleak analyze --station iss` would "
            "(a crewed volume: the measured wander and the operational prior of 0.1 mmHg/h "
            "over 6 h), with the station's normal consumption given as background "
            f"({BACKGROUND_KG_PER_S * DAY_S:.2f} kg/day: the crew's O2 use less the "
            "generator's).", "",
            "Machine: " + "; ".join(f"{k} {v}" for k, v in info.items()), ""]
    print("false alarms ...", file=sys.stderr)
    body += ["False alarms at `--false-alarms 1` (per year, renewal count):", "",
             *false_alarms(args.years), ""]
    print("delays ...", file=sys.stderr)
    body += ["Detection delay after the onset (the leak from day 1):", "",
             *delays(args.delay_seeds), ""]
    print("coverage ...", file=sys.stderr)
    body += ["Coverage of the 95 % leak-rate interval (24 h records, the leak throughout; "
             "truth: the leak's outflow at the last sample plus the background given, the "
             "whole outflow the analysis reports):", "",
             *coverage(args.seeds)]
    print("\n".join(body))
    if args.write:
        write_section("realistic", body)


if __name__ == "__main__":
    main()
