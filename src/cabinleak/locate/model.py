"""Where the leak can be, what a hatch-closure test does, and what its readings say.

A **cell** is the smallest volume a test can isolate: modules joined by hatches that
cannot be closed. The leak is in one cell (with an unknown rate) or in none (only the
normal background leakage). A **configuration** closes some hatches and splits the
station into groups of cells; held for a duration, each group's pressure falls at

    Δp_g = −(q·[leak in g] + b·V_g/V) · R·T·D / V_g                          (1)

(the isothermal mass balance of an isolated volume, the closed form of the simulator
for a slow leak: q the leak's rate, b the station's background leakage shared by
volume). A reading of Δp_g carries the gauge's error (two readings rounded to its
step r: a triangle of variance r²/6, and their noise), the drift of the group's
pressure over the hold (thermal swings and more, by hold length) or, in the idealised
model, an unseen temperature change of fixed size (p·σ_T/T), and the background's own
uncertainty (:mod:`.sensing`). The Bayesian update multiplies the posterior over
(cell, rate) by the likelihood of each group's reading;
the rate stays unknown and is carried on a log-spaced grid, so the cell posterior is
marginalised over it (Stone, *Theory of Optimal Search*, the multi-cell case).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import CabinleakError
from cabinleak.locate.sensing import (
    CALIBRATED_DRIFT,
    FEED_NOISE_SD_PA,
    FEED_STEP_PA,
    DriftModel,
    reading_log_density,
)
from cabinleak.physics.gas import R_AIR
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA
from cabinleak.station import Station

F = NDArray[np.float64]
NONE = "none"  # the hypothesis "no leak beyond the background"
# Rate grid of the unknown leak: log-uniform prior from 0.05 to 200 kg/day.
RATE_GRID_KG_PER_DAY = tuple(float(x) for x in np.geomspace(0.05, 200.0, 49))
# Cabin temperature drift over one test that no one sees (1σ) [K]; the 2020 campaign
# saw a swing make the leak look five times larger.
THERMAL_SD_K = 0.1
BACKGROUND_KG_PER_DAY = 0.1  # normal leakage of the whole station, 1σ the same again


class LocateError(CabinleakError):
    """A localization request is invalid (unknown name, a configuration not allowed)."""


@dataclass(frozen=True)
class Cell:
    """The smallest volume a test can isolate."""

    id: str
    modules: tuple[str, ...]
    volume_m3: float


def cells_of(station: Station, fixed_open: Iterable[str] = ()) -> tuple[Cell, ...]:
    """Cells: modules joined by the hatches in ``fixed_open`` (which cannot be closed)."""
    fixed = set(fixed_open)
    for h in fixed:
        station.hatch(h)  # raises with the known hatches
    states = {h.id: h.id in fixed for h in station.hatches}
    out = []
    for mods in station.isolated_volumes(states):
        vol = sum(station.module(m).volume_m3 for m in mods)
        out.append(Cell("+".join(mods), tuple(mods), vol))
    return tuple(out)


@dataclass(frozen=True)
class Configuration:
    """Hatches closed for a test, and the groups of cells they leave."""

    closed: frozenset[str]
    groups: tuple[tuple[int, ...], ...]  # cell indices per group
    volumes_m3: tuple[float, ...]

    def modules(self, cells: Sequence[Cell], g: int) -> tuple[str, ...]:
        """The modules of group ``g``, in cell order."""
        return tuple(m for c in self.groups[g] for m in cells[c].modules)

    def label(self, cells: Sequence[Cell], g: int) -> str:
        """Group ``g`` named by every module in it, e.g. 'rassvet+soyuz-om+soyuz-dm': what
        the crew reads off the gauges of."""
        return "+".join(self.modules(cells, g))

    def describe(self, cells: Sequence[Cell]) -> str:
        closed = ", ".join(sorted(self.closed)) or "none"
        return f"close {closed} ({len(self.groups)} groups)"


def configure(station: Station, cells: Sequence[Cell], closed: Iterable[str]) -> Configuration:
    """The groups of cells that closing ``closed`` (hatch ids) leaves."""
    shut = frozenset(closed)
    for h in shut:
        station.hatch(h)
    states = {h.id: h.id not in shut for h in station.hatches}
    where = {m: i for i, c in enumerate(cells) for m in c.modules}
    groups = []
    for mods in station.isolated_volumes(states):
        idx = tuple(sorted({where[m] for m in mods}))
        groups.append(idx)
    vols = tuple(sum(cells[i].volume_m3 for i in g) for g in groups)
    return Configuration(shut, tuple(groups), vols)


@dataclass(frozen=True)
class Constraints:
    """What the crew needs while a test runs, and what the hatches allow.

    ``lifeboats`` and ``life_support`` are module ids: some group must hold at least
    one of each (the crew waits there). ``fixed_open`` hatches are never closed.
    A closed hatch must open again: see :func:`max_duration_s` (half the time to drop
    1 mmHg, and never past ``max_dp_Pa``).
    """

    lifeboats: tuple[str, ...] = ()
    life_support: tuple[str, ...] = ()
    fixed_open: tuple[str, ...] = ()
    max_dp_Pa: float = 50.0 * MMHG_PA

    def allows(self, config: Configuration, cells: Sequence[Cell]) -> str | None:
        """None if the configuration is allowed, else the reason it is not."""
        bad = config.closed & set(self.fixed_open)
        if bad:
            return f"hatch {', '.join(sorted(bad))} cannot be closed"
        if not self.lifeboats or not self.life_support:
            return None
        for g in config.groups:
            mods = {m for c in g for m in cells[c].modules}
            if mods & set(self.lifeboats) and mods & set(self.life_support):
                return None
        return ("no group keeps a lifeboat (" + ", ".join(self.lifeboats) + ") together with "
                "life support (" + ", ".join(self.life_support) + ")")


ISS_CONSTRAINTS = Constraints(lifeboats=("soyuz-dm", "pma-2"),
                              life_support=("zvezda", "destiny", "tranquility"))


def constraints_for(station: Station) -> Constraints:
    """Default crew constraints for a bundled station (none for unknown ones)."""
    if station.name == "iss":
        return ISS_CONSTRAINTS
    return Constraints()


@dataclass(frozen=True)
class Sensing:
    """How a group's pressure change is read (:mod:`.sensing` for the error model).

    ``reading_sd_Pa`` is the 1σ white noise of one reading; the change between two
    readings has √2 times that. ``step_Pa`` is the gauge's step (0: unquantised): the
    likelihood then uses the exact triangle of two rounded readings. ``drift`` is the
    group's pressure drift over the hold by hold length (None: none beyond
    ``thermal_sd_K``, an unseen temperature change of fixed 1σ whatever the hold, the
    idealised model). :func:`realistic_sensing` is the calibrated one.
    """

    reading_sd_Pa: float = 0.05 * MMHG_PA
    thermal_sd_K: float = THERMAL_SD_K
    background_kg_per_s: float = BACKGROUND_KG_PER_DAY / DAY_S
    background_sd_kg_per_s: float = BACKGROUND_KG_PER_DAY / DAY_S
    temperature_K: float = 295.0
    pressure_Pa: float = 101325.0
    gas_constant: float = R_AIR
    step_Pa: float = 0.0
    drift: DriftModel | None = None

    def __post_init__(self) -> None:
        for name in ("reading_sd_Pa", "thermal_sd_K", "step_Pa"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise LocateError(f"sensing {name} must be finite and >= 0, got {value:g}")

    def dp_per_rate(self, volume_m3: float, duration_s: float) -> float:
        """Pressure change of a group per unit outflow over the test [Pa per kg/s]."""
        return -self.gas_constant * self.temperature_K * duration_s / volume_m3

    def continuous_sd(self, volume_m3: float, total_m3: float, duration_s: float) -> float:
        """1σ of a group's reading of Δp that no hypothesis explains, less the gauge's
        rounding [Pa]: reading noise, temperature, drift over the hold, background."""
        read = math.sqrt(2.0) * self.reading_sd_Pa
        thermal = self.pressure_Pa * self.thermal_sd_K / self.temperature_K
        drift = self.drift.sd_Pa(duration_s) if self.drift is not None else 0.0
        bg = abs(self.dp_per_rate(volume_m3, duration_s)) * self.background_sd_kg_per_s \
            * volume_m3 / total_m3
        return math.sqrt(read**2 + thermal**2 + drift**2 + bg**2)

    def noise_sd(self, volume_m3: float, total_m3: float, duration_s: float) -> float:
        """1σ of a group's reading of Δp that no hypothesis explains [Pa]: the continuous
        errors and the gauge's rounding of two readings (variance r²/6)."""
        cont = self.continuous_sd(volume_m3, total_m3, duration_s)
        return math.sqrt(cont**2 + self.step_Pa**2 / 6.0)

    def describe(self) -> str:
        """One line: the gauges and the drift assumed."""
        gauge = (f"gauges read to {self.step_Pa / MMHG_PA:.3g} mmHg" if self.step_Pa > 0
                 else "unquantised gauges")
        noise = f", noise {self.reading_sd_Pa / MMHG_PA:.2g} mmHg"
        drift = (f"; {self.drift.describe()}" if self.drift is not None else
                 f"; an unseen temperature change of {self.thermal_sd_K:g} K 1σ per test")
        return gauge + noise + drift


def realistic_sensing(*, step_Pa: float = FEED_STEP_PA, drift: DriftModel | None = None,
                      reading_sd_Pa: float = FEED_NOISE_SD_PA, pressure_Pa: float = 101325.0,
                      temperature_K: float = 295.0) -> Sensing:
    """The calibrated sensing: gauges of ``step_Pa`` (default the public feed's 0.101
    mmHg; :data:`~.sensing.HAND_GAUGE_STEP_PA` for a dial read by hand), the feed's white
    noise, and the drift measured on the ISS record (:data:`~.sensing.CALIBRATED_DRIFT`)
    in place of the idealised fixed temperature error."""
    return Sensing(reading_sd_Pa=reading_sd_Pa, thermal_sd_K=0.0, temperature_K=temperature_K,
                   pressure_Pa=pressure_Pa, step_Pa=step_Pa,
                   drift=CALIBRATED_DRIFT if drift is None else drift)


@dataclass(frozen=True)
class Reading:
    """One group's pressure change over a test [Pa] (end minus start)."""

    group: int
    dp_Pa: float


@dataclass(frozen=True)
class TestResult:
    """A configuration held for a duration, and what each group read."""

    config: Configuration
    duration_s: float
    readings: tuple[Reading, ...]


def log_likelihood(config: Configuration, duration_s: float, readings: Sequence[Reading],
                   rates: F, n_cells: int, sensing: Sensing) -> tuple[F, float]:
    """log p(readings | leak in cell c at rate q) [n_cells, n_rates] and for "none".

    Equation (1) in each group; the reading's density is that of two gauge readings of
    the sensing's step with Gaussian errors (:func:`.sensing.reading_log_density`; the
    plain Gaussian without a step).
    """
    total = sum(config.volumes_m3)
    ll = np.zeros((n_cells, rates.size))
    ll_none = 0.0
    for r in readings:
        v = config.volumes_m3[r.group]
        k = sensing.dp_per_rate(v, duration_s)
        sd = sensing.continuous_sd(v, total, duration_s)
        base = k * sensing.background_kg_per_s * v / total
        term0 = float(reading_log_density(r.dp_Pa, base, sd, sensing.step_Pa))
        ll_none += term0
        ll += term0
        # the leak is in this group
        term = reading_log_density(r.dp_Pa, base + k * rates, sd, sensing.step_Pa)
        for c in config.groups[r.group]:
            ll[c] += term - term0
    return ll, ll_none


@dataclass(frozen=True, eq=False)
class Posterior:
    """Probability over (cell, rate), and of no leak."""

    cells: tuple[Cell, ...]
    rates_kg_per_s: F
    p: F  # [n_cells, n_rates], sums with p_none to 1
    p_none: float
    history: tuple[TestResult, ...] = field(default=())

    @property
    def cell_probabilities(self) -> F:
        return np.asarray(self.p.sum(axis=1))

    def best(self) -> tuple[str, float]:
        probs = self.cell_probabilities
        i = int(np.argmax(probs))
        if self.p_none > probs[i]:
            return NONE, self.p_none
        return self.cells[i].id, float(probs[i])

    def rate_interval(self, cell: int | None = None) -> tuple[float, float, float]:
        """Median and 95 % interval of the leak rate [kg/s] (given a cell, or overall)."""
        w = self.p[cell] if cell is not None else self.p.sum(axis=0)
        w = w / max(w.sum(), 1e-300)
        cdf = np.cumsum(w)
        q = [float(np.interp(x, cdf, self.rates_kg_per_s)) for x in (0.025, 0.5, 0.975)]
        return q[1], q[0], q[2]

    def update(self, result: TestResult, sensing: Sensing) -> Posterior:
        ll, ll_none = log_likelihood(result.config, result.duration_s, result.readings,
                                     self.rates_kg_per_s, len(self.cells), sensing)
        top = max(float(ll.max()), ll_none)
        post = self.p * np.exp(ll - top)
        none = self.p_none * math.exp(ll_none - top)
        z = post.sum() + none
        return Posterior(self.cells, self.rates_kg_per_s, post / z, none / z,
                         (*self.history, result))

    def entropy(self) -> float:
        probs = np.append(self.cell_probabilities, self.p_none)
        probs = probs[probs > 0]
        return float(-(probs * np.log(probs)).sum())

    def __str__(self) -> str:
        probs = self.cell_probabilities
        order = np.argsort(-probs)
        lines = [f"{'volume':<28}{'P(leak here)':>13}"]
        for i in order[: min(8, len(order))]:
            lines.append(f"{self.cells[i].id[:27]:<28}{probs[i]:>12.1%}")
        if len(order) > 8:
            more = f"({len(order) - 8} more)"
            lines.append(f"{more:<28}{probs[order[8:]].sum():>12.1%}")
        lines.append(f"{'no leak (background only)':<28}{self.p_none:>12.1%}")
        return "\n".join(lines)


def prior(cells: Sequence[Cell], *, weights: Mapping[str, float] | None = None,
          p_none: float = 0.02, rates_kg_per_day: Sequence[float] = RATE_GRID_KG_PER_DAY,
          station_rate_kg_per_day: tuple[float, float] | None = None) -> Posterior:
    """Uniform over cells (or by ``weights``: module or cell id → weight), and over rates.

    The rate prior is log-uniform on the grid, or, with ``station_rate_kg_per_day`` =
    (rate, relative 1σ) measured with every hatch open (``cabinleak analyze``), a
    log-normal about it (less the background).
    """
    w = np.ones(len(cells))
    if weights:
        known = {c.id for c in cells} | {m for c in cells for m in c.modules}
        for key in weights:
            if key not in known:
                raise LocateError(f"prior names {key!r}, which is not a module or volume "
                                  f"(volumes: {', '.join(c.id for c in cells)})")
            if not weights[key] >= 0:
                raise LocateError(f"prior weight of {key!r} must be >= 0, got {weights[key]}")
        w = np.array([sum(weights.get(m, 0.0) for m in c.modules) + weights.get(c.id, 0.0)
                      for c in cells])
        if w.sum() <= 0:
            raise LocateError("prior weights are all zero")
    rates = np.asarray(rates_kg_per_day, dtype=float) / DAY_S
    rate_w = np.full(rates.size, 1.0)
    if station_rate_kg_per_day is not None:
        value, rel = station_rate_kg_per_day
        if not (value > 0 and rel > 0):
            raise LocateError(f"station leak rate must be > 0 with a relative error > 0, "
                              f"got {value} kg/day ± {rel:.0%}")
        sigma = math.log1p(rel)
        rate_w = np.exp(-0.5 * (np.log(rates * DAY_S / value) / sigma) ** 2)
        if rate_w.sum() < 1e-12:
            raise LocateError(f"station leak rate {value:g} kg/day is outside the rate grid "
                              f"({rates_kg_per_day[0]:g}-{rates_kg_per_day[-1]:g} kg/day)")
    rate_w = rate_w / rate_w.sum()
    p = (w / w.sum())[:, None] * rate_w[None, :] * (1 - p_none)
    return Posterior(tuple(cells), rates, p, p_none)


def expected_dp_Pa(config: Configuration, group: int, rate_kg_per_s: float,
                   duration_s: float, sensing: Sensing) -> float:
    """Pressure change of a group with a leak of the given rate in it [Pa] (negative)."""
    return sensing.dp_per_rate(config.volumes_m3[group], duration_s) * rate_kg_per_s


def max_duration_s(config: Configuration, posterior: Posterior, constraints: Constraints,
                   sensing: Sensing, hours: float = 24.0) -> float:
    """The longest the configuration may be held before a closed hatch is hard to reopen.

    Two limits. The crews' rule of thumb: half the time the crew's side (the largest
    group) takes to drop 1 mmHg at the posterior's median leak rate, so that the
    station is never far below where it started. And never more than ``max_dp_Pa``
    across a closed hatch, at the posterior's 95 % upper rate in the smaller group
    (pressure-equalisation valves reopen a hatch below that). Both follow eq. (1).
    """
    if len(config.groups) < 2:
        return hours * HOUR_S
    probs = posterior.cell_probabilities
    median, _, q_hi = posterior.rate_interval()
    biggest = int(np.argmax(config.volumes_m3))
    crew_side = abs(sensing.dp_per_rate(config.volumes_m3[biggest], 1.0)) * median
    worst = min(hours * HOUR_S, 0.5 * MMHG_PA / max(crew_side, 1e-30))
    for g, cells in enumerate(config.groups):
        if g == biggest or probs[list(cells)].sum() < 1e-3:
            continue
        per_rate = abs(sensing.dp_per_rate(config.volumes_m3[g], 1.0))
        worst = min(worst, constraints.max_dp_Pa / max(per_rate * q_hi, 1e-30))
    return float(worst)
