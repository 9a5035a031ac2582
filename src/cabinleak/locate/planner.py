"""The planner: the test that buys the most information per hour of campaign.

For every allowed candidate configuration and a few durations within the hatch rule,
the expected drop in the entropy of the leak's location (the mutual information
between the location and the test's readings) is estimated by Monte Carlo: draw
(cell, rate) from the posterior, draw the readings eq. (1) of :mod:`.model` predicts
(rounded to the gauges' step, with the drift over the hold), update with the same
likelihood as the posterior, and average the posterior entropy. A hold too short for a
leak's drop to clear the drift and the gauge's step gains nothing, so with coarse
gauges the planner holds longer. The test with the largest expected gain
per hour (its duration plus the setup time) is recommended: the greedy rule of
Bayesian search under a cost (Stone, *Theory of Optimal Search*, ch. 2; the one-step
look-ahead of adaptive sensing), which the exact optimum of :mod:`.optimal` measures.

Candidates: closing one hatch (a tree splits in two), isolating each plausible cell
(closing all its hatches), and closing two hatches that cut a plausible stretch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from cabinleak.locate.model import Configuration, Posterior, configure, max_duration_s
from cabinleak.locate.policy import Recommendation, SearchContext
from cabinleak.locate.sensing import reading_log_density
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA

F = NDArray[np.float64]
DURATION_FRACTIONS = (1.0, 0.5, 0.25)  # of the longest allowed hold
ALL_SUBSETS_UP_TO = 10  # hatches near plausible cells: try every subset up to this many
MAX_HOLD_H = 12.0  # never plan a single test longer than this


def candidate_closures(ctx: SearchContext, posterior: Posterior) -> list[frozenset[str]]:
    """Sets of hatches to close worth considering now."""
    st = ctx.station
    cell_of = {m: i for i, c in enumerate(ctx.cells) for m in c.modules}
    closable = [h for h in st.hatches if h.id not in ctx.constraints.fixed_open
                and cell_of[h.a] != cell_of[h.b]]
    probs = posterior.cell_probabilities
    plausible = {i for i, p in enumerate(probs) if p > 1e-3}
    out: set[frozenset[str]] = {frozenset([h.id]) for h in closable}
    for i in plausible:  # isolate a plausible cell
        around = frozenset(h.id for h in closable if i in (cell_of[h.a], cell_of[h.b]))
        if around:
            out.add(around)
    near = [h.id for h in closable
            if cell_of[h.a] in plausible or cell_of[h.b] in plausible]
    if len(near) <= ALL_SUBSETS_UP_TO:  # small enough: every set of closable hatches
        for k in range(2, len(near) + 1):
            out.update(frozenset(p) for p in itertools.combinations(near, k))
    elif len(near) <= 30:
        out.update(frozenset(p) for p in itertools.combinations(near, 2))
        out.add(frozenset(near))  # every plausible cell on its own
    return sorted(out, key=lambda s: sorted(s))


@dataclass(frozen=True)
class _Draws:
    """Hypotheses drawn from the posterior and standard-normal reading errors, shared by
    every candidate of one planning step (common random numbers: the comparison between
    candidates is not blurred by their own sampling noise)."""

    cell: NDArray[np.intp]
    rate: F
    none: NDArray[np.bool_]
    normal: F  # [S, max groups]
    phase: F | None  # [S, max groups]: where the start falls between gauge marks, U(0, 1)


def _draws(posterior: Posterior, samples: int, groups: int, rng: np.random.Generator,
           quantised: bool = False) -> _Draws:
    rates = posterior.rates_kg_per_s
    flat = np.append(posterior.p.ravel(), posterior.p_none)
    flat = flat / flat.sum()
    draw = rng.choice(flat.size, size=samples, p=flat)
    none = draw == flat.size - 1
    cell = np.where(none, 0, draw // rates.size)
    rate = np.where(none, 0.0, rates[np.minimum(draw % rates.size, rates.size - 1)])
    normal = rng.standard_normal((samples, groups))
    phase = rng.random((samples, groups)) if quantised else None  # drawn only when used
    return _Draws(cell, rate, none, normal, phase)


def expected_gain(config: Configuration, duration_s: float, posterior: Posterior,
                  ctx: SearchContext, samples: int, rng: np.random.Generator,
                  draws: _Draws | None = None) -> float:
    """Expected drop in location entropy from a test [nats] (Monte Carlo)."""
    sens = ctx.sensing
    n_cells, rates = len(posterior.cells), posterior.rates_kg_per_s
    n_groups = len(config.groups)
    d = draws if draws is not None else _draws(posterior, samples, n_groups, rng)
    total = sum(config.volumes_m3)
    group_of = np.empty(n_cells, dtype=np.intp)
    for g, members in enumerate(config.groups):
        group_of[list(members)] = g
    k = np.array([sens.dp_per_rate(v, duration_s) for v in config.volumes_m3])
    sd = np.array([sens.continuous_sd(v, total, duration_s) for v in config.volumes_m3])
    # readings less the background, per group: y = k_g·q·[leak in g] + noise, read by
    # gauges of the sensing's step; scored with the likelihood the posterior uses
    leak_in = (group_of[d.cell][:, None] == np.arange(n_groups)[None, :]) & ~d.none[:, None]
    y = k[None, :] * d.rate[:, None] * leak_in + sd[None, :] * d.normal[:, :n_groups]
    step = sens.step_Pa
    if step > 0:
        u = d.phase[:, :n_groups] if d.phase is not None else np.full_like(y, 0.5)
        y = step * (np.round(u + y / step) - np.round(u))
    # log-likelihood change if the leak (rate q_k) is in group g: [S, G, K]
    l0 = reading_log_density(y, 0.0, sd[None, :], step)
    l1 = reading_log_density(y[:, :, None], k[None, :, None] * rates[None, None, :],
                             sd[None, :, None], step)
    delta = l1 - l0[:, :, None]
    ll = delta[:, group_of, :]  # [S, C, K]
    top = np.maximum(ll.max(axis=(1, 2)), 0.0)
    w = posterior.p[None, :, :] * np.exp(ll - top[:, None, None])
    w_none = posterior.p_none * np.exp(-top)
    cells_p = w.sum(axis=2)
    z = cells_p.sum(axis=1) + w_none
    probs = np.concatenate([cells_p, w_none[:, None]], axis=1) / z[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        h_after = -np.sum(np.where(probs > 0, probs * np.log(probs), 0.0), axis=1)
    return float(posterior.entropy() - h_after.mean())


def _durations(config: Configuration, longest: float, posterior: Posterior,
               ctx: SearchContext) -> list[float]:
    """Holds to try: fractions of the longest allowed, and the hold after which a leak at
    the posterior's median rate would show in every group (and twice that)."""
    from cabinleak.locate.optimal import conclusive_duration_s

    out = {longest * f for f in DURATION_FRACTIONS}
    median = posterior.rate_interval()[0]
    need = conclusive_duration_s(config, list(range(len(config.groups))), median, ctx,
                                 longest)
    if need is not None:
        out.update({need, min(2.0 * need, longest)})
    return sorted(d for d in out if d >= 60.0)


@dataclass
class InformationPlanner:
    """Greedy expected-information-per-hour planner (see the module docstring).

    Two stages keep a full-station recommendation fast: every candidate at its longest
    allowed hold with ``screen_samples`` draws, then the best ``finalists`` at each
    duration with ``samples`` draws.
    """

    samples: int = 256
    screen_samples: int = 48
    finalists: int = 8
    seed: int = 0
    name: str = "planner"

    def next_test(self, posterior: Posterior, ctx: SearchContext) -> Recommendation | None:
        rng = np.random.default_rng(self.seed + len(posterior.history))
        options: list[tuple[Configuration, float]] = []
        for closed in candidate_closures(ctx, posterior):
            config = configure(ctx.station, ctx.cells, closed)
            if len(config.groups) < 2 or ctx.constraints.allows(config, ctx.cells):
                continue
            longest = min(max_duration_s(config, posterior, ctx.constraints, ctx.sensing),
                          MAX_HOLD_H * HOUR_S, ctx.hold_limit_s)
            if longest >= 60.0:
                options.append((config, longest))
        if not options:
            return None
        groups = max(len(c.groups) for c, _ in options)
        quantised = ctx.sensing.step_Pa > 0
        screen = _draws(posterior, self.screen_samples, groups, rng, quantised)
        scored = sorted(((expected_gain(c, d, posterior, ctx, 0, rng, screen)
                          / (d + ctx.setup_s), i) for i, (c, d) in enumerate(options)),
                        reverse=True)
        final = _draws(posterior, self.samples, groups, rng, quantised)
        best: tuple[float, Recommendation] | None = None
        for _, i in scored[: self.finalists]:
            config, longest = options[i]
            for duration in _durations(config, longest, posterior, ctx):
                gain = expected_gain(config, duration, posterior, ctx, 0, rng, final)
                score = gain / (duration + ctx.setup_s)
                if best is None or score > best[0]:
                    best = (score, Recommendation(
                        config, duration, expected_gain=gain,
                        reason=(f"expected {gain:.2f} nats of location information, "
                                f"{gain / ((duration + ctx.setup_s) / HOUR_S):.2f} per hour")))
        if best is None or best[1].expected_gain < 1e-3:
            return None
        rec = best[1]
        note = signal_note(rec.config, rec.duration_s, posterior, ctx)
        return replace(rec, reason=f"{rec.reason}; {note}" if note else rec.reason)


def signal_note(config: Configuration, duration_s: float, posterior: Posterior,
                ctx: SearchContext) -> str:
    """Why the hold is as long as it is: what a leak of the posterior's median rate drops
    in the isolated plausible group that shows it least (the crew's, the largest, only if
    no other is plausible), against the reading's 1σ (drift, noise, the gauges'
    rounding); '' if no group is plausible."""
    probs = posterior.cell_probabilities
    median = posterior.rate_interval()[0]
    total = sum(config.volumes_m3)
    largest = int(np.argmax(config.volumes_m3))
    plausible = [g for g, members in enumerate(config.groups)
                 if probs[list(members)].sum() >= 1e-3]
    shown = [g for g in plausible if g != largest] or plausible
    best: tuple[float, int, float, float] | None = None
    for g in shown:
        v = config.volumes_m3[g]
        drop = abs(ctx.sensing.dp_per_rate(v, duration_s)) * median
        sd = ctx.sensing.noise_sd(v, total, duration_s)
        if best is None or drop / sd < best[0]:
            best = (drop / sd, g, drop, sd)
    if best is None:
        return ""
    _, g, drop, sd = best
    return (f"a leak of {median * DAY_S:.2g} kg/day drops {config.label(ctx.cells, g)} by "
            f"{drop / MMHG_PA:.2f} mmHg in this hold, against {sd / MMHG_PA:.2f} mmHg 1σ of "
            "drift and gauge reading")
