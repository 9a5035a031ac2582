"""Thermal models of a rigid volume of gas, and the blowdown closed forms.

Three models, chosen per module:

``isothermal``
    The walls hold the gas at their temperature. Right for slow leaks: a station
    module's walls, racks and air conditioning exchange heat in minutes, while a
    leak takes days (the ISS cabin temperature stays within about ±1 K).
``adiabatic``
    No heat exchange: gas left in a volume expands isentropically as it vents.
    Right for fast blowdowns (seconds to minutes).
``wall``
    Newtonian heat transfer Q = hA·(T_wall − T) with a conductance hA [W/K];
    spans the two limits.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cabinleak.physics.flow import choked_flux_factor

ThermalModel = Literal["isothermal", "adiabatic", "wall"]
THERMAL_MODELS: Final[tuple[str, ...]] = ("isothermal", "adiabatic", "wall")

Array = NDArray[np.float64]


def wall_heat_flow(conductance_W_per_K: ArrayLike, wall_temperature_K: ArrayLike,
                   temperature_K: ArrayLike) -> Array:
    """Heat flow from the walls into the gas, Q = hA·(T_wall − T) [W] (Newton's law of cooling)."""
    return np.asarray(
        np.asarray(conductance_W_per_K, dtype=float)
        * (np.asarray(wall_temperature_K, dtype=float) - np.asarray(temperature_K, dtype=float))
    )


def temperature_rate(
    mass_kg: ArrayLike,
    cv_J_per_kgK: ArrayLike,
    inflow_energy_W: ArrayLike,
    outflow_kg_per_s: ArrayLike,
    r_J_per_kgK: ArrayLike,
    temperature_K: ArrayLike,
    heat_W: ArrayLike,
) -> Array:
    """dT/dt of a rigid, well-mixed open volume of ideal gas [K/s].

    Parameters
    ----------
    mass_kg : Gas mass in the volume [kg].
    cv_J_per_kgK : Mixture cv at the volume's temperature [J/(kg·K)].
    inflow_energy_W : Σ over inflows of ṁ_in·Σ_k Y_in,k·(h_k(T_in) − u_k(T)) [W].
    outflow_kg_per_s : Total outflow ṁ_out >= 0 [kg/s].
    r_J_per_kgK, temperature_K : The volume's gas constant and temperature.
    heat_W : Heat added through the walls [W].

    Notes
    -----
    From the first law for a control volume with no work (rigid walls),
    dU/dt = Σ ṁ_in h_in − ṁ_out h + Q with U = M·u(T, Y); expanding
    du/dt = cv dT/dt + Σ u_k dY_k/dt and the species balances gives
    M·cv·dT/dt = Σ ṁ_in Σ_k Y_in,k (h_k(T_in) − u_k(T)) − ṁ_out·R·T + Q
    (Moran & Shapiro, *Fundamentals of Engineering Thermodynamics*, Eq. 4.14;
    the blowdown form −ṁ·R·T is their Example 4.12).
    """
    m = np.asarray(mass_kg, dtype=float)
    rhs = (
        np.asarray(inflow_energy_W, dtype=float)
        - np.asarray(outflow_kg_per_s, dtype=float) * np.asarray(r_J_per_kgK)
        * np.asarray(temperature_K)
        + np.asarray(heat_W, dtype=float)
    )
    return np.asarray(rhs / (m * np.asarray(cv_J_per_kgK, dtype=float)))


def blowdown_time_constant(volume_m3: ArrayLike, cd_area_m2: ArrayLike, gamma: ArrayLike,
                           r_J_per_kgK: ArrayLike, temperature_K: ArrayLike) -> Array:
    """Time constant τ = V/(Cd·A·Ψ·sqrt(R·T0)) of a choked blowdown to vacuum [s].

    Examples
    --------
    100 m³, 10 mm hole, Cd = 1, air at 295 K (``reference/physics.md``: 6390 s):

    >>> import math
    >>> round(float(blowdown_time_constant(100, math.pi * 0.01**2 / 4, 1.4, 287.05, 295)))
    6390
    """
    return np.asarray(
        np.asarray(volume_m3, dtype=float)
        / (np.asarray(cd_area_m2, dtype=float) * choked_flux_factor(gamma)
           * np.sqrt(np.asarray(r_J_per_kgK) * np.asarray(temperature_K)))
    )


def blowdown_pressure_isothermal(t_s: ArrayLike, p0_Pa: ArrayLike, tau_s: ArrayLike) -> Array:
    """Pressure of an isothermal volume venting through a choked orifice, p0·exp(−t/τ) [Pa].

    Notes
    -----
    dM/dt = −Cd·A·p·Ψ/sqrt(RT) with p = M R T/V and constant T (e.g. Bird,
    Stewart & Lightfoot or any vessel-blowdown text; ``reference/physics.md``).
    """
    return np.asarray(np.asarray(p0_Pa) * np.exp(-np.asarray(t_s, dtype=float) / np.asarray(tau_s)))


def blowdown_pressure_adiabatic(t_s: ArrayLike, p0_Pa: ArrayLike, tau_s: ArrayLike,
                                gamma: ArrayLike) -> Array:
    """Pressure of an adiabatic volume venting through a choked orifice [Pa].

    Notes
    -----
    p/p0 = (1 + ((γ−1)/2)·t/τ)^(−2γ/(γ−1)), τ from :func:`blowdown_time_constant`
    at the initial temperature (the gas left behind expands isentropically;
    Owczarek, *Fundamentals of Gas Dynamics*, 1964, §4.9; ``reference/physics.md``).
    """
    g = np.asarray(gamma, dtype=float)
    base = 1.0 + 0.5 * (g - 1.0) * np.asarray(t_s, dtype=float) / np.asarray(tau_s)
    return np.asarray(np.asarray(p0_Pa) * base ** (-2.0 * g / (g - 1.0)))
