"""The exact optimum of an idealised search, to measure the planner against.

Idealisation: the leak's rate q is known (measured with every hatch open) and a test
is run exactly as long as it needs to be conclusive: every group that may hold the
leak must show it at ``z`` standard deviations of its reading noise (eq. 1 of
:mod:`.model`), within the hatch rule. A conclusive test tells which group holds the
leak, so the state of the search is the set S of cells still possible, and

    T(S) = 0                                   if S holds one cell
    T(S) = min over allowed configurations c of [ D(c, S) + setup + Σ_g P(S_g | S)·T(S_g) ]

with S_g the part of S in group g and D(c, S) the conclusive duration. Solved by dynamic
programming over all subsets (Bellman 1957) and all sets of closed hatches, which is
exact for small stations (2^cells states, 2^hatches configurations).

:class:`OptimalPolicy` follows the optimal decision tree on the current posterior (the
set of cells it still gives weight), so it can run in the same campaigns as the planner.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from cabinleak.locate.model import (
    Configuration,
    LocateError,
    Posterior,
    Reading,
    TestResult,
    configure,
)
from cabinleak.locate.policy import Policy, Recommendation, SearchContext, done

Z_CONCLUSIVE = 4.0  # a leak shows at this many reading σ
MAX_STATES = 1 << 14


def conclusive_duration_s(config: Configuration, groups: list[int], rate_kg_per_s: float,
                          ctx: SearchContext, max_s: float) -> float | None:
    """The shortest hold after which the leak shows in any of ``groups`` [s], or None."""
    total = sum(config.volumes_m3)
    need = 0.0
    for g in groups:
        v = config.volumes_m3[g]

        def excess(d: float, v: float = v) -> float:
            return (abs(ctx.sensing.dp_per_rate(v, d)) * rate_kg_per_s
                    - Z_CONCLUSIVE * ctx.sensing.noise_sd(v, total, d))

        if excess(max_s) < 0:
            return None
        lo, hi = 0.0, max_s
        for _ in range(50):  # the signal grows linearly, the noise more slowly: bisect
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if excess(mid) < 0 else (lo, mid)
        need = max(need, hi)
    return need


@dataclass
class OptimalPolicy:
    """The dynamic-programming optimum of the idealised search (module docstring)."""

    rate_kg_per_s: float
    max_hold_s: float = 12 * 3600.0
    name: str = "optimal (DP)"
    _best: dict[int, tuple[float, frozenset[str] | None, float]] = field(default_factory=dict)
    _configs: list[Configuration] = field(default_factory=list)

    def solve(self, ctx: SearchContext) -> float:
        """Solve the DP; returns the expected time to find the leak from all cells [s]."""
        n = len(ctx.cells)
        if (1 << n) > MAX_STATES:
            raise LocateError(f"{ctx.station.name}: {n} volumes is too many for the exact "
                              f"optimum (at most {MAX_STATES.bit_length() - 1})")
        ids = [h.id for h in ctx.station.hatches if h.id not in ctx.constraints.fixed_open]
        self._configs = []
        for k in range(1, len(ids) + 1):
            for closed in itertools.combinations(ids, k):
                cfg = configure(ctx.station, ctx.cells, closed)
                if len(cfg.groups) > 1 and not ctx.constraints.allows(cfg, ctx.cells):
                    self._configs.append(cfg)
        masks = [[sum(1 << c for c in g) for g in cfg.groups] for cfg in self._configs]
        # a group's conclusive hold depends on the configuration only, not on the state
        holds = [[conclusive_duration_s(cfg, [g], self.rate_kg_per_s, ctx, self.max_hold_s)
                  for g in range(len(cfg.groups))] for cfg in self._configs]
        self._best = {}
        for size in range(1, n + 1):
            for combo in itertools.combinations(range(n), size):
                s = sum(1 << c for c in combo)
                if size == 1:
                    self._best[s] = (0.0, None, 0.0)
                    continue
                best: tuple[float, frozenset[str] | None, float] = (math.inf, None, 0.0)
                for cfg, gm, hold in zip(self._configs, masks, holds, strict=True):
                    parts = [(g, s & m) for g, m in enumerate(gm) if s & m]
                    if len(parts) < 2 or any(hold[g] is None for g, _ in parts):
                        continue
                    d = max(float(hold[g] or 0.0) for g, _ in parts)
                    cost = d + ctx.setup_s + sum(
                        _bits(part) / size * self._best[part][0] for _, part in parts)
                    if cost < best[0]:
                        best = (cost, cfg.closed, d)
                self._best[s] = best
        return self._best[(1 << n) - 1][0]

    def next_test(self, posterior: Posterior, ctx: SearchContext) -> Recommendation | None:
        if not self._best:
            self.solve(ctx)
        probs = posterior.cell_probabilities
        s = sum(1 << i for i, p in enumerate(probs) if p > 1e-3)
        if s == 0 or _bits(s) == 1:
            # the set is one cell: confirm it with the same test as its parent would
            s = sum(1 << i for i in np.argsort(-probs)[:2])
        cost, closed, d = self._best.get(s, (math.inf, None, 0.0))
        if closed is None or not math.isfinite(cost):
            return None
        cfg = configure(ctx.station, ctx.cells, closed)
        return Recommendation(cfg, d, reason=f"optimal decision tree: {cost / 3600:.2f} h "
                                             "expected from here")


def _bits(x: int) -> int:
    return bin(x).count("1")


@dataclass(frozen=True)
class SyntheticRun:
    """A campaign in the model's own world: readings drawn from eq. (1) with its noise."""

    found: str
    confidence: float
    elapsed_s: float
    tests: int
    correct: bool


def play_synthetic(policy: Policy, ctx: SearchContext, true_cell: int, rate_kg_per_s: float,
                   posterior: Posterior, rng: np.random.Generator,
                   max_hours: float = 24 * 30) -> SyntheticRun:
    """Run ``policy`` against a leak in ``true_cell`` with readings drawn from eq. (1).

    No simulator: the world is the measurement model itself, so policies are compared on
    their choices alone (the simulator-backed campaign is :mod:`.campaign`).
    """
    post, elapsed, tests = posterior, 0.0, 0
    while not done(post, ctx.target) and elapsed < max_hours * 3600:
        rec = policy.next_test(post, ctx)
        if rec is None:
            break
        cfg, dur = rec.config, rec.duration_s
        total = sum(cfg.volumes_m3)
        readings = []
        for g, members in enumerate(cfg.groups):
            v = cfg.volumes_m3[g]
            bg = ctx.sensing.background_kg_per_s * v / total
            q = bg + (rate_kg_per_s if true_cell in members else 0.0)
            dp = ctx.sensing.dp_per_rate(v, dur) * q
            readings.append(Reading(g, dp + ctx.sensing.noise_sd(v, total, dur)
                                    * float(rng.standard_normal())))
        post = post.update(TestResult(cfg, dur, tuple(readings)), ctx.sensing)
        elapsed += dur + ctx.setup_s
        tests += 1
    found, conf = post.best()
    return SyntheticRun(found, conf, elapsed, tests, found == ctx.cells[true_cell].id)
