"""Plots of simulation results (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from cabinleak.physics.units import MMHG_PA, format_duration
from cabinleak.simulate.result import SimulationResult


def plot_pressures(result: SimulationResult, path: str | Path, *, title: str = "",
                   floor_Pa: float | None = None, highlight: tuple[str, ...] = ()) -> Path:
    """Total pressure and ppO2 of every module [mmHg] against time [h].

    Modules in ``highlight`` (e.g. the leaking one) are drawn in colour, the others in
    grey. The floor is drawn when it lies near the plotted range; otherwise the
    title says whether and when it is reached.
    """
    t_h = result.time_s / 3600.0
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 6), dpi=110, sharex=True,
                                  gridspec_kw={"height_ratios": [2, 1]})
    for axis, values, label in ((ax, result.pressure_Pa, "pressure [mmHg]"),
                                (ax2, result.partial_pressure_Pa("O2"), "ppO2 [mmHg]")):
        v = values / MMHG_PA
        for i, mid in enumerate(result.module_ids):
            if mid not in highlight:
                axis.plot(t_h, v[:, i], color="0.65", lw=0.8)
        for mid in highlight:
            axis.plot(t_h, v[:, result.module_index(mid)], lw=2, label=mid)
        axis.plot([], [], color="0.65", lw=0.8, label="other modules" if highlight else "modules")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
    note = ""
    if floor_Pa is not None:
        p = result.pressure_Pa / MMHG_PA
        lo, hi = float(p.min()), float(p.max())
        floor = floor_Pa / MMHG_PA
        if floor >= lo - 0.5 * (hi - lo):
            ax.axhline(floor, color="tab:red", ls="--", lw=1, label="floor")
        ttf = result.time_to_floor_s(floor_Pa)
        note = (f"floor {floor:.0f} mmHg reached after {format_duration(ttf)}" if ttf is not None
                else f"floor {floor:.0f} mmHg not reached in "
                     f"{format_duration(float(result.time_s[-1]))}")
    ax.set_title(title or f"{result.station}: module pressures", fontsize=10)
    if note:
        ax.text(0.99, 0.97, note, transform=ax.transAxes, ha="right", va="top", fontsize=8)
    ax.legend(loc="lower left", fontsize=8)
    ax2.set_xlabel("time [h]")
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
