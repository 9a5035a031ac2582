"""Penetration risk of a station's MMOD surfaces: every element, by its face and its wall.

For an element of area A facing one orientation class (ram, wake, port, starboard,
zenith, nadir, or tumbling) behind a wall, over an exposure T, the expected number of
particles that perforate the pressure wall is

    N = A·T·Σ_pop f_pop(face)·F_pop(d_c(wall, V_pop, θ_pop(face)))

with, for each population (meteoroids, orbital debris), F the cumulative flux on a
randomly tumbling plate of particles at least d (:mod:`.environment`), f the flux on that
face relative to the tumbling plate and θ the impact angle on it (:mod:`.directional`),
V the population's mean speed and d_c the wall's critical diameter there
(:mod:`.ballistic`). An element ``shielded_by`` another one is reached only through it
and counts nothing. Modules add their elements; penetrations are a Poisson process
(NASA BUMPER, SSP 30425 practice), so P(none) = exp(−ΣN).

Elements sharing a wall and a face share their rate per m², so the rate is computed once
per (wall, face) pair and the elements are an area array: a surface refined into 10,000
elements costs the same few ballistic and flux evaluations as the unrefined one
(``benchmarks/bench_mmod.py``).

Wall types and their ballistic limits (:mod:`.ballistic`): single wall (Cour-Palais /
Christiansen), Whipple (JSC), stuffed Whipple (Christiansen & Kerr, Nextel/Kevlar),
multi-shock (Christiansen, Nextel bumpers, aluminium wall); face factors and impact
angles: :mod:`.directional`, at the exposure's altitude. Holes of at least D (the prior of
``attribute``) count the particles above the smallest one that makes such a hole: Hill's
(2004) single-wall equation for a single wall; behind a shield, the rear-wall estimate
:func:`.holes.rear_wall_critical_diameter_for_hole`, which is a project estimate, not
a published equation (0 at the shield's own limit, growing with the momentum in excess
of it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cabinleak.attribute import AttributeModelError, ballistic, directional, environment, holes
from cabinleak.attribute.risk import Environment, Risk
from cabinleak.station import Shield, Station, SurfaceElement

POPULATIONS = ("meteoroid", "debris")
SPEED_M_S = {"meteoroid": environment.METEOROID_SPEED_KM_S * 1e3,
             "debris": environment.DEBRIS_SPEED_KM_S * 1e3}
DENSITY_KG_M3 = {"meteoroid": environment.METEOROID_DENSITY_KG_M3,
                 "debris": environment.DEBRIS_DENSITY_KG_M3}
DEFAULT_BUMPER = "Al6061-T6"
DEFAULT_WALL = "Al2219-T87"


def face_flux_factor(population: str, face: str, altitude_m: float = 400e3) -> float:
    """Flux on a face relative to the randomly tumbling plate [-] (:mod:`.directional`)."""
    return directional.face_flux_factor(population, face, altitude_m=altitude_m)


def face_impact_angle_deg(population: str, face: str, altitude_m: float = 400e3) -> float:
    """Mean impact angle from the face's normal, for its ballistic limit [deg]."""
    return directional.face_impact_angle_deg(population, face, altitude_m=altitude_m)


def _bumper_m(shield: Shield) -> tuple[float, str]:
    """Total bumper thickness, fabric bumpers as the aluminium of their areal density."""
    rho = ballistic.wall_material(DEFAULT_BUMPER).density_kg_m3
    total = sum(b.thickness_m or b.areal_density_kg_m2 / rho for b in shield.bumpers)
    metal = [b.material for b in shield.bumpers if b.thickness_m > 0 and b.material]
    return total, metal[0] if metal else DEFAULT_BUMPER


def _bumpers_kg_m2(shield: Shield) -> float:
    """Total areal density of the bumpers [kg/m²] (a metal one: thickness × density)."""
    return float(sum(b.areal_density_kg_m2 or b.thickness_m * ballistic.wall_material(
        b.material or DEFAULT_BUMPER).density_kg_m3 for b in shield.bumpers))


def shield_critical_diameter_m(shield: Shield, speed_m_s: float, angle_deg: float,
                               density_kg_m3: float) -> float:
    """Critical diameter of a wall type at a speed and angle [m] (ballistic limit by kind).

    single: Cour-Palais/Christiansen; whipple: JSC Whipple; stuffed-whipple: Christiansen &
    Kerr's Nextel/Kevlar stuffed Whipple; multi-shock: Christiansen's multi-shock equation
    on the bumpers' total areal density. A fabric bumper of a Whipple counts as the
    aluminium of its areal density. A mean obliquity beyond the equations' range (debris on
    a port or starboard face arrives at about 78°) is taken at the range's end, 75°: the
    conservative side, since a grazing impact needs a larger particle.
    """
    angle_deg = min(angle_deg, ballistic.ANGLE_RANGE_DEG[1])
    wall = shield.wall
    wall_mat = wall.material or DEFAULT_WALL
    if shield.kind == "single":
        return float(ballistic.single_wall_critical_diameter(
            wall.thickness_m, speed_m_s, angle_deg=angle_deg, target=wall_mat,
            projectile_density_kg_m3=density_kg_m3))
    if shield.kind == "multi-shock":
        return float(ballistic.multi_shock_critical_diameter(
            _bumpers_kg_m2(shield), wall.thickness_m, shield.standoff_m, speed_m_s,
            angle_deg=angle_deg, projectile_density_kg_m3=density_kg_m3, wall=wall_mat))
    bumper_m, bumper_mat = _bumper_m(shield)
    if shield.kind == "stuffed-whipple":
        return float(ballistic.stuffed_whipple_critical_diameter(
            bumper_m, wall.thickness_m, shield.standoff_m, speed_m_s,
            stuffing_areal_density_kg_m2=shield.stuffing_kg_m2, angle_deg=angle_deg,
            projectile_density_kg_m3=density_kg_m3, bumper=bumper_mat, wall=wall_mat))
    return float(ballistic.whipple_critical_diameter(
        bumper_m, wall.thickness_m, shield.standoff_m, speed_m_s, angle_deg=angle_deg,
        bumper=bumper_mat, wall=wall_mat, projectile_density_kg_m3=density_kg_m3))


def _hole_diameter_m(shield: Shield, hole_m: float, speed_m_s: float,
                     density_kg_m3: float, critical_m: float) -> float:
    """Smallest particle that leaves a hole ≥ hole_m in the pressure wall [m].

    A single wall: Hill's (2004) single-wall equation. Behind a shield (Whipple, stuffed
    Whipple, multi-shock): the rear-wall estimate
    :func:`.holes.rear_wall_critical_diameter_for_hole` anchored at that shield's own
    critical diameter ``critical_m`` (same speed, angle and density) -- a project
    estimate, not a published equation (none was reachable); for fabric bumpers it most
    likely errs toward larger holes, the side of a larger MMOD prior.
    """
    wall_mat = shield.wall.material or DEFAULT_WALL
    if shield.kind == "single":
        return float(holes.critical_diameter_for_hole(
            hole_m, shield.wall.thickness_m, speed_m_s, target=wall_mat,
            projectile_density_kg_m3=density_kg_m3))
    return float(holes.rear_wall_critical_diameter_for_hole(
        hole_m, critical_m, shield.wall.thickness_m, speed_m_s, wall=wall_mat,
        projectile_density_kg_m3=density_kg_m3))


@dataclass(frozen=True)
class _Rates:
    """Per (wall, face) pair: penetrations and holes ≥ D per m² and second, by population."""

    keys: tuple[tuple[str, str], ...]
    per_m2_s: dict[str, np.ndarray]
    holes_per_m2_s: np.ndarray | None
    critical_m: dict[str, np.ndarray]


def _rates(station: Station, keys: Sequence[tuple[str, str]], env: Environment,
           hole_m: float | None) -> _Rates:
    per = {p: np.zeros(len(keys)) for p in POPULATIONS}
    crit = {p: np.full(len(keys), np.nan) for p in POPULATIONS}
    holes = None if hole_m is None else np.zeros(len(keys))
    flux = {"meteoroid": env.meteoroid_flux, "debris": env.debris_flux}
    for k, (shield_id, face) in enumerate(keys):
        if not shield_id:  # shielded by another element
            continue
        shield = station.shield(shield_id)
        for pop in POPULATIONS:
            factor = face_flux_factor(pop, face, env.altitude_m)
            if factor <= 0.0:  # none of this population reaches the face
                continue
            speed, rho = SPEED_M_S[pop], DENSITY_KG_M3[pop]
            angle = face_impact_angle_deg(pop, face, env.altitude_m)
            dc = shield_critical_diameter_m(shield, speed, angle, rho)
            crit[pop][k] = dc
            per[pop][k] = factor * float(flux[pop](dc))
            if holes is not None and hole_m is not None:
                dh = max(dc, _hole_diameter_m(shield, hole_m, speed, rho, dc))
                holes[k] += factor * float(flux[pop](dh))
    return _Rates(tuple(keys), per, holes, crit)


@dataclass(frozen=True)
class ModuleRisk:
    """One module's expected penetrations of its pressure wall over the exposure."""

    module: str
    area_m2: float
    shielded_area_m2: float
    wall_types: tuple[str, ...]
    elements: int
    expected_penetrations: float
    expected_by_source: dict[str, float]
    estimate: bool

    @property
    def probability_no_penetration(self) -> float:
        return math.exp(-self.expected_penetrations)

    def to_dict(self) -> dict[str, Any]:
        return {"module": self.module, "area_m2": self.area_m2,
                "shielded_area_m2": self.shielded_area_m2, "wall_types": list(self.wall_types),
                "elements": self.elements, "expected_penetrations": self.expected_penetrations,
                "expected_penetrations_by_source": self.expected_by_source,
                "probability_no_penetration": self.probability_no_penetration,
                "estimate": self.estimate}


@dataclass(frozen=True)
class StationRisk:
    """Expected penetrations of a station's (or some modules') pressure walls."""

    station: str
    exposure_s: float
    environment: Environment
    modules: tuple[ModuleRisk, ...]
    notes: tuple[str, ...] = ()

    @property
    def expected_penetrations(self) -> float:
        return float(sum(m.expected_penetrations for m in self.modules))

    @property
    def expected_by_source(self) -> dict[str, float]:
        return {p: float(sum(m.expected_by_source[p] for m in self.modules))
                for p in POPULATIONS}

    @property
    def probability_no_penetration(self) -> float:
        return math.exp(-self.expected_penetrations)

    @property
    def elements(self) -> int:
        return sum(m.elements for m in self.modules)

    def __str__(self) -> str:
        years = self.exposure_s / environment.SECONDS_PER_YEAR
        env = self.environment
        lines = [f"{self.station}: MMOD penetrations of the pressure walls over {years:.3g} y "
                 f"({env.altitude_m / 1e3:g} km, {env.inclination_deg:g}°, {env.year:g}; "
                 f"{self.elements} surface elements)",
                 f"  {'module':<14}{'area m²':>9}  {'walls':<36}{'expected':>10}{'P(none)':>9}"]
        for m in self.modules:
            walls = ", ".join(m.wall_types) + (" (est.)" if m.estimate else "")
            lines.append(f"  {m.module:<14}{m.area_m2:>9.1f}  {walls:<36}"
                         f"{m.expected_penetrations:>10.3g}{m.probability_no_penetration:>9.4f}")
        by = self.expected_by_source
        lines.append(f"  {'total':<14}{sum(m.area_m2 for m in self.modules):>9.1f}  {'':<36}"
                     f"{self.expected_penetrations:>10.3g}"
                     f"{self.probability_no_penetration:>9.4f}")
        lines.append("  expected penetrations by source: "
                     + ", ".join(f"{k} {v:.3g}" for k, v in by.items()))
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        env = self.environment
        return {"station": self.station, "exposure_s": self.exposure_s,
                "altitude_m": env.altitude_m, "inclination_deg": env.inclination_deg,
                "year": env.year, "elements": self.elements,
                "expected_penetrations": self.expected_penetrations,
                "expected_penetrations_by_source": self.expected_by_source,
                "probability_no_penetration": self.probability_no_penetration,
                "modules": [m.to_dict() for m in self.modules], "notes": list(self.notes)}


def refined(surfaces: Iterable[SurfaceElement], pieces: int) -> tuple[SurfaceElement, ...]:
    """Each element split into ``pieces`` equal elements (same face and wall): the same risk,
    more elements (for the benchmark, and as a mesh would give them)."""
    if pieces < 1:
        raise AttributeModelError("surface", f"pieces must be >= 1, got {pieces}")
    out = []
    for e in surfaces:
        out += [replace(e, id=f"{e.id}#{k}", area_m2=e.area_m2 / pieces,
                        shielded_by=f"{e.shielded_by}#{k}" if e.shielded_by else "")
                for k in range(pieces)]
    return tuple(out)


def _need_surfaces(station: Station, modules: Sequence[str]) -> tuple[SurfaceElement, ...]:
    from cabinleak.errors import StationError

    if not station.surfaces:
        raise StationError(station.source or station.name, "station",
                           f"{station.name!r} has no MMOD surfaces ([[shield]] and "
                           "[[surface]] tables); give the module's --wall and --area instead")
    for m in modules:
        station.module(m)
    wanted = set(modules)
    elements = tuple(e for e in station.surfaces if e.module in wanted)
    bare = sorted(wanted - {e.module for e in elements})
    if bare:
        raise StationError(station.source or station.name, f"module {bare[0]!r}",
                           "has no MMOD surface in the station file")
    return elements


def _element_arrays(elements: Sequence[SurfaceElement]
                    ) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """The distinct (wall, face) pairs, each element's pair index, and the areas."""
    index: dict[tuple[str, str], int] = {}
    which = np.empty(len(elements), dtype=np.intp)
    areas = np.empty(len(elements))
    for i, e in enumerate(elements):
        key = (e.shield, e.face)
        which[i] = index.setdefault(key, len(index))
        areas[i] = e.area_m2
    return list(index), which, areas


def station_risk(station: Station, exposure_s: float, env: Environment | None = None, *,
                 modules: Sequence[str] | None = None) -> StationRisk:
    """Expected penetrations per module (the station's order) and in total.

    Raises :class:`~cabinleak.errors.StationError` for a station without surfaces or a
    module without one; :class:`AttributeModelError` for a wall outside its equation's range.
    """
    env = env or Environment()
    if not exposure_s > 0:
        raise AttributeModelError("surface", f"exposure must be > 0 s, got {exposure_s:g}")
    wanted = list(modules) if modules else list(dict.fromkeys(
        e.module for e in station.surfaces)) if station.surfaces else []
    elements = _need_surfaces(station, wanted)
    keys, which, areas = _element_arrays(elements)
    rates = _rates(station, keys, env, None)
    order = {m: i for i, m in enumerate(wanted)}
    module_idx = np.fromiter((order[e.module] for e in elements), dtype=np.intp,
                             count=len(elements))
    n_mod = len(wanted)
    by_pop = {p: np.bincount(module_idx, areas * rates.per_m2_s[p][which] * exposure_s,
                             minlength=n_mod) for p in POPULATIONS}
    exposed = np.array([bool(k[0]) for k in keys])[which]
    area = np.bincount(module_idx, areas, minlength=n_mod)
    hidden = np.bincount(module_idx, np.where(exposed, 0.0, areas), minlength=n_mod)
    rows = []
    for m in wanted:
        i = order[m]
        own = [e for e in elements if e.module == m]
        kinds = tuple(dict.fromkeys(station.shield(e.shield).kind if e.shield else "shielded"
                                    for e in own))
        rows.append(ModuleRisk(
            module=m, area_m2=float(area[i]), shielded_area_m2=float(hidden[i]),
            wall_types=kinds, elements=len(own),
            expected_penetrations=float(sum(by_pop[p][i] for p in POPULATIONS)),
            expected_by_source={p: float(by_pop[p][i]) for p in POPULATIONS},
            estimate=any(e.estimate or (e.shield and station.shield(e.shield).estimate)
                         for e in own)))
    return StationRisk(station=station.name, exposure_s=exposure_s, environment=env,
                       modules=tuple(rows))


def module_risk(station: Station, module: str, exposure_s: float,
                env: Environment | None = None, *, hole_m: float | None = None) -> Risk:
    """One module's risk from its surfaces, as a :class:`~.risk.Risk` (the physics prior of
    ``attribute``): penetrations and, with ``hole_m``, holes at least that large."""
    env = env or Environment()
    elements = _need_surfaces(station, [module])
    keys, which, areas = _element_arrays(elements)
    rates = _rates(station, keys, env, hole_m)
    by_pop = {p: float(np.sum(areas * rates.per_m2_s[p][which])) * exposure_s
              for p in POPULATIONS}
    holes = (None if rates.holes_per_m2_s is None
             else float(np.sum(areas * rates.holes_per_m2_s[which])) * exposure_s)
    # the weakest exposed wall's critical diameter, by population (what a reader checks)
    crit = {p: float(np.nanmin(rates.critical_m[p])) if np.isfinite(rates.critical_m[p]).any()
            else float("nan") for p in POPULATIONS}
    kinds = sorted({station.shield(e.shield).describe() for e in elements if e.shield})
    wall = (kinds[0] if len(kinds) == 1 else f"{len(kinds)} wall types") + \
        f" on {len(elements)} surface elements"
    return Risk(area_m2=float(areas.sum()), exposure_s=exposure_s, wall=wall,
                critical_diameter_m=crit["debris"], critical_by_source_m=crit,
                speed_m_s=dict(SPEED_M_S), expected_penetrations=sum(by_pop.values()),
                expected_by_source=by_pop, hole_m=hole_m, expected_holes_at_least=holes)


# The flagged default where a module has no MMOD surface: a bare 1.5 mm aluminium wall on
# the area of a sphere of its volume. Real modules carry blankets or shields, so this
# overstates the MMOD prior: it gives a natural cause the benefit of the doubt.
DEFAULT_PRIOR_WALL = "single:0.15cm"


def prior_risk(station: Station, module: str, exposure_s: float, env: Environment, *,
               hole_m: float, wall: str | None = None, area_m2: float | None = None,
               speed_m_s: float | None = None) -> tuple[Risk, tuple[str, ...]]:
    """The MMOD risk behind ``attribute``'s physics prior, and notes saying where it comes
    from: the module's surfaces when the station has them and no ``wall`` or ``area_m2``
    overrides them; else ``surface_risk`` of ``wall`` (default :data:`DEFAULT_PRIOR_WALL`)
    on ``area_m2`` (default a sphere of the module's volume), each default flagged."""
    from cabinleak.attribute.risk import parse_wall, sphere_area_m2, surface_risk

    mod = station.module(module)
    notes: list[str] = []
    if wall is None and area_m2 is None and any(e.module == mod.id for e in station.surfaces):
        risk = module_risk(station, mod.id, exposure_s, env, hole_m=hole_m)
        notes.append(f"walls and areas: the module's MMOD surfaces in station {station.name!r} "
                     "(each element by its face; see its [[surface]] sources)")
        if speed_m_s is not None:
            notes.append("--speed is not used with the station's surfaces (each population "
                         "at its mean speed)")
        return risk, tuple(notes)
    if area_m2 is None:
        area_m2 = sphere_area_m2(mod.volume_m3)
        notes.append(f"area {area_m2:.3g} m²: a sphere of the module's {mod.volume_m3:g} m³ "
                     "(an estimate)")
    if wall is None:
        notes.append(f"wall {DEFAULT_PRIOR_WALL}: a bare wall, no shield (the station file "
                     "gives this module no MMOD surface; it overstates the MMOD prior, "
                     "giving a natural cause the benefit of the doubt)")
    risk = surface_risk([parse_wall(wall or DEFAULT_PRIOR_WALL)], area_m2, exposure_s, env,
                        speed_m_s=speed_m_s, hole_m=hole_m)
    return risk, tuple(notes)
