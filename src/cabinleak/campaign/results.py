"""A campaign's summary: outcome probabilities with intervals, breakdowns, policy comparison.

Intervals are Wilson score intervals at 95 % (Wilson 1927; Brown, Cai & DasGupta 2001
recommend it over the Wald interval for small counts and probabilities near 0 or 1):
for k of n, p̂ = k/n, centre (p̂ + z²/2n)/(1 + z²/n), half-width
z·sqrt(p̂(1−p̂)/n + z²/4n²)/(1 + z²/n), z = 1.959964. The paired comparison of two policies
on the same scenarios uses the discordant pairs: b scenarios evacuated under the
comparison policy only, c under the campaign's policy only; the difference in
evacuation probability is (b − c)/n with the Wald interval of a paired difference,
variance (b + c − (b − c)²/n)/n² (Agresti, *Categorical Data Analysis*, 3rd ed., §11.1).

References
----------
Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
inference. J. Am. Stat. Assoc. 22, 209–212.
Brown, L. D., Cai, T. T. & DasGupta, A. (2001). Interval estimation for a binomial
proportion. Statistical Science 16, 101–133.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cabinleak.campaign.response import OUTCOMES

Z95 = 1.959963984540054
#: Hole-size bands of the breakdown [mm] (upper edges; the last is open).
SIZE_BANDS_MM = (1.0, 2.0, 5.0, 10.0)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n (see the module docstring).

    >>> [round(x, 4) for x in wilson(0, 10)]
    [0.0, 0.2775]
    """
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    den = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    # at k = 0 or n the interval ends at p̂ exactly (rounding would leave it off by 1e-17)
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


@dataclass(frozen=True)
class Proportion:
    """k of n with its estimate and 95 % Wilson interval."""

    name: str
    count: int
    n: int
    p: float
    low: float
    high: float

    @classmethod
    def of(cls, name: str, count: int, n: int) -> Proportion:
        lo, hi = wilson(count, n)
        return cls(name, int(count), int(n), count / n if n else math.nan, lo, hi)

    def __str__(self) -> str:
        return (f"{self.name:<26} {self.p:8.4%}  [{self.low:.4%}, {self.high:.4%}]  "
                f"({self.count} of {self.n})")


@dataclass(frozen=True)
class Breakdown:
    """Outcome counts of one group of scenarios (a module, a hole-size band)."""

    group: str
    n: int
    counts: tuple[int, ...]  # per outcome, in OUTCOMES order
    evacuated: int = 0  # evacuated under the campaign's policy (incl. the worse outcomes)
    other_evacuated: int = 0  # under the comparison policy (0 without one)

    def proportion(self, outcome: int) -> Proportion:
        return Proportion.of(OUTCOMES[outcome], self.counts[outcome], self.n)


@dataclass(frozen=True)
class PolicyComparison:
    """Evacuation risk under two policies on the same scenarios (paired)."""

    policy: str
    other: str
    evacuated: Proportion  # any non-nominal outcome needing the vehicles, this policy
    other_evacuated: Proportion
    only_other: int  # b: evacuated under `other` only
    only_this: int  # c
    difference: float  # (b − c)/n: evacuation risk the policy removes
    low: float
    high: float
    median_locate_s: float
    other_median_locate_s: float


@dataclass(frozen=True)
class CampaignSummary:
    """What a safety engineer reads first."""

    station: str
    policy: str
    scenarios: int
    failed: int
    failed_examples: tuple[str, ...]
    outcomes: tuple[Proportion, ...]
    by_module: tuple[Breakdown, ...]
    by_size: tuple[Breakdown, ...]
    mean_gas_lost_kg: float
    penetrations_per_year: float | None
    gas_lost_kg_per_year: float | None
    comparison: PolicyComparison | None

    def __str__(self) -> str:
        lines = [f"campaign on {self.station}: {self.scenarios} scenarios, policy "
                 f"{self.policy}" + (f", {self.failed} failed" if self.failed else ""),
                 "outcome probabilities (95 % Wilson intervals):"]
        lines += [f"  {p}" for p in self.outcomes]
        lines.append(f"mean gas lost per hole: {self.mean_gas_lost_kg:.1f} kg")
        if self.gas_lost_kg_per_year is not None:
            lines.append(f"holes per year: {self.penetrations_per_year:.3g}; expected gas "
                         f"lost per year of exposure: {self.gas_lost_kg_per_year:.3g} kg")
        c = self.comparison
        if c is not None:
            lines.append(
                f"{c.policy} against {c.other} (same scenarios): evacuation "
                f"{c.evacuated.p:.3%} vs {c.other_evacuated.p:.3%}; the {c.policy} removes "
                f"{c.difference:.3%} [{c.low:.3%}, {c.high:.3%}] of evacuation risk "
                f"({c.only_other} scenarios evacuated only under {c.other}, {c.only_this} "
                f"only under {c.policy}); median search {c.median_locate_s / 3600:.2f} h vs "
                f"{c.other_median_locate_s / 3600:.2f} h")
        for ex in self.failed_examples:
            lines.append(f"failed: {ex}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _counts(outcome: np.ndarray, mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(np.count_nonzero(mask & (outcome == name))) for name in OUTCOMES)


def size_band_labels() -> tuple[str, ...]:
    edges = SIZE_BANDS_MM
    out = [f"< {edges[0]:g} mm"]
    out += [f"{a:g}-{b:g} mm" for a, b in itertools.pairwise(edges)]
    return (*out, f">= {edges[-1]:g} mm")


def summarize(table: Any, *, station: str, policies: tuple[str, ...],
              penetrations_per_year: float | None) -> CampaignSummary:
    """Summarise the scenarios of a run (a pyarrow Table as :mod:`.runner` writes)."""
    outcome = np.asarray(table["outcome"].to_numpy(zero_copy_only=False), dtype=object)
    error = np.asarray(table["error"].to_numpy(zero_copy_only=False), dtype=object)
    ok = outcome != "failed"
    n = int(np.count_nonzero(ok))
    failed = int(len(outcome) - n)
    examples = tuple(f"scenario {s} (chunk {c}): {e}" for s, c, e in zip(
        table["scenario"].to_numpy()[~ok][:3], table["chunk"].to_numpy()[~ok][:3],
        error[~ok][:3], strict=True))
    props = tuple(Proportion.of(name, int(np.count_nonzero(outcome == name)), n)
                  for name in OUTCOMES)
    module = np.asarray(table["module"].to_numpy(zero_copy_only=False), dtype=object)
    evac = np.asarray(table["evacuated"].to_numpy(zero_copy_only=False), dtype=bool) & ok
    evac_alt = np.asarray(table["alt_evacuated"].to_numpy(zero_copy_only=False),
                          dtype=bool) & ok

    def group(name: str, mask: np.ndarray) -> Breakdown:
        m = ok & mask
        return Breakdown(name, int(np.count_nonzero(m)), _counts(outcome, m),
                         int(np.count_nonzero(evac & m)), int(np.count_nonzero(evac_alt & m)))

    by_module = tuple(group(str(m), module == m) for m in sorted(set(module[ok])))
    hole = table["hole_mm"].to_numpy()
    band = np.searchsorted(np.asarray(SIZE_BANDS_MM), hole, side="right")
    by_size = tuple(group(label, band == i) for i, label in enumerate(size_band_labels()))
    gas = table["gas_lost_kg"].to_numpy()
    mean_gas = float(np.mean(gas[ok])) if n else math.nan
    per_year = None if penetrations_per_year is None else penetrations_per_year * mean_gas
    comparison = None
    if len(policies) > 1:
        alt = np.asarray(table["alt_outcome"].to_numpy(zero_copy_only=False), dtype=object)
        ev = table["evacuated"].to_numpy(zero_copy_only=False)[ok]
        ev_alt = table["alt_evacuated"].to_numpy(zero_copy_only=False)[ok]
        b = int(np.count_nonzero(ev_alt & ~ev))
        c = int(np.count_nonzero(ev & ~ev_alt))
        d = (b - c) / n if n else math.nan
        var = (b + c - (b - c) ** 2 / n) / n**2 if n else math.nan
        half = Z95 * math.sqrt(max(var, 0.0))
        loc = table["time_to_locate_s"].to_numpy()[ok]
        loc_alt = table["alt_time_to_locate_s"].to_numpy()[ok]
        del alt
        comparison = PolicyComparison(
            policies[0], policies[1],
            Proportion.of(f"evacuated ({policies[0]})", int(ev.sum()), n),
            Proportion.of(f"evacuated ({policies[1]})", int(ev_alt.sum()), n),
            b, c, d, d - half, d + half,
            float(np.nanmedian(loc)) if np.isfinite(loc).any() else math.nan,
            float(np.nanmedian(loc_alt)) if np.isfinite(loc_alt).any() else math.nan)
    return CampaignSummary(station, policies[0], len(outcome), failed, examples, props,
                           by_module, by_size, mean_gas, penetrations_per_year, per_year,
                           comparison)
