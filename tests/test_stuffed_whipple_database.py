"""Stuffed Whipple equation against pyBLOSSUM's open stuffed-Whipple HVI database.

167 shots (tests/data/mmod/, MIT): Nextel/Kevlar stuffed Whipples (Christiansen 1995,
Kalinski 2004, Schneider 2004, Destefanis 1997-2006, Palmieri 2003) and some other
intermediate layers (aluminium foams, Kevlar/epoxy, basalt fabric). No classification rate
for this equation is published to compare with; the numbers below are this code's, so
the tests guard against a regression and record what the equation does. It is a design
equation and errs on the safe side: most misclassified shots are ones it calls
perforations that the shield stopped (many had MLI in front, which the equation ignores).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from cabinleak.attribute import ballistic as bl

DATABASE = Path(__file__).parent / "data" / "mmod" / "database_stuffedWhipple_pyBLOSSUM.csv"


@cache
def outcomes() -> tuple[tuple[bool, bool, bool], ...]:
    """(predicted perforation, perforated, Nextel/Kevlar stuffing) per shot in range."""
    with DATABASE.open(newline="") as f:
        rows = list(csv.DictReader(f))[1:]  # second row: units
    out = []
    for r in rows:
        if r["angle"] == "" or float(r["angle"]) > 75.0 or float(r["velocity"]) < 1.0:
            continue
        bumper = bl.WallMaterial("bumper", float(r["bumper_density"]) * 1000, 95.0, 5100.0, 1.0)
        wall = bl.WallMaterial("wall", float(r["wall_density"]) * 1000, 95.0, 5100.0,
                               float(r["wall_yield"]) * bl.PA_PER_KSI)
        d_c = float(bl.stuffed_whipple_critical_diameter(
            float(r["bumper_thick"]) / 100, float(r["wall_thick"]) / 100,
            float(r["standoff"]) / 100, float(r["velocity"]) * 1e3,
            stuffing_areal_density_kg_m2=float(r["stuffing_AD"]) * 10,
            angle_deg=float(r["angle"]), projectile_density_kg_m3=float(r["proj_density"]) * 1000,
            bumper=bumper, wall=wall)) * 100
        stuffing = r["stuffing_string"]
        fabric = ("Nextel" in stuffing or "Kevlar" in stuffing) and "foam" not in stuffing
        out.append((float(r["proj_diam"]) >= d_c, r["perforated_class"] == "1", fabric))
    return tuple(out)


def test_database_is_the_published_one() -> None:
    with DATABASE.open(newline="") as f:
        rows = list(csv.DictReader(f))[1:]
    assert len(rows) == 167
    assert len(outcomes()) == 166  # one shot has no angle recorded


def test_classification_rate_and_safe_side() -> None:
    """93 of 166 shots classified (56 %; 68 of the 126 with Nextel/Kevlar stuffing, 54 %);
    of the 58 perforations the equation calls 39; of its 73 errors, 54 are stopped shots
    called perforations (the safe side) and 19 perforations it missed."""
    rows = outcomes()
    correct = sum(pred == perf for pred, perf, _ in rows)
    perforations = [pred for pred, perf, _ in rows if perf]
    unsafe = sum(1 for pred, perf, _ in rows if perf and not pred)
    conservative = sum(1 for pred, perf, _ in rows if pred and not perf)
    assert correct >= 93
    assert sum(perforations) >= 39 and len(perforations) == 58
    assert conservative > 2.5 * unsafe
    fabric = [pred == perf for pred, perf, nk in rows if nk]
    assert len(fabric) == 126 and sum(fabric) >= 68
