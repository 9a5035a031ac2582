"""Gas added that no injection column explains: found, reported, and taken out.

A leak only removes gas. Once the known additions (logged injections, the crew's
metabolism) are taken out, the gas mass of an isolated volume can only fall or hold;
a stretch where it rises faster than the record's noise and wander allow is gas added
that nobody logged: a repress, an oxygen top-up, a hatch opened to a fuller volume.
Left in, it biases every later number (a 2 h N2 repress read as a 12 kg/day smaller
leak, or a negative one). Each such stretch is found from block outflow rates
(:mod:`.noise`'s blocks, 5 min to 80 min), flagged where the rate is below
−:data:`INFLOW_SIGMA` times the block's effective 1σ (white noise and the measured
wander), widened by a block on each side, and merged with its neighbours. Its samples
are dropped and the mass it added, the level after less the level before plus what the
outflow before it would have removed meanwhile, is counted as a known addition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from cabinleak.estimate.mass import MassSeries
from cabinleak.estimate.noise import RateNoise, block_slopes

F = NDArray[np.float64]
INFLOW_SIGMA = 6.0  # a block's inflow must be this many effective 1σ to count
# ... and the gas added across the stretch this many 1σ of how far noise and wander alone
# move the level over it (a warm spell raises the pressure fast and gives it back)
LEVEL_SIGMA = 4.0
BLOCKS_S = (300.0, 600.0, 1200.0, 2400.0, 4800.0)
LEVEL_WINDOW_S = 1800.0  # the level before and after is fitted over this long [s]
SLOPE_WINDOW_S = 6 * 3600.0  # ... and the outflow across a stretch over this long [s]
RETURN_FRACTION = 0.01  # a repress is over when the pressure is this close to before


@dataclass(frozen=True)
class Inflow:
    """A stretch left out of the analysis: gas added that no injection column explains
    (``kind`` "inflow"), or a planned depress or vent and its repress (``kind`` "planned")."""

    start_s: float
    end_s: float
    mass_kg: float  # gas added across the stretch (negative: removed) [kg]
    pressure_rise_Pa: float  # about that much pressure at the volume's temperature
    kind: str = "inflow"
    reason: str = ""
    joined: bool = True  # False: at an end of the record, nothing after it to join

    def describe(self, t0_s: float) -> str:
        when = f"from {(self.start_s - t0_s) / 3600:.1f} h to {(self.end_s - t0_s) / 3600:.1f} h"
        if self.kind == "planned":
            tail = (f"the level after it differs by {self.pressure_rise_Pa / 133.322:+.3g} mmHg "
                    "and is joined to the level before" if self.joined
                    else "the record after it is not used")
            return (f"{self.reason} {when} is a planned depressurisation, not a leak: left "
                    f"out with the repress after it; {tail}")
        if not self.joined:
            return (f"the pressure rose {when} with no injection logged, at an end of the "
                    "record: left out")
        return (f"the pressure rose {self.pressure_rise_Pa / 133.322:.3g} mmHg {when} "
                f"with no injection logged: read as {self.mass_kg:.3g} kg of gas added "
                "(an unlogged repress?) and left out; the leak is estimated around it")


def _across(ms: MassSeries, a: float, b: float) -> tuple[float, bool]:
    """Mass added across [a, b] [kg], and whether both sides exist: the step of a line
    with a step at the stretch, fitted to the levels on both sides. The line's slope is
    the outflow around the stretch, fitted over hours (at least :data:`SLOPE_WINDOW_S`
    each side), not over the last few minutes, whose slope the cabin's wander can make
    tens of kg/day."""
    t, m = ms.time_s, ms.mass_kg
    reach = max(SLOPE_WINDOW_S, 2.0 * (b - a))
    before = (t >= a - reach) & (t < a)
    after = (t > b) & (t <= b + reach)
    if before.sum() < 3 or after.sum() < 3:
        # sparse (sent-on-change) records: the nearest readings on each side
        pre, post = np.flatnonzero(t < a), np.flatnonzero(t > b)
        if pre.size == 0 or post.size == 0:
            return 0.0, False
        return float(np.median(m[post[:3]]) - np.median(m[pre[-3:]])), True
    sel = before | after
    x = t[sel] - a
    design = np.column_stack([np.ones(x.size), x, (t[sel] > b).astype(float)])
    w = 1.0 / ms.mass_sd_kg[sel]
    coef = np.linalg.lstsq(design * w[:, None], m[sel] * w, rcond=None)[0]
    return float(coef[2]), True


def find_inflows(ms: MassSeries, wander: RateNoise | None = None) -> list[Inflow]:
    """Stretches of significant mass rise in a series (see the module)."""
    t, m, sd = ms.time_s, ms.mass_kg, ms.mass_sd_kg
    if t.size < 16:
        return []
    y = m - m[0]
    w = 1.0 / sd**2
    spans: list[tuple[float, float]] = []
    for width in BLOCKS_S:
        if width > 0.25 * (t[-1] - t[0]):
            break
        idx, slope, var = block_slopes(t, y, w, float(t[0]), width)
        if idx.size < 4:
            continue
        white = np.sqrt(np.median(var))
        eff = (wander.local_sd(width, float(white)) if wander is not None else float(white))
        sd_k = np.sqrt(var) * (eff / white)
        hit = slope > INFLOW_SIGMA * sd_k  # mass rising: gas in
        for k in idx[hit]:
            start = float(t[0]) + (k - 1) * width
            spans.append((start, start + 3 * width))
    if not spans:
        return []
    spans.sort()
    merged = [list(spans[0])]
    for a, b in spans[1:]:
        if a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    events = [_event(ms, max(a, float(t[0])), min(b, float(t[-1]))) for a, b in merged]
    return [e for e in events
            if not e.joined or e.mass_kg > LEVEL_SIGMA * _move_sd(ms, wander, e.end_s - e.start_s)]


def _move_sd(ms: MassSeries, wander: RateNoise | None, span_s: float) -> float:
    """1σ of the change of the mass level across a stretch of ``span_s`` on the record's
    noise and wander alone [kg]: two fitted levels, and the outflow's scatter over the
    span (measured at the nearest block length, or the assumed operational wander)."""
    dt = float(np.median(np.diff(ms.time_s)))
    per_level = max(LEVEL_WINDOW_S / dt, 1.0)
    level = float(np.median(ms.mass_sd_kg)) * math.sqrt(2.0 / per_level)
    rate = 0.0
    if wander is not None and wander.blocks_s:
        i = int(np.argmin([abs(math.log(b / max(span_s, 1.0))) for b in wander.blocks_s]))
        rate = wander.local_sd(wander.blocks_s[i], wander.nominal_sd_kg_per_s[i])
    return math.hypot(level, rate * span_s)


def hold_last(values: F) -> F:
    """A channel's last reading held over the rows where it has none (NaN before the
    first)."""
    ok = np.isfinite(values)
    if not ok.any():
        return values
    idx = np.maximum.accumulate(np.where(ok, np.arange(values.size), 0))
    return np.where(ok[idx], values[idx], np.nan)


def _event(ms: MassSeries, a: float, b: float, **kind: str) -> Inflow:
    """The stretch [a, b] as an event: the gas added across it and its pressure."""
    added, joined = _across(ms, a, b)
    rise = added * ms.gas_constant * float(np.mean(ms.temperature_K)) / ms.volume_m3
    return Inflow(a, b, added, rise, joined=joined, **kind)


def planned_spans(time_s: F, states: list[NDArray[np.float64]], pressure_Pa: F,
                  names: list[str]) -> list[tuple[float, float, str]]:
    """Stretches of a planned depressurisation: from a depress pump or vent valve turning
    on until the pressure is back within :data:`RETURN_FRACTION` of its level before
    (the repress after an EVA), or the end of the record.

    ``states`` are the pump/valve channels on the table's rows (1 on, 0 off, NaN unknown:
    the last known state holds).
    """
    t = np.asarray(time_s, dtype=float)
    p = np.asarray(pressure_Pa, dtype=float)
    runs: list[tuple[float, float, str]] = []
    for values, name in zip(states, names, strict=True):
        v = hold_last(np.asarray(values, dtype=float))
        if not np.isfinite(v).any():
            continue
        on = np.nan_to_num(v, nan=0.0) > 0.5
        edges = np.flatnonzero(np.diff(np.r_[False, on, False].astype(np.int8)))
        for i, j in zip(edges[::2], edges[1::2], strict=True):
            a, b = float(t[i]), float(t[j - 1])
            pre = np.isfinite(p) & (t < a)
            level = float(np.median(p[pre][-20:])) if pre.any() else math.nan
            back = np.flatnonzero((t > b) & np.isfinite(p)
                                  & (np.abs(p - level) <= RETURN_FRACTION * level))
            # a few minutes more: the repress settles (overshoot, valve closing)
            end = min(float(t[back[0]]) + 600.0, float(t[-1])) if back.size else float(t[-1])
            runs.append((a, end, name))
    runs.sort()
    merged: list[tuple[float, float, str]] = []
    for a, b, n in runs:
        if merged and a <= merged[-1][1]:
            pa, pb, pn = merged[-1]
            merged[-1] = (pa, max(pb, b), pn if n in pn else f"{pn}, {n}")
        else:
            merged.append((a, b, n))
    return merged


def planned_events(ms: MassSeries, spans: list[tuple[float, float, str]]) -> list[Inflow]:
    """The planned stretches of a series as events whose gas change is known (joined)."""
    return [_event(ms, a, b, kind="planned", reason=f"{name} on") for a, b, name in spans]


def remove_inflows(ms: MassSeries, inflows: list[Inflow]) -> MassSeries:
    """The series without the inflows' samples, their gas counted as known additions."""
    if not inflows:
        return ms
    t = ms.time_s
    keep = np.ones(t.size, dtype=bool)
    shift = np.zeros(t.size)
    for f in inflows:
        keep &= ~((t >= f.start_s) & (t <= f.end_s))
        shift[t > f.end_s] += f.mass_kg
    return replace(ms, mass_kg=ms.mass_kg - shift, added_kg=ms.added_kg + shift).select(keep)
