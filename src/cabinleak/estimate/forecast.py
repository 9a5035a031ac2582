"""How long until a floor, and what the leak costs in gas.

The forecast carries the fitted flow law forward from the last sample, in the moles
of each species at the recent mean temperature: the leak takes the gas as it is, the
crew's known sources add CO2 and remove O2 (which also shifts the molar mass and so
the leak's molar rate). It runs for each draw of the fitted (m0, θ) from their
covariance; a floor's interval is the draws' 2.5–97.5 % range of crossing times.
:func:`time_to_mass` is the one-gas closed quadrature t = ∫ dm / (q(m) − s), used to
size the forecast and as its check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cabinleak.estimate.flowlaw import LawFit, flux_term
from cabinleak.physics import gas
from cabinleak.physics.units import DAY_S

F = NDArray[np.float64]
O2 = gas.SPECIES.index("O2")
N2 = gas.SPECIES.index("N2")
_GL_X, _GL_W = np.polynomial.legendre.leggauss(64)


@dataclass(frozen=True)
class Interval:
    """A value with its 95 % interval, in SI units (inf where a floor is never reached)."""

    value: float
    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        return Interval(self.value * factor, self.low * factor, self.high * factor)

    def to_dict(self) -> dict[str, float | None]:
        return {k: (v if math.isfinite(v) else None)
                for k, v in (("value", self.value), ("low", self.low), ("high", self.high))}


@dataclass(frozen=True, eq=False)
class Forecast:
    """Time to the floors, the fan of future pressure, and the gas the leak costs."""

    floor_Pa: float | None
    time_to_floor_s: Interval | None  # counted from the last sample
    ppO2_floor_Pa: float | None
    time_to_ppO2_floor_s: Interval | None
    time_s: F  # forecast grid, absolute times of the record [s]
    pressure_Pa: F  # [3, nt]: 2.5 %, 50 %, 97.5 %
    ppO2_Pa: F  # [3, nt]
    gas_per_day_kg: Mapping[str, Interval]  # N2 and O2 needed per day to hold p and ppO2
    days_of_supply: Mapping[str, Interval] = field(default_factory=dict)


def _draws(fit: LawFit, n: int, rng: np.random.Generator) -> tuple[F, F]:
    z = rng.multivariate_normal([fit.m0_kg, fit.theta], fit.cov, size=n, method="cholesky")
    z[0] = (fit.m0_kg, fit.theta)  # draw 0 is the point estimate
    return z[:, 0], z[:, 1]


def _rate(fit: LawFit, m: F, theta: F, temperature_K: float) -> F:
    p = m * fit.gas_constant * temperature_K / fit.volume_m3
    return np.asarray(theta * flux_term(fit.law, p, np.full_like(p, temperature_K),
                                        fit.gas_constant))


def time_to_mass(fit: LawFit, m_now: F, m_floor: float, theta: F, temperature_K: float,
                 source_kg_per_s: float) -> F:
    """∫_{m_floor}^{m_now} dm / (q(m) − s) for each draw; inf if the floor is never reached."""
    m_now = np.asarray(m_now, dtype=float)
    half = 0.5 * (m_now - m_floor)
    mid = 0.5 * (m_now + m_floor)
    nodes = mid[:, None] + half[:, None] * _GL_X[None, :]
    net = _rate(fit, nodes, theta[:, None], temperature_K) - source_kg_per_s
    q_floor = _rate(fit, np.array([m_floor]), theta, temperature_K) - source_kg_per_s
    with np.errstate(divide="ignore", invalid="ignore"):
        t = half * np.sum(_GL_W[None, :] / net, axis=1)
    never = (q_floor <= 0) | (theta <= 0)
    t = np.where(never, np.inf, t)
    return np.where(m_now <= m_floor, 0.0, t)


def forecast(fit: LawFit, *, time_now_s: float, added_now_kg: float, temperature_K: float,
             mole_fractions: ArrayLike, species_source_kg_per_s: ArrayLike | None = None,
             floor_Pa: float | None = None, ppO2_floor_Pa: float | None = None,
             inventory_kg: Mapping[str, float] | None = None, n_draws: int = 1000,
             horizon_s: float | None = None, rng: np.random.Generator | int | None = 0
             ) -> Forecast:
    """Carry a flow-law fit forward from ``time_now_s``, species by species.

    Each draw of (m0, θ) starts from the fitted gas now and integrates the moles of
    N2, O2, CO2 and H2O (classical RK4 on a grid): the leak takes gas as it is at
    q = θ·φ(p, T, R) (R following the composition), the crew's known sources add or
    remove their species (O2 use stops when O2 runs out). Pressure and ppO2 follow
    from the moles; a floor's time is where each draw's path crosses it.

    Parameters
    ----------
    fit : the flow-law fit (its m0 and θ with covariance).
    time_now_s : the last sample [s]; forecast times count from it.
    added_now_kg : known additions up to now [kg] (the fit's mass excludes them).
    temperature_K : temperature to forecast at (the recent mean) [K].
    mole_fractions : cabin gas composition now (N2, O2, CO2, H2O).
    species_source_kg_per_s : steady known sources going forward (crew: O2 −, CO2 +).
    floor_Pa, ppO2_floor_Pa : floors to reach [Pa].
    inventory_kg : {"N2": kg, "O2": kg} in store, for days of supply.
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    m0, theta = _draws(fit, n_draws, gen)
    # the fit's mass excludes known additions; the gas in the cabin includes them
    m_now = m0 - theta * fit.x_end + added_now_kg
    v, tk = fit.volume_m3, temperature_K
    x = np.asarray(mole_fractions, dtype=float) / np.sum(mole_fractions)
    molar_now = float(x @ gas.MOLAR_MASS)
    src = (np.zeros(gas.MOLAR_MASS.size) if species_source_kg_per_s is None
           else np.asarray(species_source_kg_per_s, dtype=float))
    src_mol = src / gas.MOLAR_MASS
    o2_use = max(-float(src[O2]), 0.0)

    def interval(samples: F) -> Interval:
        # "nearest" keeps inf (a floor never reached) out of interpolation
        lo, hi = np.percentile(samples, [2.5, 97.5], method="nearest")
        return Interval(float(samples[0]), float(lo), float(hi))

    if horizon_s is None:
        # a first guess from the one-gas quadrature sets the grid
        nominal = 0.0
        if floor_Pa is not None:
            equivalent = float(np.sum(src_mol) * molar_now)
            guess = time_to_mass(fit, m_now[:1], floor_Pa * v / (fit.gas_constant * tk),
                                 theta[:1], tk, equivalent)[0]
            nominal = float(guess) if math.isfinite(guess) else 0.0
        horizon_s = min(max(1.5 * nominal, 2 * DAY_S), 365 * DAY_S)
    nt = 241
    grid = np.linspace(0.0, horizon_s, nt)
    n = (m_now / molar_now)[:, None] * x[None, :]  # moles [draws, 4]

    def state(n_: F) -> tuple[F, F, F]:
        total = np.maximum(n_.sum(axis=1), 1e-300)
        molar = (n_ @ gas.MOLAR_MASS) / total
        p = total * gas.R_UNIVERSAL * tk / v
        return p, molar, total

    def deriv(n_: F) -> F:
        p, molar, total = state(n_)
        r = gas.R_UNIVERSAL / molar
        q = theta * flux_term(fit.law, p, np.full_like(p, tk), r)  # [kg/s]
        leak = (q / molar / total)[:, None] * n_  # moles of each species leaving
        add = np.broadcast_to(src_mol, n_.shape).copy()
        add[:, O2] = np.where(n_[:, O2] > 0, add[:, O2], np.maximum(add[:, O2], 0.0))
        return np.asarray(add - leak)

    p_hist = np.empty((nt, n_draws))
    o_hist = np.empty((nt, n_draws))
    p0, _, total0 = state(n)
    p_hist[0], o_hist[0] = p0, p0 * n[:, O2] / total0
    h = grid[1] - grid[0]
    for i in range(1, nt):
        k1 = deriv(n)
        k2 = deriv(n + 0.5 * h * k1)
        k3 = deriv(n + 0.5 * h * k2)
        k4 = deriv(n + h * k3)
        n = np.maximum(n + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), 0.0)
        p, _, total = state(n)
        p_hist[i], o_hist[i] = p, p * n[:, O2] / total
    t_floor = None if floor_Pa is None else interval(_crossing(grid, p_hist, floor_Pa))
    t_pp = None if ppO2_floor_Pa is None else interval(_crossing(grid, o_hist, ppO2_floor_Pa))
    y = x * gas.MOLAR_MASS / molar_now  # mass fractions now
    q_now = theta * flux_term(fit.law, p0, np.full_like(p0, tk),
                              np.full_like(p0, gas.R_UNIVERSAL / molar_now))
    per_day = {"N2": q_now * y[N2] * DAY_S, "O2": (q_now * y[O2] + o2_use) * DAY_S}
    need = {k: interval(val) for k, val in per_day.items()}
    days: dict[str, Interval] = {}
    for name, stock in (inventory_kg or {}).items():
        rate = per_day[name]
        with np.errstate(divide="ignore"):
            d = np.where(rate > 0, stock / np.maximum(rate, 1e-300), np.inf) * DAY_S
        days[name] = interval(d)
    pct = [2.5, 50.0, 97.5]
    return Forecast(floor_Pa=floor_Pa, time_to_floor_s=t_floor, ppO2_floor_Pa=ppO2_floor_Pa,
                    time_to_ppO2_floor_s=t_pp, time_s=time_now_s + grid,
                    pressure_Pa=np.percentile(p_hist, pct, axis=1),
                    ppO2_Pa=np.percentile(o_hist, pct, axis=1), gas_per_day_kg=need,
                    days_of_supply=days)


def _crossing(grid: F, series: F, level: float) -> F:
    """First time each column of ``series`` [nt, k] falls to ``level``; inf if never."""
    below = series <= level
    first = np.argmax(below, axis=0)
    hit = below[first, np.arange(series.shape[1])]
    out = np.full(series.shape[1], np.inf)
    j = first[hit]
    cols = np.flatnonzero(hit)
    prev = np.maximum(j - 1, 0)
    y0, y1 = series[prev, cols], series[j, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(y0 != y1, (y0 - level) / (y0 - y1), 0.0)
    out[cols] = grid[prev] + frac * (grid[j] - grid[prev])
    return out
