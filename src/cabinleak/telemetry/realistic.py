"""Realistic station telemetry: a one-volume cabin read through real sensors and a real link.

:func:`realistic_record` returns a :class:`~cabinleak.telemetry.model.Telemetry` that looks
like what the public ISS feed (or an Astro Pi log) gives: the cabin of
:mod:`cabinleak.simulate.realistic` (thermal swings, crew, oxygen generator, represses, an
optional leak) seen by

* a pressure sensor: white noise, a slow random-walk drift, quantised to its step
  (0.101 mmHg on the public feed, 0.1 hPa on an Astro Pi);
* temperature sensors at one point each (air inlet, wall, electronics board): a first-order
  lag of the bulk gas temperature with a gain below 1 and an offset, plus a local swing of
  their own that the pressure does not follow;
* report by exception: a sample is sent only when its quantised value changes, or when
  ``heartbeat_s`` has passed since the last report;
* signal loss: alternating acquisition (AOS) and loss (LOS) spans; nothing is sent during
  LOS and every channel sends its current value at the next AOS.

Sampling is done day by day at ``sample_period_s`` and only reports are kept, so a year of
1 Hz sampling costs seconds. The default :class:`RealisticWorld` is the public-feed Quest
pressure calibrated in ``docs/calibration.md``; :data:`ASTRO_PI` is the Astro Pi log.

Examples
--------
>>> rec = realistic_record(6 * 3600.0, volume_m3=916.0, seed=1)
>>> rec.channels[0].name, rec.channels[0].unit
('cabin_pressure_Pa', 'Pa')
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

from cabinleak.errors import ScenarioError
from cabinleak.simulate.realistic import (
    DAY_S,
    CabinClimate,
    CabinTruth,
    Consumables,
    cabin_truth,
    ou_process,
)
from cabinleak.telemetry.model import Channel, Quantity, Telemetry

__all__ = [
    "ASTRO_PI", "NO_SIGNAL_LOSS", "PUBLIC_FEED", "PressureSensor", "RealisticRun",
    "RealisticWorld", "SignalLoss", "TemperatureSensor", "realistic_columns", "realistic_record",
    "realistic_run", "with_sensor",
]  # fmt: skip

F = NDArray[np.float64]
MMHG_PA = 101325.0 / 760.0
HPA_PA = 100.0


@dataclass(frozen=True)
class PressureSensor:
    """A cabin pressure gauge as it reports [Pa, s]."""

    name: str = "cabin"
    step_Pa: float = 0.10101 * MMHG_PA  # public feed USLAB000058 / AIRLOCK000054
    noise_sd_Pa: float = 0.0075 * MMHG_PA
    drift_Pa_per_sqrt_day: float = 0.02 * MMHG_PA
    offset_Pa: float = 0.0
    sample_period_s: float = 1.0
    heartbeat_s: float | None = None  # None: only changes are sent

    def __post_init__(self) -> None:
        _check_sensor(self.name, self.step_Pa, self.noise_sd_Pa, self.sample_period_s,
                      self.heartbeat_s)


@dataclass(frozen=True)
class TemperatureSensor:
    """An air temperature sensor at one point [K, s]: what it reads of the bulk gas.

    reading = T̄ + offset + gain·(lag_τ(T) − T̄) + local(t) + noise, quantised to ``step_K``,
    with lag_τ a first-order lag of time constant ``tau_s`` and ``local`` an
    Ornstein–Uhlenbeck swing of the air at that point (sd ``local_sd_K``, time
    ``local_time_s``) that the bulk gas, hence the pressure, does not share.
    """

    name: str = "inlet"
    location: str = "inlet"  # inlet, wall, board: documentation only
    gain: float = 0.7
    tau_s: float = 600.0
    offset_K: float = 0.8  # Lab inlet read 21.3–24.1 °C; the bulk mean is 295 K = 21.85 °C
    local_sd_K: float = 0.6
    local_time_s: float = 1800.0
    noise_sd_K: float = 0.01
    step_K: float = 0.1
    sample_period_s: float = 1.0
    heartbeat_s: float | None = None

    def __post_init__(self) -> None:
        _check_sensor(self.name, self.step_K, self.noise_sd_K, self.sample_period_s,
                      self.heartbeat_s)
        if not 0.0 <= self.gain <= 1.0:
            raise ScenarioError(f"sensor {self.name!r}: gain must be in [0, 1], got {self.gain}")
        if self.tau_s < 0 or self.local_sd_K < 0 or self.local_time_s <= 0:
            raise ScenarioError(f"sensor {self.name!r}: tau_s and local_sd_K must be >= 0, "
                                "local_time_s > 0")


def _check_sensor(name: str, step: float, noise: float, period: float,
                  heartbeat: float | None) -> None:
    if step < 0 or noise < 0:
        raise ScenarioError(f"sensor {name!r}: step and noise must be >= 0, got {step}, {noise}")
    if period <= 0:
        raise ScenarioError(f"sensor {name!r}: sample_period_s must be > 0, got {period}")
    if heartbeat is not None and heartbeat < period:
        raise ScenarioError(f"sensor {name!r}: heartbeat_s must be >= sample_period_s "
                            f"({period} s), got {heartbeat}")


@dataclass(frozen=True)
class SignalLoss:
    """Alternating AOS and LOS spans, each gamma-distributed (shape 2) about its mean [s].

    ``mean_los_s = 0`` turns signal loss off.
    """

    mean_aos_s: float = 2.5 * 3600.0
    mean_los_s: float = 45.0 * 60.0

    def spans(self, duration_s: float, rng: np.random.Generator) -> F:
        """LOS spans (start, end) [s] within [0, duration_s], shape (n, 2)."""
        if self.mean_los_s <= 0:
            return np.empty((0, 2))
        out = []
        t = float(rng.uniform(0.0, self.mean_aos_s))  # start somewhere in an AOS
        while t < duration_s:
            los = float(rng.gamma(2.0, self.mean_los_s / 2.0))
            out.append((t, min(t + los, duration_s)))
            t += los + float(rng.gamma(2.0, self.mean_aos_s / 2.0))
        return np.array(out) if out else np.empty((0, 2))


NO_SIGNAL_LOSS = SignalLoss(mean_los_s=0.0)


@dataclass(frozen=True)
class RealisticWorld:
    """Every parameter of a realistic record; the defaults are the calibrated public feed.

    ``represses_logged``: whether represses appear in the record as an injection channel
    (cumulative mass added) or only as unexplained pressure rises.
    """

    climate: CabinClimate = field(default_factory=CabinClimate)
    consumables: Consumables = field(default_factory=Consumables)
    pressure_sensor: PressureSensor = field(default_factory=PressureSensor)
    temperature_sensors: tuple[TemperatureSensor, ...] = ()
    signal_loss: SignalLoss = field(default_factory=SignalLoss)
    represses_logged: bool = True
    pressure_Pa: float = 758.8 * MMHG_PA  # Quest, 2025-08-06 record mean
    truth_dt_s: float = 10.0


#: The public ISS feed with the Lab air-inlet temperature (USLAB000059, 0.1 °C steps).
PUBLIC_FEED = RealisticWorld(temperature_sensors=(TemperatureSensor(),))
#: An Astro Pi Mark II log: 0.1 hPa steps every 5 s, a board sensor 10 K warm, no link gaps.
ASTRO_PI = RealisticWorld(
    pressure_sensor=PressureSensor(name="astropi", step_Pa=0.1 * HPA_PA,
                                   noise_sd_Pa=0.015 * HPA_PA, sample_period_s=5.0,
                                   heartbeat_s=5.0),
    temperature_sensors=(TemperatureSensor(name="board", location="board", gain=0.7,
                                           tau_s=900.0, offset_K=10.5, local_sd_K=0.25,
                                           local_time_s=3 * 3600.0, noise_sd_K=0.05,
                                           sample_period_s=5.0, heartbeat_s=5.0),),
    signal_loss=NO_SIGNAL_LOSS, pressure_Pa=1012.7 * HPA_PA)


@dataclass(frozen=True, eq=False)
class RealisticRun:
    """A realistic record and the truth behind it."""

    telemetry: Telemetry
    truth: CabinTruth
    los_spans: F  # (n, 2) signal-loss spans [s]
    world: RealisticWorld


def _report_mask(counts: NDArray[np.int64], times: F, prev: int | None,
                 last_report_s: float, heartbeat_s: float | None,
                 forced: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Which samples are sent: value changes, forced (AOS) samples and heartbeats."""
    before = np.concatenate(([counts[0] - 1 if prev is None else prev], counts[:-1]))
    send = (counts != before) | forced
    if heartbeat_s is None or counts.size == 0:
        return send
    sample_s = times[1] - times[0] if times.size > 1 else heartbeat_s
    if heartbeat_s <= sample_s:
        return np.ones(counts.size, dtype=bool)  # a heartbeat every sample: send them all
    idx = np.flatnonzero(send)
    # a report every heartbeat_s after the previous one while nothing else is sent
    first = max(last_report_s, times[0] - heartbeat_s)
    marks = np.concatenate(([first], times[idx], [times[-1] + heartbeat_s]))
    lo, gap = marks[:-1], np.diff(marks)
    n_beats = np.maximum(0, np.ceil(gap / heartbeat_s - 1e-9).astype(np.int64) - 1)
    if n_beats.sum():
        start = np.repeat(lo, n_beats)
        k = np.arange(n_beats.sum()) - np.repeat(np.cumsum(n_beats) - n_beats, n_beats) + 1
        pos = np.searchsorted(times, start + k * heartbeat_s - 1e-9)
        send[pos[pos < times.size]] = True
    return send


def _sense(duration_s: float, period_s: float, truth_t: F, level: F, noise_sd: float,
           step: float, heartbeat_s: float | None, los: F,
           rng: np.random.Generator) -> tuple[F, F]:
    """Sample ``level`` (given on the truth grid) day by day; the report times and values."""
    n_total = int(np.floor(duration_s / period_s + 1e-9)) + 1
    per_chunk = max(1, round(DAY_S / period_s))
    out_t: list[F] = []
    out_v: list[F] = []
    prev: int | None = None
    last = -np.inf
    for i0 in range(0, n_total, per_chunk):
        ts = period_s * np.arange(i0, min(i0 + per_chunk, n_total), dtype=float)
        x = np.interp(ts, truth_t, level)
        if noise_sd > 0:
            x = x + rng.normal(0.0, noise_sd, ts.size)
        counts = (np.round(x / step).astype(np.int64) if step > 0
                  else np.arange(i0, i0 + ts.size, dtype=np.int64))  # unquantised: all differ
        in_los = np.zeros(ts.size, dtype=bool)
        forced = np.zeros(ts.size, dtype=bool)
        j0, j1 = np.searchsorted(los[:, 1], ts[0]), np.searchsorted(los[:, 0], ts[-1], "right")
        for a, b in los[j0:j1]:
            k0, k1 = np.searchsorted(ts, [a, b])
            in_los[k0:k1] = True
            if k1 < ts.size:
                forced[k1] = True
        if prev is None and i0 == 0:
            forced[0] = True  # the first sample is always sent
        send = _report_mask(counts, ts, prev, last, heartbeat_s, forced) & ~in_los
        prev = None if in_los[-1] else int(counts[-1])
        if send.any():
            out_t.append(ts[send])
            out_v.append(np.asarray(counts[send] * step if step > 0 else x[send], dtype=float))
            last = float(ts[send][-1])
    if not out_t:
        return np.array([]), np.array([])
    return np.concatenate(out_t), np.concatenate(out_v)


def realistic_run(duration_s: float, *, volume_m3: float, leak_cd_area_m2: float = 0.0,
                  leak_start_s: float | None = None, seed: int | np.random.Generator = 0,
                  world: RealisticWorld | None = None,
                  start_time: datetime | None = None) -> RealisticRun:
    """A realistic record with its truth; see :func:`realistic_record`."""
    w = world or RealisticWorld()
    gen = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    truth = cabin_truth(duration_s, volume_m3=volume_m3, pressure_Pa=w.pressure_Pa,
                        leak_cd_area_m2=leak_cd_area_m2, leak_start_s=leak_start_s,
                        climate=w.climate, consumables=w.consumables, rng=gen,
                        dt_s=w.truth_dt_s)
    los = w.signal_loss.spans(duration_s, gen)
    t = truth.time_s
    ps = w.pressure_sensor
    drift = np.zeros(t.size)
    if ps.drift_Pa_per_sqrt_day > 0:
        steps = gen.normal(0.0, ps.drift_Pa_per_sqrt_day * np.sqrt(w.truth_dt_s / DAY_S),
                           t.size - 1)
        drift[1:] = np.cumsum(steps)
    reports: list[tuple[str, str, Quantity, float, F, F]] = []
    pt, pv = _sense(duration_s, ps.sample_period_s, t,
                    truth.pressure_Pa + ps.offset_Pa + drift, ps.noise_sd_Pa, ps.step_Pa,
                    ps.heartbeat_s, los, gen)
    reports.append((f"{ps.name}_pressure_Pa", ps.name, "pressure", ps.step_Pa, pt, pv))
    mean_t = w.climate.mean_temperature_K
    for s in w.temperature_sensors:
        bulk = truth.temperature_K - mean_t
        if s.tau_s > 0:
            a = float(np.exp(-w.truth_dt_s / s.tau_s))
            lagged = lfilter([1.0 - a], [1.0, -a], bulk, zi=[a * bulk[0]])[0]
        else:
            lagged = bulk
        local = ou_process(t.size, w.truth_dt_s, s.local_sd_K, s.local_time_s, gen)
        level = mean_t + s.offset_K + s.gain * lagged + local
        tt, tv = _sense(duration_s, s.sample_period_s, t, level, s.noise_sd_K,
                        s.step_K, s.heartbeat_s, los, gen)
        reports.append((f"{s.name}_T_K", s.name, "temperature", s.step_K, tt, tv))
    grid = np.unique(np.concatenate([r[4] for r in reports]))
    channels = []
    for name, source, quantity, step, rt, rv in reports:
        values = np.full(grid.size, np.nan)
        values[np.searchsorted(grid, rt)] = rv
        channels.append(Channel(name, source, quantity, "Pa" if quantity == "pressure" else "K",
                                values, resolution=step))
    if w.represses_logged and truth.represses:
        channels.append(Channel("represses_injection_kg", "represses", "injection", "kg",
                                np.interp(grid, t, truth.injected_kg)))
    meta = {"generator": "cabinleak.telemetry.realistic",
            "volume_m3": f"{volume_m3:g}", "leak_cd_area_m2": f"{leak_cd_area_m2:g}",
            "leak_start_s": "none" if leak_start_s is None else f"{leak_start_s:g}",
            "seed": str(seed) if not isinstance(seed, np.random.Generator) else "generator"}
    tel = Telemetry("<realistic>", grid, tuple(channels), start_time, (), meta)
    return RealisticRun(tel, truth, los, w)


def realistic_record(duration_s: float, *, volume_m3: float, leak_cd_area_m2: float = 0.0,
                     leak_start_s: float | None = None, seed: int | np.random.Generator = 0,
                     world: RealisticWorld | None = None,
                     start_time: datetime | None = None) -> Telemetry:
    """A realistic telemetry record of a one-volume cabin with an optional leak.

    Parameters
    ----------
    duration_s : length of the record [s].
    volume_m3 : the cabin's gas volume [m³] (ISS, hatches open: 916).
    leak_cd_area_m2 : effective leak area Cd·A [m²] to vacuum (0: no leak).
    leak_start_s : when the leak opens [s] (None with a leak: at 0).
    seed : seed or ``numpy.random.Generator``; the same seed gives the same record.
    world : every other parameter (:class:`RealisticWorld`); default ``RealisticWorld()``,
        the calibrated public-feed pressure alone (:data:`PUBLIC_FEED` adds the Lab air-inlet
        temperature, :data:`ASTRO_PI` is an Astro Pi log).
    start_time : absolute time of t = 0, if wanted.

    Returns
    -------
    Telemetry
        One row per report of any channel (integer multiples of the sample period);
        each channel is NaN on the rows where it sent nothing. Channels:
        ``<sensor>_pressure_Pa``, ``<sensor>_T_K`` and, when represses are logged,
        ``represses_injection_kg`` (cumulative mass added) on every row.
    """
    return realistic_run(duration_s, volume_m3=volume_m3, leak_cd_area_m2=leak_cd_area_m2,
                         leak_start_s=leak_start_s, seed=seed, world=world,
                         start_time=start_time).telemetry


def realistic_columns(telemetry: Telemetry) -> dict[str, F]:
    """The record as columns for :func:`cabinleak.telemetry.write.write_table`.

    Injection channels are written as the mass added on each row [kg], as tables hold
    them (:func:`cabinleak.telemetry.read.read_telemetry` sums them back to cumulative).
    """
    cols: dict[str, F] = {"time_s": telemetry.time_s}
    for c in telemetry.channels:
        if c.quantity == "injection":
            cols[c.name] = np.concatenate(([0.0], np.diff(c.values)))
        else:
            cols[c.name] = c.values
    return cols


def with_sensor(world: RealisticWorld, **changes: object) -> RealisticWorld:
    """``world`` with its pressure sensor's fields changed (a convenience for sweeps)."""
    return dataclasses.replace(world, pressure_sensor=dataclasses.replace(
        world.pressure_sensor, **changes))  # type: ignore[arg-type]
