#!/usr/bin/env python3
"""Benchmark the sequential leak alarm against Lorden's bound and a dP/dt threshold.

The bundled ISS model (24 modules, all 23 hatches open) with its own sensors (8 pressure
gauges at 1 Hz, noise 0.05 mmHg, resolution 0.1 mmHg; 4 thermometers at 1 Hz, noise
0.05 K, resolution 0.1 K). A leak of constant rate starts at a random onset between 6 and
12 h into the record; for each rate and seed:

1. the true state is a constant-rate mass decline at constant temperature (all modules
   at one pressure), turned into readings by ``cabinleak.simulate.sensors.sample`` (the
   product's sensor model, fed a three-point ``SimulationResult``: start, onset, end);
2. the readings become a ``Telemetry`` table and a ``MassSeries`` (``mass_series``, the
   product's path: offsets removed, channels averaged, p·V/(R·T)), at 1 Hz, unbinned;
3. ``detect_leak`` runs at 1 false alarm per year with its default design (blocks of
   5 min to 5.3 h); the delay is the alarm time less the onset;
4. ``dpdt_alarm`` runs on the averaged pressure with the threshold that gives the same
   1 false alarm per year on the same noise (``dpdt_threshold_for``, 60 s window).

Why not ``simulate``: with every hatch open the modules equalise in seconds, and over
the detection window (hours at most) a 0.1-10 kg/day leak changes the cabin pressure by
under 0.2 %, so its rate is constant to that accuracy; the three-point truth is the
simulated one to within the sensor resolution, and lets 20+ seeds of up to 60 h at 1 Hz
run in about a minute. Crew metabolism and supplies are left out: the mass series removes
known additions, and here they are taken as removed exactly.

Usage::

    python benchmarks/bench_detect.py            # 24 seeds per rate (about 2 minutes)
    python benchmarks/bench_detect.py --quick    # 6 seeds per rate
    python benchmarks/bench_detect.py --write    # also record the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cabinleak.estimate.detect import (
    LeakTestDesign,
    design_leak_test,
    detect_leak,
    lorden_delay_s,
)
from cabinleak.estimate.dpdt import dpdt_alarm, dpdt_threshold_for
from cabinleak.estimate.mass import mass_series
from cabinleak.physics import gas
from cabinleak.simulate.result import SimulationResult
from cabinleak.simulate.sensors import sample
from cabinleak.station import Station, load_station
from cabinleak.telemetry import Channel, Telemetry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_info, table, write_section

F = NDArray[np.float64]

DAY_S = 86400.0
HOUR_S = 3600.0
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SECTION = "bench_detect"
ISSUE_RATES = (0.1, 0.3, 1.0, 3.0, 10.0)  # [kg/day], the issue's range
EXTRA_RATES = (300.0, 3000.0)  # [kg/day], beyond it: where a dP/dt threshold can alarm


# ---------------------------------------------------------------- one telemetry record


@dataclass(frozen=True)
class Cabin:
    """The station reduced to what the sensors see: one pressure, one temperature."""

    station: Station
    volume_m3: float
    gas_constant: float  # [J/(kg·K)]
    pressure_Pa: float
    temperature_K: float

    @classmethod
    def of(cls, st: Station) -> Cabin:
        if not all(h.open for h in st.hatches):
            raise ValueError("the benchmark needs every hatch open (one pressure)")
        vol = np.array([m.volume_m3 for m in st.modules])
        r = np.array([float(gas.gas_constant(m.mass_fractions)) for m in st.modules])
        p = np.array([m.pressure_Pa for m in st.modules])
        temp = np.array([m.temperature_K for m in st.modules])
        return cls(station=st, volume_m3=float(vol.sum()),
                   gas_constant=float(np.average(r, weights=vol)),
                   pressure_Pa=float(np.average(p, weights=vol)),
                   temperature_K=float(np.average(temp, weights=vol)))

    @property
    def pa_per_kg(self) -> float:
        """Pressure change per kg of gas at constant temperature [Pa/kg]: R·T/V."""
        return self.gas_constant * self.temperature_K / self.volume_m3

    def record(self, rate_kg_per_s: float, onset_s: float, duration_s: float,
               rng: np.random.Generator) -> Telemetry:
        """Sensor readings of a constant-rate leak from ``onset_s`` (product sensor model)."""
        st = self.station
        n = len(st.modules)
        times = np.array([0.0, onset_s, duration_s])
        p = self.pressure_Pa - rate_kg_per_s * self.pa_per_kg * np.array(
            [0.0, 0.0, duration_s - onset_s])
        truth = SimulationResult(
            station=st.name, module_ids=tuple(m.id for m in st.modules),
            volume_m3=np.array([m.volume_m3 for m in st.modules]), time_s=times,
            pressure_Pa=np.repeat(p[:, None], n, axis=1),
            temperature_K=np.full((3, n), self.temperature_K), mass_kg=np.zeros((3, n)),
            mole_fractions=np.zeros((3, n, 4)), vented_kg_per_s=np.zeros(3),
            supplied_kg_per_s=np.zeros(3), link_names=(), link_flow_kg_per_s=np.zeros((3, 0)))
        t, readings = sample(truth, st.sensors, rng=rng)
        by_id = {s.id: s for s in st.sensors}
        chans = tuple(Channel(name=sid, source=by_id[sid].module,
                              quantity=by_id[sid].quantity,
                              unit="Pa" if by_id[sid].quantity == "pressure" else "K",
                              values=v, resolution=by_id[sid].resolution)
                      for sid, v in readings.items())
        return Telemetry(path=f"synthetic {st.name}", time_s=t, channels=chans)


def sensor_sd(st: Station, quantity: str) -> float:
    """Per-sample 1σ of one reading: noise and uniform quantisation error, √(σ² + q²/12)."""
    s = next(x for x in st.sensors if x.quantity == quantity)
    return math.sqrt(s.noise_sd**2 + s.resolution**2 / 12.0)


# ---------------------------------------------------------------- the benchmark


@dataclass
class Trial:
    delay_s: float | None  # None: no alarm within the horizon
    block_s: float
    false_alarm: bool  # alarm before the onset
    onset_error_s: float | None
    rate_estimate: float | None  # [kg/s]
    dpdt_delay_s: float | None
    noise_ratio: float


def information_delay_s(rate_kg_per_s: float, mass_sd_kg: float, sample_s: float,
                        false_alarms_per_year: float = 1.0) -> float:
    """Delay at which the raw samples' information about the leak reaches log(γ) [s].

    After an onset ν the mean mass falls as δ·(t − ν); with the pre-leak level known and
    white noise σ every Δt, the expected log-likelihood ratio at ν + D is
    Σ δ²(tᵢ − ν)²/(2σ²) ≈ δ²D³/(6σ²Δt). Lorden's argument, in Lai's (1998, Thm. 1) form
    for non-i.i.d. observations, bounds the delay of any test with a mean time to false
    alarm of γ samples from below by the D at which that reaches log γ (asymptotically;
    taking the information's D³ growth in place of Lai's linear one is our step):
    D = (6σ²Δt·log γ/δ²)^(1/3), with γ = 1 yr/(FAR·Δt).
    """
    gamma = 365.25 * DAY_S / (false_alarms_per_year * sample_s)
    return (6.0 * mass_sd_kg**2 * sample_s * math.log(gamma) / rate_kg_per_s**2) ** (1 / 3)


def matched_block(design: LeakTestDesign, rate_kg_per_s: float) -> float:
    """The block length whose design rates bracket the rate (else the nearest end) [s]."""
    for b, rates in zip(design.blocks_s, design.design_rates_kg_per_s, strict=True):
        if min(rates) <= rate_kg_per_s <= max(rates):
            return b
    return design.blocks_s[0] if rate_kg_per_s > design.max_rate_kg_per_s else design.blocks_s[-1]


def run_rate(cab: Cabin, rate_kg_per_s: float, seeds: int, horizon_s: float,
             dpdt_threshold: float, seed0: int, block_s: float | None = None) -> list[Trial]:
    st = cab.station
    trials = []
    for k in range(seeds):
        rng = np.random.default_rng([seed0, int(rate_kg_per_s * DAY_S * 1000), k])
        onset = float(rng.uniform(6 * HOUR_S, 12 * HOUR_S))
        tel = cab.record(rate_kg_per_s, onset, onset + horizon_s, rng)
        ms = mass_series(tel, tel.of("pressure"), tel.of("temperature"),
                         volume_m3=cab.volume_m3, gas_constant=cab.gas_constant, label=st.name,
                         pressure_sd_Pa=sensor_sd(st, "pressure"),
                         temperature_sd_K=sensor_sd(st, "temperature"))
        det = detect_leak(ms.time_s, ms.mass_kg, ms.mass_sd_kg, false_alarms_per_year=1.0,
                          block_s=block_s)
        dp = dpdt_alarm(ms.time_s, ms.pressure_Pa, threshold_Pa_per_s=dpdt_threshold)
        early = det.alarm and det.alarm_time_s is not None and det.alarm_time_s < onset
        trials.append(Trial(
            delay_s=None if not det.alarm or det.alarm_time_s is None
            else det.alarm_time_s - onset,
            block_s=det.block_s, false_alarm=bool(early),
            onset_error_s=None if det.onset_time_s is None else det.onset_time_s - onset,
            rate_estimate=det.rate_at_alarm_kg_per_s,
            dpdt_delay_s=None if dp.alarm_time_s is None else dp.alarm_time_s - onset,
            noise_ratio=det.noise_ratio))
    return trials


def fmt_h(x: float) -> str:
    if x < 0.1:
        return f"{x * 60:.2g} min"
    return f"{x:.3g}"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="6 seeds per rate (default 24)")
    ap.add_argument("--seeds", type=int, default=None, help="seeds per rate")
    ap.add_argument("--seed", type=int, default=20240901, help="base random seed")
    ap.add_argument("--max-horizon-h", type=float, default=48.0,
                    help="longest record after the onset [h] (default 48)")
    ap.add_argument("--write", action="store_true",
                    help=f"replace this benchmark's section of {DOCS.name}")
    args = ap.parse_args(argv)
    seeds = args.seeds if args.seeds is not None else (6 if args.quick else 24)
    command = shlex.join(["python", "benchmarks/bench_detect.py",
                          *(sys.argv[1:] if argv is None else argv)])
    info = machine_info()
    print("# bench_detect\n")
    for k, v in info.items():
        print(f"- {k}: {v}")
    print(f"- command: `{command}`\n", flush=True)

    w0 = time.perf_counter()
    st = load_station("iss")
    cab = Cabin.of(st)
    n_p = sum(s.quantity == "pressure" for s in st.sensors)
    n_t = sum(s.quantity == "temperature" for s in st.sensors)
    mass = cab.pressure_Pa * cab.volume_m3 / (cab.gas_constant * cab.temperature_K)
    # per-sample noise of the mass series (as mass_series combines it) and of the pressure
    rel = math.hypot(sensor_sd(st, "pressure") / math.sqrt(n_p) / cab.pressure_Pa,
                     sensor_sd(st, "temperature") / math.sqrt(n_t) / cab.temperature_K)
    mass_sd = mass * rel
    p_sd = sensor_sd(st, "pressure") / math.sqrt(n_p)
    design = design_leak_test(mass_sd, 1.0, false_alarms_per_year=1.0)
    dpdt_thr = dpdt_threshold_for(1.0, p_sd, 1.0, 60.0)
    dpdt_min_rate = dpdt_thr / cab.pa_per_kg  # the smallest constant leak it can ever see
    print(f"cabin: {cab.volume_m3:.1f} m3, {mass:.1f} kg of gas, R = {cab.gas_constant:.2f} "
          f"J/(kg K); mass noise {mass_sd:.4f} kg per 1 Hz sample; averaged pressure "
          f"noise {p_sd:.3f} Pa")
    print(f"leak test: {design}")
    print(f"dP/dt threshold at 1 false alarm per year: {dpdt_thr:.4f} Pa/s "
          f"({dpdt_thr * 60 / 133.322387415:.3f} mmHg/min), i.e. a leak of at least "
          f"{dpdt_min_rate * DAY_S:.0f} kg/day\n", flush=True)

    rows = []
    verdict_rows = []
    noise_ratios: list[float] = []
    for per_day in (*ISSUE_RATES, *EXTRA_RATES):
        rate = per_day / DAY_S
        horizon = min(max(8.0 * design.expected_delay_s(rate), HOUR_S),
                      args.max_horizon_h * HOUR_S)
        t1 = time.perf_counter()
        trials = run_rate(cab, rate, seeds, horizon, dpdt_thr, args.seed)
        noise_ratios += [x.noise_ratio for x in trials]
        found = [x for x in trials if x.delay_s is not None and not x.false_alarm]
        missed = sum(x.delay_s is None for x in trials)
        early = sum(x.false_alarm for x in trials)
        delays = np.array([x.delay_s for x in found], dtype=float)
        mean = float(delays.mean()) if delays.size else math.nan
        se = float(delays.std(ddof=1) / math.sqrt(delays.size)) if delays.size > 1 else math.nan
        blocks = Counter(x.block_s for x in found)
        b_match = matched_block(design, rate)
        bound = lorden_delay_s(rate, mass_sd_kg=mass_sd, sample_s=1.0, block_s=b_match,
                               false_alarms_per_year=1.0)
        info_bound = information_delay_s(rate, mass_sd, 1.0)
        dp = [x.dpdt_delay_s for x in trials]
        dp_hit = np.array([d for d in dp if d is not None and d >= 0], dtype=float)
        if dp_hit.size == len(trials):
            dp_mean = float(dp_hit.mean())
            dp_cell = fmt_h(dp_mean / HOUR_S)
            speed = f"{dp_mean / mean:.3g}x"
        else:
            dp_cell = f"no alarm in {horizon / HOUR_S:.3g} h" + (
                f" ({dp_hit.size}/{len(trials)} did)" if dp_hit.size else "")
            speed = f"> {horizon / mean:.3g}x" if math.isfinite(mean) else "—"
        onset_err = np.array([x.onset_error_s for x in found if x.onset_error_s is not None])
        rate_err = np.array([x.rate_estimate / rate for x in found if x.rate_estimate])
        used = ", ".join(f"{b / 60:.0f} min ×{c}" for b, c in sorted(blocks.items()))
        rows.append([
            f"{per_day:g}" + ("" if per_day in ISSUE_RATES else " (beyond range)"),
            f"{fmt_h(mean / HOUR_S)} ± {fmt_h(se / HOUR_S)}" if math.isfinite(se)
            else fmt_h(mean / HOUR_S),
            fmt_h(design.expected_delay_s(rate) / HOUR_S),
            used or "—", f"{b_match / 60:.0f} min",
            fmt_h(bound / HOUR_S), f"{mean / bound:.3g}",
            fmt_h(info_bound / HOUR_S), f"{mean / info_bound:.3g}",
            dp_cell, speed,
            f"{np.median(np.abs(onset_err)) / 60:.0f} min" if onset_err.size else "—",
            f"{np.median(rate_err):.2f}" if rate_err.size else "—",
            f"{len(found)}/{len(trials)}" + (f", {missed} missed" if missed else "")
            + (f", {early} early" if early else ""),
        ])
        if per_day in ISSUE_RATES:
            verdict_rows.append((per_day, mean / bound, mean / info_bound,
                                 dp_hit.size == len(trials),
                                 (dp_hit.mean() / mean) if dp_hit.size == len(trials) else None))
        print(f"  {per_day:g} kg/day: {len(found)} alarms, mean delay {mean / HOUR_S:.3f} h, "
              f"{time.perf_counter() - t1:.1f} s", file=sys.stderr, flush=True)
    header = ["leak [kg/day]", "mean delay [h] ± SE", "predicted [h]", "alarm block (seeds)",
              "matched block", "Lorden bound at matched block [h]", "delay / bound",
              "information bound, raw samples [h]", "delay / info bound", "dP/dt delay [h]",
              "speed-up vs dP/dt", "median onset error", "median rate est. / true",
              "alarms"]
    result = table(header, rows)
    print("\n" + result + "\n")

    # ---- one block length per rate, where Lorden's bound is many blocks (its regime)
    print("One block length per rate (the ladder's length whose bound is nearest 15 blocks):",
          file=sys.stderr)
    rows2 = []
    single: list[tuple[float, float]] = []
    for per_day in ISSUE_RATES:
        rate = per_day / DAY_S
        bounds = {b: lorden_delay_s(rate, mass_sd_kg=mass_sd, sample_s=1.0, block_s=b,
                                    false_alarms_per_year=1.0) for b in design.blocks_s}
        b = min(bounds, key=lambda x: abs(math.log(bounds[x] / x / 15.0)))
        one = design_leak_test(mass_sd, 1.0, false_alarms_per_year=1.0, block_s=b)
        horizon = min(max(4.0 * one.expected_delay_s(rate), HOUR_S),
                      args.max_horizon_h * HOUR_S)
        t1 = time.perf_counter()
        trials = run_rate(cab, rate, seeds, horizon, dpdt_thr, args.seed + 1, block_s=b)
        delays = np.array([x.delay_s for x in trials
                           if x.delay_s is not None and not x.false_alarm], dtype=float)
        mean = float(delays.mean()) if delays.size else math.nan
        se = float(delays.std(ddof=1) / math.sqrt(delays.size)) if delays.size > 1 else math.nan
        single.append((per_day, mean / bounds[b]))
        rows2.append([f"{per_day:g}", f"{b / 60:.0f} min", f"{bounds[b] / b:.3g}",
                      f"{fmt_h(mean / HOUR_S)} ± {fmt_h(se / HOUR_S)}",
                      fmt_h(one.expected_delay_s(rate) / HOUR_S), fmt_h(bounds[b] / HOUR_S),
                      f"{mean / bounds[b]:.3g}", f"{delays.size}/{len(trials)}"])
        print(f"  {per_day:g} kg/day, {b / 60:.0f} min blocks: mean delay "
              f"{mean / HOUR_S:.3f} h, {time.perf_counter() - t1:.1f} s", file=sys.stderr,
              flush=True)
    result2 = table(["leak [kg/day]", "block", "bound [blocks]", "mean delay [h] ± SE",
                     "predicted [h]", "Lorden bound [h]", "delay / bound", "alarms"], rows2)
    print("\n" + result2 + "\n")

    within = [r for r in verdict_rows if r[1] <= 1.25]
    fast = [r for r in verdict_rows if (not r[3]) or (r[4] is not None and r[4] >= 3)]
    within2 = [r for _, r in single if r <= 1.25]
    notes = [
        f"- Lorden target (mean delay within 1.25x of Lorden's bound): met by the CUSUM "
        f"bank on one block length, in the bound's regime (table 2), at "
        f"{len(within2)}/{len(single)} of the issue's rates (ratios "
        + ", ".join(f"{r:.2f}" for _, r in single)
        + "; below 1 is possible at a finite γ, the bound being log(γ)/I·(1 + o(1)) as "
        "γ → ∞, and the CUSUM threshold h sits a little under log γ). For the default "
        "test (table 1) against the bound at each rate's matched "
        f"block (the block length whose design rates include it): {len(within)}/"
        f"{len(verdict_rows)} (ratios " + ", ".join(f"{r[1]:.2f}" for r in verdict_rows)
        + "). That bound, Lorden's (1971) asymptotic log(γ)/I with γ = 1 yr/(FAR·B) "
        "blocks and I = δ²/2σ_B², is for the slopes of one block length; it needs many "
        "blocks to be approached, and the best block for a rate makes it plain in one or "
        "two, so the default test trades the ratio for a short delay (a bound ≈ 1 block "
        "cannot be approached by a test that alarms at block ends). It does not bound the "
        "several-block test, which also beats it (ratios < 1: a longer block raced ahead). "
        "What bounds any test is the information in the raw samples (level and slope, "
        "pre-leak level known; `information_delay_s` here): the default test is within "
        + ", ".join(f"{r[2]:.2f}" for r in verdict_rows) + "x of it.",
        f"- dP/dt target (>= 3x faster than a dP/dt threshold at the same false-alarm "
        f"rate): met at {len(fast)}/{len(verdict_rows)} of the issue's rates. With the "
        f"averaged pressure noise of {p_sd:.2f} Pa at 1 Hz and a 60 s window, the threshold "
        f"for 1 false alarm per year is {dpdt_thr:.3f} Pa/s "
        f"({dpdt_thr * 60 / 133.322387415:.2f} mmHg/min): a constant leak below "
        f"{dpdt_min_rate * DAY_S:.0f} kg/day never reaches it, so the speed-up is "
        "unbounded in the issue's range (the table gives the measured lower bound, "
        "horizon/delay). The default emergency threshold, 0.5 mmHg/min, is a leak of "
        f"{0.5 * 133.322387415 / 60 / cab.pa_per_kg * DAY_S:.0f} kg/day here.",
        f"- Beyond the range, at {EXTRA_RATES[0]:g} and {EXTRA_RATES[1]:g} kg/day, the "
        "leak test waits for the end of its shortest block (5 min) while dP/dt alarms "
        "within about a minute: keep the dP/dt alarm for emergencies.",
        "- Predicted: `LeakTestDesign.expected_delay_s` (Siegmund's ARL1 approximation at "
        "the best block length plus half a block). Onset error: estimated minus true "
        "onset. Telemetry: the product sensor model and `mass_series`, 1 Hz, "
        f"{seeds} seeds per rate, onset uniform in 6-12 h; horizon 8x the predicted delay "
        f"(1-{args.max_horizon_h:g} h). Block scatter / stated mass σ, median over all "
        f"runs: {np.median(noise_ratios):.3f} (1 when the stated noise is right).",
    ]
    print("\n".join(notes))
    print(f"\ntotal {time.perf_counter() - w0:.0f} s")
    if args.write:
        write_docs(info, command, result, result2, notes, cab, mass_sd, design)
        print(f"wrote section '{SECTION}' of {DOCS}")
    return 0


def write_docs(info: dict[str, str], command: str, result: str, result2: str,
               notes: list[str], cab: Cabin, mass_sd: float, design: object) -> None:
    begin, end = f"<!-- BEGIN {SECTION} -->", f"<!-- END {SECTION} -->"
    body = [
        begin,
        "## Leak alarm vs Lorden's bound and a dP/dt threshold (`benchmarks/bench_detect.py`)",
        "",
        f"The bundled ISS model, all hatches open ({cab.volume_m3:.0f} m³), its 8 pressure "
        "and 4 temperature sensors at 1 Hz; a constant-rate leak from a random onset, read "
        "through the product's sensor model and `mass_series` (per-sample mass noise "
        f"{mass_sd:.3f} kg). `detect_leak` at 1 false alarm per year, default design "
        f"({design}). Delays are from the true onset to the alarm.",
        "",
        *(f"- {k}: {v}" for k, v in info.items()),
        f"- command: `{command}`",
        "",
        "### 1. The default test (block lengths 5 min to 5.3 h)",
        "",
        result,
        "",
        "### 2. One block length per rate, where Lorden's bound is ~15 blocks",
        "",
        result2,
        "",
        *notes,
        end,
    ]
    write_section(SECTION, body[1:-1], DOCS)


if __name__ == "__main__":
    sys.exit(main())
