"""Leak mass rate over time: a Kalman filter and Rauch–Tung–Striebel smoother.

State x = [m, q]: the gas mass of the volume with known additions removed [kg] and
the leak mass rate [kg/s] (positive out). The mass falls at the leak rate and the
rate drifts as a random walk (an integrated random walk, the continuous white-noise
acceleration model of Bar-Shalom, Li & Kirubarajan 2001, §6.2.2):

    dm/dt = −q,    dq/dt = w(t),  E[w(t)w(s)] = S·δ(t−s)

so over a step Δ the transition is F = [[1, −Δ], [0, 1]] with process covariance
Q = S·[[Δ³/3, −Δ²/2], [−Δ²/2, Δ]]. Each point observes m with its own 1σ.

S sets how fast the rate may change. It is chosen by maximum likelihood (the
innovations' Gaussian likelihood, Harvey 1989 §3.4) over a log-spaced grid, all grid
values run at once. A leak that starts or is repaired is a jump in q, not a drift:
at a known change time (``resets``) the rate's variance is opened up again, so the
smoother shows a step there instead of a slow ramp.

With S → 0 the smoothed rate is the weighted least-squares slope of the mass,
which attains the Cramér–Rao bound for a constant leak; see
:func:`constant_rate_crb`.

References
----------
Rauch, Tung & Striebel (1965), AIAA J. 3(8):1445, the fixed-interval smoother.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cabinleak.estimate.checks import EstimateError
from cabinleak.estimate.mass import MassSeries
from cabinleak.physics.units import DAY_S

F = NDArray[np.float64]

# Grid of rate-drift densities, as the 1σ change of the leak rate over one day
# [kg/day per day]: from "steady" to "changes by 100 kg/day within a day".
DRIFT_GRID_KG_PER_DAY2 = tuple(10.0**k for k in np.arange(-4.0, 2.01, 0.5))


def drift_to_psd(drift_kg_per_day_per_day: float) -> float:
    """Random-walk density S [(kg/s)²/s] whose rate wanders by the given 1σ in a day."""
    return (drift_kg_per_day_per_day / DAY_S) ** 2 / DAY_S


@dataclass(frozen=True, eq=False)
class RateTrack:
    """The smoothed leak rate (and mass) at each point of a mass series, with 1σ."""

    time_s: F
    rate_kg_per_s: F
    rate_sd_kg_per_s: F
    mass_kg: F
    mass_sd_kg: F
    drift_kg_per_day_per_day: float  # the chosen rate-drift 1σ per day
    log_likelihood: float
    resets_s: tuple[float, ...] = ()

    def at(self, t_s: float) -> tuple[float, float]:
        """Rate and its 1σ at the point nearest ``t_s``."""
        i = int(np.argmin(np.abs(self.time_s - t_s)))
        return float(self.rate_kg_per_s[i]), float(self.rate_sd_kg_per_s[i])


def track_rate(ms: MassSeries, *, resets: Sequence[float] = (),
               drift_kg_per_day_per_day: float | Sequence[float] | None = None) -> RateTrack:
    """Filter and smooth the leak rate of a mass series.

    Parameters
    ----------
    ms : the (binned) mass series of one volume.
    resets : times [s] where the rate may jump (a detected leak onset, a repair).
    drift_kg_per_day_per_day : the rate-drift 1σ per day, or a grid of them to
        choose from by maximum likelihood (default :data:`DRIFT_GRID_KG_PER_DAY2`).

    Returns
    -------
    RateTrack
        Smoothed rate and mass with 1σ at every point of ``ms``.
    """
    n = len(ms)
    if n < 2:
        raise EstimateError(f"{ms.label}: a rate needs at least two points, got {n}")
    grid = (DRIFT_GRID_KG_PER_DAY2 if drift_kg_per_day_per_day is None
            else np.atleast_1d(np.asarray(drift_kg_per_day_per_day, dtype=float)))
    drift = np.asarray(grid, dtype=float)
    psd = np.array([drift_to_psd(d) for d in drift])
    loglik = _filter(ms, psd, resets, keep=False)[0]
    best = int(np.argmax(loglik))
    _, xf, pf, xp, pp = _filter(ms, psd[best : best + 1], resets, keep=True)
    xs, ps = _smooth(ms.time_s, xf, pf, xp, pp)
    return RateTrack(time_s=ms.time_s, rate_kg_per_s=xs[:, 1],
                     rate_sd_kg_per_s=np.sqrt(np.maximum(ps[:, 1, 1], 0.0)),
                     mass_kg=xs[:, 0], mass_sd_kg=np.sqrt(np.maximum(ps[:, 0, 0], 0.0)),
                     drift_kg_per_day_per_day=float(drift[best]),
                     log_likelihood=float(loglik[best]), resets_s=tuple(float(r) for r in resets))


def _reset_variance(ms: MassSeries) -> float:
    """Prior variance of an unknown leak rate: 1σ of 100 % of the gas per day."""
    return float((np.nanmax(np.abs(ms.mass_kg)) / DAY_S) ** 2)


def _filter(ms: MassSeries, psd: F, resets: Sequence[float], *, keep: bool
            ) -> tuple[F, F, F, F, F]:
    """Run the filter for each density in ``psd`` at once; keep the trace for one."""
    t, z, r = ms.time_s, ms.mass_kg, ms.mass_sd_kg**2
    g = psd.size
    big = _reset_variance(ms)
    reset_idx = {int(np.searchsorted(t, rt)) for rt in resets if t[0] < rt <= t[-1]}
    m = np.full(g, z[0])
    q = np.zeros(g)
    p00, p01, p11 = np.full(g, r[0]), np.zeros(g), np.full(g, big)
    loglik = np.zeros(g)
    n = t.size
    xf = np.empty((n, 2)) if keep else np.empty((0, 2))
    pf = np.empty((n, 2, 2)) if keep else np.empty((0, 2, 2))
    xp = np.empty((n, 2)) if keep else np.empty((0, 2))
    pp = np.empty((n, 2, 2)) if keep else np.empty((0, 2, 2))
    if keep:
        xp[0] = xf[0] = (z[0], 0.0)
        pp[0] = pf[0] = ((r[0], 0.0), (0.0, big))
    dts = np.diff(t)
    for k in range(1, n):
        d = dts[k - 1]
        # predict
        m = m - d * q
        p00 = p00 - 2.0 * d * p01 + d * d * p11 + psd * d**3 / 3.0
        p01 = p01 - d * p11 - psd * d * d / 2.0
        p11 = p11 + psd * d
        if k in reset_idx:
            p11 = p11 + big
        if keep:
            xp[k] = (m[0], q[0])
            pp[k] = ((p00[0], p01[0]), (p01[0], p11[0]))
        # update with the mass reading
        s = p00 + r[k]
        v = z[k] - m
        k0, k1 = p00 / s, p01 / s
        loglik -= 0.5 * (np.log(2.0 * np.pi * s) + v * v / s)
        m = m + k0 * v
        q = q + k1 * v
        p11 = p11 - k1 * p01
        p00 = p00 * (1.0 - k0)
        p01 = p01 * (1.0 - k0)
        if keep:
            xf[k] = (m[0], q[0])
            pf[k] = ((p00[0], p01[0]), (p01[0], p11[0]))
    return loglik, xf, pf, xp, pp


def _smooth(t: F, xf: F, pf: F, xp: F, pp: F) -> tuple[F, F]:
    """Rauch–Tung–Striebel backward pass (RTS 1965, eqs. 3.29–3.31)."""
    n = t.size
    xs, ps = xf.copy(), pf.copy()
    dts = np.diff(t)
    for k in range(n - 2, -1, -1):
        fk = np.array([[1.0, -dts[k]], [0.0, 1.0]])
        c = pf[k] @ fk.T @ np.linalg.inv(pp[k + 1])
        xs[k] = xf[k] + c @ (xs[k + 1] - xp[k + 1])
        ps[k] = pf[k] + c @ (ps[k + 1] - pp[k + 1]) @ c.T
    return xs, ps


def constant_rate_crb(time_s: F, mass_sd_kg: F) -> float:
    """Cramér–Rao bound on the variance of a constant leak rate [(kg/s)²].

    For m_k = m0 − q·t_k + e_k with independent e_k ~ N(0, σ_k²) and (m0, q)
    unknown, the Fisher information is J = Σ w_k [[1, −t_k], [−t_k, t_k²]]
    (w = 1/σ²) and the bound on q is (J⁻¹)₁₁ = 1 / Σ w_k (t_k − t̄_w)²
    (Kay 1993, *Fundamentals of Statistical Signal Processing* I, §3.7).
    """
    w = 1.0 / mass_sd_kg**2
    tbar = float(np.sum(w * time_s) / np.sum(w))
    return float(1.0 / np.sum(w * (time_s - tbar) ** 2))
