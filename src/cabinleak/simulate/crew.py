"""Is the crew's air still breathable? The lethal limits a simulation is checked against.

A run reports the first output-grid time (linearly interpolated) at which the air of
any module with crew in it crosses either limit:

- **Hypoxia**: ppO2 below :data:`LETHAL_PPO2_PA` = 6 % O2 at one atmosphere,
  6.08 kPa (45.6 mmHg). In the oxygen-deficiency table of the US Chemical Safety
  Board (Safety Bulletin 2003-10-B, *Hazards of Nitrogen Asphyxiation*, Table 1;
  the table widely reproduced in confined-space guidance), 6-8 % O2 is "8 minutes,
  100 % fatal" and 4-6 % "coma in 40 seconds, convulsions, respiration ceases,
  death". A decompression reaches it too: ppO2 is 21 % of the cabin pressure.
- **Hypercapnia**: ppCO2 above :data:`LETHAL_PPCO2_PA` = 10 % CO2 at one atmosphere,
  10.1 kPa (76 mmHg): "concentrations greater than 10 % have caused ... stupor within
  several minutes and loss of consciousness within 15 minutes" (Canadian Centre for
  Occupational Health and Safety, CHEMINFO: carbon dioxide). For scale, NASA-STD-3001
  Vol. 2 sets the nominal cabin CO2 limit at a few mmHg.

Both are limits to survival within minutes, not operating limits: a crew is in
trouble long before (ppO2 below about 16 kPa, ppCO2 above about 0.5 kPa).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cabinleak.physics.units import MMHG_PA, format_duration

F = NDArray[np.float64]

ONE_ATMOSPHERE_PA = 101325.0
#: Lethal hypoxia: 6 % O2 at one atmosphere [Pa] (CSB Safety Bulletin 2003-10-B, Table 1).
LETHAL_PPO2_PA = 0.06 * ONE_ATMOSPHERE_PA
#: Lethal hypercapnia: 10 % CO2 at one atmosphere [Pa] (CCOHS CHEMINFO, carbon dioxide).
LETHAL_PPCO2_PA = 0.10 * ONE_ATMOSPHERE_PA


@dataclass(frozen=True)
class CrewState:
    """Whether, when and where the crew's air turned lethal in a run.

    ``lethal_after_s`` is None when the air of every crewed module stayed within
    both limits (or there is no crew); ``module`` and ``cause`` say where and why.
    """

    crew_modules: tuple[str, ...]
    lethal_after_s: float | None
    module: str | None = None
    cause: str = ""

    def __str__(self) -> str:
        if not self.crew_modules:
            return "crew: none aboard"
        limits = (f"ppO2 below {LETHAL_PPO2_PA / MMHG_PA:.0f} mmHg or ppCO2 above "
                  f"{LETHAL_PPCO2_PA / MMHG_PA:.0f} mmHg")
        if self.lethal_after_s is None:
            return f"crew: air breathable throughout (lethal: {limits})"
        return (f"crew: WARNING the air turns lethal after {format_duration(self.lethal_after_s)}"
                f" in {self.module} ({self.cause})")

    def to_dict(self) -> dict[str, Any]:
        return {"modules": list(self.crew_modules), "lethal_after_s": self.lethal_after_s,
                "module": self.module, "cause": self.cause or None,
                "lethal_ppO2_Pa": LETHAL_PPO2_PA, "lethal_ppCO2_Pa": LETHAL_PPCO2_PA}


def first_crossing(time_s: F, value: F, limit: float, below: bool) -> float | None:
    """First time ``value`` crosses ``limit`` (linear between outputs), or None."""
    bad = value < limit if below else value > limit
    k = np.flatnonzero(bad)
    if k.size == 0:
        return None
    i = int(k[0])
    if i == 0:
        return 0.0
    v0, v1 = value[i - 1], value[i]
    t0, t1 = time_s[i - 1], time_s[i]
    return float(t0 + (t1 - t0) * (v0 - limit) / (v0 - v1))


def crew_state(time_s: F, module_ids: tuple[str, ...], crew_modules: tuple[str, ...],
               ppo2_Pa: F, ppco2_Pa: F) -> CrewState:
    """The :class:`CrewState` of a run from partial pressures [nt, n] [Pa]."""
    first: tuple[float, str, str] | None = None
    for mid in crew_modules:
        i = module_ids.index(mid)
        for t, cause in (
            (first_crossing(time_s, ppo2_Pa[:, i], LETHAL_PPO2_PA, True),
             f"hypoxia: ppO2 below {LETHAL_PPO2_PA / MMHG_PA:.0f} mmHg"),
            (first_crossing(time_s, ppco2_Pa[:, i], LETHAL_PPCO2_PA, False),
             f"hypercapnia: ppCO2 above {LETHAL_PPCO2_PA / MMHG_PA:.0f} mmHg"),
        ):
            if t is not None and (first is None or t < first[0]):
                first = (t, mid, cause)
    if first is None:
        return CrewState(crew_modules, None)
    return CrewState(crew_modules, first[0], first[1], first[2])
