"""A fast one-volume cabin for realistic telemetry: thermal swings, consumables, represses, a leak.

A station with its hatches open is one well-mixed volume ``V`` of air. Its state is the gas
mass ``m(t)`` and the volume-mean gas temperature ``T(t)``; the pressure follows the gas law

    p(t) = m(t)·R·T(t)/V.                                                        (1)

**Temperature.** ``T(t) = T̄ + A_orb·sin(2πt/P_orb + φ₁) + A_day·sin(2πt/86400 s + φ₂) + w(t)``,
with ``w`` an Ornstein–Uhlenbeck wander (standard deviation ``wander_sd_K``, correlation time
``wander_time_s``) and random phases. The defaults (:class:`CabinClimate`) are calibrated on
real ISS pressure records (``docs/calibration.md``): the volume-mean gas swings by tenths of a
kelvin, far less than the several kelvin a point sensor at an air inlet reads.

**Mass.** ``dm/dt = s(t) − k(t)·m``, with the steady sources and sinks ``s`` (the crew's O2
use, the oxygen generator, any background loss, scheduled represses) and the leak through an
orifice of effective area Cd·A to vacuum. The flow is choked (cabin to vacuum), so

    ṁ_leak = Cd·A·p·Ψ(γ)/sqrt(R·T) = k·m,   k = Cd·A·Ψ·sqrt(R·T)/V            (2)

(Shapiro 1953, Eq. 4.17; :func:`cabinleak.physics.flow.orifice_mass_flow`). On each step of
the truth grid ``k`` and ``s`` are held constant and the step is exact:

    m₊ = m·e^(−kΔ) + s·Δ·(1 − e^(−kΔ))/(kΔ),                                   (3)

a linear recursion solved in closed form between represses with cumulative sums, so a year
on a 10 s grid costs about a second. Without sources and at constant T, (3) is the isothermal
blowdown ``m₀·exp(−t/τ)``, τ = 1/k. The network simulator is not used: it is exact for many
volumes but far slower, and with open hatches the volumes are one.

**Represses.** Every ``repress_interval_s`` the crew (or the ground) represses the cabin to
the mass that gives the setpoint pressure at the mean temperature, at ``repress_rate_kg_per_s``,
alternating N2 and O2 (the gas constant of the added gas is not modelled: the cabin stays air).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

from cabinleak.errors import ScenarioError
from cabinleak.physics.flow import choked_flux_factor
from cabinleak.physics.gas import AIR_MASS_FRACTIONS, R_AIR, gamma_mixture

F = NDArray[np.float64]
DAY_S = 86400.0
#: ISS orbital period, about 92.7 min at 415 km.
ISS_ORBIT_S = 92.7 * 60.0


def ou_process(n: int, dt_s: float, sd: float, time_s: float, rng: np.random.Generator) -> F:
    """An Ornstein–Uhlenbeck series on a uniform grid, started from its stationary law.

    Exact discretisation x₊ = a·x + sd·sqrt(1 − a²)·ε, a = exp(−dt/τ) (Gillespie 1996,
    Phys. Rev. E 54, 2084, Eq. 1.3). ``sd`` is the stationary standard deviation.
    """
    if sd <= 0.0 or n == 0:
        return np.zeros(n)
    a = float(np.exp(-dt_s / time_s))
    e = rng.standard_normal(n)
    e[0] /= np.sqrt(1.0 - a * a)  # stationary start: x₀ ~ N(0, sd²)
    return np.asarray(sd * np.sqrt(1.0 - a * a) * lfilter([1.0], [1.0, -a], e))


@dataclass(frozen=True)
class CabinClimate:
    """Volume-mean gas temperature of the cabin [K] and its swings (see module doc)."""

    mean_temperature_K: float = 295.0
    orbit_amplitude_K: float = 0.04
    orbit_period_s: float = ISS_ORBIT_S
    day_amplitude_K: float = 0.05
    wander_sd_K: float = 0.07
    wander_time_s: float = 3.0 * 3600.0
    wander_smoothing_s: float = 1200.0  # first-order lag on the wander: smooth below ~20 min

    def __post_init__(self) -> None:
        if self.mean_temperature_K <= 0:
            raise ScenarioError(f"mean_temperature_K must be > 0, got {self.mean_temperature_K}")
        for name in ("orbit_amplitude_K", "day_amplitude_K", "wander_sd_K"):
            if getattr(self, name) < 0:
                raise ScenarioError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.orbit_period_s <= 0 or self.wander_time_s <= 0 or self.wander_smoothing_s < 0:
            raise ScenarioError("orbit_period_s and wander_time_s must be > 0, "
                                "wander_smoothing_s >= 0")


def smooth_wander(n: int, dt_s: float, climate: CabinClimate, rng: np.random.Generator) -> F:
    """The OU wander of the gas temperature through a first-order lag [K].

    An OU process is rough at short times (its increments grow as sqrt(Δt)); the cabin's
    air and structure smooth it. The lag (time constant ``wander_smoothing_s``) reduces the
    variance of an OU of correlation time τ₁ by τ₁/(τ₁ + τ₂); the output is scaled back so
    that ``wander_sd_K`` stays its standard deviation.
    """
    x = ou_process(n, dt_s, climate.wander_sd_K, climate.wander_time_s, rng)
    tau2 = climate.wander_smoothing_s
    if tau2 <= 0 or n == 0:
        return x
    a = float(np.exp(-dt_s / tau2))
    y = lfilter([1.0 - a], [1.0, -a], x, zi=[a * x[0]])[0]
    return np.asarray(y * np.sqrt((climate.wander_time_s + tau2) / climate.wander_time_s))


def gas_temperature_K(time_s: F, dt_s: float, climate: CabinClimate,
                      rng: np.random.Generator) -> F:
    """The volume-mean gas temperature on a uniform grid ``time_s`` of step ``dt_s`` [K]:
    the orbital and daily swings at random phases plus the smoothed wander (module doc)."""
    phases = rng.uniform(0.0, 2.0 * np.pi, 2)
    return np.asarray(
        climate.mean_temperature_K
        + climate.orbit_amplitude_K * np.sin(2.0 * np.pi * time_s / climate.orbit_period_s
                                             + phases[0])
        + climate.day_amplitude_K * np.sin(2.0 * np.pi * time_s / DAY_S + phases[1])
        + smooth_wander(time_s.size, dt_s, climate, rng))


@dataclass(frozen=True)
class Consumables:
    """Gas the crew and life support add and remove [kg/day], and scheduled represses.

    Defaults: seven crew at 0.84 kg O2/day each (NASA BVAD, NASA/TP-2015-218570, Table 4.2.2),
    an oxygen generator making 5.4 kg/day (OGA nominal, 12 lbm/day); the crew's CO2 is
    removed as fast as it is made, so it leaves the gas mass unchanged.
    """

    crew: int = 7
    o2_use_kg_per_day_per_crew: float = 0.84
    o2_generation_kg_per_day: float = 5.4
    background_loss_kg_per_day: float = 0.0
    # slow swings of the net gas added: the generator's commanded rate and the crew's
    # activity change over hours (an Ornstein–Uhlenbeck process of the net rate)
    net_wander_sd_kg_per_day: float = 2.5
    net_wander_time_s: float = 8.0 * 3600.0
    repress_interval_s: float = 4.0 * DAY_S
    repress_rate_kg_per_s: float = 0.2 / 60.0
    first_repress_s: float | None = None  # None: a random time within the first interval

    def __post_init__(self) -> None:
        if self.crew < 0:
            raise ScenarioError(f"crew must be >= 0, got {self.crew}")
        if self.repress_interval_s <= 0 or self.repress_rate_kg_per_s <= 0:
            raise ScenarioError("repress_interval_s and repress_rate_kg_per_s must be > 0")
        if self.net_wander_sd_kg_per_day < 0 or self.net_wander_time_s <= 0:
            raise ScenarioError("net_wander_sd_kg_per_day must be >= 0, net_wander_time_s > 0")

    @property
    def net_kg_per_s(self) -> float:
        """Steady net mass added to the cabin gas [kg/s] (negative: a net loss)."""
        day = (self.o2_generation_kg_per_day - self.crew * self.o2_use_kg_per_day_per_crew
               - self.background_loss_kg_per_day)
        return day / DAY_S


@dataclass(frozen=True)
class Repress:
    """One repress: when it ran [s], the mass it added [kg] and the gas."""

    start_s: float
    end_s: float
    mass_kg: float
    gas: str


@dataclass(frozen=True, eq=False)
class CabinTruth:
    """The true cabin state on the truth grid (SI)."""

    time_s: F
    temperature_K: F  # volume-mean gas temperature
    mass_kg: F
    pressure_Pa: F
    leak_kg_per_s: F  # mass flow out through the leak
    injected_kg: F  # cumulative mass added by represses since t = 0
    represses: tuple[Repress, ...]
    volume_m3: float
    leak_cd_area_m2: float
    leak_start_s: float | None


def leak_rate_constant(cd_area_m2: float, volume_m3: float, temperature_K: F | float) -> F:
    """k = Cd·A·Ψ(γ)·sqrt(R·T)/V [1/s] of a choked leak of air to vacuum, Eq. (2)."""
    gamma = float(gamma_mixture(AIR_MASS_FRACTIONS, 295.0))
    psi = float(choked_flux_factor(gamma))
    return np.asarray(cd_area_m2 * psi * np.sqrt(R_AIR * np.asarray(temperature_K)) / volume_m3)


def _linear_recursion(m0: float, a: F, b: F) -> F:
    """m[0] = m0, m[i+1] = a[i]·m[i] + b[i]; returns m[0..len(a)] (closed form, log space)."""
    if a.size == 0:
        return np.array([m0])
    log_a = np.log(np.maximum(a, 1e-300))
    big_l = np.concatenate(([0.0], np.cumsum(log_a)))  # L[n] = Σ_{j<n} log a_j
    big_l = np.maximum(big_l, -700.0)  # a cabin emptied e^700-fold is empty: stay finite
    # m[n] = e^{L[n]}·(m0 + Σ_{j<n} b_j e^{−L[j+1]})
    acc = np.concatenate(([0.0], np.cumsum(b * np.exp(-big_l[1:]))))
    return np.asarray(np.exp(big_l) * (m0 + acc))


def cabin_truth(duration_s: float, *, volume_m3: float, pressure_Pa: float = 101325.0,
                leak_cd_area_m2: float = 0.0, leak_start_s: float | None = None,
                climate: CabinClimate | None = None, consumables: Consumables | None = None,
                rng: np.random.Generator | int | None = 0, dt_s: float = 10.0) -> CabinTruth:
    """The true state of a one-volume cabin over ``duration_s`` on a ``dt_s`` grid.

    Parameters
    ----------
    duration_s : span simulated [s].
    volume_m3 : the cabin's free gas volume [m³] (ISS with hatches open: 916).
    pressure_Pa : the setpoint and starting pressure [Pa] at the mean temperature.
    leak_cd_area_m2 : effective leak area Cd·A [m²] to vacuum; 0 for no leak.
    leak_start_s : when the leak opens [s]; None with a leak: at t = 0.
    climate, consumables : see :class:`CabinClimate` and :class:`Consumables`.
    rng : seed or generator for phases, wander and the first repress time.
    dt_s : truth grid step [s].

    Returns
    -------
    CabinTruth
    """
    for name, value in (("duration_s", duration_s), ("volume_m3", volume_m3),
                        ("pressure_Pa", pressure_Pa), ("dt_s", dt_s)):
        if not value > 0:
            raise ScenarioError(f"{name} must be > 0, got {value}")
    if leak_cd_area_m2 < 0:
        raise ScenarioError(f"leak_cd_area_m2 must be >= 0, got {leak_cd_area_m2}")
    if leak_start_s is not None and leak_start_s < 0:
        raise ScenarioError(f"leak_start_s must be >= 0, got {leak_start_s}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    cl = climate or CabinClimate()
    co = consumables or Consumables()
    n = int(np.ceil(duration_s / dt_s)) + 1
    t = np.asarray(dt_s * np.arange(n), dtype=float)
    temp = gas_temperature_K(t, dt_s, cl, gen)
    m_set = pressure_Pa * volume_m3 / (R_AIR * cl.mean_temperature_K)
    # k and s on each step [i, i+1], taken at the step's start
    k = np.zeros(n - 1)
    if leak_cd_area_m2 > 0:
        start = 0.0 if leak_start_s is None else leak_start_s
        on = t[:-1] >= start
        k[on] = leak_rate_constant(leak_cd_area_m2, volume_m3, temp[:-1][on])
        # the step in which the leak opens: only the open fraction of it
        i0 = int(np.floor(start / dt_s))
        if 0 <= i0 < n - 1 and not on[i0]:
            k[i0] = float(leak_rate_constant(leak_cd_area_m2, volume_m3, temp[i0])) \
                * ((i0 + 1) * dt_s - start) / dt_s
    source = np.full(n - 1, co.net_kg_per_s)
    if co.net_wander_sd_kg_per_day > 0:
        source += ou_process(n - 1, dt_s, co.net_wander_sd_kg_per_day / DAY_S,
                             co.net_wander_time_s, gen)
    x = k * dt_s
    a = np.exp(-x)
    phi = np.where(x > 1e-12, -np.expm1(-x) / np.where(x > 1e-12, x, 1.0), 1.0 - x / 2.0)
    first = (co.first_repress_s if co.first_repress_s is not None
             else float(gen.uniform(0.0, co.repress_interval_s)))
    starts = np.arange(first, duration_s, co.repress_interval_s)
    mass = np.empty(n)
    mass[0] = m_set
    repress_flow = np.zeros(n - 1)
    represses: list[Repress] = []
    done = 0  # mass[0..done] are final
    for j, ts in enumerate(starts):
        i = min(int(np.floor(ts / dt_s)), n - 1)
        seg = slice(done, i)
        b = (source[seg] + repress_flow[seg]) * dt_s * phi[seg]
        mass[done: i + 1] = _linear_recursion(mass[done], a[seg], b)
        done = i
        add = max(0.0, m_set - float(mass[i]))
        if add <= 0.0 or i >= n - 1:
            continue
        steps = max(1, int(np.ceil(add / co.repress_rate_kg_per_s / dt_s)))
        stop = min(i + steps, n - 1)
        repress_flow[i:stop] += add / (steps * dt_s)
        represses.append(Repress(float(t[i]), float(t[i] + steps * dt_s), add,
                                 "N2" if j % 2 == 0 else "O2"))
    seg = slice(done, n - 1)
    b = (source[seg] + repress_flow[seg]) * dt_s * phi[seg]
    mass[done:] = _linear_recursion(mass[done], a[seg], b)
    pressure = mass * R_AIR * temp / volume_m3
    leak = np.concatenate((k, k[-1:])) * mass if n > 1 else np.zeros(n)
    injected = np.concatenate(([0.0], np.cumsum(repress_flow * dt_s)))
    return CabinTruth(t, temp, mass, pressure, leak, injected, tuple(represses), volume_m3,
                      leak_cd_area_m2, leak_start_s if leak_cd_area_m2 > 0 else None)
