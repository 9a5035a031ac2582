"""Which flow law a leak follows (hole or crack), its size, and the evidence.

An isolated volume venting to vacuum through a hole is choked, so its mass rate is
proportional to pressure (orifice law; isothermal decay is exponential):

    q = Cd·A·Ψ(γ)·p / sqrt(R·T)                      (physics.md, choked orifice)

Through a narrow crack the flow is viscous (compressible Poiseuille in a slot) and
proportional to p², so 1/p grows linearly in time instead:

    q = c·p² / (2·R·T·μ(T)),   c = w·h³/(12·L) [m³]   (physics.md, slot flow)

Both are linear in their one unknown once the measured p(t) and T(t) are used:
the known-addition-corrected mass is m(t) = m0 − θ·X(t) with X(t) = ∫ φ dt and
φ = p/sqrt(R·T) (orifice, θ = Cd·A·Ψ) or φ = p²/(2RTμ) (crack, θ = c), R following
the gas's composition as crew metabolism changes it.
Each is fitted by weighted least squares; with the same number of parameters the
likelihood ratio and the AIC difference are both Δχ² (Burnham & Anderson 2002,
§2.6: a difference above 10 leaves essentially no support for the worse model).
The orifice law is kept when the record cannot tell: it is the conservative
forecast (its rate falls more slowly as pressure drops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from cabinleak.estimate.checks import EstimateError
from cabinleak.estimate.mass import MassSeries
from cabinleak.estimate.noise import RateNoise
from cabinleak.physics import gas
from cabinleak.physics.flow import choked_flux_factor

FlowLaw = Literal["orifice", "crack"]
F = NDArray[np.float64]
Z95 = 1.959963984540054
# Δχ² above which one law is taken as decided (Burnham & Anderson 2002, §2.6).
DECISIVE_DELTA_CHI2 = 10.0


def air_gamma(temperature_K: float) -> float:
    return float(gas.gamma_mixture(gas.AIR_MASS_FRACTIONS, temperature_K))


def flux_term(law: FlowLaw, pressure_Pa: F, temperature_K: F, gas_constant: F | float) -> F:
    """φ(p, T, R) such that the leak rate is q = θ·φ for the law's parameter θ."""
    if law == "orifice":
        return np.asarray(pressure_Pa / np.sqrt(gas_constant * temperature_K))
    mu = gas.viscosity_air(temperature_K)
    return np.asarray(pressure_Pa**2 / (2.0 * gas_constant * temperature_K * mu))


@dataclass(frozen=True, eq=False)
class LawFit:
    """One flow law fitted to a decay: m(t) = m0 − θ·∫φ dt, with θ's covariance."""

    law: FlowLaw
    start_s: float
    theta: float  # orifice: Cd·A·Ψ [m²] ; crack: w·h³/(12·L) [m³]
    theta_sd: float
    m0_kg: float
    cov: F  # 2×2 covariance of (m0, θ)
    chi2: float
    dof: int
    scale: float  # the factor the stated errors were inflated by (misfit, correlation)
    gas_constant: float
    volume_m3: float
    end_s: float = 0.0  # last fitted sample [s]
    x_end: float = 0.0  # ∫φ dt from the onset to the end, so m(end) = m0 − θ·x_end − bg·span
    onset_s: float = 0.0  # when the leak started (φ integrates from here) [s]
    background_kg_per_s: float = 0.0  # known leakage before and besides this leak

    @property
    def mass_end_kg(self) -> float:
        """The fitted mass at the last sample (known additions removed) [kg]."""
        return self.m0_kg - self.theta * self.x_end - self.background_kg_per_s * (
            self.end_s - self.start_s)

    def rate_kg_per_s(self, pressure_Pa: F | float, temperature_K: F | float,
                      theta: F | float | None = None) -> F:
        th = self.theta if theta is None else theta
        phi = flux_term(self.law, np.asarray(pressure_Pa, dtype=float),
                        np.asarray(temperature_K, dtype=float), self.gas_constant)
        return np.asarray(th * phi)

    def cd_area_m2(self, pressure_Pa: float, temperature_K: float,
                   theta: F | float | None = None, gamma: float | None = None) -> F:
        """The effective area Cd·A [m²] of the choked orifice with the same flow now.

        ``gamma`` is the gas's heat-capacity ratio (default: cabin air's at the
        temperature).
        """
        q = self.rate_kg_per_s(pressure_Pa, temperature_K, theta)
        g = air_gamma(temperature_K) if gamma is None else gamma
        psi = float(choked_flux_factor(g))
        return np.asarray(q * math.sqrt(self.gas_constant * temperature_K) / (psi * pressure_Pa))


@dataclass(frozen=True, eq=False)
class LawComparison:
    """Both laws fitted to the same record, and which one the data support."""

    orifice: LawFit
    crack: LawFit
    delta_chi2: float  # χ²(crack) − χ²(orifice): > 0 favours the orifice
    pressure_span: float  # (p_start − p_end)/p_start over the fitted record

    @property
    def preferred(self) -> FlowLaw:
        return "crack" if self.delta_chi2 < -DECISIVE_DELTA_CHI2 else "orifice"

    @property
    def decisive(self) -> bool:
        return abs(self.delta_chi2) > DECISIVE_DELTA_CHI2

    @property
    def best(self) -> LawFit:
        return self.crack if self.preferred == "crack" else self.orifice

    def evidence(self) -> str:
        favoured = "orifice (hole)" if self.delta_chi2 > 0 else "crack"
        d = abs(self.delta_chi2)
        if self.decisive:
            return (f"{favoured} favoured: likelihood ratio e^{d / 2:.0f} "
                    f"(Δχ² = ΔAIC = {d:.1f})")
        return (f"the record cannot tell a hole from a crack (Δχ² = {d:.1f} < "
                f"{DECISIVE_DELTA_CHI2:g}; pressure changed {-100 * self.pressure_span:+.2g} % "
                f"while fitted); forecasting with the orifice law, the faster to fall "
                "(the conservative choice)")


def law_integral(ms: MassSeries, law: FlowLaw, onset_s: float, sel: NDArray[np.bool_]) -> F:
    """X(t) = ∫ φ dt from the onset to each selected point (0 before the onset) [trapezoid]."""
    t = ms.time_s[sel]
    r = ms.gas_constant if ms.gas_constant_series is None else ms.gas_constant_series[sel]
    phi = flux_term(law, ms.pressure_Pa[sel], ms.temperature_K[sel], r)
    on = t > onset_s
    steps = 0.5 * (phi[1:] + phi[:-1]) * np.diff(t)
    # the interval that holds the onset counts only from the onset on
    first = np.flatnonzero(on)
    if first.size and first[0] > 0 and t[first[0] - 1] < onset_s:
        k = first[0]
        steps[k - 1] = phi[k] * (t[k] - onset_s)
    steps = np.where(on[1:], steps, 0.0)
    return np.concatenate([[0.0], np.cumsum(steps)])


def _solve(t: F, z: F, sd: F, x: F) -> tuple[F, F, float, int, float]:
    """Weighted least squares of z = m0 − θ·x; returns β, covariance, χ², dof, scale."""
    w = 1.0 / sd**2
    a = np.column_stack([np.ones_like(x), -x])
    cov = np.linalg.inv(a.T @ (a * w[:, None]))
    beta = cov @ (a.T @ (w * z))
    resid = (z - a @ beta) / sd
    chi2 = float(resid @ resid)
    dof = int(t.size - 2)
    scale = 1.0
    if dof >= 5:
        rho = float(np.sum(resid[1:] * resid[:-1]) / max(chi2, 1e-300))
        scale = math.sqrt(max(1.0, chi2 / dof) * max(1.0, (1 + rho) / (1 - rho))
                          if rho < 0.99 else max(1.0, chi2 / dof) * 199.0)
    return beta, np.asarray(cov * scale**2, dtype=float), chi2, dof, scale


def fit_law(ms: MassSeries, law: FlowLaw, *, onset_s: float | None = None,
            background_kg_per_s: float = 0.0, wander: RateNoise | None = None) -> LawFit:
    """Weighted least-squares fit of one flow law to a record, the leak starting at ``onset_s``.

    Before the onset the mass falls at the known background rate only, so the record
    before it fixes the starting mass; after it the law adds θ·φ. Without an onset
    the leak runs from the first sample.

    Errors are the series' 1σ; when the residuals show more scatter (χ²/dof > 1)
    or positive lag-one correlation, the covariance is inflated by both factors so
    the interval stays honest (Box, Jenkins & Reinsel 2008, AR(1) variance factor
    (1+ρ)/(1−ρ)). Fits with fewer than five degrees of freedom keep the stated errors.
    With ``wander`` (the record's measured outflow scatter, :mod:`.noise`) θ's 1σ is at
    least the wander's 1σ of a mean outflow over the fitted leak's span, divided by the
    mean flux term φ there: slow correlated wander that the AR(1) factor misses (a
    thermal cycle longer than the bins) still widens the interval.
    """
    t_all = ms.time_s
    onset = float(t_all[0]) if onset_s is None else float(onset_s)
    sel = np.ones(t_all.size, dtype=bool)
    t, sd = t_all, ms.mass_sd_kg
    if np.sum(t > onset) < 1 or t.size < 2:
        raise EstimateError(f"{ms.label}: fewer than two points to fit a leak from "
                            f"{(onset - t_all[0]) / 3600:.1f} h on")
    z = ms.mass_kg + background_kg_per_s * (t - t[0])
    x = law_integral(ms, law, onset, sel)
    beta, cov, chi2, dof, scale = _solve(t, z, sd, x)
    if wander is not None:
        after = t > onset
        span = float(t[-1] - max(onset, float(t[0])))
        phi_mean = x[-1] / span if span > 0 else 0.0
        floor = wander.span_sd_kg_per_s(span)
        if floor > 0 and phi_mean > 0 and after.any():
            cov = cov.copy()
            cov[1, 1] = max(cov[1, 1], (floor / phi_mean) ** 2)
    return LawFit(law=law, start_s=float(t[0]), theta=float(beta[1]),
                  theta_sd=float(math.sqrt(cov[1, 1])), m0_kg=float(beta[0]),
                  cov=np.asarray(cov, dtype=float),
                  chi2=chi2, dof=dof, scale=scale, gas_constant=ms.gas_constant,
                  volume_m3=ms.volume_m3, end_s=float(t[-1]), x_end=float(x[-1]),
                  onset_s=onset, background_kg_per_s=background_kg_per_s)


def best_onset(ms: MassSeries, candidates: F, *, law: FlowLaw = "orifice",
               background_kg_per_s: float = 0.0, free_background: bool = False) -> float:
    """The onset among ``candidates`` [s] that maximises the fit's likelihood (least χ²).

    The profile likelihood of a change point (Hinkley 1970, Biometrika 57:1): each
    candidate is fitted in full and the one with the least χ² kept. With
    ``free_background`` the outflow before the onset is a fitted constant too (a leak
    on top of another), else the known ``background_kg_per_s``.
    """
    t = ms.time_s
    z = ms.mass_kg + background_kg_per_s * (t - t[0])
    sel = np.ones(t.size, dtype=bool)
    w = 1.0 / ms.mass_sd_kg
    best, best_chi2 = float(candidates[0]), math.inf
    for c in candidates:
        if np.sum(t > c) < 2:
            continue
        x = law_integral(ms, law, float(c), sel)
        if free_background:
            a = np.column_stack([np.ones_like(x), -(t - t[0]), -x]) * w[:, None]
            coef, *_ = np.linalg.lstsq(a, z * w, rcond=None)
            chi2 = float(np.sum((z * w - a @ coef) ** 2))
        else:
            chi2 = _solve(t, z, ms.mass_sd_kg, x)[2]
        if chi2 < best_chi2:
            best, best_chi2 = float(c), chi2
    return best


def compare_laws(ms: MassSeries, *, onset_s: float | None = None,
                 background_kg_per_s: float = 0.0,
                 wander: RateNoise | None = None) -> LawComparison:
    """Fit the orifice and the crack law to the same record and weigh them."""
    o = fit_law(ms, "orifice", onset_s=onset_s, background_kg_per_s=background_kg_per_s,
                wander=wander)
    c = fit_law(ms, "crack", onset_s=onset_s, background_kg_per_s=background_kg_per_s,
                wander=wander)
    p = ms.pressure_Pa[ms.time_s >= o.onset_s]
    span = float((p[0] - p[-1]) / p[0]) if p.size else 0.0
    # misfit or correlated errors shrink the evidence as they widen the intervals
    delta = (c.chi2 - o.chi2) / min(o.scale, c.scale) ** 2
    return LawComparison(orifice=o, crack=c, delta_chi2=delta, pressure_span=span)
