"""A fleet of pressure-decay tests side by side: the vehicle that stands out.

After one bad vehicle a manufacturer re-checks every vehicle; this summary puts the
records next to each other and flags a leak rate far from the fleet's by a robust
z-score (median and MAD, Iglewicz & Hoaglin 1993) that also counts each record's
own uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import median_abs_deviation

from cabinleak.estimate.acceptance import AcceptanceResult, Verdict, json_float, kgd
from cabinleak.estimate.checks import EstimateError
from cabinleak.physics.units import DAY_S

OUTLIER_Z = 3.5  # modified z-score threshold (Iglewicz & Hoaglin 1993)

__all__ = ["FleetLine", "FleetSummary", "fleet_summary"]


@dataclass(frozen=True)
class FleetLine:
    """One record in a fleet summary: its rate, interval half-width and robust z-score."""

    name: str
    vehicle: str
    leak_rate_kg_per_s: float
    expanded_uncertainty: float  # half-width at the record's confidence [kg/s]
    verdict: Verdict
    robust_z: float
    outlier: bool

    def __str__(self) -> str:
        flag = "  OUTLIER" if self.outlier else ""
        return (f"{self.name:<20} {self.leak_rate_kg_per_s * DAY_S:>11.4f} ± "
                f"{self.expanded_uncertainty * DAY_S:<7.4f}  {self.verdict:<12} "
                f"{self.robust_z:>+8.1f}{flag}")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "vehicle": self.vehicle,
                "leak_rate_kg_per_day": self.leak_rate_kg_per_s * DAY_S,
                "expanded_uncertainty_kg_per_day": self.expanded_uncertainty * DAY_S,
                "verdict": self.verdict, "robust_z": json_float(self.robust_z),
                "outlier": self.outlier}


@dataclass(frozen=True)
class FleetSummary:
    """Verdict counts, the fleet's typical leak rate and the records that stand out."""

    lines: tuple[FleetLine, ...]
    n_pass: int
    n_fail: int
    n_inconclusive: int
    median_kg_per_s: float
    spread_kg_per_s: float  # 1.4826·MAD: a robust standard deviation of the rates
    min_kg_per_s: float
    max_kg_per_s: float
    threshold: float = OUTLIER_Z

    @property
    def outliers(self) -> tuple[FleetLine, ...]:
        return tuple(line for line in self.lines if line.outlier)

    def __str__(self) -> str:
        head = (f"{'record':<20} {'leak kg/day':>11}   {'U':<7}  {'verdict':<12} "
                f"{'robust z':>8}")
        out = [f"fleet of {len(self.lines)} pressure-decay tests: {self.n_pass} PASS, "
               f"{self.n_fail} FAIL, {self.n_inconclusive} INCONCLUSIVE",
               f"leak rate median {kgd(self.median_kg_per_s)}, robust spread "
               f"{kgd(self.spread_kg_per_s)} (1.4826·MAD), range "
               f"{self.min_kg_per_s * DAY_S:.4f} to {self.max_kg_per_s * DAY_S:.4f} kg/day",
               head, "-" * len(head), *(str(line) for line in self.lines)]
        if self.outliers:
            out.append(f"outliers (|z| > {self.threshold:g}): "
                       + ", ".join(f"{o.name} ({'high' if o.robust_z > 0 else 'low'})"
                                   for o in self.outliers)
                       + "; re-check the other vehicles for a common cause")
        elif len(self.lines) < 3:
            out.append("outliers: none sought (fewer than 3 records)")
        else:
            out.append(f"outliers (|z| > {self.threshold:g}): none")
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {"n_records": len(self.lines),
                "counts": {"PASS": self.n_pass, "FAIL": self.n_fail,
                           "INCONCLUSIVE": self.n_inconclusive},
                "median_kg_per_day": self.median_kg_per_s * DAY_S,
                "spread_kg_per_day": self.spread_kg_per_s * DAY_S,
                "min_kg_per_day": self.min_kg_per_s * DAY_S,
                "max_kg_per_day": self.max_kg_per_s * DAY_S,
                "outlier_threshold": self.threshold,
                "outliers": [o.name for o in self.outliers],
                "records": [line.to_dict() for line in self.lines]}


def fleet_summary(results: Sequence[AcceptanceResult], *,
                  threshold: float = OUTLIER_Z) -> FleetSummary:
    """Summarise the acceptance tests of a fleet and flag the vehicles that stand out.

    Parameters
    ----------
    results : sequence of AcceptanceResult
        One per vehicle (or test).
    threshold : float
        |robust z| above which a record is an outlier [-].

    Returns
    -------
    FleetSummary

    Notes
    -----
    The robust z-score of record i is (L_i − median L)/s_i with
    s_i = √((MAD/0.6745)² + u_i²): the modified z-score of Iglewicz & Hoaglin, whose
    0.6745 makes MAD/0.6745 estimate a normal σ, widened by the record's own combined
    uncertainty u_i so that a fleet of near-identical vehicles does not flag a record
    that differs only by measurement noise. |z| > 3.5 is their recommended threshold.
    With fewer than three records no outliers are sought.

    References
    ----------
    B. Iglewicz, D. C. Hoaglin, *How to Detect and Handle Outliers*, ASQC Quality
    Press, 1993 (ASQC Basic References in Quality Control vol. 16).
    """
    if not results:
        raise EstimateError("fleet_summary: no acceptance results to summarise")
    rates = np.array([r.leak_rate_kg_per_s for r in results])
    med = float(np.median(rates))
    # Iglewicz & Hoaglin's 0.6745 (the normal's third quartile), as they print it
    sigma = float(median_abs_deviation(rates, scale=1.0 / 0.6745))
    lines = []
    for r in results:
        scale = math.hypot(sigma, r.combined_sd)
        z = (r.leak_rate_kg_per_s - med) / scale if scale > 0 else 0.0
        lines.append(FleetLine(r.name, r.vehicle, r.leak_rate_kg_per_s,
                               r.expanded_uncertainty, r.verdict, z,
                               len(results) >= 3 and abs(z) > threshold))
    verdicts = [r.verdict for r in results]
    return FleetSummary(tuple(lines), verdicts.count("PASS"), verdicts.count("FAIL"),
                        verdicts.count("INCONCLUSIVE"), med, sigma, float(rates.min()),
                        float(rates.max()), threshold)

