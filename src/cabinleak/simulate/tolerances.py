"""Error-control settings of the simulator."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerances:
    """Error control: a relative tolerance and absolute floors for each kind of state.

    ``atol_mass_fraction_of_initial`` is the mass floor as a fraction of the largest
    module's initial mass; ``atol_mass_fraction`` the floor for compositions (mole or
    mass fractions; 1e-5 is 0.008 mmHg of ppO2 at cabin pressure).
    """

    rtol: float = 1e-5
    atol_mass_fraction_of_initial: float = 1e-9
    atol_pressure_Pa: float = 1e-3
    atol_mass_fraction: float = 1e-5
    first_step_s: float = 0.01
    max_steps: int = 20_000
