"""The hole a perforating particle leaves in a spacecraft's pressure wall.

- :func:`hole_diameter` and its inverse :func:`critical_diameter_for_hole`: the hole a
  perforating particle leaves in a single aluminium wall (Hill 2004).
- :func:`rear_wall_hole_diameter` and its inverse :func:`rear_wall_critical_diameter_for_hole`
  (any shield, given its ballistic limit), :func:`whipple_rear_wall_hole_diameter` and
  :func:`whipple_critical_diameter_for_hole` (the JSC Whipple limit built in): the hole in
  the rear (pressure) wall behind a shield. AN ESTIMATE OF THIS PROJECT, not a published
  equation: zero at the shield's ballistic limit, Hill's hole of the momentum in excess of
  it, tending to the single-wall hole far above it (see :func:`rear_wall_hole_diameter`).

Ballistic limits (which particle perforates at all) are in :mod:`.ballistic`; interfaces
are SI, the published equations evaluated in their own units inside.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from cabinleak.attribute import AttributeModelError
from cabinleak.attribute.ballistic import (
    DEFAULT_PROJECTILE_DENSITY_KG_M3,
    Array,
    WallMaterial,
    positive,
    single_wall_critical_diameter,
    speed_km_s,
    wall_material,
    whipple_critical_diameter,
)

# --------------------------------------------------------------------------- hole size

_HILL = "single-wall hole diameter (Hill 2004)"


def _hill_coefficient(model: str, thickness_m: ArrayLike, speed_m_s: ArrayLike,
                      mat: WallMaterial, projectile_density_kg_m3: ArrayLike,
                      wall: str, *, thickness_name: str = "thickness_m"
                      ) -> tuple[Array, Array, Array, Array]:
    """(t [m], V [km/s], ρp [kg/m³], A) with D = A·d^(2/3) [m] in Hill's equation."""
    if wall != "single":
        raise AttributeModelError(
            model, f"no hole-size equation for wall type {wall!r}; only 'single' walls "
            "here (behind a shield: rear_wall_hole_diameter, an estimate)")
    t = positive(model, thickness_name, thickness_m, "m")
    v = speed_km_s(model, speed_m_s)
    rho_p = positive(model, "projectile_density_kg_m3", projectile_density_kg_m3, "kg/m³")
    ratio = mat.density_kg_m3 / rho_p
    limit = 1.0 / 0.0308
    if (ratio >= limit).any():
        rho_min = mat.density_kg_m3 / limit
        raise AttributeModelError(
            model, f"projectile_density_kg_m3 must be > {rho_min:.4g} kg/m³ for "
            f"{mat.name} (ρt/ρp < {limit:.4g}), got {float(np.min(rho_p)):g}")
    coefficient = (3.4 * np.cbrt(t) * np.cbrt(v * 1e3 / mat.sound_speed_m_s)
                   * (1.0 - 0.0308 * ratio))
    return t, v, rho_p, np.asarray(coefficient)


def hole_diameter(
    particle_diameter_m: ArrayLike,
    thickness_m: ArrayLike,
    speed_m_s: ArrayLike,
    *,
    target: str | WallMaterial = "Al6061-T6",
    projectile_density_kg_m3: ArrayLike = DEFAULT_PROJECTILE_DENSITY_KG_M3,
    wall: str = "single",
) -> Array:
    """Diameter of the hole a particle leaves in a single wall, normal impact [m].

    Parameters
    ----------
    particle_diameter_m : float or ndarray
        Projectile diameter [m].
    thickness_m : float or ndarray
        Wall thickness [m].
    speed_m_s : float or ndarray
        Impact speed [m/s], 1 to 72 km/s.
    target : str or WallMaterial
        Wall material.
    projectile_density_kg_m3 : float or ndarray
        Projectile density [kg/m³].
    wall : str
        Wall type; only ``"single"`` is supported.

    Returns
    -------
    ndarray
        Hole diameter [m]; 0 where the particle is below the single-wall ballistic
        limit (:func:`single_wall_critical_diameter`, normal impact, k = 1.8).

    Notes
    -----
    Hill (2004), empirical fit for the perforation hole in thin plates:

        D/d = 3.4·(t/d)^(1/3)·(V/c)^(1/3)·(1 − 0.0308·ρt/ρp)

    with c the target's speed of sound. Since D = 3.4·t^(1/3)·(V/c)^(1/3)·(…)·d^(2/3),
    the hole grows monotonically with d. The form and coefficients are quoted from
    memory of the paper and could not be checked against it, nor could its data range
    (built mostly on bumper-plate tests, t/d below about 1, 2–8 km/s); applying it to
    thick pressure walls near their ballistic limit (t/d of 2–4) is an extrapolation.
    At t/d = 0.05–0.2 and 7 km/s it agrees within 10 % with the older Maiden (1963)
    bumper-hole fit D/d = 0.45·V·(t/d)^(2/3) + 0.90 (also unverified here).

    For the rear wall of a shield (Whipple, stuffed Whipple, multi-shock) this equation on
    the rear wall alone overstates the hole: use :func:`rear_wall_hole_diameter`, a
    project estimate (no published rear-wall equation was reachable); ``wall="whipple"``
    is refused here.

    References
    ----------
    S. A. Hill, "Determination of an empirical model for the prediction of penetration
    hole diameter in thin plates from hypervelocity impact", Int. J. Impact Eng. 30
    (2004) 303-321.

    Examples
    --------
    A 1 mm aluminium sphere through a 2 mm 6061-T6 wall at 7 km/s:

    >>> f"{float(hole_diameter(1e-3, 2e-3, 7000.0)) * 1e3:.2f}"
    '4.62'
    """
    mat = wall_material(target)
    t, v, rho_p, coefficient = _hill_coefficient(
        _HILL, thickness_m, speed_m_s, mat, projectile_density_kg_m3, wall)
    d = positive(_HILL, "particle_diameter_m", particle_diameter_m, "m")
    d_c = single_wall_critical_diameter(t, v * 1e3, target=mat,
                                        projectile_density_kg_m3=rho_p)
    return np.asarray(np.where(d >= d_c, coefficient * np.cbrt(d) ** 2, 0.0))


def critical_diameter_for_hole(
    hole_diameter_m: ArrayLike,
    thickness_m: ArrayLike,
    speed_m_s: ArrayLike,
    *,
    target: str | WallMaterial = "Al6061-T6",
    projectile_density_kg_m3: ArrayLike = DEFAULT_PROJECTILE_DENSITY_KG_M3,
    wall: str = "single",
) -> Array:
    """Smallest particle that perforates a single wall and leaves a hole ≥ D [m].

    Parameters
    ----------
    hole_diameter_m : float or ndarray
        Hole diameter D [m].
    thickness_m, speed_m_s, target, projectile_density_kg_m3, wall
        As for :func:`hole_diameter`.

    Returns
    -------
    ndarray
        max(d_c, d_D) [m]: d_c the single-wall ballistic limit (normal, k = 1.8), d_D the
        closed-form inverse of Hill's equation, d_D = (D / A)^(3/2) with
        A = 3.4·t^(1/3)·(V/c)^(1/3)·(1 − 0.0308·ρt/ρp).

    Examples
    --------
    Round trip with :func:`hole_diameter`:

    >>> d = critical_diameter_for_hole(4.64e-3, 2e-3, 7000.0)
    >>> f"{float(hole_diameter(d, 2e-3, 7000.0)) * 1e3:.2f}"
    '4.64'
    """
    mat = wall_material(target)
    t, v, rho_p, coefficient = _hill_coefficient(
        _HILL, thickness_m, speed_m_s, mat, projectile_density_kg_m3, wall)
    hole = positive(_HILL, "hole_diameter_m", hole_diameter_m, "m")
    d_c = single_wall_critical_diameter(t, v * 1e3, target=mat,
                                        projectile_density_kg_m3=rho_p)
    return np.asarray(np.maximum(d_c, (hole / coefficient) ** 1.5))


# ------------------------------------------------------- rear-wall hole behind a shield

_REAR = "rear-wall hole behind a shield (project estimate)"


def _rear_wall_terms(model: str, critical_diameter_m: ArrayLike, wall_thickness_m: ArrayLike,
                     speed_m_s: ArrayLike, wall: str | WallMaterial,
                     projectile_density_kg_m3: ArrayLike) -> tuple[Array, Array]:
    """(d_c [m], A [m^(1/3)]): the shield's limit and Hill's coefficient for the rear wall."""
    d_c = positive(model, "critical_diameter_m", critical_diameter_m, "m")
    _, _, _, coefficient = _hill_coefficient(
        model, wall_thickness_m, speed_m_s, wall_material(wall), projectile_density_kg_m3,
        "single", thickness_name="wall_thickness_m")
    return d_c, coefficient


def rear_wall_hole_diameter(
    particle_diameter_m: ArrayLike,
    critical_diameter_m: ArrayLike,
    wall_thickness_m: ArrayLike,
    speed_m_s: ArrayLike,
    *,
    wall: str | WallMaterial = "Al2219-T87",
    projectile_density_kg_m3: ArrayLike = DEFAULT_PROJECTILE_DENSITY_KG_M3,
) -> Array:
    """Hole in the rear (pressure) wall behind a shield, given the shield's limit [m].

    AN ESTIMATE OF THIS PROJECT, NOT A PUBLISHED EQUATION (see Notes).

    Parameters
    ----------
    particle_diameter_m : float or ndarray
        Projectile diameter d [m].
    critical_diameter_m : float or ndarray
        The shield's critical diameter d_c at the same speed, angle and projectile
        density [m], from its own ballistic-limit equation (:func:`whipple_critical_diameter`,
        :func:`stuffed_whipple_critical_diameter`, :func:`multi_shock_critical_diameter`).
    wall_thickness_m : float or ndarray
        Rear-wall thickness t_w [m].
    speed_m_s : float or ndarray
        Impact speed V [m/s], 1 to 72 km/s.
    wall : str or WallMaterial
        Rear-wall material (its density and sound speed enter Hill's coefficient).
    projectile_density_kg_m3 : float or ndarray
        Projectile density ρp [kg/m³].

    Returns
    -------
    ndarray
        Rear-wall hole diameter [m]: 0 for d ≤ d_c (the shield holds, or the wall fails
        only by detached spall at the limit), growing continuously from 0 above it.

    Notes
    -----
    No published rear-wall hole equation for dual-wall shields could be read here. The
    empirical ones exist: Schonberg's regressions for ISS-type walls (NASA/ASEE summer
    faculty report N95-19003, 1994, Eqs. 1-19, fitted to MSFC tests with a 6061-T6
    bumper 0.81-2.03 mm thick, MLI, standoff 4.32-15.24 cm, 2219-T87 pressure wall
    2.03-4.83 mm, 2.9-7.4 km/s, 0-75°), Schonberg & Williamsen, Int. J. Impact Eng. 20
    (1997) 711-722, used in NASA's MSCSurv; only their titles, abstracts and the test
    ranges were reachable, never the equations. Their one stated finding that is used
    here: hole diameters and crack lengths follow the projectile's momentum
    (Schonberg & Williamsen, J. Astronaut. Sci. 47, 1999).

    The estimate: the shield takes up the momentum of a particle at its ballistic limit;
    what is in excess of it reaches the rear wall and makes the hole that a sphere of that
    excess momentum, at the same speed, would make in the bare wall (Hill's single-wall
    equation, :func:`hole_diameter`). At one speed, momentum, mass and energy are all
    proportional to d³, so the equivalent sphere is d_e = (d³ − d_c³)^(1/3) whichever
    of the three one believes the shield absorbs, and

        D = A·(d³ − d_c³)^(2/9),   A = 3.4·t_w^(1/3)·(V/c)^(1/3)·(1 − 0.0308·ρw/ρp)

    (c the wall's sound speed). Properties: D = 0 at d = d_c; D grows with d and with V
    (through A; d_c falls with V); D < the bare-wall hole of the whole particle, A·d^(2/3),
    and tends to it for d ≫ d_c. Hill's equation is used without its own single-wall
    ballistic limit: whether the wall is perforated is the shield equation's call.
    Limits of the estimate, all untested against shots: the growth just above d_c is
    steep (D ∝ (d − d_c)^(2/9)), so at 1.1·d_c the hole is already 78 % of the bare-wall
    hole of a d_c sphere: P(hole ≥ a few mm) stays close to P(penetration), and only
    holes near or above the bare-wall hole of d_c become much rarer; the impact angle
    enters only through d_c (the coefficient is Hill's normal-impact one at the full
    speed, the larger hole); a debris cloud can tear or petal a wider hole than a single
    sphere, which this does not describe. The same construction serves stuffed Whipple and
    multi-shock shields with their own d_c; fabric bumpers break projectiles up more
    finely, so there it most likely errs on the large side (the side of a larger MMOD
    prior, which gives a natural cause the benefit of the doubt).

    References
    ----------
    S. A. Hill, Int. J. Impact Eng. 30 (2004) 303-321 (the single-wall hole, see
    :func:`hole_diameter`); W. P. Schonberg, "Cracking characteristics of a habitable
    module pressure wall following orbital debris penetration", 1994 NASA/ASEE Summer
    Faculty Fellowship Program, MSFC, N95-19003 (test ranges); W. P. Schonberg,
    J. E. Williamsen, "Empirical hole size and crack length models for dual-wall systems
    under hypervelocity projectile impact", Int. J. Impact Eng. 20 (1997) 711-722; W. P.
    Schonberg, J. E. Williamsen, "Modeling damage in spacecraft impacted by orbital
    debris particles", J. Astronaut. Sci. 47 (1999) (abstract: holes follow momentum).

    Examples
    --------
    A particle twice the limit, behind a 4.8 mm 2219-T87 wall at 7 km/s, makes a hole
    (7/8)^(2/9) = 97 % of the bare-wall hole of the same particle:

    >>> d_c = 5e-3
    >>> hole = rear_wall_hole_diameter(2 * d_c, d_c, 4.8e-3, 7000.0)
    >>> bare = hole_diameter(2 * d_c, 4.8e-3, 7000.0, target="Al2219-T87")
    >>> f"{float(hole) * 1e3:.1f} mm, {float(hole / bare):.3f} of bare"
    '27.8 mm, 0.971 of bare'
    >>> float(rear_wall_hole_diameter(d_c, d_c, 4.8e-3, 7000.0))
    0.0
    """
    d = positive(_REAR, "particle_diameter_m", particle_diameter_m, "m")
    d_c, coefficient = _rear_wall_terms(_REAR, critical_diameter_m, wall_thickness_m,
                                        speed_m_s, wall, projectile_density_kg_m3)
    excess = np.maximum(d**3 - d_c**3, 0.0)
    return np.asarray(coefficient * excess ** (2.0 / 9.0))


def rear_wall_critical_diameter_for_hole(
    hole_diameter_m: ArrayLike,
    critical_diameter_m: ArrayLike,
    wall_thickness_m: ArrayLike,
    speed_m_s: ArrayLike,
    *,
    wall: str | WallMaterial = "Al2219-T87",
    projectile_density_kg_m3: ArrayLike = DEFAULT_PROJECTILE_DENSITY_KG_M3,
) -> Array:
    """Smallest particle that leaves a rear-wall hole ≥ D behind a shield [m] (estimate).

    The inverse of :func:`rear_wall_hole_diameter` (a project estimate, not a published
    equation): d = (d_c³ + (D/A)^(9/2))^(1/3) with A Hill's coefficient for the rear wall,
    always above the shield's critical diameter d_c.

    Parameters
    ----------
    hole_diameter_m : float or ndarray
        Hole diameter D [m] (> 0).
    critical_diameter_m, wall_thickness_m, speed_m_s, wall, projectile_density_kg_m3
        As for :func:`rear_wall_hole_diameter`.

    Returns
    -------
    ndarray
        Particle diameter [m].

    Examples
    --------
    Round trip:

    >>> d = rear_wall_critical_diameter_for_hole(2e-3, 5e-3, 4.8e-3, 7000.0)
    >>> f"{float(d) * 1e3:.6f} mm"
    '5.000084 mm'
    >>> f"{float(rear_wall_hole_diameter(d, 5e-3, 4.8e-3, 7000.0)) * 1e3:.3f} mm"
    '2.000 mm'
    """
    hole = positive(_REAR, "hole_diameter_m", hole_diameter_m, "m")
    d_c, coefficient = _rear_wall_terms(_REAR, critical_diameter_m, wall_thickness_m,
                                        speed_m_s, wall, projectile_density_kg_m3)
    return np.asarray(np.cbrt(d_c**3 + (hole / coefficient) ** 4.5))


def whipple_rear_wall_hole_diameter(
    particle_diameter_m: ArrayLike,
    bumper_thickness_m: ArrayLike,
    wall_thickness_m: ArrayLike,
    standoff_m: ArrayLike,
    speed_m_s: ArrayLike,
    *,
    angle_deg: ArrayLike = 0.0,
    bumper: str | WallMaterial = "Al6061-T6",
    wall: str | WallMaterial = "Al2219-T87",
    projectile_density_kg_m3: ArrayLike = DEFAULT_PROJECTILE_DENSITY_KG_M3,
) -> Array:
    """Hole in the rear wall of a Whipple shield [m] (project estimate, not published).

    :func:`rear_wall_hole_diameter` with d_c from :func:`whipple_critical_diameter`
    (with its thin-bumper de-rating) at the same speed, angle and density.

    Parameters
    ----------
    particle_diameter_m : float or ndarray
        Projectile diameter [m].
    bumper_thickness_m, wall_thickness_m, standoff_m, speed_m_s, angle_deg, bumper, wall
        As for :func:`whipple_critical_diameter`.
    projectile_density_kg_m3 : float or ndarray
        Projectile density [kg/m³].

    Returns
    -------
    ndarray
        Rear-wall hole diameter [m]; 0 at or below the Whipple ballistic limit.

    Examples
    --------
    The JSC example shield (HB09 p. 56-57: 1.6 mm 6061-T6 bumper, 12.217 cm, 4.8 mm
    2219-T87 wall), a 1 cm aluminium sphere at 7 km/s, normal: its limit, the rear-wall
    hole, and (for comparison) the hole it would make in the bare wall:

    >>> args = (0.0016, 0.0048, 0.12217, 7000.0)
    >>> f"{float(whipple_critical_diameter(*args)) * 1e3:.2f} mm"
    '7.97 mm'
    >>> f"{float(whipple_rear_wall_hole_diameter(0.01, *args)) * 1e3:.1f} mm"
    '24.5 mm'
    >>> f"{float(hole_diameter(0.01, 0.0048, 7000.0, target='Al2219-T87')) * 1e3:.1f} mm"
    '28.7 mm'
    """
    d_c = whipple_critical_diameter(
        bumper_thickness_m, wall_thickness_m, standoff_m, speed_m_s, angle_deg=angle_deg,
        bumper=bumper, wall=wall, projectile_density_kg_m3=projectile_density_kg_m3)
    return rear_wall_hole_diameter(particle_diameter_m, d_c, wall_thickness_m, speed_m_s,
                                   wall=wall, projectile_density_kg_m3=projectile_density_kg_m3)


def whipple_critical_diameter_for_hole(
    hole_diameter_m: ArrayLike,
    bumper_thickness_m: ArrayLike,
    wall_thickness_m: ArrayLike,
    standoff_m: ArrayLike,
    speed_m_s: ArrayLike,
    *,
    angle_deg: ArrayLike = 0.0,
    bumper: str | WallMaterial = "Al6061-T6",
    wall: str | WallMaterial = "Al2219-T87",
    projectile_density_kg_m3: ArrayLike = DEFAULT_PROJECTILE_DENSITY_KG_M3,
) -> Array:
    """Smallest particle that perforates a Whipple shield and leaves a rear-wall hole ≥ D
    [m] (project estimate): the inverse of :func:`whipple_rear_wall_hole_diameter`.

    Parameters
    ----------
    hole_diameter_m : float or ndarray
        Hole diameter D [m].
    bumper_thickness_m, wall_thickness_m, standoff_m, speed_m_s, angle_deg, bumper, wall, \
projectile_density_kg_m3
        As for :func:`whipple_rear_wall_hole_diameter`.

    Returns
    -------
    ndarray
        Particle diameter [m], above the Whipple critical diameter.

    Examples
    --------
    >>> args = (0.0016, 0.0048, 0.12217, 7000.0)
    >>> d = whipple_critical_diameter_for_hole(0.02, *args)
    >>> f"{float(whipple_rear_wall_hole_diameter(d, *args)) * 1e3:.3f} mm"
    '20.000 mm'
    """
    d_c = whipple_critical_diameter(
        bumper_thickness_m, wall_thickness_m, standoff_m, speed_m_s, angle_deg=angle_deg,
        bumper=bumper, wall=wall, projectile_density_kg_m3=projectile_density_kg_m3)
    return rear_wall_critical_diameter_for_hole(
        hole_diameter_m, d_c, wall_thickness_m, speed_m_s, wall=wall,
        projectile_density_kg_m3=projectile_density_kg_m3)
