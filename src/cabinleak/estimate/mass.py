"""Gas mass in an isolated volume from its pressure and temperature records.

m = p·V/(R·T) is what a leak removes; pressure alone also moves with temperature
(a 0.1 K/h drift in a 100 m³ cabin at 1 atm and 295 K reads as V·p/(R·T²)·dT/dt =
0.97 kg/day of leak), which is the ASTM E2930 reason to track mass, not pressure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import CabinleakError
from cabinleak.physics.gas import R_UNIVERSAL
from cabinleak.physics.units import MMHG_PA
from cabinleak.telemetry import Channel, Telemetry

# A hand-read dial is read to its nearest mark: 1 mmHg unless the table says otherwise.
GAUGE_RESOLUTION_PA = MMHG_PA
DEFAULT_TEMPERATURE_K = 295.0
F = NDArray[np.float64]


class EstimateError(CabinleakError):
    """The records cannot support the estimate asked for (what is missing is said)."""


@dataclass(frozen=True, eq=False)
class MassSeries:
    """The gas mass of one isolated volume over time, with its 1σ measurement error.

    ``mass_kg`` is the measured p·V/(R·T) less the known additions (``added_kg``:
    injections, crew metabolism), so a leak shows as ``-d(mass_kg)/dt``.

    A pressure gauge counts moles, so p·V/(R·T) is the mass the gas would have at
    the cabin's molar mass M. Known additions are therefore booked as the moles they
    add times M (an O2 molecule used and a CO2 molecule breathed out change the
    pressure by their moles, not their mass), while a leak, which takes cabin gas
    as it is, shows at its true mass rate.
    """

    label: str
    modules: tuple[str, ...]
    volume_m3: float
    gas_constant: float  # [J/(kg·K)]
    time_s: F
    mass_kg: F
    mass_sd_kg: F
    pressure_Pa: F
    temperature_K: F
    added_kg: F  # cumulative known additions since the first sample [kg]
    pressure_sd_Pa: float  # per-sample 1σ of the combined pressure reading
    temperature_sd_K: float
    temperature_compensated: bool
    pressure_resolution_Pa: float = 0.0
    samples_per_point: F | None = None  # raw samples behind each point after binning

    def __len__(self) -> int:
        return int(self.time_s.size)

    @property
    def pressure_per_kg(self) -> F:
        """dp/dm at the measured temperature [Pa/kg]: R·T/V."""
        return self.gas_constant * self.temperature_K / self.volume_m3


def noise_sd(values: F, resolution: float = 0.0) -> float:
    """Per-sample noise 1σ of a slowly varying record, from its second differences.

    For white noise of variance σ², x[k+1] − 2x[k] + x[k−1] has variance 6σ²; the
    median absolute deviation (÷0.6745) keeps steps, spikes and slow drifts out of it.
    The result is never below the quantisation error resolution/√12.
    """
    x = values[np.isfinite(values)]
    floor = resolution / np.sqrt(12.0)
    if x.size < 8:
        return float(floor)
    d2 = x[2:] - 2.0 * x[1:-1] + x[:-2]
    mad = float(np.median(np.abs(d2 - np.median(d2)))) / 0.6745
    return float(max(mad / np.sqrt(6.0), floor))


def combine(channels: Sequence[Channel], default_sd: float | None = None,
            weights: Sequence[float] | None = None) -> tuple[F, F, float]:
    """One reading per row from several channels of the same quantity in one volume.

    Each channel's constant offset from the first (sensor bias) is removed before
    averaging, so a dropout in one sensor does not step the average; the average
    keeps the mean offset. Returns (values, per-row 1σ, per-sample 1σ of one channel).
    """
    if not channels:
        raise EstimateError("no channels to combine")
    data = np.vstack([c.values for c in channels])
    # a stated noise level replaces the estimate; neither goes below quantisation
    sds = np.array([max(default_sd, c.resolution / np.sqrt(12.0)) if default_sd is not None
                    else noise_sd(c.values, c.resolution) for c in channels])
    w = np.ones(len(channels)) if weights is None else np.asarray(weights, dtype=float)
    ref = data[0]
    offsets = np.array([np.nanmedian(row - ref) if np.any(np.isfinite(row - ref)) else 0.0
                        for row in data])
    offsets -= np.average(offsets, weights=w)
    aligned = data - offsets[:, None]
    valid = np.isfinite(aligned)
    wv = np.where(valid, w[:, None], 0.0)
    total = wv.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(total > 0, np.nansum(np.where(valid, aligned, 0.0) * wv, axis=0) / total,
                         np.nan)
        var = np.where(total > 0, (wv**2 * (sds**2)[:, None]).sum(axis=0) / total**2, np.nan)
    return value, np.sqrt(var), float(np.sqrt(np.mean(sds**2)))


def mass_series(tel: Telemetry, pressure: Sequence[Channel], temperature: Sequence[Channel], *,
                volume_m3: float, gas_constant: float, label: str,
                modules: Sequence[str] = (), injections: Sequence[Channel] = (),
                injection_molar_masses: Sequence[float] | None = None,
                source_kg_per_s: float = 0.0, pressure_sd_Pa: float | None = None,
                temperature_sd_K: float | None = None,
                temperature_K: float = DEFAULT_TEMPERATURE_K) -> MassSeries:
    """The gas mass of one volume from its pressure and temperature channels.

    Parameters
    ----------
    pressure, temperature : channels in the volume (temperature may be empty:
        the mass is then not temperature-compensated and ``temperature_K`` is used).
    volume_m3 : free gas volume [m³].
    gas_constant : specific gas constant of the cabin gas [J/(kg·K)].
    injections : cumulative known additions [kg] (``injection`` channels).
    injection_molar_masses : molar mass of each injection's gas [kg/mol]; default
        the cabin gas's (M = R_universal / gas_constant).
    source_kg_per_s : a steady known net source, as moles per second times the cabin
        gas's molar mass [kg/s] (crew: CO2 breathed out less O2 used, in moles);
        negative for a sink.
    pressure_sd_Pa, temperature_sd_K : per-sample noise 1σ; estimated from the
        records when not given (see :func:`noise_sd`), and never below the
        quantisation error. Hand-read gauges default to 1 mmHg resolution.
    """
    if not pressure:
        raise EstimateError(f"{tel.path}: no pressure column for {label}")
    if volume_m3 <= 0:
        raise EstimateError(f"volume of {label} must be > 0 m3, got {volume_m3:g}")
    chans = list(pressure)
    if tel.is_gauge:
        chans = [c if c.resolution > 0 else replace(c, resolution=GAUGE_RESOLUTION_PA)
                 for c in chans]
    p, p_sd_row, p_sd = combine(chans, pressure_sd_Pa)
    res_p = max(c.resolution for c in chans)
    if temperature:
        temp, t_sd_row, t_sd = combine(list(temperature), temperature_sd_K)
        temp = _fill(tel.time_s, temp)
        t_sd_row = np.where(np.isfinite(t_sd_row), t_sd_row, t_sd)
        compensated = True
    else:
        temp = np.full_like(p, temperature_K)
        t_sd_row = np.zeros_like(p)
        t_sd = 0.0
        compensated = False
    keep = np.isfinite(p)
    if keep.sum() < 2:
        raise EstimateError(f"{tel.path}: {label} has fewer than two pressure readings")
    added = np.zeros_like(p)
    molar_mass = R_UNIVERSAL / gas_constant
    masses = injection_molar_masses or [molar_mass] * len(injections)
    for c, m_gas in zip(injections, masses, strict=True):
        added += _fill(tel.time_s, c.values, before=0.0) * (molar_mass / m_gas)
    t = tel.time_s
    added += source_kg_per_s * (t - t[0])
    m = p * volume_m3 / (gas_constant * temp)
    sd = m * np.sqrt((p_sd_row / p) ** 2 + (t_sd_row / temp) ** 2)
    return MassSeries(label=label, modules=tuple(modules), volume_m3=volume_m3,
                      gas_constant=gas_constant, time_s=t[keep], mass_kg=(m - added)[keep],
                      mass_sd_kg=sd[keep], pressure_Pa=p[keep], temperature_K=temp[keep],
                      added_kg=added[keep], pressure_sd_Pa=p_sd, temperature_sd_K=t_sd,
                      temperature_compensated=compensated, pressure_resolution_Pa=res_p,
                      samples_per_point=np.ones(int(keep.sum())))


def _fill(t: F, values: F, before: float | None = None) -> F:
    """Linear interpolation over missing samples; held constant past the ends."""
    ok = np.isfinite(values)
    if not ok.any():
        return np.full_like(t, before if before is not None else np.nan)
    out = np.interp(t, t[ok], values[ok])
    if before is not None:
        out[t < t[ok][0]] = before
    return out


def bin_series(ms: MassSeries, width_s: float) -> MassSeries:
    """Average a series into bins of ``width_s`` (errors shrink as 1/√n).

    Bins average the per-sample values and their variances add as independent
    errors; empty bins are dropped. A series already coarser than the width is
    returned unchanged.
    """
    t = ms.time_s
    if t.size < 2 or width_s <= float(np.median(np.diff(t))):
        return ms
    idx = np.floor((t - t[0]) / width_s).astype(np.int64)
    n = np.bincount(idx).astype(float)
    used = n > 0

    def mean(x: F) -> F:
        return (np.bincount(idx, weights=x) / np.maximum(n, 1))[used]

    var = np.bincount(idx, weights=ms.mass_sd_kg**2)[used] / n[used] ** 2
    counts = ms.samples_per_point if ms.samples_per_point is not None else np.ones_like(t)
    per_bin = np.asarray(np.bincount(idx, weights=counts)[used], dtype=float)
    return replace(ms, time_s=mean(t), mass_kg=mean(ms.mass_kg), mass_sd_kg=np.sqrt(var),
                   pressure_Pa=mean(ms.pressure_Pa), temperature_K=mean(ms.temperature_K),
                   added_kg=mean(ms.added_kg),
                   samples_per_point=per_bin)
