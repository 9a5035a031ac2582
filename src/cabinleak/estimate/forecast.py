"""How long until a floor, and what the leak costs in gas.

The forecast carries the fitted flow law forward from the last sample: the gas mass
obeys dm/dt = −θ·φ(p, T) + s with p = m·R·T/V at the recent mean temperature and s
the known steady net source (crew metabolism). The time to a pressure floor is the
exact quadrature t = ∫ dm / (θ·φ − s) from the floor mass to the present mass
(Gauss–Legendre), for each draw of the fitted (m0, θ) from their covariance; the
interval is the draws' 2.5–97.5 % range. ppO2 follows the O2 mass, which leaves
with the leaking gas and with the crew's use.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

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
             mass_fractions: F, source_kg_per_s: float = 0.0, o2_use_kg_per_s: float = 0.0,
             floor_Pa: float | None = None, ppO2_floor_Pa: float | None = None,
             inventory_kg: Mapping[str, float] | None = None, n_draws: int = 4000,
             horizon_s: float | None = None, rng: np.random.Generator | int | None = 0
             ) -> Forecast:
    """Carry a flow-law fit forward from ``time_now_s``.

    Parameters
    ----------
    fit : the flow-law fit (its m0 and θ with covariance).
    time_now_s : the last sample [s]; forecast times count from it.
    added_now_kg : known additions up to now [kg] (the fit's mass excludes them).
    temperature_K : temperature to forecast at (the recent mean) [K].
    mass_fractions : cabin gas mass fractions (N2, O2, CO2, H2O).
    source_kg_per_s : steady known net source going forward (crew) [kg/s].
    o2_use_kg_per_s : crew O2 consumption [kg/s] (lowers ppO2, counted in the gas needed).
    floor_Pa, ppO2_floor_Pa : floors to reach [Pa].
    inventory_kg : {"N2": kg, "O2": kg} in store, for days of supply.
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    m0, theta = _draws(fit, n_draws, gen)
    # the fit's mass excludes known additions; the gas in the cabin includes them
    m_now = m0 - theta * fit.x_end + added_now_kg
    r, v, tk = fit.gas_constant, fit.volume_m3, temperature_K

    def interval(samples: F) -> Interval:
        # "nearest" keeps inf (a floor never reached) out of interpolation
        lo, hi = np.percentile(samples, [2.5, 97.5], method="nearest")
        return Interval(float(samples[0]), float(lo), float(hi))

    t_floor = None
    if floor_Pa is not None:
        t_floor = interval(time_to_mass(fit, m_now, floor_Pa * v / (r * tk), theta, tk,
                                        source_kg_per_s))
    # the fan and ppO2: integrate mass and O2 mass over a grid (classical RK4)
    y = np.asarray(mass_fractions, dtype=float)
    if horizon_s is None:
        nominal = t_floor.value if t_floor is not None and math.isfinite(t_floor.value) else 0.0
        horizon_s = min(max(1.5 * nominal, 2 * DAY_S), 365 * DAY_S)
    nt = 241
    grid = np.linspace(0.0, horizon_s, nt)
    k = min(n_draws, 1000)
    m, mo2 = m_now[:k].copy(), m_now[:k] * y[O2]
    th = theta[:k]
    m_rest = float((1 - y[O2]) / max(np.sum(np.delete(y / gas.MOLAR_MASS, O2)), 1e-300))

    def deriv(m_: F, mo2_: F) -> tuple[F, F]:
        q = _rate(fit, np.maximum(m_, 0.0), th, tk)
        frac = np.clip(mo2_ / np.maximum(m_, 1e-300), 0.0, 1.0)
        use = np.where(mo2_ > 0, o2_use_kg_per_s, 0.0)
        return -q + source_kg_per_s, -frac * q - use

    def pp_o2(m_: F, mo2_: F) -> F:
        n_o2 = mo2_ / gas.MOLAR_MASS[O2]
        n_rest = np.maximum(m_ - mo2_, 0.0) / m_rest
        p_ = m_ * r * tk / v
        return np.asarray(p_ * n_o2 / np.maximum(n_o2 + n_rest, 1e-300))

    p_hist = np.empty((nt, k))
    o_hist = np.empty((nt, k))
    p_hist[0], o_hist[0] = m * r * tk / v, pp_o2(m, mo2)
    h = grid[1] - grid[0]
    for i in range(1, nt):
        a1, b1 = deriv(m, mo2)
        a2, b2 = deriv(m + 0.5 * h * a1, mo2 + 0.5 * h * b1)
        a3, b3 = deriv(m + 0.5 * h * a2, mo2 + 0.5 * h * b2)
        a4, b4 = deriv(m + h * a3, mo2 + h * b3)
        m = m + h / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        mo2 = mo2 + h / 6 * (b1 + 2 * b2 + 2 * b3 + b4)
        p_hist[i], o_hist[i] = m * r * tk / v, pp_o2(m, mo2)
    t_pp = None
    if ppO2_floor_Pa is not None:
        t_pp = interval(_crossing(grid, o_hist, ppO2_floor_Pa))
    q_now = _rate(fit, m_now, theta, tk)
    n2_day = interval(q_now * y[N2] * DAY_S)
    o2_day = interval((q_now * y[O2] + o2_use_kg_per_s) * DAY_S)
    need = {"N2": n2_day, "O2": o2_day}
    days: dict[str, Interval] = {}
    for name, stock in (inventory_kg or {}).items():
        per_day = (q_now * y[N2] if name == "N2" else q_now * y[O2] + o2_use_kg_per_s) * DAY_S
        with np.errstate(divide="ignore"):
            d = np.where(per_day > 0, stock / np.maximum(per_day, 1e-300), np.inf) * DAY_S
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
