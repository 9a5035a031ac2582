"""Write examples/real/: a real ISS record as `analyze --station iss` reads it, and the same
record with a known leak added.

Source: tests/data/real/astropi-iss-2022-01-31.csv (Astro Pi Mark II on the ISS, CC BY-SA
4.0, Raspberry Pi Foundation; provenance in tests/data/real/README.md). The pressure column
is named for Columbus (a Mark II unit's module) and the board temperature, which is not
cabin air, is left out. The leak: 15 kg/day from 8 h, as the pressure of that mass in the
ISS's 941.9 m³ at 295 K (R = 287.05 J/(kg·K)), the reading then rounded to the sensor's
0.1 hPa again. Run from the repository root: ``python examples/make_real_examples.py``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "data" / "real" / "astropi-iss-2022-01-31.csv"
OUT = ROOT / "examples" / "real"
LEAK_KG_PER_DAY, START_H, STEP_HPA = 15.0, 8.0, 0.1
HPA_PER_KG = 287.05 * 295.0 / 941.9 / 100.0


def write(name: str, leak: bool) -> None:
    lines = SOURCE.read_text().splitlines()
    head = [ln for ln in lines if ln.startswith("#")]
    body = [ln.split(",") for ln in lines if not ln.startswith("#")]
    cols = body[0]
    p, t_col = cols.index("pressure_hPa"), cols.index("time")
    head.append("# The pressure column is named for Columbus; the board temperature is "
                "left out.")
    if leak:
        head.append(f"# A leak of {LEAK_KG_PER_DAY:g} kg/day is added from {START_H:g} h "
                    "(made by examples/make_real_examples.py).")
    rows, t0 = [], None
    for r in body[1:]:
        t = datetime.fromisoformat(r[t_col].replace("Z", "+00:00")).timestamp()
        t0 = t if t0 is None else t0
        value = float(r[p])
        if leak:
            lost = max((t - t0) / 3600.0 - START_H, 0.0) * LEAK_KG_PER_DAY / 24.0
            value = round((value - lost * HPA_PER_KG) / STEP_HPA) * STEP_HPA
        rows.append(f"{r[t_col]},{value:.1f}")
    OUT.mkdir(exist_ok=True)
    (OUT / name).write_text("\n".join([*head, "time,columbus_pressure_hPa", *rows]) + "\n")


if __name__ == "__main__":
    write("astropi-2022-01-31.csv", leak=False)
    write("astropi-2022-01-31-leak.csv", leak=True)
