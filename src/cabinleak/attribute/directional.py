"""Directional MMOD environment: flux on a station face of each orientation class.

The environment functions (:mod:`.environment`) give the flux on a randomly tumbling
plate. A station flies in a fixed attitude, so a face that looks forward (ram) meets
far more debris than one that looks back (wake). This module gives, per population and
orientation class, the factor by which a face's flux differs from the tumbling-plate
flux, and the mean impact angle from the face normal to use in a ballistic limit
equation.

Frame: local vertical, local horizontal, for a circular orbit. ``ram`` faces along the
velocity, ``wake`` against it, ``port`` and ``starboard`` sideways in the horizontal
plane, ``zenith`` up and ``nadir`` toward Earth; ``tumbling`` is the reference (factor 1,
mean angle 45°).

Models (simple, documented approximations; no published directional table was
reachable here: neither ORDEM/MASTER output nor Kessler's 1991 directional analysis):

- **Debris**: in circular orbits at the station's altitude, so every piece moves at the
  station's orbital speed u in the local horizontal plane; its direction of travel is
  taken uniform in azimuth (orbit planes of all orientations crossing the station's
  position). Relative to the station a piece whose velocity is φ away from the station's
  has speed 2u·sin(φ/2) and arrives from ±(90° − φ/2) off the ram direction: never from
  behind, never from above or below. The mean relative speed is 4u/π (9.8 km/s at 400 km;
  ``DEBRIS_SPEED_KM_S`` uses 10 km/s). Real orbits are eccentric and their inclinations
  cluster, which spreads arrivals a little out of the horizontal plane and changes the
  azimuth spread; those are second-order here.
- **Meteoroids**: isotropic in Earth's frame at one speed, ``METEOROID_SPEED_KM_S``
  (19 km/s), with the directions that come up through Earth (within η of nadir,
  sin η = (R_E + 100 km)/r, ECSS-E-ST-10-04C C.1.3) removed. Seen from the station the
  velocity is v − u, which favours ram (the spacecraft-motion effect of ECSS C.1.3.2).

Normalisation: a face's factor is its flux ⟨|v_rel|·max(0, â·n)⟩ over the population,
divided by the mean of that quantity over the six faces of a cube. So the six factors
average to exactly 1: a closed surface with equal area in each class collects the
tumbling-plate flux times its area, the total the environment model prescribes. (A
fixed cube's own projected area would differ slightly from a tumbling one's; the
normalisation keeps the total count of the environment model and lets the faces share
it in the right proportions.)
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray

from cabinleak.attribute import AttributeModelError
from cabinleak.attribute.environment import (
    ATMOSPHERE_TOP_KM,
    EARTH_MU_KM3_S2,
    EARTH_RADIUS_KM,
    METEOROID_SPEED_KM_S,
)

Array = NDArray[np.float64]

POPULATIONS = ("debris", "meteoroid")
"""Populations with a directional model."""

FACES = ("ram", "wake", "port", "starboard", "zenith", "nadir", "tumbling")
"""Orientation classes of a face (``tumbling`` is the randomly oriented reference)."""

DIRECTIONAL_ALTITUDE_M = 400e3
"""Default orbit altitude of the directional factors [m] (the ISS's, roughly)."""

TUMBLING_IMPACT_ANGLE_DEG = 45.0
"""Mean impact angle on a randomly tumbling plate [deg]: the cos-weighted mean of an
isotropic flux, ∫θ·cosθ·sinθ dθ / ∫cosθ·sinθ dθ over [0, π/2] = π/4."""

_MODEL = "directional MMOD environment"
_NORMALS = {
    "ram": (1.0, 0.0, 0.0), "wake": (-1.0, 0.0, 0.0),
    "port": (0.0, 1.0, 0.0), "starboard": (0.0, -1.0, 0.0),
    "zenith": (0.0, 0.0, 1.0), "nadir": (0.0, 0.0, -1.0),
}


def _arrivals_debris() -> tuple[Array, Array]:
    """(arrival unit vectors [n, 3], flux weights |v_rel| / u [n]) for debris."""
    phi = (np.arange(7200) + 0.5) * (2.0 * np.pi / 7200)  # debris heading vs station's
    rel = np.stack([np.cos(phi) - 1.0, np.sin(phi), np.zeros_like(phi)], axis=1)
    speed = np.linalg.norm(rel, axis=1)
    return -rel / speed[:, None], speed


def _arrivals_meteoroid(altitude_m: float) -> tuple[Array, Array]:
    """(arrival unit vectors, flux weights |v_rel| in km/s) for meteoroids."""
    r_km = EARTH_RADIUS_KM + altitude_m / 1e3
    u = np.sqrt(EARTH_MU_KM3_S2 / r_km)
    cos_eta = np.sqrt(1.0 - ((EARTH_RADIUS_KM + ATMOSPHERE_TOP_KM) / r_km) ** 2)
    n_mu, n_phi = 600, 600  # equal solid angle per cell: uniform in cos(polar), azimuth
    mu = -1.0 + (np.arange(n_mu) + 0.5) * (2.0 / n_mu)
    az = (np.arange(n_phi) + 0.5) * (2.0 * np.pi / n_phi)
    mu_g, az_g = np.meshgrid(mu, az, indexing="ij")
    sin = np.sqrt(1.0 - mu_g**2)
    # source direction in Earth's frame (z = zenith); blocked when within η of nadir
    source = np.stack([sin * np.cos(az_g), sin * np.sin(az_g), mu_g], axis=-1).reshape(-1, 3)
    source = source[source[:, 2] > -cos_eta]
    rel = -METEOROID_SPEED_KM_S * source - np.array([u, 0.0, 0.0])
    speed = np.linalg.norm(rel, axis=1)
    return -rel / speed[:, None], speed


@cache
def _table(population: str, altitude_m: float) -> dict[str, tuple[float, float]]:
    """{face: (flux factor, mean impact angle [deg])} for the six faces and tumbling."""
    arrive, weight = (_arrivals_debris() if population == "debris"
                      else _arrivals_meteoroid(altitude_m))
    raw: dict[str, tuple[float, float]] = {}
    for face, normal in _NORMALS.items():
        cos = arrive @ np.asarray(normal)
        w = weight * np.maximum(cos, 0.0)
        total = float(w.sum())
        angle = (float((w * np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))).sum()) / total
                 if total > 0.0 else 0.0)
        raw[face] = (total, angle)
    mean = sum(t for t, _ in raw.values()) / len(raw)
    table = {face: (t / mean, a) for face, (t, a) in raw.items()}
    table["tumbling"] = (1.0, TUMBLING_IMPACT_ANGLE_DEG)
    return table


def _checked(population: str, face: str, altitude_m: float) -> dict[str, tuple[float, float]]:
    if population not in POPULATIONS:
        raise AttributeModelError(
            _MODEL, f"unknown population {population!r} (known: {', '.join(POPULATIONS)})")
    if face not in FACES:
        raise AttributeModelError(
            _MODEL, f"unknown face {face!r} (known: {', '.join(FACES)})")
    if not (np.isfinite(altitude_m) and ATMOSPHERE_TOP_KM * 1e3 < altitude_m <= 2000e3):
        raise AttributeModelError(
            _MODEL, f"altitude_m must be within ({ATMOSPHERE_TOP_KM * 1e3:g}, 2e+06] m, "
                    f"got {altitude_m:g}")
    return _table(population, float(altitude_m))


def face_flux_factor(population: str, face: str, *,
                     altitude_m: float = DIRECTIONAL_ALTITUDE_M) -> float:
    """Flux on a face of an orientation class over the tumbling-plate flux [-].

    Parameters
    ----------
    population : str
        ``"debris"`` or ``"meteoroid"``.
    face : str
        ``"ram"``, ``"wake"``, ``"port"``, ``"starboard"``, ``"zenith"``, ``"nadir"`` or
        ``"tumbling"`` (1.0).
    altitude_m : float
        Circular-orbit altitude [m] (meteoroids only; the debris factors do not depend
        on it in this model).

    Returns
    -------
    float
        Factor to multiply :func:`.environment.debris_flux` or
        :func:`.environment.meteoroid_flux` by; the six faces average to 1 (module notes).

    Examples
    --------
    >>> face_flux_factor("debris", "wake")
    0.0
    >>> f"{face_flux_factor('debris', 'ram'):.3f}"
    '3.666'
    """
    return _checked(population, face, altitude_m)[face][0]


def face_impact_angle_deg(population: str, face: str, *,
                          altitude_m: float = DIRECTIONAL_ALTITUDE_M) -> float:
    """Flux-weighted mean impact angle from a face's normal [deg].

    Parameters
    ----------
    population, face, altitude_m
        As for :func:`face_flux_factor`.

    Returns
    -------
    float
        Mean obliquity of the impacts on that face, for the ballistic limit equation;
        45° for ``tumbling``; 0 for a face that receives nothing (debris on wake, zenith,
        nadir), where it does not matter.

    Examples
    --------
    >>> face_impact_angle_deg("meteoroid", "tumbling")
    45.0
    >>> f"{face_impact_angle_deg('debris', 'ram'):.1f}"
    '26.8'
    """
    return _checked(population, face, altitude_m)[face][1]
