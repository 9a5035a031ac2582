"""Gas mass in an isolated volume from its pressure and temperature records.

m = p·V/(R·T) is what a leak removes; pressure alone also moves with temperature
(a 0.1 K/h drift in a 100 m³ cabin at 1 atm and 295 K reads as V·p/(R·T²)·dT/dt =
0.97 kg/day of leak), which is the ASTM E2930 reason to track mass, not pressure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import median_abs_deviation

from cabinleak.estimate.checks import EstimateError
from cabinleak.estimate.thermal import fit_coupling
from cabinleak.physics.gas import (
    AIR_MASS_FRACTIONS,
    MOLAR_MASS,
    R_AIR,
    R_UNIVERSAL,
    mole_to_mass_fractions,
)
from cabinleak.physics.units import MMHG_PA
from cabinleak.telemetry import Channel, Telemetry

# A hand-read dial is read to its nearest mark: 1 mmHg unless the table says otherwise.
GAUGE_RESOLUTION_PA = MMHG_PA
DEFAULT_TEMPERATURE_K = 295.0
F = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class MassSeries:
    """The gas mass of one isolated volume over time, with its 1σ measurement error.

    ``mass_kg`` is the measured p·V/(R·T) less the known additions (``added_kg``:
    injections, crew metabolism), so a leak shows as ``-d(mass_kg)/dt``.

    ``gas_constant`` is the cabin gas's at the last sample (see :func:`mass_series`).
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
    gas_constant_series: F | None = None  # R at each point as the composition drifts
    mole_fractions_end: F | None = None  # composition at the last sample (when tracked)
    temperature_note: str = ""  # how the temperature sensor was found to follow the gas

    def __len__(self) -> int:
        return int(self.time_s.size)

    def select(self, keep: NDArray[np.bool_]) -> MassSeries:
        """The series at the points where ``keep`` is true (every per-point array cut)."""
        return replace(self, time_s=self.time_s[keep], mass_kg=self.mass_kg[keep],
                       mass_sd_kg=self.mass_sd_kg[keep], pressure_Pa=self.pressure_Pa[keep],
                       temperature_K=self.temperature_K[keep], added_kg=self.added_kg[keep],
                       samples_per_point=(None if self.samples_per_point is None
                                          else self.samples_per_point[keep]),
                       gas_constant_series=(None if self.gas_constant_series is None
                                            else self.gas_constant_series[keep]))

    @property
    def pressure_per_kg(self) -> F:
        """dp/dm at the measured temperature [Pa/kg]: R·T/V."""
        return self.gas_constant * self.temperature_K / self.volume_m3


# Medians (noise, sensor offsets) are taken on at most this many samples, spread over
# the record in blocks: a year at 1 Hz would otherwise cost seconds per channel.
MEDIAN_SAMPLES = 200_000


SAMPLE_RUNS = 200
_RUN = MEDIAN_SAMPLES // SAMPLE_RUNS


def _spread_sample(n: int) -> slice | NDArray[np.intp]:
    """All of 0..n−1, or MEDIAN_SAMPLES indices in SAMPLE_RUNS contiguous runs over it."""
    if n <= MEDIAN_SAMPLES:
        return slice(None)
    run = _RUN
    starts = np.linspace(0, n - run, SAMPLE_RUNS).astype(np.intp)
    return np.asarray((starts[:, None] + np.arange(run)[None, :]).ravel(), dtype=np.intp)


def noise_sd(values: F, resolution: float = 0.0) -> float:
    """Per-sample noise 1σ of a slowly varying record, from its second differences.

    For white noise of variance σ², x[k+1] − 2x[k] + x[k−1] has variance 6σ²; the
    median absolute deviation (scaled to a normal σ) keeps steps, spikes and slow drifts out of it.
    Long records are sampled in contiguous runs (:data:`MEDIAN_SAMPLES`). The result
    is never below the quantisation error resolution/√12.
    """
    x = values[np.isfinite(values)]
    floor = resolution / np.sqrt(12.0)
    if x.size < 8:
        return float(floor)
    sampled = x.size > MEDIAN_SAMPLES
    x = x[_spread_sample(x.size)]
    d2 = x[2:] - 2.0 * x[1:-1] + x[:-2]
    if sampled:  # runs were joined end to end: drop the differences across a join
        d2 = d2[(np.arange(d2.size) % _RUN) < _RUN - 2]
    mad = float(median_abs_deviation(d2, scale="normal"))
    if mad == 0.0:
        # held values (a quantised or sent-on-change record): most second differences are
        # exactly 0 and the median says nothing; their mean square still counts the changes
        mad = float(np.sqrt(np.mean(d2**2)))
    # never zero: a record that does not move at all is still read to its last digit
    tiny = 1e-9 * float(np.median(np.abs(x)))
    return float(max(mad / np.sqrt(6.0), floor, tiny))


def combine(channels: Sequence[Channel], default_sd: float | None = None,
            weights: Sequence[float] | None = None) -> tuple[F, F, float]:
    """One reading per row from several channels of the same quantity in one volume.

    Each channel's constant offset from the first (sensor bias) is removed before
    averaging, so a dropout in one sensor does not step the average; the average
    keeps the mean offset. Returns (values, per-row 1σ, per-sample 1σ of one channel).
    """
    if not channels:
        raise EstimateError("no channels to combine")
    # a stated noise level replaces the estimate; neither goes below quantisation.
    # A binned channel carries its raw samples' noise; its rows average `counts` of them.
    sds = np.array([max(default_sd, c.resolution / np.sqrt(12.0)) if default_sd is not None
                    else c.noise_sd if c.noise_sd is not None
                    else noise_sd(c.values, c.resolution) for c in channels])
    w = np.ones(len(channels)) if weights is None else np.asarray(weights, dtype=float)
    ref = channels[0].values
    pick = _spread_sample(ref.size)
    offsets = np.zeros(len(channels))
    for k, c in enumerate(channels[1:], start=1):
        diff = c.values[pick] - ref[pick]
        if np.any(np.isfinite(diff)):
            offsets[k] = float(np.nanmedian(diff))
    offsets -= np.average(offsets, weights=w)
    # accumulate channel by channel: no [channels, rows] copies of a long record
    n = ref.size
    num, total, var_num = np.zeros(n), np.zeros(n), np.zeros(n)
    for c, off, wk, sd in zip(channels, offsets, w, sds, strict=True):
        ok = np.isfinite(c.values)
        wv = np.where(ok, wk, 0.0)
        num += np.where(ok, c.values - off, 0.0) * wk
        total += wv
        counts = c.counts if c.counts is not None else 1.0
        var_num += wv**2 * sd**2 / np.maximum(counts, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(total > 0, num / total, np.nan)
        var = np.where(total > 0, var_num / total**2, np.nan)
    return value, np.sqrt(var), float(np.sqrt(np.mean(sds**2)))


def mass_series(tel: Telemetry, pressure: Sequence[Channel], temperature: Sequence[Channel], *,
                volume_m3: float, label: str, gas_constant: float | None = None,
                mole_fractions: ArrayLike | None = None, modules: Sequence[str] = (),
                injections: Sequence[Channel] = (),
                injection_mass_fractions: Sequence[ArrayLike] | None = None,
                species_source_kg_per_s: ArrayLike | None = None,
                pressure_sd_Pa: float | None = None, temperature_sd_K: float | None = None,
                temperature_K: float = DEFAULT_TEMPERATURE_K) -> MassSeries:
    """The gas mass of one volume from its pressure and temperature channels.

    A gauge counts moles, n = p·V/(R_u·T). With ``mole_fractions`` (the cabin gas at
    the first sample, over N2, O2, CO2, H2O) the composition is carried along: known
    additions change it (crew O2 use and CO2 output, an N2 repress), the leak takes
    gas as it is and does not. The mass is n·M(t) with M(t) the mixture's molar mass,
    so the leak shows at its true mass rate. With only ``gas_constant`` the gas is
    taken as fixed: m = p·V/(R·T) and additions count at their mass.

    Parameters
    ----------
    pressure, temperature : channels in the volume (temperature may be empty:
        the mass is then not temperature-compensated and ``temperature_K`` is used).
    volume_m3 : free gas volume [m³].
    gas_constant : specific gas constant of a fixed cabin gas [J/(kg·K)].
    mole_fractions : cabin gas composition at the start [-] (overrides gas_constant).
    injections : cumulative known additions [kg] (``injection`` channels).
    injection_mass_fractions : composition of each injection's gas (default: the
        cabin gas's).
    species_source_kg_per_s : steady known sources of each species [kg/s] (crew:
        O2 negative, CO2 positive).
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
    # a temperature column with no reading at all is as good as none
    temperature = [c for c in temperature if np.isfinite(c.values).any()]
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
    t, p, temp = tel.time_s[keep], p[keep], temp[keep]
    p_sd_row, t_sd_row = p_sd_row[keep], t_sd_row[keep]
    temperature_note = ""
    if compensated:
        # the sensor may see the gas late, partly or offset: fit how it follows it
        coupling = fit_coupling(t, p, temp, nominal_K=temperature_K, sensor_sd_K=t_sd)
        temp = coupling.gas_temperature(t, temp)
        t_sd_row = t_sd_row * coupling.gain
        temperature_note = coupling.note
        compensated = coupling.follows
    if mole_fractions is None:
        x0 = None
        r0 = gas_constant if gas_constant is not None else R_AIR
        y0 = AIR_MASS_FRACTIONS
    else:
        x0 = np.asarray(mole_fractions, dtype=float) / np.sum(mole_fractions)
        y0 = mole_to_mass_fractions(x0)
        r0 = float(R_UNIVERSAL / np.dot(x0, MOLAR_MASS))
    # cumulative known additions of each species [kg], [n, 4]
    added = np.zeros((t.size, MOLAR_MASS.size))
    fractions = list(injection_mass_fractions or [y0] * len(injections))
    for c, y in zip(injections, fractions, strict=True):
        added += _fill(tel.time_s, c.values, before=0.0)[keep, None] * np.asarray(y)[None, :]
    if species_source_kg_per_s is not None:
        added += (t - t[0])[:, None] * np.asarray(species_source_kg_per_s, dtype=float)[None, :]
    if x0 is None:
        m = p * volume_m3 / (r0 * temp)
        r_series = np.full_like(p, r0)
        x_end = None
    else:
        n = p * volume_m3 / (R_UNIVERSAL * temp)
        x = _composition(n, x0, added / MOLAR_MASS)
        molar = x @ MOLAR_MASS
        m = n * molar
        r_series = R_UNIVERSAL / molar
        x_end = x[-1]
    sd = m * np.sqrt((p_sd_row / p) ** 2 + (t_sd_row / temp) ** 2)
    added_kg = added.sum(axis=1)
    return MassSeries(label=label, modules=tuple(modules), volume_m3=volume_m3,
                      gas_constant=float(r_series[-1]), time_s=t, mass_kg=m - added_kg,
                      mass_sd_kg=sd,
                      pressure_Pa=p, temperature_K=temp, added_kg=added_kg,
                      pressure_sd_Pa=p_sd, temperature_sd_K=t_sd,
                      temperature_compensated=compensated, pressure_resolution_Pa=res_p,
                      samples_per_point=np.ones(t.size), gas_constant_series=r_series,
                      mole_fractions_end=x_end, temperature_note=temperature_note)


def _composition(n: F, x0: F, added_mol: F) -> F:
    """Mole fractions [n, 4] as known additions mix in and a leak takes gas as it is.

    Between samples k and k+1 the leak removes gas of composition x_k and species
    i gains ΔA_i moles, so x_{k+1} = x_k·(n_{k+1} − ΔA)/n_{k+1} + ΔA_i/n_{k+1}: a
    linear recursion x_{k+1} = a_k·x_k + b_k, solved with cumulative products.
    """
    d_add = np.diff(added_mol, axis=0)  # [n-1, 4]
    a = 1.0 - d_add.sum(axis=1) / n[1:]
    b = d_add / n[1:, None]
    prod = np.concatenate([[1.0], np.cumprod(a)])  # P_k = a_0···a_{k-1}
    acc = np.concatenate([np.zeros((1, x0.size)), np.cumsum(b / prod[1:, None], axis=0)])
    return np.asarray(prod[:, None] * (x0[None, :] + acc))


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
                   gas_constant_series=(None if ms.gas_constant_series is None
                                        else mean(ms.gas_constant_series)),
                   samples_per_point=per_bin)
