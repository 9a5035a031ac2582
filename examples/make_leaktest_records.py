"""Write synthetic ground pressure-decay acceptance records of a Soyuz-size vehicle fleet.

Run from the repository root::

    python examples/make_leaktest_records.py            # writes examples/leaktest/*.csv
    python examples/make_leaktest_records.py --summary  # and prints the fleet summary

Every record is synthetic (made here, not factory or flight data). The truth is the
ideal-gas law with a constant mass leak, not the simulator: the gas mass falls as
m(t) = m0 − L·t, the gas temperature drifts slowly, and the pressure follows as
p = m·R·T/V. A constant L is the simplest truth with an exact answer; over a day even
the leaky vehicle loses 2 % of its gas, so a real orifice's flow would change by under
2 % and the constant-rate idealisation costs nothing here.

Assumed values (all illustrative):

- free gas volume 10.6 m³ — an estimate: the Soyuz MS pressurised volume is about 10 m³
  (orbital module 6 m³ + descent module 4 m³, Wikipedia "Soyuz MS"; an older revision
  gave 10.5 m³), as in the bundled ``soyuz-ms`` station;
- pressure transducer: absolute, resolution 0.01 kPa (values written to 2 decimals of
  kPa) and noise 1σ 0.01 kPa; temperature: noise 1σ 0.05 K, written to 0.01 °C;
- a slow temperature drift of 0.2–0.4 K over the test, either sign, plus a small
  day-period wave; 1 sample per minute for 8–24 h;
- leak rates 0.012–0.045 kg/day for seven tight vehicles and 0.30 kg/day for one;
  spec 0.1 kg/day.

Columns: ``time_s,<vehicle>_pressure_kPa,<vehicle>_T_C`` after ``# key = value`` lines.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cabinleak.physics.gas import R_AIR
from cabinleak.physics.units import DAY_S, HOUR_S
from cabinleak.telemetry import Channel, Telemetry

SEED = 20_250_611
VOLUME_M3 = 10.6  # estimate, see the module docstring
SPEC_KG_PER_DAY = 0.1  # illustrative
P_RES_KPA = 0.01
P_NOISE_PA = 10.0
T_RES_C = 0.01
T_NOISE_K = 0.05
OUT = Path(__file__).resolve().parent / "leaktest"

# vehicle, true leak [kg/day], test length [h]
FLEET: tuple[tuple[str, float, float], ...] = (
    ("soyuz-test-01", 0.021, 12.0),
    ("soyuz-test-02", 0.034, 8.0),
    ("soyuz-test-03", 0.012, 24.0),
    ("soyuz-test-04", 0.045, 16.0),
    ("soyuz-test-05", 0.300, 12.0),
    ("soyuz-test-06", 0.027, 10.0),
    ("soyuz-test-07", 0.018, 20.0),
    ("soyuz-test-08", 0.038, 14.0),
)


@dataclass(frozen=True)
class Record:
    vehicle: str
    truth_kg_per_day: float
    metadata: dict[str, str]
    time_s: np.ndarray
    pressure_kPa: np.ndarray  # as written: rounded to the transducer's resolution
    temperature_C: np.ndarray

    def telemetry(self, path: str) -> Telemetry:
        """The record as read back: the written values in SI units."""
        v = self.vehicle
        return Telemetry(path, self.time_s, (
            Channel(f"{v}_pressure_kPa", v, "pressure", "kPa", self.pressure_kPa * 1e3,
                    P_RES_KPA * 1e3),
            Channel(f"{v}_T_C", v, "temperature", "C", self.temperature_C + 273.15, T_RES_C),
        ), metadata=self.metadata)


def make_record(vehicle: str, leak_kg_per_day: float, hours: float,
                rng: np.random.Generator) -> Record:
    """One test: constant mass leak, slow temperature drift, noisy quantised sensors."""
    t = np.arange(0.0, hours * HOUR_S + 1.0, 60.0)
    T0 = 293.15 + rng.uniform(-1.5, 1.5)  # about 20 °C in the test hall [K]
    drift = rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 0.4)  # over the whole test [K]
    wave = 0.05 * np.sin(2 * np.pi * t / DAY_S + rng.uniform(0, 2 * np.pi))  # [K]
    T = T0 + drift * t / t[-1] + wave
    p0 = 101_325.0 + rng.uniform(-500.0, 500.0)  # [Pa]
    m0 = p0 * VOLUME_M3 / (R_AIR * T[0])
    m = m0 - leak_kg_per_day / DAY_S * t
    p = m * R_AIR * T / VOLUME_M3
    p_kPa = np.round((p + rng.normal(0.0, P_NOISE_PA, t.size)) / 1e3 / P_RES_KPA) * P_RES_KPA
    T_C = np.round((T - 273.15 + rng.normal(0.0, T_NOISE_K, t.size)) / T_RES_C) * T_RES_C
    meta = {
        "vehicle": vehicle,
        "volume": f"{VOLUME_M3:g} m3",
        "spec": f"{SPEC_KG_PER_DAY:g} kg/day",
        "truth_leak_kg_per_day": f"{leak_kg_per_day:g}",
        "test": "ground pressure-decay acceptance, sealed vehicle, air at about 1 atm",
        "source": "synthetic, examples/make_leaktest_records.py (constant mass leak)",
    }
    return Record(vehicle, leak_kg_per_day, meta, t, p_kPa, T_C)


def make_records(seed: int = SEED) -> list[Record]:
    """The whole fleet, reproducibly: one generator stream per vehicle."""
    streams = np.random.default_rng(seed).spawn(len(FLEET))
    return [make_record(v, leak, h, rng) for (v, leak, h), rng in zip(FLEET, streams,
                                                                       strict=True)]


def write_record(rec: Record, directory: Path) -> Path:
    path = directory / f"{rec.vehicle}.csv"
    v = rec.vehicle
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for key, value in rec.metadata.items():
            fh.write(f"# {key} = {value}\n")
        fh.write(f"time_s,{v}_pressure_kPa,{v}_T_C\n")
        for t, p, T in zip(rec.time_s, rec.pressure_kPa, rec.temperature_C, strict=True):
            fh.write(f"{t:.0f},{p:.2f},{T:.2f}\n")
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help="directory for the CSV files")
    ap.add_argument("--summary", action="store_true",
                    help="also run the acceptance test on each record and print the fleet")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    records = make_records()
    paths = [write_record(r, args.out) for r in records]
    for p in paths:
        print(f"wrote {p} ({p.stat().st_size / 1e3:.0f} kB)")
    if args.summary:
        from cabinleak.estimate.acceptance import acceptance_test
        from cabinleak.estimate.fleet import fleet_summary

        results = [acceptance_test(r.telemetry(str(p))) for r, p in zip(records, paths,
                                                                       strict=True)]
        for r, res in zip(records, results, strict=True):
            print(f"\n{res}\n  truth {r.truth_kg_per_day:.4f} kg/day")
        print()
        print(fleet_summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
