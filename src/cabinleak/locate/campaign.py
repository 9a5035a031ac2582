"""Whole localization campaigns played against a simulated leak, and their evaluation.

A campaign follows a policy's recommendations on a station whose leak only the
simulator knows: each test closes the recommended hatches, runs the real network
simulator (:func:`cabinleak.simulate.simulate`) for the recommended hold, reads each
group's pressure change as a gauge would, and updates the posterior, until one volume
reaches the target probability. :func:`evaluate` plays many such campaigns (random
sites and rates) for several policies and tabulates time to localize, accuracy and
calibration.

How a test is simulated
-----------------------
Every test starts from the station's initial state (all modules at their initial
pressure and temperature) with the recommended hatches closed from t = 0, and runs
for the hold. Between tests the crew reopens the hatches, the station equalises and is
repressurised to nominal (as on the ISS, where the repress supplies keep the cabin
near 750–760 mmHg), so starting each test from nominal pressure is closer to the real
campaigns than carrying on the falling state; the difference is the leak's
dependence on the cabin pressure, ṁ ∝ p, a few per cent at most over a campaign.
The simulated station keeps its own leaks but not its crew or gas supplies: the crew's
metabolic exchange in the model (O2 taken, CO2 given off, with no life support to
close the loop) and a running repress would both change a closed group's pressure in
ways eq. (1) of :mod:`.model` leaves out; the model's background leakage (0.1 kg/day)
is not simulated either, so the readings see the leak alone.

A group's reading is the volume-weighted mean pressure of its modules at the end of
the hold minus at the start, with a thermal change p·δT/T and read by two gauge
readings (start and end, each with Gaussian noise ``Sensing.reading_sd_Pa`` and rounded
to ``Sensing.step_Pa``, the start anywhere between two marks). Two worlds: the
idealised one draws δT from N(0, ``Sensing.thermal_sd_K``) per group whatever the
hold; the realistic one (a ``climate``) takes δT from the cabin climate calibrated on
ISS pressure records (orbital and daily swings, a slow wander;
:mod:`cabinleak.simulate.realistic`), independently per group, so the drift grows
with the hold as on the station. The posterior's own error model
(:class:`~cabinleak.locate.model.Sensing`, its drift from the record's Allan
deviation) is not the world's generator: the campaigns test it. Each test costs its hold plus
``SearchContext.setup_s`` (closing and opening hatches, settling, reading).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cabinleak.errors import UnitError
from cabinleak.locate.model import (
    Configuration,
    LocateError,
    Posterior,
    Reading,
    Sensing,
    TestResult,
    cells_of,
    constraints_for,
    prior,
)
from cabinleak.locate.policy import Policy, SearchContext, done, schedule
from cabinleak.locate.sensing import read_change_Pa
from cabinleak.physics import gas
from cabinleak.physics.flow import choked_flux_factor
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA, parse_quantity
from cabinleak.simulate import simulate
from cabinleak.simulate.realistic import CabinClimate, gas_temperature_K
from cabinleak.station import Leak, Station

STATION_RATE_REL_SD = 0.10  # relative 1σ of the whole-station rate measured beforehand
LEAK_CD = 0.6  # discharge coefficient of a simulated hole (sharp-edged orifice)
EVALUATION_RATES_KG_PER_DAY = (0.2, 50.0)
LOG_TESTS = 12  # tests a campaign's str shows (the first and last half of these)


def search_context(station: Station, *, target: float = 0.95,
                   sensing: Sensing | None = None, **kwargs: Any) -> SearchContext:
    """The default search context of a station: its cells under its crew constraints
    (:func:`constraints_for`), and a :class:`Sensing` at the station's mean initial
    pressure [Pa] and temperature [K]. ``kwargs`` go to :class:`SearchContext`."""
    constraints = constraints_for(station)
    cells = cells_of(station, constraints.fixed_open)
    if sensing is None:
        vol = np.array([m.volume_m3 for m in station.modules])
        p = np.array([m.pressure_Pa for m in station.modules])
        t = np.array([m.temperature_K for m in station.modules])
        sensing = Sensing(pressure_Pa=float(vol @ p / vol.sum()),
                          temperature_K=float(vol @ t / vol.sum()))
    return SearchContext(station, cells, constraints, sensing, target=target, **kwargs)


# ---------------------------------------------------------------- leaks


def leak_for_rate(station: Station, module: str, rate_kg_per_s: float, *,
                  discharge_coefficient: float = LEAK_CD) -> Leak:
    """A hole to vacuum in ``module`` that leaks ``rate_kg_per_s`` at the module's
    initial state.

    Parameters
    ----------
    station : The station holding the module.
    module : Module id.
    rate_kg_per_s : Leak rate at the module's initial pressure and temperature [kg/s], > 0.
    discharge_coefficient : Cd of the hole [-] (0.6, a sharp-edged orifice).

    Returns
    -------
    Leak
        An orifice of diameter d with Cd·A = ṁ·sqrt(R·T)/(Ψ·p).

    Notes
    -----
    Choked flow to vacuum, ṁ = Cd·A·p·Ψ/sqrt(R·T), Ψ = sqrt(γ)·(2/(γ+1))^((γ+1)/(2(γ−1)))
    (:func:`cabinleak.physics.flow.choked_flux_factor`), with R and γ of the module's
    gas. The rate falls with the pressure as the module empties.

    Examples
    --------
    >>> from cabinleak.station import load_station
    >>> leak = leak_for_rate(load_station("iss"), "prk", 0.7 / 86400)
    >>> f"{leak.diameter_m * 1e3:.3f} mm"
    '0.269 mm'
    """
    if module not in station.module_ids:
        raise LocateError(f"leak module {module!r} is not in station {station.name!r} "
                          f"(modules: {', '.join(station.module_ids)})")
    if not (math.isfinite(rate_kg_per_s) and rate_kg_per_s > 0):
        raise LocateError(f"leak rate in {module!r} must be > 0 kg/s, got {rate_kg_per_s:g}")
    if not 0.0 < discharge_coefficient <= 1.0:
        raise LocateError(f"discharge coefficient must be in (0, 1], got {discharge_coefficient:g}")
    m = station.module(module)
    if not m.pressure_Pa > 0:
        raise LocateError(f"module {module!r} starts at {m.pressure_Pa:g} Pa: a leak rate "
                          "needs a pressurized module")
    y = m.mass_fractions
    r = float(gas.gas_constant(y))
    psi = float(choked_flux_factor(gas.gamma_mixture(y, m.temperature_K)))
    cd_area = rate_kg_per_s * math.sqrt(r * m.temperature_K) / (psi * m.pressure_Pa)
    diameter = math.sqrt(4.0 * cd_area / discharge_coefficient / math.pi)
    return Leak(module=module, id=f"{module}-leak", diameter_m=diameter,
                discharge_coefficient=discharge_coefficient)


def parse_leak_spec(text: str, station: Station) -> Leak:
    """A leak from ``MODULE:RATE`` (``"prk:0.7kg/day"``) or ``MODULE:HOLE``
    (``"soyuz-om:2mm"``, a round hole of that diameter with Cd 0.6).

    Raises
    ------
    LocateError
        No colon, an unknown module, a value that is neither a mass rate nor a length,
        or a value that is not > 0.
    """
    module, sep, value = str(text).partition(":")
    module, value = module.strip(), value.strip()
    if not sep or not module or not value:
        raise LocateError(f"leak {text!r} must be MODULE:RATE or MODULE:HOLE, e.g. "
                          "'prk:0.7kg/day' or 'soyuz-om:2mm'")
    if module not in station.module_ids:
        raise LocateError(f"leak {text!r} names module {module!r}, which is not in station "
                          f"{station.name!r} (modules: {', '.join(station.module_ids)})")
    kind, amount = _rate_or_hole(text, value)
    if not amount > 0:
        raise LocateError(f"leak {text!r}: {kind} must be > 0, got {value!r}")
    if kind == "hole diameter":
        return Leak(module=module, id=f"{module}-leak", diameter_m=amount,
                    discharge_coefficient=LEAK_CD)
    return leak_for_rate(station, module, amount)


def _rate_or_hole(text: str, value: str) -> tuple[str, float]:
    """("leak rate", kg/s) or ("hole diameter", m) from the value of a leak spec."""
    try:
        return "leak rate", parse_quantity(value, "mass_rate")
    except UnitError:
        pass
    try:
        return "hole diameter", parse_quantity(value, "length")
    except UnitError:
        raise LocateError(f"leak {text!r}: {value!r} is neither a leak rate such as "
                          "'0.7kg/day' nor a hole diameter such as '1.5mm'") from None


# ---------------------------------------------------------------- one test


def _test_station(station: Station) -> Station:
    """The station as tests simulate it: no crew, no supplies (see the module docstring)."""
    return station.replace(crew=(), supplies=())


def _with_closed(station: Station, closed: frozenset[str]) -> Station:
    return station.replace(hatches=tuple(dataclasses.replace(h, open=h.id not in closed)
                                         for h in station.hatches))


def simulate_test(station: Station, leak: Leak, config: Configuration, duration_s: float,
                  ctx: SearchContext, rng: np.random.Generator,
                  climate: CabinClimate | None = None) -> tuple[Reading, ...]:
    """Simulate one hatch-closure test and read each group's pressure change.

    Parameters
    ----------
    station : The station as tests see it (:func:`_test_station`).
    leak : The hidden leak.
    config : Hatches closed and the groups they leave.
    duration_s : Hold [s], > 0.
    ctx : Search context (cells and sensing).
    rng : Source of the reading and thermal errors.
    climate : None: the idealised world, an unseen temperature change drawn from
        N(0, ``Sensing.thermal_sd_K``) per group. A climate: the realistic world, each
        group's gas temperature follows the calibrated swings and wander of
        :func:`cabinleak.simulate.realistic.gas_temperature_K` over the hold
        (independently per group).

    Returns
    -------
    tuple of Reading
        One per group: volume-weighted mean pressure change of the group [Pa] with the
        thermal change, read by two gauge readings of the sensing's noise and step
        (module docstring).
    """
    res = simulate(_with_closed(station, config.closed), duration_s, leaks=[leak], n_out=2)
    index = {m: i for i, m in enumerate(res.module_ids)}
    sens = ctx.sensing
    out = []
    for g, members in enumerate(config.groups):
        cols = [index[m] for c in members for m in ctx.cells[c].modules]
        vol = res.volume_m3[cols]
        p0, p1 = (float(res.pressure_Pa[k, cols] @ vol / vol.sum()) for k in (0, -1))
        t1 = float(res.temperature_K[-1, cols] @ vol / vol.sum())
        if climate is not None:
            p1 += p1 * thermal_change_K(duration_s, climate, rng) / t1
            out.append(Reading(g, read_change_Pa(p0, p1, sens.step_Pa, sens.reading_sd_Pa,
                                                 rng)))
            continue
        gauge = rng.normal(0.0, sens.reading_sd_Pa, 2) if sens.reading_sd_Pa > 0 else (0, 0)
        thermal = p1 * rng.normal(0.0, sens.thermal_sd_K) / t1 if sens.thermal_sd_K > 0 else 0
        dp = p1 - p0 + float(gauge[1] - gauge[0]) + float(thermal)
        if sens.step_Pa > 0:  # the same change read by gauges of that step
            dp = read_change_Pa(p0, p0 + dp, sens.step_Pa, 0.0, rng)
        out.append(Reading(g, dp))
    return tuple(out)


def thermal_change_K(duration_s: float, climate: CabinClimate, rng: np.random.Generator,
                     dt_s: float = 10.0) -> float:
    """The change of a closed group's gas temperature over a hold in the realistic world
    [K]: the calibrated cabin climate (orbital and daily swings at random phases, the
    smoothed wander) sampled over the hold."""
    n = max(2, math.ceil(duration_s / dt_s) + 1)
    t = np.linspace(0.0, duration_s, n)
    temp = gas_temperature_K(t, float(t[1] - t[0]), climate, rng)
    return float(temp[-1] - temp[0])


def station_rate_kg_per_s(station: Station, leak: Leak) -> float:
    """The whole-station leak rate with every hatch open, at the initial state [kg/s]."""
    st = station.replace(hatches=tuple(dataclasses.replace(h, open=True)
                                       for h in station.hatches))
    res = simulate(st, 60.0, leaks=[leak], n_out=2)
    return float(res.vented_kg_per_s[0])


# ---------------------------------------------------------------- campaigns


@dataclass(frozen=True)
class CampaignTest:
    """One test of a campaign: what was closed, for how long, what the gauges read."""

    closed: tuple[str, ...]
    duration_h: float
    groups: tuple[tuple[str, ...], ...]  # the modules of each group
    readings_mmHg: tuple[float, ...]  # pressure change of each group [mmHg]
    best: str  # the posterior's most probable volume after the test
    confidence: float  # its probability

    def __str__(self) -> str:
        # a campaign log line per test: big groups shortened (to_dict lists every module)
        reads = ", ".join(f"{_short(mods)} {dp:+.2f}" for mods, dp in
                          zip(self.groups, self.readings_mmHg, strict=True))
        closed = ", ".join(self.closed) or "no hatch"
        return (f"close {closed} for {self.duration_h:.2f} h: {reads} mmHg "
                f"-> {self.best} {self.confidence:.1%}")

    def to_dict(self) -> dict[str, Any]:
        return {"closed": list(self.closed), "duration_h": self.duration_h,
                "groups": [list(g) for g in self.groups],
                "readings_mmHg": {"+".join(g): dp for g, dp in
                                  zip(self.groups, self.readings_mmHg, strict=True)},
                "best": self.best, "confidence": self.confidence}


def _short(modules: Sequence[str]) -> str:
    """A group in a campaign log: its modules, or the first and how many more."""
    if len(modules) <= 3:
        return "+".join(modules)
    return f"{modules[0]} and {len(modules) - 1} more"


@dataclass(frozen=True)
class Campaign:
    """A localization campaign against one simulated leak."""

    policy: str
    station: str
    leak: str  # the hidden leak, described
    true_cell: str
    true_rate_kg_per_day: float  # whole-station rate at the start
    measured_rate_kg_per_day: float | None  # what the crew measured first (None: not)
    found: str  # the most probable volume at the end, or "none"
    confidence: float
    target: float
    elapsed_h: float  # holds plus setup of every test [h]
    stopped: str  # why the campaign ended
    tests: tuple[CampaignTest, ...]

    @property
    def correct(self) -> bool:
        return self.found == self.true_cell

    @property
    def confident(self) -> bool:
        """Whether the campaign ended with one volume at the target probability."""
        return self.confidence >= self.target

    def __str__(self) -> str:
        measured = ("" if self.measured_rate_kg_per_day is None else
                    f", measured {self.measured_rate_kg_per_day:.2f} kg/day")
        lines = [f"{self.policy} on {self.station}: hidden {self.leak} in {self.true_cell} "
                 f"({self.true_rate_kg_per_day:.2f} kg/day{measured})"]
        shown: list[tuple[int, CampaignTest | None]] = list(enumerate(self.tests, 1))
        if len(shown) > LOG_TESTS:  # a short log: the first and last tests
            half = LOG_TESTS // 2
            shown = [*shown[:half], (0, None), *shown[-half:]]
        for i, t in shown:
            lines.append(f"  {i:>3}. {t}" if t is not None
                         else f"       ... {len(self.tests) - 2 * (LOG_TESTS // 2)} more tests")
        verdict = "right" if self.correct else "wrong"
        lines.append(f"found {self.found} at {self.confidence:.1%} after {len(self.tests)} "
                     f"tests, {self.elapsed_h:.1f} h ({self.stopped}; {verdict})")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"found": self.found, "confidence": self.confidence,
                "elapsed_h": self.elapsed_h, "correct": self.correct,
                "true_cell": self.true_cell, "policy": self.policy, "station": self.station,
                "leak": self.leak, "true_rate_kg_per_day": self.true_rate_kg_per_day,
                "measured_rate_kg_per_day": self.measured_rate_kg_per_day,
                "target": self.target, "stopped": self.stopped,
                "tests": [t.to_dict() for t in self.tests]}


def run_campaign(station: Station, leak: Leak, policy: Policy, *, ctx: SearchContext,
                 prior_posterior: Posterior | None = None,
                 rng: np.random.Generator | int | None = 0, max_hours: float = 24 * 30,
                 measure_station_rate: bool = True,
                 climate: CabinClimate | None = None) -> Campaign:
    """Play a whole campaign of ``policy`` against ``leak`` with the simulator.

    Parameters
    ----------
    station : The station (its hatch states are overridden by each test).
    leak : The hidden leak (:func:`leak_for_rate`, :func:`parse_leak_spec`).
    policy : Chooses each test (:class:`~cabinleak.locate.policy.Policy`).
    ctx : Cells, constraints, sensing, target and setup time.
    prior_posterior : Start from this posterior; by default a uniform prior over the
        cells, with the rate prior set by the station-rate measurement.
    rng : Seed or generator of the measurement and reading errors.
    max_hours : Stop once the campaign has taken this long [h].
    measure_station_rate : Without ``prior_posterior``: first measure the whole-station
        rate with every hatch open (the simulator's rate with a 10 % log-normal error)
        and centre the rate prior on it; else a log-uniform rate prior. The measurement
        uses telemetry the station already has and is not counted in the elapsed time.
    climate : The world the readings come from (:func:`simulate_test`): None, the
        idealised one; a :class:`~cabinleak.simulate.realistic.CabinClimate`, the
        realistic one (``CabinClimate()`` is calibrated on ISS records).

    Returns
    -------
    Campaign
        The found volume, its probability, the elapsed time and every test.
    """
    if leak.module not in station.module_ids:
        raise LocateError(f"leak module {leak.module!r} is not in station {station.name!r} "
                          f"(modules: {', '.join(station.module_ids)})")
    if not max_hours > 0:
        raise LocateError(f"max_hours must be > 0 h, got {max_hours:g}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    sim_station = _test_station(station)
    true_rate = station_rate_kg_per_s(sim_station, leak) * DAY_S
    measured: float | None = None
    post = prior_posterior
    if post is None:
        rate_prior = None
        if measure_station_rate:
            sigma = math.log1p(STATION_RATE_REL_SD)
            measured = true_rate * math.exp(gen.normal(0.0, sigma))
            rate_prior = (measured, STATION_RATE_REL_SD)
        post = prior(ctx.cells, station_rate_kg_per_day=rate_prior)
    true_cell = next(c.id for c in ctx.cells if leak.module in c.modules)
    elapsed = 0.0
    tests: list[CampaignTest] = []
    stopped = "target reached"
    while not done(post, ctx.target):
        if elapsed >= max_hours * HOUR_S:
            stopped = f"time limit of {max_hours:g} h"
            break
        wait, room = schedule(elapsed, ctx)  # tests only in the allowed hours
        elapsed += wait
        rec = policy.next_test(post, replace(ctx, hold_limit_s=max(room - ctx.setup_s, 0.0)))
        if rec is None:
            stopped = f"{policy.name} has no test left"
            break
        if not (math.isfinite(rec.duration_s) and rec.duration_s > 0):
            raise LocateError(f"policy {policy.name!r} asked for a hold of "
                              f"{rec.duration_s:g} s; it must be > 0")
        readings = simulate_test(sim_station, leak, rec.config, rec.duration_s, ctx, gen,
                                 climate)
        post = post.update(TestResult(rec.config, rec.duration_s, readings), ctx.sensing)
        elapsed += rec.duration_s + ctx.setup_s
        best, conf = post.best()
        tests.append(CampaignTest(
            closed=tuple(sorted(rec.config.closed)), duration_h=rec.duration_s / HOUR_S,
            groups=tuple(rec.config.modules(ctx.cells, g)
                         for g in range(len(rec.config.groups))),
            readings_mmHg=tuple(r.dp_Pa / MMHG_PA for r in readings),
            best=best, confidence=conf))
    found, conf = post.best()
    return Campaign(policy=policy.name, station=station.name, leak=leak.describe(),
                    true_cell=true_cell, true_rate_kg_per_day=true_rate,
                    measured_rate_kg_per_day=measured, found=found, confidence=conf,
                    target=ctx.target, elapsed_h=elapsed / HOUR_S, stopped=stopped,
                    tests=tuple(tests))


# ---------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class LeakCase:
    """One evaluation scenario: where the hidden leak is and how fast it leaks."""

    module: str
    cell: str
    rate_kg_per_day: float


@dataclass(frozen=True)
class PolicyStats:
    """How one policy did over the evaluation's scenarios."""

    policy: str
    campaigns: int
    mean_h: float  # mean elapsed time [h] (campaigns cut off by the limit count as run)
    median_h: float
    reached: float  # share of campaigns that reached the target
    correct: float  # share of campaigns whose final best volume is the leak's
    mean_tests: float
    right_when_confident: float  # among those that reached the target, share right (NaN: none)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Evaluation:
    """Policies compared on the same simulated leaks."""

    station: str
    target: float
    rates_kg_per_day: tuple[float, float]  # range the leak rates were drawn from
    cases: tuple[LeakCase, ...]
    campaigns: tuple[tuple[Campaign, ...], ...]  # [policy][case]
    stats: tuple[PolicyStats, ...]

    @property
    def calibration(self) -> float:
        """Among all campaigns that ended at the target or above, the share that were
        right (NaN if none did)."""
        sure = [c for row in self.campaigns for c in row if c.confident]
        return float(np.mean([c.correct for c in sure])) if sure else float("nan")

    def __str__(self) -> str:
        lo, hi = self.rates_kg_per_day
        rates = f"rate {lo:g} kg/day" if lo == hi else f"rates {lo:g}-{hi:g} kg/day (log-uniform)"
        head = (f"{self.station}: {len(self.cases)} simulated leaks, random sites, {rates}; "
                f"time to {self.target:.0%} on one volume")
        lines = [head,
                 f"{'policy':<18}{'mean h':>9}{'median h':>10}{'reached':>9}{'correct':>9}"
                 f"{'tests':>8}{'right at target':>17}"]
        for s in self.stats:
            right = ("-" if math.isnan(s.right_when_confident)
                     else f"{s.right_when_confident:.1%}")
            lines.append(f"{s.policy:<18}{s.mean_h:>9.1f}{s.median_h:>10.1f}{s.reached:>9.0%}"
                         f"{s.correct:>9.0%}{s.mean_tests:>8.1f}{right:>17}")
        if math.isnan(self.calibration):
            lines.append(f"calibration: no campaign reached {self.target:.0%}")
        else:
            lines.append(f"calibration: {self.calibration:.1%} of campaigns that reached "
                         f"{self.target:.0%} named the right volume")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"station": self.station, "target": self.target,
                "rates_kg_per_day": list(self.rates_kg_per_day),
                "calibration": self.calibration,
                "cases": [dataclasses.asdict(c) for c in self.cases],
                "policies": [s.to_dict() for s in self.stats],
                "campaigns": {s.policy: [c.to_dict() for c in row]
                              for s, row in zip(self.stats, self.campaigns, strict=True)}}


def _stats(name: str, runs: Sequence[Campaign]) -> PolicyStats:
    hours = np.array([c.elapsed_h for c in runs])
    sure = [c.correct for c in runs if c.confident]
    return PolicyStats(
        policy=name, campaigns=len(runs), mean_h=float(hours.mean()),
        median_h=float(np.median(hours)),
        reached=float(np.mean([c.confident for c in runs])),
        correct=float(np.mean([c.correct for c in runs])),
        mean_tests=float(np.mean([len(c.tests) for c in runs])),
        right_when_confident=float(np.mean(sure)) if sure else float("nan"))


def random_cases(station: Station, ctx: SearchContext, n_sites: int, *,
                 rates_kg_per_day: tuple[float, float] = EVALUATION_RATES_KG_PER_DAY,
                 seed: int = 0) -> tuple[LeakCase, ...]:
    """Leak sites uniform over the cells (then over a cell's modules), rates log-uniform
    over ``rates_kg_per_day`` [kg/day]."""
    lo, hi = rates_kg_per_day
    if not (0 < lo <= hi and math.isfinite(hi)):
        raise LocateError(f"evaluation rates must satisfy 0 < low <= high, got {lo:g}-{hi:g}"
                          " kg/day")
    if n_sites < 1:
        raise LocateError(f"evaluation needs at least 1 leak site, got {n_sites}")
    gen = np.random.default_rng(seed)
    cases = []
    for _ in range(n_sites):
        cell = ctx.cells[int(gen.integers(len(ctx.cells)))]
        module = cell.modules[int(gen.integers(len(cell.modules)))]
        rate = float(math.exp(gen.uniform(math.log(lo), math.log(hi))))
        cases.append(LeakCase(module, cell.id, rate))
    return tuple(cases)


def evaluate(station: Station, policies: Sequence[Policy], *,
             rates_kg_per_day: tuple[float, float] = EVALUATION_RATES_KG_PER_DAY,
             n_sites: int = 40, seed: int = 0, ctx: SearchContext | None = None,
             max_hours: float = 24 * 30, climate: CabinClimate | None = None) -> Evaluation:
    """Run every policy against the same random leaks (:func:`random_cases`).

    Each case's campaign uses the same seed for every policy, so that the station-rate
    measurement is the same; the reading errors follow each policy's own tests.
    ``climate`` chooses the world (:func:`run_campaign`).
    """
    if not policies:
        raise LocateError("evaluate needs at least one policy")
    ctx = ctx or search_context(station)
    cases = random_cases(station, ctx, n_sites, rates_kg_per_day=rates_kg_per_day, seed=seed)
    seeds = np.random.SeedSequence(seed).generate_state(len(cases))
    rows = []
    for policy in policies:
        row = tuple(run_campaign(station, leak_for_rate(station, case.module,
                                                        case.rate_kg_per_day / DAY_S),
                                 policy, ctx=ctx, rng=int(s), max_hours=max_hours,
                                 climate=climate)
                    for case, s in zip(cases, seeds, strict=True))
        rows.append(row)
    stats = tuple(_stats(p.name, row) for p, row in zip(policies, rows, strict=True))
    return Evaluation(station.name, ctx.target, (float(rates_kg_per_day[0]),
                      float(rates_kg_per_day[1])), cases, tuple(rows), stats)
