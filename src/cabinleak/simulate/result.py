"""Simulation results: frozen dataclasses with a readable ``str`` and ``to_dict``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import ScenarioError
from cabinleak.physics import gas
from cabinleak.physics.units import MMHG_PA, format_duration, format_mass_rate
from cabinleak.simulate.crew import CrewState, crew_state, first_crossing

F = NDArray[np.float64]


@dataclass(frozen=True)
class SimulationResult:
    """States of every module at the output times of one scenario.

    Arrays: ``time_s`` [nt]; ``pressure_Pa``, ``temperature_K``, ``mass_kg`` [nt, n];
    ``mole_fractions`` [nt, n, 4] over :data:`cabinleak.physics.gas.SPECIES`;
    ``vented_kg_per_s`` [nt]: total flow to vacuum; ``supplied_kg_per_s`` [nt]: total
    supply flow; ``link_flow_kg_per_s`` [nt, L]: each link's flow a → b, named by
    ``link_names``; ``added_kg`` [nt]: mass added by supplies and crew since the start
    (integrated over the integrator's own steps). :meth:`vented_kg` is the balance
    M(0) + added − M(t); :attr:`crew_state` says whether the crew's air turned lethal.
    """

    station: str
    module_ids: tuple[str, ...]
    volume_m3: F
    time_s: F
    pressure_Pa: F
    temperature_K: F
    mass_kg: F
    mole_fractions: F
    vented_kg_per_s: F
    supplied_kg_per_s: F
    link_names: tuple[str, ...]
    link_flow_kg_per_s: F
    added_kg: F
    crew_modules: tuple[str, ...] = ()
    #: Which model ran: "closed-form" (each cell of open hatches as one volume, exact
    #: blowdown laws, :mod:`.closed_form`), "cells" (the cells as the modules of a small
    #: network, :mod:`.cell_ode`) or "network" (every module, integrated).
    model: str = "network"
    #: Why the closed form did not hold ("cells"), or why neither reduction did
    #: ("network"; "" when the network was asked for).
    model_reason: str = ""

    def module_index(self, module_id: str) -> int:
        return self.module_ids.index(module_id)

    def pressure(self, module_id: str) -> F:
        """Pressure history of one module [Pa]."""
        return np.asarray(self.pressure_Pa[:, self.module_index(module_id)])

    @property
    def total_mass_kg(self) -> F:
        return np.asarray(self.mass_kg.sum(axis=1))

    def partial_pressure_Pa(self, species: str) -> F:
        """Partial pressure of a species in every module [Pa], [nt, n]."""
        return np.asarray(self.pressure_Pa * self.mole_fractions[:, :, gas.SPECIES.index(species)])

    def time_to_floor_s(self, floor_Pa: float) -> float | None:
        """First time any module is below ``floor_Pa`` (linear interpolation), or None."""
        check_floor(floor_Pa)
        return first_crossing(self.time_s, self.pressure_Pa.min(axis=1), floor_Pa, below=True)

    def to_dict(self, floor_Pa: float | None = None) -> dict[str, Any]:
        """The ``--json`` summary: final state per module and time to the floor."""
        modules = {
            mid: {
                "pressure_Pa": float(self.pressure_Pa[-1, i]),
                "pressure_mmHg": float(self.pressure_Pa[-1, i] / MMHG_PA),
                "temperature_K": float(self.temperature_K[-1, i]),
                "volume_m3": float(self.volume_m3[i]),
                "mass_kg": float(self.mass_kg[-1, i]),
                "ppO2_Pa": float(self.partial_pressure_Pa("O2")[-1, i]),
                "ppCO2_Pa": float(self.partial_pressure_Pa("CO2")[-1, i]),
            }
            for i, mid in enumerate(self.module_ids)
        }
        return {
            "station": self.station,
            "duration_s": float(self.time_s[-1]),
            "modules": modules,
            "vented_kg": float(self.vented_kg()[-1]),
            "vent_rate_kg_per_day_end": float(self.vented_kg_per_s[-1] * 86400.0),
            "floor_Pa": floor_Pa,
            "time_to_floor_s": None if floor_Pa is None else self.time_to_floor_s(floor_Pa),
            "added_kg": float(self.added_kg[-1]),
            "crew": self.crew_state.to_dict(),
            "model": self.model,
            "model_reason": self.model_reason,
        }

    def vented_kg(self) -> F:
        """Gas vented to vacuum so far [kg]: the mass balance M(0) + added − M(t).

        Exact to rounding whatever the output grid (a trapezoid rule on the vented
        flow at the outputs is not: a fast blowdown between two outputs has no share
        in it, or too large a one).
        """
        m = self.total_mass_kg
        return np.asarray(np.maximum(m[0] + self.added_kg - m, 0.0))

    @property
    def crew_state(self) -> CrewState:
        """Whether, when and where the crew's air turned lethal (:mod:`.crew`)."""
        return crew_state(self.time_s, self.module_ids, self.crew_modules,
                          self.partial_pressure_Pa("O2"), self.partial_pressure_Pa("CO2"))

    def __str__(self) -> str:
        p0 = self.pressure_Pa[0].min() / MMHG_PA
        p1 = self.pressure_Pa[-1].min() / MMHG_PA
        lines = [
            f"{self.station}: {len(self.module_ids)} modules, "
            f"{self.volume_m3.sum():.1f} m³, simulated {format_duration(float(self.time_s[-1]))}",
            f"lowest module pressure {p0:.1f} → {p1:.1f} mmHg; "
            f"vent rate at end {format_mass_rate(float(self.vented_kg_per_s[-1]))}, "
            f"{self.vented_kg()[-1]:.2f} kg vented",
        ]
        model = {"closed-form": "closed form (each cell of open hatches as one volume)",
                 "cells": "the cells' ODE (each cell of open hatches as one volume)",
                 "network": "the full network"}.get(self.model, self.model)
        lines.append(f"model: {model}" + (f"; {self.model_reason}" if self.model_reason
                                          else ""))
        if self.crew_modules:
            lines.append(str(self.crew_state))
        return "\n".join(lines)


def check_floor(floor_Pa: float) -> None:
    """Refuse a pressure floor that is negative or not a number."""
    if not (np.isfinite(floor_Pa) and floor_Pa >= 0.0):
        raise ScenarioError(f"floor must be a pressure >= 0, got {floor_Pa:g} Pa")


@dataclass(frozen=True)
class BatchResult:
    """Results of a batch; ``results[i]`` is scenario i."""

    results: tuple[SimulationResult, ...]

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, i: int) -> SimulationResult:
        return self.results[i]

    @property
    def final_pressure_Pa(self) -> F:
        """[B, n] pressures at the last output time."""
        return np.array([r.pressure_Pa[-1] for r in self.results])
