"""The attribution page's model: what made the hole, as ``cabinleak attribute`` says.

The physics prior (the MMOD flux through the module's wall over its exposure, for a hole
of at least the size given: :func:`~cabinleak.attribute.risk.surface_risk`), then the
evidence the crew and the investigators report, each observation present, absent or
unknown (the catalogue of :mod:`cabinleak.attribute.evidence`), then the posterior over
the causes. As the command, with its defaults: the module's MMOD surfaces from the
station file where it has them, else a sphere of its volume behind a bare 1.5 mm wall,
said in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cabinleak.attribute.cause import Attribution, attribute, prior_from
from cabinleak.attribute.evidence import CATALOGUE, evidence_from
from cabinleak.attribute.risk import Environment, Risk
from cabinleak.errors import CabinleakError
from cabinleak.physics.units import DAY_S
from cabinleak.station import Station


@dataclass(frozen=True)
class AttributionRun:
    """One attribution: what was asked, the MMOD risk, the result, the assumptions."""

    module: str
    exposure_days: float
    hole_mm: float
    observed: dict[str, bool]
    risk: Risk
    result: Attribution
    notes: tuple[str, ...]


def run_attribution(station: Station, module: str, exposure_days: float, hole_mm: float,
                    observed: dict[str, bool]) -> AttributionRun:
    """The prior from the physics, the evidence, the posterior."""
    mod = station.module(module)
    if not (0 < exposure_days <= 36525 and 0 < hole_mm <= 1000):
        raise CabinleakError(f"exposure must be in (0, 36525] days and the hole in (0, 1000] "
                             f"mm, got {exposure_days:g} days and {hole_mm:g} mm")
    from cabinleak.attribute.surfaces import prior_risk

    risk, notes = prior_risk(station, mod.id, exposure_days * DAY_S, Environment(),
                             hole_m=hole_mm * 1e-3)
    p_hole = risk.probability_hole or 0.0
    prior = prior_from(p_hole, source=f"physics: P(an MMOD hole of at least {hole_mm:g} mm in "
                                      f"{mod.id} over {exposure_days:g} days) = {p_hole:.3g}")
    result = attribute(prior, evidence_from(observed, source="console"))
    return AttributionRun(mod.id, exposure_days, hole_mm, dict(observed), risk, result, notes)


def catalogue() -> list[dict[str, Any]]:
    """The observations the form offers."""
    return [{"key": o.key, "description": o.description} for o in CATALOGUE.values()]
