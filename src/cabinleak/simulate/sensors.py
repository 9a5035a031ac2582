"""Sensor model: turn simulated states into telemetry, as real gauges would report it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from cabinleak.simulate.result import SimulationResult
from cabinleak.station import Sensor


def sample(result: SimulationResult, sensors: Sequence[Sensor],
           rng: np.random.Generator | int | None = 0) -> tuple[NDArray[np.float64],
                                                              dict[str, NDArray[np.float64]]]:
    """Telemetry of each sensor at its own sample rate over the simulated span.

    The true state is interpolated linearly in time, then bias and Gaussian noise
    (``noise_sd``) are added, then the reading is quantised to ``resolution``
    (round to nearest), as a digital gauge does. Returns the common time grid [s]
    (the fastest sensor's) and one reading array per sensor id (NaN where a slower
    sensor has no sample); units are Pa or K.
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if not sensors:
        return np.array([]), {}
    span = float(result.time_s[-1])
    rate = max(s.rate_Hz for s in sensors)
    t = np.arange(0.0, span + 0.5 / rate, 1.0 / rate)
    t = t[t <= span]
    out: dict[str, NDArray[np.float64]] = {}
    for s in sensors:
        col = result.module_index(s.module)
        truth_series = result.pressure_Pa if s.quantity == "pressure" else result.temperature_K
        truth = np.interp(t, result.time_s, truth_series[:, col])
        reading = truth + s.bias + gen.normal(0.0, s.noise_sd, t.shape) if s.noise_sd > 0 \
            else truth + s.bias
        if s.resolution > 0:
            reading = np.round(reading / s.resolution) * s.resolution
        keep = np.zeros(t.shape, dtype=bool)
        keep[:: max(1, round(rate / s.rate_Hz))] = True
        out[s.id] = np.where(keep, reading, np.nan)
    return t, out


def thermal_cycle(result: SimulationResult, amplitude_K: float, period_s: float,
                  phase: float = 0.0) -> SimulationResult:
    """The same run seen through a cabin thermal cycle (e.g. the 90-minute orbit).

    Every module's gas temperature swings by ``amplitude_K`` sinusoidally with
    ``period_s``, slowly enough that the gas stays uniform: at fixed mass and volume
    an ideal gas's pressure follows p ∝ T, so pressures are scaled by T'/T and
    masses and compositions are unchanged. The leak rate's own response to the
    swing (of order amplitude/T, 0.1 % per K) is neglected, which makes this a
    test of temperature compensation, not of the flow law.
    """
    swing = amplitude_K * np.sin(2.0 * np.pi * result.time_s / period_s + phase)
    temperature = result.temperature_K + swing[:, None]
    pressure = result.pressure_Pa * temperature / result.temperature_K
    return dataclasses.replace(result, temperature_K=temperature, pressure_Pa=pressure)
