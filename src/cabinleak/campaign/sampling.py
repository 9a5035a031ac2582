"""What varies between scenarios, and how it is drawn.

Each chunk draws its scenarios from its own ``numpy.random.Generator`` (seeded by
:mod:`.runner` from ``SeedSequence(seed).spawn``), always in the same order, so a chunk's
scenarios depend on the seed and the chunk index alone, never on what runs it.

Leak site
    ``mmod``: module i with probability ∝ its expected penetrations, from
    :func:`module_risk_weights` (:func:`cabinleak.attribute.risk.surface_risk` with the
    module's area); ``uniform``; ``listed`` (given weights).
Hole size
    ``mmod``: the penetration model's hole sizes. For a surface, N(≥D), the expected
    penetrations that make a hole of at least D (``surface_risk(hole_m=D)``), falls with D;
    given a hole of at least ``min``, D has the survival function N(≥D)/N(≥min) up to
    ``max`` (the rest is put at ``max``), drawn by inverting it on a log grid. Or
    lognormal (truncated to [min, max] by redrawing the quantile), uniform, listed.
Time of day and crew state
    The station clock is uniform over the day (a hole comes at any time); the crew is
    asleep inside the sleep window.
Crew location
    A module drawn ∝ the station's crew table (or the given module); recorded with the
    scenario (the response model does not use it yet, see :mod:`.response`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cabinleak.campaign.spec import CampaignSpec, HoleSize, Orbit
from cabinleak.station import Station

F = NDArray[np.float64]

#: The scenario inputs, in the order of the Parquet columns.
INPUT_COLUMNS = ("scenario", "chunk", "module", "hole_mm", "cd_area_mm2", "clock_h",
                 "asleep", "crew_module", "locate_draw")
_HOLE_GRID = 64  # points of the mmod hole-size survival function (log-spaced)


def module_area_m2(station: Station, module: str) -> float:
    """A module's outer area exposed to MMOD [m²]: the sphere of its volume, as
    ``cabinleak attribute`` uses today (one place to change when the stations carry
    their MMOD surfaces)."""
    from cabinleak.attribute.risk import sphere_area_m2

    return sphere_area_m2(station.module(module).volume_m3)


def module_risk_weights(station: Station, wall: str, orbit: Orbit,
                        exposure_s: float = 365.25 * 86400.0) -> F:
    """Expected penetrations of each module over ``exposure_s`` (default one year) [-].

    From the module's MMOD surfaces where the station has them
    (:func:`cabinleak.attribute.surfaces.station_risk`: each element by its face and
    shield); for a module without surfaces, ``surface_risk`` of its area
    (:func:`module_area_m2`) behind ``wall`` (``cabinleak mmod --wall`` syntax).
    """
    from cabinleak.attribute.risk import Environment, parse_wall, surface_risk
    from cabinleak.attribute.surfaces import station_risk

    env = Environment(altitude_m=orbit.altitude_m, inclination_deg=orbit.inclination_deg,
                      year=orbit.year)
    covered = {e.module for e in station.surfaces}
    with_surfaces = [m for m in station.module_ids if m in covered]
    by_module = ({r.module: r.expected_penetrations
                  for r in station_risk(station, exposure_s, env, modules=with_surfaces).modules}
                 if with_surfaces else {})
    w = parse_wall(wall)
    return np.array([by_module[m] if m in by_module else
                     surface_risk([w], module_area_m2(station, m), exposure_s, env)
                     .expected_penetrations for m in station.module_ids])


def mmod_hole_table(station: Station, wall: str, orbit: Orbit, hole: HoleSize) -> tuple[F, F]:
    """(diameters [m], survival N(≥D)/N(≥min)) on a log grid from ``min`` to ``max``."""
    from cabinleak.attribute.risk import Environment, parse_wall, surface_risk

    env = Environment(altitude_m=orbit.altitude_m, inclination_deg=orbit.inclination_deg,
                      year=orbit.year)
    w = parse_wall(wall)
    grid = np.geomspace(hole.min_m, hole.max_m, _HOLE_GRID)
    area = sum(module_area_m2(station, m) for m in station.module_ids)
    n = np.array([surface_risk([w], area, 86400.0 * 365.25, env, hole_m=float(d))
                  .expected_holes_at_least or 0.0 for d in grid])
    if not n[0] > 0:
        return grid, np.ones_like(grid)
    surv = np.minimum.accumulate(n / n[0])  # monotone against rounding
    return grid, surv


@dataclass(frozen=True)
class SiteTable:
    """Cumulative probabilities of the leak site and of the crew's module."""

    site_cdf: F  # [n_modules]
    crew_cdf: F  # [n_modules]


def site_table(station: Station, spec: CampaignSpec) -> SiteTable:
    ids = station.module_ids
    if spec.site.mode == "mmod":
        w = module_risk_weights(station, spec.site.wall, spec.orbit)
    elif spec.site.mode == "uniform":
        w = np.ones(len(ids))
    else:
        given = dict(spec.site.weights)
        w = np.array([given.get(m, 0.0) for m in ids])
    if spec.crew.location == "station":
        crew = np.zeros(len(ids))
        for c in station.crew:
            crew[ids.index(c.module)] += c.count
    else:
        crew = np.array([float(m == spec.crew.location) for m in ids])
    return SiteTable(_cdf(w), _cdf(crew))


def _cdf(w: F) -> F:
    c = np.cumsum(w, dtype=float)
    return np.asarray(c / c[-1])


def draw_hole_m(hole: HoleSize, table: tuple[F, F] | None, rng: np.random.Generator,
                n: int) -> F:
    """n hole diameters [m] from the spec's distribution."""
    u = rng.random(n)
    if hole.distribution == "mmod":
        assert table is not None
        grid, surv = table
        # survival falls from 1 at min: D = S⁻¹(u); below the table's end, max
        log_d = np.interp(-u, -surv, np.log(grid), left=np.log(grid[0]),
                          right=np.log(grid[-1]))
        return np.asarray(np.where(u < surv[-1], grid[-1], np.exp(log_d)))
    if hole.distribution == "uniform":
        return np.asarray(hole.min_m + u * (hole.max_m - hole.min_m))
    if hole.distribution == "lognormal":
        from scipy.special import ndtr, ndtri

        mu = np.log(hole.median_m)
        lo, hi = (ndtr((np.log(x) - mu) / hole.sigma) for x in (hole.min_m, hole.max_m))
        return np.asarray(np.exp(mu + hole.sigma * ndtri(lo + u * (hi - lo))))
    cdf = _cdf(np.asarray(hole.weights))
    idx = np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)
    return np.asarray(np.asarray(hole.sizes_m)[idx])


def in_window(clock_h: F, start_h: float, end_h: float) -> NDArray[np.bool_]:
    """Whether each clock time lies in the daily window [start, end) (wrapping midnight)."""
    length = (end_h - start_h) % 24.0
    return np.asarray(((clock_h - start_h) % 24.0) < length)


def draw_inputs(spec: CampaignSpec, sites: SiteTable, hole_table: tuple[F, F] | None,
                replicates: int, rng: np.random.Generator, n: int,
                first: int, chunk: int) -> dict[str, NDArray[np.generic]]:
    """The inputs of n scenarios (numbered from ``first``) as columns."""
    site_u, crew_u = rng.random(n), rng.random(n)
    module = np.minimum(np.searchsorted(sites.site_cdf, site_u, side="right"),
                        len(sites.site_cdf) - 1)
    crew_module = np.minimum(np.searchsorted(sites.crew_cdf, crew_u, side="right"),
                             len(sites.crew_cdf) - 1)
    hole_m = draw_hole_m(spec.hole, hole_table, rng, n)
    clock_h = 24.0 * rng.random(n)
    draw = rng.integers(0, replicates, n)
    cd_area = spec.hole.discharge_coefficient * np.pi / 4.0 * hole_m**2
    return {"scenario": np.arange(first, first + n, dtype=np.int64),
            "chunk": np.full(n, chunk, dtype=np.int32),
            "module": module.astype(np.int32), "hole_mm": hole_m * 1e3,
            "cd_area_mm2": cd_area * 1e6, "clock_h": clock_h,
            "asleep": in_window(clock_h, spec.crew.sleep_start_h, spec.crew.sleep_end_h),
            "crew_module": crew_module.astype(np.int32), "locate_draw": draw.astype(np.int32)}
