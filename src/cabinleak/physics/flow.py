"""Flow laws for leaks and openings between volumes; all bidirectional.

Every signed law takes the state on side *a* and side *b* and returns the mass flow
from a to b [kg/s]: positive when gas moves a → b, negative when it moves b → a.
Reversing the two sides reverses the sign exactly. Vacuum is a side with p = 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def critical_pressure_ratio(gamma: ArrayLike) -> Array:
    """Choking pressure ratio r* = (2/(γ+1))^(γ/(γ−1)) [-].

    Examples
    --------
    >>> round(float(critical_pressure_ratio(1.4)), 5)
    0.52828
    """
    g = np.asarray(gamma, dtype=float)
    return np.asarray((2.0 / (g + 1.0)) ** (g / (g - 1.0)))


def choked_flux_factor(gamma: ArrayLike) -> Array:
    """Ψ = sqrt(γ)·(2/(γ+1))^((γ+1)/(2(γ−1))), so that ṁ* = Cd·A·p·Ψ/sqrt(R T) [-]."""
    g = np.asarray(gamma, dtype=float)
    return np.asarray(np.sqrt(g) * (2.0 / (g + 1.0)) ** ((g + 1.0) / (2.0 * (g - 1.0))))


def orifice_mass_flow(
    cd_area_m2: ArrayLike,
    p_up_Pa: ArrayLike,
    t_up_K: ArrayLike,
    p_down_Pa: ArrayLike,
    r_J_per_kgK: ArrayLike,
    gamma: ArrayLike,
) -> Array:
    """One-way mass flow through a sharp-edged orifice, choked or subsonic [kg/s].

    Parameters
    ----------
    cd_area_m2 : Effective area Cd·A [m²].
    p_up_Pa, t_up_K : Upstream stagnation pressure [Pa] and temperature [K].
    p_down_Pa : Downstream (back) pressure [Pa]; must be <= p_up.
    r_J_per_kgK : Specific gas constant of the upstream gas [J/(kg·K)].
    gamma : Ratio of specific heats of the upstream gas [-].

    Notes
    -----
    Isentropic nozzle flow of an ideal gas (Shapiro, *The Dynamics and
    Thermodynamics of Compressible Fluid Flow*, 1953, Eqs. 4.17 and 4.18;
    Saad, *Compressible Fluid Flow*, 2nd ed., Eq. 3.35). Subsonic,
    r = p_down/p_up > r*:

        ṁ = Cd·A·p_up·sqrt( 2γ/((γ−1) R T_up) · (r^(2/γ) − r^((γ+1)/γ)) )

    choked, r <= r*: ṁ = Cd·A·p_up·Ψ/sqrt(R·T_up). Both branches meet at r*.

    Examples
    --------
    1 mm hole, Cd = 1, air (γ = 1.4, R = 287.05) at 295 K and 101325 Pa to vacuum
    (``reference/physics.md``: 1.87257e-04 kg/s):

    >>> import math
    >>> a = math.pi * 0.001**2 / 4
    >>> f"{float(orifice_mass_flow(a, 101325.0, 295.0, 0.0, 287.05, 1.4)):.5e}"
    '1.87257e-04'
    """
    cda = np.asarray(cd_area_m2, dtype=float)
    pu = np.asarray(p_up_Pa, dtype=float)
    tu = np.asarray(t_up_K, dtype=float)
    pd = np.asarray(p_down_Pa, dtype=float)
    r = np.asarray(r_J_per_kgK, dtype=float)
    g = np.asarray(gamma, dtype=float)
    safe_pu = np.where(pu > 0.0, pu, 1.0)
    r_star = critical_pressure_ratio(g)
    # 1 − r from the pressure difference, exact when p_down is close to p_up (Sterbenz),
    # and the bracket r^(2/γ)·(1 − r^((γ−1)/γ)) through expm1/log1p: the textbook
    # difference of powers cancels catastrophically as r → 1.
    one_minus_r = np.clip((pu - pd) / safe_pu, 0.0, 1.0)
    one_minus_r = np.minimum(one_minus_r, 1.0 - r_star)  # choked below r*
    ratio = 1.0 - one_minus_r
    bracket = ratio ** (2.0 / g) * -np.expm1((g - 1.0) / g * np.log1p(-one_minus_r))
    flux = np.sqrt(2.0 * g / ((g - 1.0) * r * tu) * bracket)
    return np.asarray(np.where(pu > 0.0, cda * pu * flux, 0.0))


def _regularize(mdot: Array, dp: Array, linear_below_Pa: ArrayLike) -> Array:
    """Make a square-root law linear for |Δp| << ``linear_below_Pa``.

    ṁ_reg = ṁ·sqrt(|Δp| / sqrt(Δp² + ε²)): equal to ṁ for |Δp| >> ε, linear in Δp
    for |Δp| << ε. Orifice laws have an infinite slope at Δp = 0, which would make
    a network of open hatches infinitely stiff. This is a numerical device, not
    physics: it only matters where Δp < ε, and across an open hatch the Δp that
    carries a leak's flow is millipascals either way. The same device ("regularized
    root") is used by Modelica.Fluid's ``regRoot`` (Modelica Association,
    Modelica.Fluid.Utilities).
    """
    eps = np.asarray(linear_below_Pa, dtype=float)
    if not (eps > 0.0).any():
        return mdot
    adp = np.abs(dp)
    den = np.sqrt(adp * adp + eps * eps)  # 0 only at Δp = 0 with ε = 0, where ṁ = 0
    factor = np.sqrt(np.divide(adp, den, out=np.ones_like(den), where=den > 0.0))
    return np.asarray(np.where(eps > 0.0, mdot * factor, mdot))


def orifice_flow(
    cd_area_m2: ArrayLike,
    p_a_Pa: ArrayLike,
    t_a_K: ArrayLike,
    r_a: ArrayLike,
    gamma_a: ArrayLike,
    p_b_Pa: ArrayLike,
    t_b_K: ArrayLike,
    r_b: ArrayLike,
    gamma_b: ArrayLike,
    *,
    linear_below_Pa: ArrayLike = 0.0,
) -> Array:
    """Signed mass flow a → b through an orifice or an open hatch [kg/s].

    The upstream side (higher pressure) sets T, R and γ. ``linear_below_Pa`` > 0
    regularises the law near Δp = 0 (see :func:`_regularize`); 0 gives the exact
    isentropic law of :func:`orifice_mass_flow`.
    """
    pa = np.asarray(p_a_Pa, dtype=float)
    pb = np.asarray(p_b_Pa, dtype=float)
    forward = pa >= pb
    pu = np.where(forward, pa, pb)
    pd = np.where(forward, pb, pa)
    tu = np.where(forward, t_a_K, t_b_K)
    ru = np.where(forward, r_a, r_b)
    gu = np.where(forward, gamma_a, gamma_b)
    mdot = orifice_mass_flow(cd_area_m2, pu, tu, pd, ru, gu)
    mdot = _regularize(mdot, pa - pb, linear_below_Pa)
    return np.asarray(np.where(forward, mdot, -mdot))


#: Below this pressure difference an open hatch's flow is made linear [Pa]. Across an
#: open hatch the difference that carries even a large leak's flow is a few mPa, and
#: a hatch that opens between unequal modules equalises them in well under a second
#: either way; only the stiffness of the network changes (a linear law near
#: equilibrium lets a linearly implicit integrator take steps of hours).
HATCH_LINEAR_BELOW_PA = 100.0

#: The same for small orifices between modules (a leaking hatch seal): kept small,
#: since there the flow at tens of pascals is what a test measures [Pa].
ORIFICE_LINEAR_BELOW_PA = 1.0

#: The network scales either with the pressure: a law made linear below
#: ε·clip(LINEAR_BELOW_REL·p_up/ε, LINEAR_BELOW_FLOOR, 1). A fixed ε weakens an open hatch
#: as the gas thins (its linear conductance goes as sqrt(ρ/ε)), so below a few kPa the
#: modules of a cell drift apart by a spread that is the device's, not the gas's;
#: scaled, the spread stays the same fraction of the pressure (1e-3: 100 Pa at 1 bar)
#: down to ε·LINEAR_BELOW_FLOOR (1 mPa for a hatch: 1 Pa of gas), where a cabin is empty
#: for any purpose and an ever steeper law would only stall the integrator.
LINEAR_BELOW_REL = 1e-3
LINEAR_BELOW_FLOOR = 1e-5


def scaled_linear_below(linear_below_Pa: ArrayLike, p_up_Pa: ArrayLike) -> Array:
    """The regularisation ε of a law at upstream pressure p (see :data:`LINEAR_BELOW_REL`).

    >>> float(scaled_linear_below(100.0, 101325.0)), float(scaled_linear_below(100.0, 5e3))
    (100.0, 5.0)
    >>> float(scaled_linear_below(100.0, 0.0)), float(scaled_linear_below(0.0, 5e3))
    (0.001, 0.0)
    """
    eps = np.asarray(linear_below_Pa, dtype=float)
    return np.asarray(np.clip(LINEAR_BELOW_REL * np.asarray(p_up_Pa, dtype=float),
                              eps * LINEAR_BELOW_FLOOR, eps))


def hatch_flow(
    area_m2: ArrayLike,
    p_a_Pa: ArrayLike,
    t_a_K: ArrayLike,
    r_a: ArrayLike,
    gamma_a: ArrayLike,
    p_b_Pa: ArrayLike,
    t_b_K: ArrayLike,
    r_b: ArrayLike,
    gamma_b: ArrayLike,
    *,
    discharge_coefficient: float = 0.6,
    linear_below_Pa: float = HATCH_LINEAR_BELOW_PA,
) -> Array:
    """Signed mass flow a → b through an open hatch, a large orifice [kg/s].

    Notes
    -----
    A hatchway is treated as a sharp-edged orifice of its clear area with
    Cd ≈ 0.6 (Idelchik, *Handbook of Hydraulic Resistance*, 3rd ed., diagram 4-9,
    thin-walled orifice in a wall: ζ ≈ 2.7, Cd = 1/sqrt(ζ) ≈ 0.61). Below
    ``linear_below_Pa`` the law is made linear (see :func:`_regularize`): there the
    pressure difference between two modules joined by an open hatch is far below
    any sensor's resolution, and an infinite slope would only make the network
    needlessly stiff.
    """
    cda = np.asarray(area_m2, dtype=float) * discharge_coefficient
    return orifice_flow(
        cda, p_a_Pa, t_a_K, r_a, gamma_a, p_b_Pa, t_b_K, r_b, gamma_b,
        linear_below_Pa=linear_below_Pa,
    )


def crack_conductance(
    length_m: ArrayLike, gap_m: ArrayLike, depth_m: ArrayLike, viscosity_Pa_s: ArrayLike
) -> Array:
    """Viscous conductance of a slot G = w·h³/(12·μ·L) [m³/(Pa·s)].

    The factor in ṁ = G·(p_up² − p_down²)/(2·R·T), G = w·h³/(12·μ·L) [m³/(Pa·s)].
    """
    w = np.asarray(length_m, dtype=float)
    h = np.asarray(gap_m, dtype=float)
    depth = np.asarray(depth_m, dtype=float)
    return np.asarray(w * h**3 / (12.0 * np.asarray(viscosity_Pa_s, dtype=float) * depth))


def crack_flow(
    conductance_m3_per_Pa_s: ArrayLike,
    p_a_Pa: ArrayLike,
    t_a_K: ArrayLike,
    r_a: ArrayLike,
    p_b_Pa: ArrayLike,
    t_b_K: ArrayLike,
    r_b: ArrayLike,
) -> Array:
    """Signed mass flow a → b through a narrow crack (laminar slot) [kg/s].

    Notes
    -----
    Isothermal compressible Poiseuille flow between parallel plates
    (White, *Viscous Fluid Flow*, 3rd ed., §3-3.3; Roth, *Vacuum Technology*,
    3rd ed., §3.3 for slots): ṁ = G·(p_a² − p_b²)/(2·R·T) with
    G = w·h³/(12·μ·L) (crack length w, gap h, wall depth L); R, T of the upstream side.
    Valid while the Knudsen number λ/h << 1 (λ ≈ 68 nm for air at cabin pressure);
    in a gap below ~1 µm the gas slips at the walls and then turns molecular, which
    raises the flow above the viscous value, so this law under-predicts it there
    (slip correction of order 1 + 6·Kn between plates).
    """
    pa = np.asarray(p_a_Pa, dtype=float)
    pb = np.asarray(p_b_Pa, dtype=float)
    forward = pa >= pb
    rt = np.where(forward, np.asarray(r_a) * np.asarray(t_a_K), np.asarray(r_b) * np.asarray(t_b_K))
    return np.asarray(np.asarray(conductance_m3_per_Pa_s) * (pa * pa - pb * pb) / (2.0 * rt))


def power_law_flow(coefficient: ArrayLike, exponent: ArrayLike, p_a_Pa: ArrayLike,
                   p_b_Pa: ArrayLike) -> Array:
    """Signed mass flow a → b of the generic leak law ṁ = C·(p_a^n − p_b^n) [kg/s].

    To vacuum this is ṁ = C·p^n: n = 1 is a choked orifice at fixed temperature,
    n = 2 a viscous crack. Used to fit leak records without choosing a law first
    (the "power-law" leak model of building and vessel leak testing, e.g. ASTM
    E779-19 Eq. 1 writes Q = C·Δp^n).
    """
    pa = np.maximum(np.asarray(p_a_Pa, dtype=float), 0.0)
    pb = np.maximum(np.asarray(p_b_Pa, dtype=float), 0.0)
    n = np.asarray(exponent, dtype=float)
    return np.asarray(np.asarray(coefficient, dtype=float)
                      * (_power(pa, n) - _power(pb, n)))


#: Below this pressure a power law with n < 1 is made linear [Pa]: p^n has an infinite
#: slope at p = 0, where such a leak empties its module in finite time; no implicit step
#: reaches that end (a module emptying through it while others kept their gas stopped
#: the network at 20,000 steps). A millipascal is 1e-8 of cabin pressure, below every
#: absolute tolerance; the closed form keeps the exact law.
POWER_LAW_LINEAR_BELOW_PA = 1e-3


def _power(p: Array, n: Array) -> Array:
    """p^n, linear in p below :data:`POWER_LAW_LINEAR_BELOW_PA` where n < 1."""
    lin = POWER_LAW_LINEAR_BELOW_PA
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = p**n
    soft = (n < 1.0) & (p < lin)
    if not np.any(soft):
        return np.asarray(exact)
    return np.asarray(np.where(soft, lin ** (n - 1.0) * p, exact))


def hole_area(diameter_m: ArrayLike) -> Array:
    """Area of a round hole, π d²/4 [m²]."""
    d = np.asarray(diameter_m, dtype=float)
    return np.asarray(np.pi * d * d / 4.0)


def equivalent_diameter(cd_area_m2: ArrayLike, discharge_coefficient: float) -> Array:
    """Diameter of the round hole with effective area Cd·A at the stated Cd [m]."""
    return np.asarray(np.sqrt(4.0 * np.asarray(cd_area_m2, dtype=float)
                              / (np.pi * discharge_coefficient)))
