"""Cabin air as an ideal-gas mixture of N2, O2, CO2 and H2O.

Species properties come from NASA 7-coefficient polynomials (Gordon & McBride,
NASA RP-1311, 1994, Eqs. 4.9-4.10) with the coefficients of the GRI-Mech 3.0
thermodynamic database (Smith et al., http://combustion.berkeley.edu/gri-mech/),
low-temperature range (200-1000 K; the N2 fit starts at 300 K, and below it its cp
reads low: 0.6 % at 250 K, 1.1 % at 200 K, against CoolProp). Molar masses as in
that database [g/mol].

Compositions are arrays whose last axis runs over :data:`SPECIES`. Mass fractions
``Y`` and mole fractions ``X`` are both supported; functions say which they take.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

SPECIES: tuple[str, ...] = ("N2", "O2", "CO2", "H2O")
N_SPECIES = len(SPECIES)

#: Universal gas constant [J/(mol·K)] (CODATA 2018, exact).
R_UNIVERSAL = 8.314462618

#: Molar masses [kg/mol], in the order of :data:`SPECIES`.
MOLAR_MASS = np.array([28.014e-3, 31.998e-3, 44.009e-3, 18.015e-3])

#: Specific gas constants [J/(kg·K)].
R_SPECIES = R_UNIVERSAL / MOLAR_MASS

# NASA-7 low-range coefficients a1..a7 (cp/R = a1 + a2 T + a3 T² + a4 T³ + a5 T⁴;
# h/(RT) = a1 + a2 T/2 + a3 T²/3 + a4 T³/4 + a5 T⁴/5 + a6/T), GRI-Mech 3.0.
_NASA7 = np.array(
    [
        [3.298677, 1.4082404e-03, -3.963222e-06, 5.641515e-09, -2.444854e-12, -1020.8999, 3.950372],
        [3.78245636, -2.99673416e-03, 9.84730201e-06, -9.68129509e-09, 3.24372837e-12,
         -1063.94356, 3.65767573],
        [2.35677352, 8.98459677e-03, -7.12356269e-06, 2.45919022e-09, -1.43699548e-13,
         -48371.9697, 9.90105222],
        [4.19864056, -2.0364341e-03, 6.52040211e-06, -5.48797062e-09, 1.77197817e-12,
         -30293.7267, -0.849032208],
    ]
)

#: Dry air at sea level as mole fractions (N2, O2, CO2, H2O); Ar folded into N2.
#: (U.S. Standard Atmosphere 1976, Table 3: N2 0.78084, O2 0.209476, Ar 0.00934,
#: CO2 0.000314; Ar is counted as N2. That gives R = 288.2 J/(kg·K), 0.4 % above
#: dry air with its argon (287.05), like station air made up with N2/O2 repress gas.)
AIR_MOLE_FRACTIONS = np.array([0.78084 + 0.00934, 0.209476, 0.000314, 0.0])
AIR_MOLE_FRACTIONS = AIR_MOLE_FRACTIONS / AIR_MOLE_FRACTIONS.sum()


def composition_from_mapping(fractions: Mapping[str, float]) -> NDArray[np.float64]:
    """Mole fractions from ``{"N2": 0.78, "O2": 0.21, ...}``, normalised to sum 1.

    Raises
    ------
    KeyError
        For a species that is not one of :data:`SPECIES`.
    ValueError
        For a negative fraction or an all-zero composition.
    """
    x = np.zeros(N_SPECIES)
    for name, value in fractions.items():
        if name not in SPECIES:
            raise KeyError(name)
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"fraction of {name} must be >= 0, got {value}")
        x[SPECIES.index(name)] = value
    total = x.sum()
    if total <= 0:
        raise ValueError("composition must have at least one positive fraction")
    return x / total


def mole_to_mass_fractions(x: ArrayLike) -> NDArray[np.float64]:
    """Mass fractions Y from mole fractions X (last axis over species)."""
    xa = np.asarray(x, dtype=float)
    w = xa * MOLAR_MASS
    return w / w.sum(axis=-1, keepdims=True)


def mass_to_mole_fractions(y: ArrayLike) -> NDArray[np.float64]:
    """Mole fractions X from mass fractions Y (last axis over species)."""
    ya = np.asarray(y, dtype=float)
    n = ya / MOLAR_MASS
    return n / n.sum(axis=-1, keepdims=True)


def molar_mass(y: ArrayLike) -> NDArray[np.float64]:
    """Mixture molar mass W = 1/Σ(Y_k/W_k) [kg/mol] from mass fractions (last axis)."""
    return np.asarray(1.0 / (np.asarray(y, dtype=float) / MOLAR_MASS).sum(axis=-1))


def gas_constant(y: ArrayLike) -> NDArray[np.float64]:
    """Specific gas constant of a mixture, R = Σ Y_k R_k [J/(kg·K)].

    Examples
    --------
    >>> round(float(gas_constant(mole_to_mass_fractions(AIR_MOLE_FRACTIONS))), 1)
    288.2
    """
    return np.asarray(np.asarray(y, dtype=float) @ R_SPECIES)


def species_cp(temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Species specific heats at constant pressure [J/(kg·K)], shape ``T.shape + (4,)``.

    NASA-7 polynomial, Gordon & McBride (1994) Eq. 4.9.
    """
    t = np.asarray(temperature_K, dtype=float)[..., None]
    a = _NASA7
    cp_over_r = a[:, 0] + t * (a[:, 1] + t * (a[:, 2] + t * (a[:, 3] + t * a[:, 4])))
    return np.asarray(cp_over_r * R_SPECIES)


def species_enthalpy(temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Species specific enthalpies [J/kg] (formation enthalpy included), ``T.shape + (4,)``.

    NASA-7 polynomial, Gordon & McBride (1994) Eq. 4.10. Only differences matter here.
    """
    t = np.asarray(temperature_K, dtype=float)[..., None]
    a = _NASA7
    h_over_rt = (
        a[:, 0]
        + t * (a[:, 1] / 2 + t * (a[:, 2] / 3 + t * (a[:, 3] / 4 + t * a[:, 4] / 5)))
        + a[:, 5] / t
    )
    return np.asarray(h_over_rt * R_SPECIES * t)


def species_internal_energy(temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Species specific internal energies u = h − R T [J/kg], ``T.shape + (4,)``."""
    t = np.asarray(temperature_K, dtype=float)[..., None]
    return np.asarray(species_enthalpy(temperature_K) - R_SPECIES * t)


def cp_mixture(y: ArrayLike, temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Mixture cp [J/(kg·K)] for mass fractions ``y`` at temperature ``T``."""
    return np.asarray(np.sum(np.asarray(y, dtype=float) * species_cp(temperature_K), axis=-1))


def cv_mixture(y: ArrayLike, temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Mixture cv = cp − R [J/(kg·K)] for mass fractions ``y`` at temperature ``T``."""
    return np.asarray(cp_mixture(y, temperature_K) - gas_constant(y))


def gamma_mixture(y: ArrayLike, temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Ratio of specific heats γ = cp/cv [-] of the mixture.

    Examples
    --------
    >>> air = mole_to_mass_fractions(AIR_MOLE_FRACTIONS)
    >>> round(float(gamma_mixture(air, 295.0)), 3)
    1.399
    """
    cp = cp_mixture(y, temperature_K)
    return np.asarray(cp / (cp - gas_constant(y)))


def partial_pressures(pressure_Pa: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Partial pressures p_k = X_k p [Pa] (Dalton's law), ``p.shape + (4,)``."""
    p = np.asarray(pressure_Pa, dtype=float)[..., None]
    return np.asarray(p * mass_to_mole_fractions(y))


def density(pressure_Pa: ArrayLike, temperature_K: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """Ideal-gas density ρ = p / (R T) [kg/m³]."""
    return np.asarray(
        np.asarray(pressure_Pa, dtype=float) / (gas_constant(y) * np.asarray(temperature_K))
    )


AIR_MASS_FRACTIONS = mole_to_mass_fractions(AIR_MOLE_FRACTIONS)
#: R of dry air as modelled here [J/(kg·K)].
R_AIR = float(gas_constant(AIR_MASS_FRACTIONS))


def viscosity_air(temperature_K: ArrayLike) -> NDArray[np.float64]:
    """Dynamic viscosity of air by Sutherland's law [Pa·s].

    Notes
    -----
    μ = μ0 (T/T0)^{3/2} (T0 + S)/(T + S) with μ0 = 1.716e-5 Pa·s, T0 = 273.15 K,
    S = 110.4 K (White, *Viscous Fluid Flow*, 3rd ed., Eq. 1-36 and Table 1-2).
    """
    t = np.asarray(temperature_K, dtype=float)
    return np.asarray(1.716e-5 * (t / 273.15) ** 1.5 * (273.15 + 110.4) / (t + 110.4))
