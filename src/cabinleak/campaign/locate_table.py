"""Time to locate a leak, looked up instead of played per scenario.

Playing the localization search per scenario costs about 0.5 s with the planner on the
ISS (24 cells; ``locate.optimal.play_synthetic``), a thousand times the rest of a
scenario. The search's time depends on where the leak is and how fast it leaks (the
holds shorten as the rate grows), so the campaign plays it once per (policy, leak
cell, rate on a log grid, replicate) before the scenarios, and each scenario takes the
replicate it drew, interpolated in log time between the two grid rates around its own.

The search is the model's own world (:func:`cabinleak.locate.optimal.play_synthetic`:
readings drawn from the localization model's measurement equation with its noise), with
the prior the crew would have: uniform over the cells and the station rate known to 10 %
(as ``locate.campaign.run_campaign`` measures it). Each play's seed is derived from the
campaign seed, the cell, the rate and the replicate, so the table is the same whatever
runs it.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cabinleak.station import Station

F = NDArray[np.float64]

#: Leak rates of the lookup [kg/day]: 0.5 mm to 20 mm holes on the ISS leak about 2 to
#: 4000 kg/day, but the localization model's rate grid ends at 200 kg/day
#: (``locate.model.prior``); beyond the lookup the nearest rate's time is used, which for
#: faster leaks is longer than the search would take (a conservative choice; such leaks
#: mostly leave too little reserve to search at all).
RATES_KG_PER_DAY = (1.0, 10.0, 100.0)
STATION_RATE_REL_SD = 0.10  # as locate.campaign: the whole-station rate measured first
MAX_SEARCH_H = 24 * 30.0  # a search stops after this long [h] (play_synthetic's default)


@dataclass(frozen=True)
class LocateTable:
    """Search times [s] and whether the search named the right cell, per policy."""

    policies: tuple[str, ...]
    rates_kg_per_day: F  # [R]
    cell_of_module: NDArray[np.intp]  # [n_modules]
    elapsed_s: F  # [P, C, R, K]
    correct: NDArray[np.bool_]  # [P, C, R, K]

    def lookup(self, policy: int, module: NDArray[np.integer], rate_kg_per_day: F,
               draw: NDArray[np.integer]) -> tuple[F, NDArray[np.bool_]]:
        """Time to locate [s] and correctness for each scenario."""
        cell = self.cell_of_module[module]
        x = np.log(self.rates_kg_per_day)
        xr = np.clip(np.log(np.maximum(rate_kg_per_day, 1e-30)), x[0], x[-1])
        j = np.clip(np.searchsorted(x, xr, side="right") - 1, 0, len(x) - 2) \
            if len(x) > 1 else np.zeros(len(xr), dtype=np.intp)
        if len(x) == 1:
            e = self.elapsed_s[policy, cell, 0, draw]
            return e, self.correct[policy, cell, 0, draw]
        w = (xr - x[j]) / (x[j + 1] - x[j])
        lo = np.log(self.elapsed_s[policy, cell, j, draw])
        hi = np.log(self.elapsed_s[policy, cell, j + 1, draw])
        near = np.where(w < 0.5, j, j + 1)
        return np.exp(lo + w * (hi - lo)), self.correct[policy, cell, near, draw]


def _policy(name: str, seed: int) -> object:
    from cabinleak.locate.baselines import ModuleByModule
    from cabinleak.locate.planner import InformationPlanner

    if name == "planner":
        # fewer draws than the interactive default (256/48/8): the lookup plays hundreds
        # of searches; the choice of test changes little (bench_locate)
        return InformationPlanner(samples=64, screen_samples=16, finalists=4, seed=seed)
    return ModuleByModule()


def locate_cell(station: Station, policy: str, p: int, cell: int, replicates: int,
                seed: int) -> tuple[F, NDArray[np.bool_]]:
    """Search times [s] [R, K] and correctness of every play for a leak in ``cell``."""
    from cabinleak.locate.campaign import search_context
    from cabinleak.locate.model import prior
    from cabinleak.locate.optimal import play_synthetic

    ctx = search_context(station)
    rates = np.asarray(RATES_KG_PER_DAY, dtype=float)
    elapsed = np.zeros((len(rates), replicates))
    correct = np.zeros((len(rates), replicates), dtype=bool)
    for r, rate in enumerate(rates):
        for k in range(replicates):
            ss = np.random.SeedSequence([seed, p, cell, r, k])
            rng = np.random.default_rng(ss)
            pol = _policy(policy, int(ss.generate_state(1)[0]))
            post = prior(ctx.cells, station_rate_kg_per_day=(
                rate * math.exp(rng.normal(0.0, math.log1p(STATION_RATE_REL_SD))),
                STATION_RATE_REL_SD))
            run = play_synthetic(pol, ctx, cell, rate / 86400.0, post,  # type: ignore[arg-type]
                                 rng, max_hours=MAX_SEARCH_H)
            elapsed[r, k] = max(run.elapsed_s, 1.0)
            correct[r, k] = run.correct
    return elapsed, correct


def build_locate_table(station: Station, policies: tuple[str, ...], replicates: int,
                       seed: int, executor: Executor | None = None) -> LocateTable:
    """Play every search of the lookup (see the module docstring), one task per policy
    and cell on ``executor`` (default: here, one after another)."""
    from cabinleak.locate.campaign import search_context

    ctx = search_context(station)
    ids = station.module_ids
    cell_of = np.array([next(i for i, c in enumerate(ctx.cells) if m in c.modules)
                        for m in ids], dtype=np.intp)
    rates = np.asarray(RATES_KG_PER_DAY, dtype=float)
    shape = (len(policies), len(ctx.cells), len(rates), replicates)
    elapsed, correct = np.zeros(shape), np.zeros(shape, dtype=bool)
    jobs = [(p, name, c) for p, name in enumerate(policies) for c in range(len(ctx.cells))]
    if executor is None:
        results = [locate_cell(station, name, p, c, replicates, seed) for p, name, c in jobs]
    else:
        futures = [executor.submit(locate_cell, station, name, p, c, replicates, seed)
                   for p, name, c in jobs]
        results = [f.result() for f in futures]
    for (p, _, c), (e, ok) in zip(jobs, results, strict=True):
        elapsed[p, c], correct[p, c] = e, ok
    return LocateTable(policies, rates, cell_of, elapsed, correct)
