"""Telemetry with known truth: a simulation read through the station's sensors."""

from __future__ import annotations

import dataclasses

import numpy as np

from cabinleak.simulate.result import SimulationResult
from cabinleak.simulate.sensors import thermal_cycle
from cabinleak.station import Station
from cabinleak.telemetry.write import sensor_columns

ORBIT_PERIOD_S = 5400.0  # about 90 minutes in low Earth orbit


def synthetic_telemetry(result: SimulationResult, station: Station, *,
                        rng: np.random.Generator | int | None = 0, rate_Hz: float | None = None,
                        thermal_amplitude_K: float = 0.0,
                        thermal_period_s: float = ORBIT_PERIOD_S) -> dict[str, np.ndarray]:
    """What the station's sensors would report for a simulated run, with known gas additions.

    Parameters
    ----------
    result : the simulated run. Its output grid should resolve the thermal cycle and
        have points just after each supply switch: the logged flow is interpolated
        between outputs, and a ramp over a coarse step would misplace gas.
    station : the station simulated; its ``[[sensor]]`` list is read.
    rate_Hz : overrides every sensor's sample rate [Hz] (smaller demo files).
    thermal_amplitude_K, thermal_period_s : a cabin thermal cycle laid over the run
        (see :func:`cabinleak.simulate.sensors.thermal_cycle`).

    Returns
    -------
    dict
        ``time_s``, one column per sensor (``<id>_pressure_Pa``, ``<id>_T_K``) and, when
        gas was supplied, ``<module>_injection_kg_per_s`` with the supply flow: the
        known additions an analysis removes from the mass balance. The simulator
        reports the total of all supplies, so it is booked to the first supply's module.
    """
    run = (thermal_cycle(result, thermal_amplitude_K, thermal_period_s)
           if thermal_amplitude_K else result)
    sensors = station.sensors
    if rate_Hz is not None:
        sensors = tuple(dataclasses.replace(s, rate_Hz=rate_Hz) for s in sensors)
    cols = sensor_columns(run, sensors, rng)
    if station.supplies and np.any(result.supplied_kg_per_s > 0):
        module = station.supplies[0].module
        cols[f"{module}_injection_kg_per_s"] = np.interp(cols["time_s"], result.time_s,
                                                         result.supplied_kg_per_s)
    return cols
