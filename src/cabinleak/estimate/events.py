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

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from cabinleak.estimate.mass import MassSeries
from cabinleak.estimate.noise import RateNoise, block_slopes

F = NDArray[np.float64]
INFLOW_SIGMA = 6.0  # a block's inflow must be this many effective 1σ to count
BLOCKS_S = (300.0, 600.0, 1200.0, 2400.0, 4800.0)
LEVEL_WINDOW_S = 1800.0  # the level before and after is fitted over this long [s]


@dataclass(frozen=True)
class Inflow:
    """A stretch where gas was added that no injection column explains."""

    start_s: float
    end_s: float
    mass_kg: float  # gas added [kg]
    pressure_rise_Pa: float  # about that much pressure at the volume's temperature

    def describe(self, t0_s: float) -> str:
        return (f"the pressure rose {self.pressure_rise_Pa / 133.322:.3g} mmHg from "
                f"{(self.start_s - t0_s) / 3600:.1f} h to {(self.end_s - t0_s) / 3600:.1f} h "
                f"with no injection logged: read as {self.mass_kg:.3g} kg of gas added "
                "(an unlogged repress?) and left out; the leak is estimated around it")


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
    out = []
    for a, b in merged:
        a, b = max(a, float(t[0])), min(b, float(t[-1]))
        before = (t >= a - LEVEL_WINDOW_S) & (t < a)
        after = (t > b) & (t <= b + LEVEL_WINDOW_S)
        if before.sum() < 3 or after.sum() < 3:
            # at an end of the record: nothing to join, drop the stretch all the same
            level_gap = 0.0
            q_before = 0.0
        else:
            cb = np.polyfit(t[before] - a, m[before], 1)
            ca = np.polyfit(t[after] - b, m[after], 1)
            q_before = -float(cb[0])
            level_gap = float(ca[1] - cb[1])
        added = level_gap + max(q_before, 0.0) * (b - a)
        rise = added * ms.gas_constant * float(np.mean(ms.temperature_K)) / ms.volume_m3
        out.append(Inflow(a, b, added, rise))
    return out


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
    k = keep
    return replace(ms, time_s=t[k], mass_kg=(ms.mass_kg - shift)[k], mass_sd_kg=ms.mass_sd_kg[k],
                   pressure_Pa=ms.pressure_Pa[k], temperature_K=ms.temperature_K[k],
                   added_kg=(ms.added_kg + shift)[k],
                   samples_per_point=(None if ms.samples_per_point is None
                                      else ms.samples_per_point[k]),
                   gas_constant_series=(None if ms.gas_constant_series is None
                                        else ms.gas_constant_series[k]))
