"""Penetration risk of a surface from micrometeoroids and orbital debris.

For a surface element of area A, orientation weight w (1 for an average surface) and
exposure time T, the expected number of particles that perforate its wall is

    N = w·A·T·[F_met(d_c,met) + F_deb(d_c,deb)]

with F the cumulative flux of particles larger than a diameter (:mod:`.environment`)
and d_c the wall's critical diameter at each population's speed (:mod:`.ballistic`).
Those that also make a hole of at least D in the pressure wall are counted the same
way with the smallest particle that makes a hole of D: for a single wall the larger of
d_c and Hill's (2004) single-wall size; behind a Whipple bumper the rear-wall estimate
:func:`.holes.whipple_critical_diameter_for_hole` (a project estimate, not a
published equation: a hole of 0 at the shield's limit, growing with the particle's
momentum in excess of it). Penetrations are a Poisson process (the standard assumption
of NASA's BUMPER and SSP 30425), so the probability of none is exp(−N).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cabinleak.attribute import AttributeModelError, ballistic, environment, holes

F = NDArray[np.float64]


@dataclass(frozen=True)
class Wall:
    """A pressure wall: a single sheet, or a Whipple shield (bumper, standoff, rear wall)."""

    kind: str  # "single" or "whipple"
    thickness_m: float  # the pressure (rear) wall
    bumper_m: float = 0.0
    standoff_m: float = 0.0
    material: str = "Al6061-T6"

    def describe(self) -> str:
        if self.kind == "single":
            return f"single wall {self.thickness_m * 1e3:g} mm {self.material}"
        return (f"Whipple shield: bumper {self.bumper_m * 1e3:g} mm, standoff "
                f"{self.standoff_m * 1e2:g} cm, rear wall {self.thickness_m * 1e3:g} mm")


def parse_wall(text: str) -> Wall:
    """``single:0.2cm[:MATERIAL]`` or ``whipple:BUMPER:WALL:STANDOFF`` (e.g. 0.1cm:0.3cm:10cm)."""
    from cabinleak.physics.units import parse_quantity

    parts = [p.strip() for p in text.split(":")]
    kind = parts[0].lower()
    if kind == "single" and len(parts) in (2, 3):
        t = parse_quantity(parts[1], "length", default_unit="cm")
        mat = parts[2] if len(parts) == 3 else "Al6061-T6"
        if not t > 0:
            raise AttributeModelError("wall", f"{text!r}: thickness must be > 0")
        return Wall("single", t, material=mat)
    if kind == "whipple" and len(parts) == 4:
        b, w, s = (parse_quantity(p, "length", default_unit="cm") for p in parts[1:])
        if not (b > 0 and w > 0 and s > 0):
            raise AttributeModelError("wall", f"{text!r}: bumper, wall and standoff must be > 0")
        return Wall("whipple", w, bumper_m=b, standoff_m=s)
    raise AttributeModelError("wall", f"{text!r}: expected single:THICKNESS[:MATERIAL] (e.g. "
                              "single:0.2cm) or whipple:BUMPER:WALL:STANDOFF (e.g. "
                              "whipple:0.1cm:0.3cm:10cm)")


def sphere_area_m2(volume_m3: float) -> float:
    """Surface of a sphere of the volume [m²]: a stand-in where a module's area is not given."""
    return float((36.0 * math.pi * volume_m3**2) ** (1.0 / 3.0))


def critical_diameter_m(wall: Wall, speed_m_s: ArrayLike, *, angle_deg: float = 0.0,
                        density_kg_m3: float | None = None) -> F:
    """The wall's critical (perforating) particle diameter at a speed [m]."""
    rho = ballistic.DEFAULT_PROJECTILE_DENSITY_KG_M3 if density_kg_m3 is None else density_kg_m3
    if wall.kind == "single":
        return np.asarray(ballistic.single_wall_critical_diameter(
            wall.thickness_m, speed_m_s, angle_deg=angle_deg, target=wall.material,
            projectile_density_kg_m3=rho))
    return np.asarray(ballistic.whipple_critical_diameter(
        wall.bumper_m, wall.thickness_m, wall.standoff_m, speed_m_s, angle_deg=angle_deg,
        projectile_density_kg_m3=rho))


@dataclass(frozen=True)
class Environment:
    """Where and when: altitude, inclination, year (and the solar flux the debris model takes)."""

    altitude_m: float = 400e3
    inclination_deg: float = 51.6
    year: float = 2018.0

    def meteoroid_flux(self, diameter_m: ArrayLike) -> F:
        return np.asarray(environment.meteoroid_flux(diameter_m, self.altitude_m))

    def debris_flux(self, diameter_m: ArrayLike) -> F:
        return np.asarray(environment.debris_flux(diameter_m, self.altitude_m,
                                                  self.inclination_deg, self.year))


@dataclass(frozen=True)
class Risk:
    """Expected penetrations of a surface over an exposure, and the chance of none."""

    area_m2: float
    exposure_s: float
    wall: str
    critical_diameter_m: float  # at the stated speed, or the debris mean speed
    critical_by_source_m: dict[str, float]
    speed_m_s: dict[str, float]
    expected_penetrations: float
    expected_by_source: dict[str, float]
    hole_m: float | None = None
    expected_holes_at_least: float | None = None  # penetrations making a hole ≥ hole_m

    @property
    def probability_no_penetration(self) -> float:
        return math.exp(-self.expected_penetrations)

    @property
    def probability_hole(self) -> float | None:
        """Probability of at least one hole as large as ``hole_m``."""
        if self.expected_holes_at_least is None:
            return None
        return -math.expm1(-self.expected_holes_at_least)

    def __str__(self) -> str:
        days = self.exposure_s / 86400.0
        lines = [f"{self.wall}, {self.area_m2:g} m², {days:g} days",
                 "  critical diameter: " + ", ".join(
                     f"{k} {v * 1e3:.3g} mm at {self.speed_m_s[k] / 1e3:.3g} km/s"
                     for k, v in self.critical_by_source_m.items()),
                 f"  expected penetrations: {self.expected_penetrations:.3g} ("
                 + ", ".join(f"{k} {v:.3g}" for k, v in self.expected_by_source.items()) + ")",
                 f"  probability of no penetration: {self.probability_no_penetration:.6g}"]
        if self.hole_m is not None and self.expected_holes_at_least is not None:
            lines.append(f"  expected holes of at least {self.hole_m * 1e3:g} mm: "
                         f"{self.expected_holes_at_least:.3g} (probability of one or more "
                         f"{self.probability_hole:.3g})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"area_m2": self.area_m2, "exposure_s": self.exposure_s, "wall": self.wall,
                "critical_diameter_m": self.critical_diameter_m,
                "critical_diameter_by_source_m": self.critical_by_source_m,
                "speed_m_s": self.speed_m_s,
                "expected_penetrations": self.expected_penetrations,
                "expected_penetrations_by_source": self.expected_by_source,
                "probability_no_penetration": self.probability_no_penetration,
                "hole_m": self.hole_m,
                "expected_holes_at_least": self.expected_holes_at_least,
                "probability_hole_at_least": self.probability_hole}


def surface_risk(walls: Sequence[Wall], areas_m2: ArrayLike, exposure_s: float,
                 env: Environment, *, weights: ArrayLike | None = None,
                 speed_m_s: float | None = None, hole_m: float | None = None) -> Risk:
    """Risk of a surface made of elements (one wall and area each; optional orientation
    weights, 1 = an average surface). Elements sharing a wall share its ballistic limit,
    so 10,000 elements of a few wall types cost a few flux evaluations."""
    areas = np.asarray(areas_m2, dtype=float)
    if areas.ndim == 0:
        areas = areas[None]
    if len(walls) not in (1, areas.size):
        raise AttributeModelError("surface", f"{len(walls)} walls for {areas.size} elements "
                                  "(give one wall, or one per element)")
    if np.any(areas < 0) or not exposure_s > 0:
        raise AttributeModelError("surface", "areas must be >= 0 m² and the exposure > 0 s")
    w = np.ones_like(areas) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != areas.shape or np.any(w < 0):
        raise AttributeModelError("surface", "orientation weights: one per element, each >= 0")
    wall_list = list(walls) if len(walls) == areas.size else [walls[0]] * areas.size
    speeds = {"meteoroid": environment.METEOROID_SPEED_KM_S * 1e3 if speed_m_s is None
              else speed_m_s,
              "debris": environment.DEBRIS_SPEED_KM_S * 1e3 if speed_m_s is None else speed_m_s}
    # the same densities as the station surfaces' (:mod:`.surfaces`)
    densities: dict[str, float | None] = {"meteoroid": environment.METEOROID_DENSITY_KG_M3,
                                          "debris": environment.DEBRIS_DENSITY_KG_M3}
    by_source = {"meteoroid": 0.0, "debris": 0.0}
    holes = 0.0
    crit_first: dict[str, float] = {}
    unique = {wl: [i for i, x in enumerate(wall_list) if x == wl] for wl in set(wall_list)}
    for wl, idx in unique.items():
        exposure_area = float((areas[idx] * w[idx]).sum()) * exposure_s
        for src, flux in (("meteoroid", env.meteoroid_flux), ("debris", env.debris_flux)):
            dc = float(critical_diameter_m(wl, speeds[src], density_kg_m3=densities[src]))
            crit_first.setdefault(src, dc)
            by_source[src] += exposure_area * float(flux(dc))
            if hole_m is not None:
                dh = max(dc, _for_hole(wl, hole_m, speeds[src], densities[src]))
                holes += exposure_area * float(flux(dh))
    name = wall_list[0].describe() if len(unique) == 1 else f"{len(unique)} wall types"
    return Risk(area_m2=float(areas.sum()), exposure_s=exposure_s, wall=name,
                critical_diameter_m=crit_first["debris"], critical_by_source_m=crit_first,
                speed_m_s=speeds, expected_penetrations=sum(by_source.values()),
                expected_by_source=by_source, hole_m=hole_m,
                expected_holes_at_least=None if hole_m is None else holes)


def _for_hole(wall: Wall, hole_m: float, speed_m_s: float, density_kg_m3: float | None
              ) -> float:
    """The particle diameter that makes a hole of ``hole_m`` in the pressure wall [m].

    Single wall: Hill's (2004) equation (:func:`.holes.critical_diameter_for_hole`).
    Whipple: the rear-wall estimate behind the bumper,
    :func:`.holes.whipple_critical_diameter_for_hole` (a project estimate, not a
    published equation), with the same materials as the wall's ballistic limit
    (:func:`critical_diameter_m`: a 2219-T87 rear wall), so it is never below d_c.
    """
    rho = ballistic.DEFAULT_PROJECTILE_DENSITY_KG_M3 if density_kg_m3 is None else density_kg_m3
    if wall.kind == "single":
        return float(holes.critical_diameter_for_hole(hole_m, wall.thickness_m, speed_m_s,
                                                          target=wall.material,
                                                          projectile_density_kg_m3=rho))
    return float(holes.whipple_critical_diameter_for_hole(
        hole_m, wall.bumper_m, wall.thickness_m, wall.standoff_m, speed_m_s,
        projectile_density_kg_m3=rho))


@dataclass(frozen=True)
class EnvironmentFlux:
    """The environment alone: fluxes of particles at least a size on a randomly tumbling
    plate, and each population's mean impact speed."""

    size_m: float
    environment: Environment
    meteoroid_density_kg_m3: float
    meteoroid_flux_per_m2_per_yr: float
    debris_flux_per_m2_per_yr: float
    meteoroid_speed_m_s: float
    debris_speed_m_s: float

    def __str__(self) -> str:
        env = self.environment
        return "\n".join([
            f"particles of at least {self.size_m * 1e3:g} mm at {env.altitude_m / 1e3:g} km, "
            f"{env.inclination_deg:g}°, {env.year:g} (randomly tumbling plate)",
            f"  meteoroids ({self.meteoroid_density_kg_m3 / 1e3:g} g/cm³): "
            f"{self.meteoroid_flux_per_m2_per_yr:.4g} per m² per year, mean speed "
            f"{self.meteoroid_speed_m_s / 1e3:g} km/s",
            f"  orbital debris: {self.debris_flux_per_m2_per_yr:.4g} per m² per year, mean "
            f"speed {self.debris_speed_m_s / 1e3:g} km/s"])

    def to_dict(self) -> dict[str, Any]:
        env = self.environment
        return {"size_m": self.size_m, "altitude_m": env.altitude_m,
                "inclination_deg": env.inclination_deg, "year": env.year,
                "meteoroid_density_kg_m3": self.meteoroid_density_kg_m3,
                "meteoroid_flux_per_m2_per_yr": self.meteoroid_flux_per_m2_per_yr,
                "debris_flux_per_m2_per_yr": self.debris_flux_per_m2_per_yr,
                "meteoroid_speed_m_s": self.meteoroid_speed_m_s,
                "debris_speed_m_s": self.debris_speed_m_s}


def environment_flux(size_m: float, env: Environment,
                     meteoroid_density_kg_m3: float = environment.METEOROID_DENSITY_KG_M3
                     ) -> EnvironmentFlux:
    """Meteoroid and debris fluxes of particles at least ``size_m`` (:mod:`.environment`)."""
    year = environment.SECONDS_PER_YEAR
    met = float(environment.meteoroid_flux(size_m, env.altitude_m, meteoroid_density_kg_m3))
    return EnvironmentFlux(
        size_m=size_m, environment=env, meteoroid_density_kg_m3=meteoroid_density_kg_m3,
        meteoroid_flux_per_m2_per_yr=met * year,
        debris_flux_per_m2_per_yr=float(env.debris_flux(size_m)) * year,
        meteoroid_speed_m_s=environment.METEOROID_SPEED_KM_S * 1e3,
        debris_speed_m_s=environment.DEBRIS_SPEED_KM_S * 1e3)
