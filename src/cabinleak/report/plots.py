"""Plots of simulation results (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from cabinleak.physics.units import MMHG_PA
from cabinleak.simulate.result import SimulationResult


def plot_pressures(result: SimulationResult, path: str | Path, *, title: str = "",
                   floor_Pa: float | None = None, highlight: tuple[str, ...] = ()) -> Path:
    """Pressure of every module [mmHg] against time [h]; returns the file written."""
    t_h = result.time_s / 3600.0
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    p = result.pressure_Pa / MMHG_PA
    for i, mid in enumerate(result.module_ids):
        if mid in highlight:
            continue
        ax.plot(t_h, p[:, i], color="0.7", lw=0.8)
    for mid in highlight:
        ax.plot(t_h, p[:, result.module_index(mid)], lw=2, label=mid)
    if not highlight:
        ax.plot([], [], color="0.7", label="modules")
    else:
        ax.plot([], [], color="0.7", lw=0.8, label="other modules")
    if floor_Pa is not None:
        ax.axhline(floor_Pa / MMHG_PA, color="tab:red", ls="--", lw=1, label="floor")
    ax.set_xlabel("time [h]")
    ax.set_ylabel("pressure [mmHg]")
    ax.set_title(title or f"{result.station}: module pressures")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
