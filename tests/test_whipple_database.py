"""JSC Whipple equation against the open pyBLOSSUM HVI database (tests/data/mmod/).

Classification rate: the share of shots whose outcome (rear-wall perforation or not) the
equation predicts, perforation predicted when the projectile is at least the critical
diameter. Shots inside the project's validated range (1-72 km/s, 0-75°): 1,127 of 1,135.
Reference rates (reference/physics.md, from running pyBLOSSUM's BLE_JSCwhipple.py on the
same shots): the equation without de-rating 73.5 % overall and 76.9 % for t_b/d < 0.2;
pyBLOSSUM's de-rated equation 76.7 % and 85.6 %.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from cabinleak.attribute import ballistic as bl

DATABASE = Path(__file__).parent / "data" / "mmod" / "database_whipple_pyBLOSSUM.csv"
BANDS = ((0.0, 0.1), (0.1, 0.2), (0.2, 0.4), (0.4, np.inf))


@dataclass(frozen=True)
class Shots:
    d_cm: NDArray[np.float64]
    perforated: NDArray[np.bool_]
    tb_over_d: NDArray[np.float64]
    columns: dict[str, NDArray[np.float64]]
    ids: tuple[str, ...]
    """``source shotID`` of each shot."""


@cache
def shots() -> Shots:
    with DATABASE.open(newline="") as f:
        rows = list(csv.DictReader(f))[1:]  # second row: units
    cols = {k: np.array([float(r[k]) for r in rows]) for k in (
        "proj_density", "proj_diam", "angle", "velocity", "bumper_density",
        "bumper_thick", "standoff", "wall_yield", "wall_thick", "perforated_class")}
    keep = (cols["angle"] <= 75.0) & (cols["velocity"] >= 1.0) & (cols["velocity"] <= 72.0)
    cols = {k: v[keep] for k, v in cols.items()}
    ids = tuple(f"{r['source'].strip()} {r['shotID'].strip()}"
                for r, k in zip(rows, keep, strict=True) if k)
    return Shots(cols["proj_diam"], cols["perforated_class"] == 1.0,
                 cols["bumper_thick"] / cols["proj_diam"], cols, ids)


@cache
def predicted_critical_cm(derate: bool) -> NDArray[np.float64]:
    c = shots().columns
    out = np.empty_like(c["proj_diam"])
    for rho_b in np.unique(c["bumper_density"]):  # the bumper density comes with a material
        m = c["bumper_density"] == rho_b
        bumper = bl.WallMaterial(f"bumper {rho_b:g}", rho_b * 1000.0, 95.0, 5100.0, 1.0)
        out[m] = bl.whipple_critical_diameter(
            c["bumper_thick"][m] / 100, c["wall_thick"][m] / 100, c["standoff"][m] / 100,
            c["velocity"][m] * 1e3, angle_deg=c["angle"][m], bumper=bumper,
            wall_yield_Pa=c["wall_yield"][m] * bl.PA_PER_KSI,
            projectile_density_kg_m3=c["proj_density"][m] * 1000.0,
            thin_bumper_derating=derate) * 100
    return out


def correct(derate: bool) -> NDArray[np.bool_]:
    s = shots()
    return np.asarray((s.d_cm >= predicted_critical_cm(derate)) == s.perforated)


def test_database_is_the_published_one() -> None:
    """1,135 shots with 526 perforations (reference/physics.md); 1,127 in range."""
    with DATABASE.open(newline="") as f:
        rows = list(csv.DictReader(f))[1:]
    assert len(rows) == 1135
    assert sum(r["perforated_class"] == "1" for r in rows) == 526
    assert shots().d_cm.size == 1127


def test_original_equation_reproduces_the_reference_rates() -> None:
    """Without de-rating: 73.5 % overall, 76.9 % for t_b/d < 0.2 (reference/physics.md),
    to the printed precision."""
    ok = correct(derate=False)
    thin = shots().tb_over_d < 0.2
    assert round(100 * ok.mean(), 1) == 73.5
    assert round(100 * ok[thin].mean(), 1) == 76.9


def test_derated_equation_classifies_better() -> None:
    """The de-rated equation classifies 862 of 1,127 shots (76.5 %) and 236 of 277 with
    t_b/d < 0.2 (85.2 %). pyBLOSSUM gets 864 (76.7 %) and 237 (85.6 %): its F2* uses a
    projectile mass π(d/2)³ρ, ¾ of the sphere's; the sphere mass π·d³·ρ/6 kept here is the
    one the 3.918 hypervelocity equation inverts to (0.16·(π/6)^(1/3))^(−2/3) = 3.918), and
    with π(d/2)³ρ this code gives pyBLOSSUM's 864 and 237 exactly. Differs on purpose: the
    published 76.7 % / 85.6 % are not reached, by 2 shots and 1 shot. The printed F2* of
    Ryan & Christiansen (2011) / NASA/TM-2009-214789 was not reachable in text to settle
    which mass they print (see test_pyblossum_only_shots_sit_just_below_the_line)."""
    before, after = correct(derate=False), correct(derate=True)
    thin = shots().tb_over_d < 0.2
    assert int(after.sum()) >= 862 and int(after[thin].sum()) >= 236
    assert after.mean() > before.mean() + 0.025
    assert after[thin].mean() > before[thin].mean() + 0.08
    assert 100 * after.mean() >= 76.7 - 0.25  # pyBLOSSUM's published rate, 2 shots short


def test_pyblossum_only_shots_sit_just_below_the_line() -> None:
    """The two shots pyBLOSSUM's ¾-mass F2* gets and this code misses are perforations
    0.2 % and 2.3 % below the de-rated line: Piekutowski_2011 4-1416 (d 0.5964 cm,
    7.09 km/s, t_b/d 0.215) and GM-DRL-TR-63-225 D-054 (d 0.318 cm, 5.49 km/s, t_b/d
    0.041, the one with t_b/d < 0.2). Near the line the misses go both ways (within 1 %:
    13 wrong, 6 perforations called safe and 7 stopped shots called perforations), so no
    one-sided correction is supported by the data."""
    s = shots()
    ratio = s.d_cm / predicted_critical_cm(True)
    for shot, lo, hi in (("Piekutowski_2011 4-1416", 0.997, 1.0),
                         ("GM-DRL-TR-63-225 D-054", 0.97, 0.98)):
        i = s.ids.index(shot)
        assert s.perforated[i] and lo < ratio[i] < hi
    near = np.abs(ratio - 1.0) < 0.01
    wrong = near & ~correct(True)
    assert int(wrong.sum()) == 13
    assert int((wrong & s.perforated).sum()) == 6


@pytest.mark.parametrize(("lo", "hi"), BANDS)
def test_derating_never_hurts_a_band_much(lo: float, hi: float) -> None:
    """By t_b/d band, the de-rated equation is within one shot of the original or better
    (the de-rating only acts below t_b/d = 0.25)."""
    band = (shots().tb_over_d >= lo) & (shots().tb_over_d < hi)
    assert int(correct(True)[band].sum()) >= int(correct(False)[band].sum()) - 1


def rates_table() -> str:
    """Classification rates by t_b/d band, before and after the de-rating (for reports)."""
    s = shots()
    lines = ["t_b/d band      shots  original  de-rated"]
    for lo, hi in ((0.0, np.inf), (0.0, 0.2), *BANDS):
        m = (s.tb_over_d >= lo) & (s.tb_over_d < hi)
        before, after = 100 * correct(False)[m].mean(), 100 * correct(True)[m].mean()
        lines.append(f"[{lo:g}, {hi:g})".ljust(16)
                     + f"{int(m.sum()):5d}  {before:7.1f}%  {after:7.1f}%")
    return "\n".join(lines)


if __name__ == "__main__":
    print(rates_table())
