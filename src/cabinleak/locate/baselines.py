"""Baseline search policies: what crews did, and halving the station graph.

:class:`ModuleByModule` isolates one volume at a time, most probable first, for as
long as the hatch rule allows: the 2018 Soyuz MS-09 search (about 15 h to the orbital
module) and the module-by-module closures of the 2019–2020 PrK campaign.
:class:`BinarySplit` closes one or two hatches so that one side holds about half the
remaining probability, and repeats. Both respect the crew constraints
(:meth:`~cabinleak.locate.model.Constraints.allows`) and never hold a configuration
longer than :func:`~cabinleak.locate.model.max_duration_s` allows. They are the
yardsticks the planner (:mod:`cabinleak.locate.planner`) is measured against.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
from dataclasses import dataclass

import numpy as np

from cabinleak.locate.model import (
    Configuration,
    Posterior,
    configure,
    expected_dp_Pa,
    max_duration_s,
)
from cabinleak.locate.policy import Recommendation, SearchContext, done
from cabinleak.physics.units import HOUR_S

MAX_HOLD_H = 12.0  # default cap on one test's hold [h]
PLAUSIBLE = 1e-3  # a cell with less posterior mass is out of the search
SPLIT_TIE = 0.02  # side probabilities this close count as equally good halves
_MAX_GROWN = 400  # connected sets tried when a single cell cannot be isolated


def closable_hatches(ctx: SearchContext) -> tuple[tuple[str, int, int], ...]:
    """Hatches between two different cells that the crew may close: (id, cell a, cell b)."""
    cell_of = {m: i for i, c in enumerate(ctx.cells) for m in c.modules}
    fixed = set(ctx.constraints.fixed_open)
    return tuple((h.id, cell_of[h.a], cell_of[h.b]) for h in ctx.station.hatches
                 if h.id not in fixed and cell_of[h.a] != cell_of[h.b])


def isolation(ctx: SearchContext, members: frozenset[int]) -> Configuration:
    """The configuration that closes every hatch between ``members`` (cell indices) and
    the other cells.

    A hatch that may not be closed is closed anyway, so that
    :meth:`Constraints.allows` reports it; see :func:`smallest_isolation`.
    """
    cell_of = {m: i for i, c in enumerate(ctx.cells) for m in c.modules}
    closed = [h.id for h in ctx.station.hatches
              if (cell_of[h.a] in members) != (cell_of[h.b] in members)]
    return configure(ctx.station, ctx.cells, closed)


@functools.lru_cache(maxsize=64)
def _isolations(ctx: SearchContext) -> tuple[tuple[frozenset[int], Configuration] | str, ...]:
    """For every cell, the smallest allowed isolation (members, configuration) or the
    reason there is none."""
    return tuple(_smallest_isolation(ctx, i) for i in range(len(ctx.cells)))


def smallest_isolation(ctx: SearchContext, cell: int
                       ) -> tuple[frozenset[int], Configuration] | str:
    """The smallest connected set of cells holding ``cell`` whose isolation the crew
    constraints allow, with its configuration; or the reason none was found.

    Sets are grown from the cell one neighbour at a time, smallest total volume
    first (a best-first search over at most a few hundred sets). On a tree such as
    the ISS every set it returns is separated from the rest by closing the hatches
    around it.
    """
    if not 0 <= cell < len(ctx.cells):
        raise IndexError(f"cell index {cell} out of range (0-{len(ctx.cells) - 1})")
    return _isolations(ctx)[cell]


def _smallest_isolation(ctx: SearchContext, cell: int
                        ) -> tuple[frozenset[int], Configuration] | str:
    neighbours: dict[int, set[int]] = {i: set() for i in range(len(ctx.cells))}
    for h in ctx.station.hatches:  # every hatch joins cells, closable or not
        a, b = (next(i for i, c in enumerate(ctx.cells) if m in c.modules) for m in (h.a, h.b))
        if a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    start = frozenset([cell])
    first_reason = ""
    seen = {start}
    queue: list[tuple[float, int, frozenset[int]]] = [(ctx.cells[cell].volume_m3, 0, start)]
    counter = itertools.count(1)
    while queue and len(seen) <= _MAX_GROWN:
        _, _, members = heapq.heappop(queue)
        if len(members) == len(ctx.cells) and len(ctx.cells) > 1:
            continue  # the whole station is not an isolation
        config = isolation(ctx, members)
        reason = ctx.constraints.allows(config, ctx.cells)
        if reason is None:
            return members, config
        first_reason = first_reason or reason
        for m in members:
            for n in neighbours[m] - members:
                grown = members | {n}
                if grown not in seen:
                    seen.add(grown)
                    vol = sum(ctx.cells[i].volume_m3 for i in grown)
                    heapq.heappush(queue, (vol, next(counter), grown))
    return (f"{ctx.cells[cell].id} cannot be isolated: {first_reason}, and no allowed "
            f"group around it was found")


def _hold_s(config: Configuration, posterior: Posterior, ctx: SearchContext,
            max_hold_h: float) -> float:
    """The longest allowed hold, capped at ``max_hold_h`` [s]."""
    return min(max_duration_s(config, posterior, ctx.constraints, ctx.sensing,
                              hours=max_hold_h), max_hold_h * HOUR_S, ctx.hold_limit_s)


def _check_hold(max_hold_h: float) -> None:
    if not max_hold_h > 0:
        raise ValueError(f"max_hold_h must be > 0 h, got {max_hold_h}")


@dataclass(frozen=True)
class ModuleByModule:
    """Isolate one volume at a time, most probable untested volume first.

    Each test closes the hatches around one cell (or, where the crew constraints
    forbid that, around the smallest allowed group containing it; a cell with no
    allowed group is skipped and the reason given) and holds them for the longest
    time :func:`max_duration_s` allows, capped at ``max_hold_h`` [h]. A cell that has
    been tested is not tested again unless the posterior puts it ahead of every
    untested cell (a reading that pointed at it, or one too noisy to clear it). Stops
    (returns None) once one volume reaches the target, or when no plausible cell can
    be isolated.
    """

    max_hold_h: float = MAX_HOLD_H
    name: str = "module-by-module"

    def __post_init__(self) -> None:
        _check_hold(self.max_hold_h)

    def next_test(self, posterior: Posterior, ctx: SearchContext) -> Recommendation | None:
        if done(posterior, ctx.target):
            return None
        probs = posterior.cell_probabilities
        options = _isolations(ctx)
        tested_groups = {frozenset(g) for t in posterior.history for g in t.config.groups}
        skipped = [o for i, o in enumerate(options) if isinstance(o, str)
                   and probs[i] > PLAUSIBLE]
        untested: list[int] = []
        tested: list[int] = []
        for i, opt in enumerate(options):
            if isinstance(opt, str) or probs[i] <= PLAUSIBLE:
                continue
            (tested if opt[0] in tested_groups else untested).append(i)
        if not untested and not tested:
            return None
        best_new = max(untested, key=lambda i: probs[i], default=None)
        best_old = max(tested, key=lambda i: probs[i], default=None)
        if best_new is None or (best_old is not None and probs[best_old] > probs[best_new]):
            assert best_old is not None
            pick, why = best_old, "retest: the posterior puts it ahead of every untested volume"
        else:
            pick, why = best_new, "the most probable volume not yet tested"
        chosen = options[pick]
        assert not isinstance(chosen, str)
        members, config = chosen
        target = ctx.cells[pick].id
        reason = f"isolate {target} ({probs[pick]:.1%}): {why}"
        if len(members) > 1:
            others = ", ".join(ctx.cells[i].id for i in sorted(members) if i != pick)
            reason += (f"; with {others}, the smallest group around it that the crew "
                       f"constraints allow")
        if skipped:
            reason += "; skipped: " + "; ".join(str(s) for s in skipped)
        return Recommendation(config, _hold_s(config, posterior, ctx, self.max_hold_h), reason)


@functools.lru_cache(maxsize=64)
def _split_candidates(ctx: SearchContext) -> tuple[Configuration, ...]:
    """Allowed configurations that close one or two hatches and leave two groups or more."""
    hatches = [h for h, _, _ in closable_hatches(ctx)]
    out = []
    for k in (1, 2):
        for closed in itertools.combinations(hatches, k):
            config = configure(ctx.station, ctx.cells, closed)
            if len(config.groups) > 1 and ctx.constraints.allows(config, ctx.cells) is None:
                out.append(config)
    return tuple(out)


@dataclass(frozen=True)
class BinarySplit:
    """Halve the plausible cells by probability, one hatch closure at a time.

    Among the allowed configurations that close one or two hatches (on a tree such as
    the ISS one hatch splits the station in two, two cut out a stretch), pick the one
    with a group whose share of the plausible mass (cells above ``1e-3``) is closest
    to 1/2 (compared in steps of 0.02, so that nearly equal halves tie), then the one whose
    half would read the leak most clearly (expected pressure change over its noise at
    the posterior's median rate). Hold it as long as :func:`max_duration_s` allows,
    capped at ``max_hold_h`` [h]; repeat until one volume reaches the target.
    """

    max_hold_h: float = MAX_HOLD_H
    name: str = "binary"

    def __post_init__(self) -> None:
        _check_hold(self.max_hold_h)

    def next_test(self, posterior: Posterior, ctx: SearchContext) -> Recommendation | None:
        if done(posterior, ctx.target):
            return None
        probs = posterior.cell_probabilities
        mass = np.where(probs > PLAUSIBLE, probs, 0.0)
        total = float(mass.sum())
        if total <= 0.0:
            return None
        median_rate = posterior.rate_interval()[0]
        best: tuple[tuple[float, float], Configuration, float, int, float] | None = None
        for config in _split_candidates(ctx):
            shares = [float(mass[list(g)].sum()) / total for g in config.groups]
            g = min((abs(s - 0.5), -s, i) for i, s in enumerate(shares))[2]
            hold = _hold_s(config, posterior, ctx, self.max_hold_h)
            vol = config.volumes_m3
            snr = abs(expected_dp_Pa(config, g, median_rate, hold, ctx.sensing)) \
                / ctx.sensing.noise_sd(vol[g], sum(vol), hold)
            key = (math.floor(abs(shares[g] - 0.5) / SPLIT_TIE), -snr)
            if best is None or key < best[0]:
                best = (key, config, hold, g, shares[g])
        if best is None:
            return None
        _, config, hold, g, share = best
        reason = (f"split the plausible volumes: {config.label(ctx.cells, g)} holds "
                  f"{share:.0%} of their probability")
        return Recommendation(config, hold, reason)
