"""What ``analyze`` returns: settings, per-volume results and their text and JSON forms."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cabinleak.estimate.detect import Detection
from cabinleak.estimate.dpdt import DpdtAlarm
from cabinleak.estimate.flowlaw import LawComparison, LawFit
from cabinleak.estimate.forecast import Forecast, Interval
from cabinleak.estimate.kalman import RateTrack
from cabinleak.estimate.mass import MassSeries
from cabinleak.estimate.noise import RateNoise
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA, format_duration

F = NDArray[np.float64]
# An illustrative floor: 490 mmHg (9.5 psia) is below any planned cabin pressure
# of the ISS or Soyuz; crews and flight rules set their own. Always shown with the result.
DEFAULT_FLOOR_PA = 490.0 * MMHG_PA
# Target number of points after binning: keeps the smoother and the fits fast on a
# year of 1 Hz data, and a 90-minute thermal cycle is still resolved at 60 s bins.
MAX_POINTS = 20_000
MIN_BIN_S = 60.0


@dataclass(frozen=True)
class Settings:
    """What ``analyze`` assumes; every default is printed with the result."""

    floor_Pa: float | None = DEFAULT_FLOOR_PA
    ppO2_floor_Pa: float | None = None
    discharge_coefficient: float = 0.6
    false_alarms_per_year: float = 1.0
    background_kg_per_s: float = 0.0
    inventory_kg: Mapping[str, float] = field(default_factory=dict)
    bin_s: float | None = None
    pressure_sd_Pa: float | None = None  # per-sample noise 1σ; default: from the record
    pressure_resolution_Pa: float | None = None  # reading resolution; default: inferred
    temperature_sd_K: float | None = None
    crew: float | None = None  # overrides the station's crew count in the volume
    volume_rel_sd: float = 0.0  # 1σ relative error of the gas volume (0: taken as exact)
    # Without a temperature record the cabin may have warmed or cooled unseen: a 1σ
    # change of this much over the record is added to the rate's error. None: 1 K, or
    # none where the wander of normal operations is assumed (it was measured on pressure
    # records without temperature, so it holds the cabin's thermal swings already).
    unseen_temperature_change_K: float | None = None
    # The pressure-rate wander of normal operations (thermal swings, gas added and used,
    # represses not logged) assumed where a record is too short to show it: 1σ of the
    # mean dp/dt over windows up to ``wander_time_s`` [Pa/s]. None: the default for the
    # record (see :func:`cabinleak.estimate.analysis.default_wander_Pa_per_s`); 0: none.
    wander_Pa_per_s: float | None = None
    wander_time_s: float = 6 * 3600.0
    seed: int = 0


@dataclass(frozen=True, eq=False)
class VolumeAnalysis:
    """Everything found for one isolated volume."""

    series: MassSeries
    detection: Detection | None  # None for hand-read gauge tables (too few points)
    dpdt: DpdtAlarm | None
    laws: LawComparison
    track: RateTrack
    leak_rate_kg_per_s: Interval  # at the last sample
    pressure_rate_Pa_per_s: Interval  # the leak's share of dp/dt at the last sample
    effective_area_m2: Interval
    hole_diameter_m: Interval
    discharge_coefficient: float
    leak_detected: bool
    onset_s: float | None
    forecast: Forecast
    fit_time_s: F
    fit_pressure_Pa: F  # [3, n]: 2.5 %, 50 %, 97.5 % of the fitted pressure
    crew_source_kg_per_s: float = 0.0
    notes: tuple[str, ...] = ()
    wander: RateNoise | None = None  # the outflow scatter the test and intervals used

    @property
    def fit(self) -> LawFit:
        return self.laws.best

    @property
    def label(self) -> str:
        return self.series.label


@dataclass(frozen=True, eq=False)
class LeakAnalysis:
    """The answer for a telemetry table: one entry per isolated volume analysed."""

    path: str
    station: str | None
    start_time: datetime | None
    time_s: tuple[float, float]
    rows: int
    volumes: tuple[VolumeAnalysis, ...]
    settings: Settings
    issues: tuple[str, ...] = ()

    @property
    def primary(self) -> VolumeAnalysis:
        """The volume with the largest leak (the one the headline numbers describe)."""
        return max(self.volumes, key=lambda v: (v.leak_detected, v.leak_rate_kg_per_s.value))

    def when(self, t_s: float | None) -> str:
        if t_s is None:
            return "-"
        rel = f"{(t_s - self.time_s[0]) / HOUR_S:.1f} h"
        if self.start_time is None:
            return rel
        stamp = (self.start_time + timedelta(seconds=t_s)).strftime("%Y-%m-%d %H:%M UTC")
        return f"{stamp} ({rel})"

    def iso(self, t_s: float | None) -> str | float | None:
        if t_s is None:
            return None
        if self.start_time is None:
            return float(t_s)
        return (self.start_time + timedelta(seconds=t_s)).isoformat().replace("+00:00", "Z")

    def __str__(self) -> str:
        span = (self.time_s[1] - self.time_s[0])
        head = [f"{self.path}: {self.rows} rows over {format_duration(span)}"
                + (f" from {self.start_time:%Y-%m-%d %H:%M} UTC" if self.start_time else "")
                + (f"; station {self.station}" if self.station else "")]
        body = [_volume_text(self, v) for v in self.volumes]
        tail = []
        if self.issues:
            tail.append(f"data checks ({len(self.issues)}):")
            tail += [f"  - {i}" for i in self.issues[:8]]
            if len(self.issues) > 8:
                tail.append(f"  - ... and {len(self.issues) - 8} more (see --json or the report)")
        return "\n".join(head + body + tail)

    def to_dict(self) -> dict[str, Any]:
        p = self.primary
        out: dict[str, Any] = {"telemetry": self.path, "station": self.station,
                               "start_time": self.iso(0.0) if self.start_time else None}
        out.update(_volume_dict(self, p))
        out["volumes"] = [_volume_dict(self, v) for v in self.volumes]
        out["data_issues"] = list(self.issues)
        out["settings"] = {"floor_mmHg": _mmhg(self.settings.floor_Pa),
                           "ppO2_floor_mmHg": _mmhg(self.settings.ppO2_floor_Pa),
                           "discharge_coefficient": self.settings.discharge_coefficient,
                           "false_alarms_per_year": self.settings.false_alarms_per_year,
                           "background_kg_per_day":
                               self.settings.background_kg_per_s * DAY_S}
        return out


def _mmhg(p: float | None) -> float | None:
    return None if p is None else p / MMHG_PA


def _volume_dict(a: LeakAnalysis, v: VolumeAnalysis) -> dict[str, Any]:
    fc = v.forecast
    d: dict[str, Any] = {
        "volume": v.label, "modules": list(v.series.modules), "volume_m3": v.series.volume_m3,
        "leak_detected": v.leak_detected,
        # with no leak shown, the largest leak the record leaves possible (95 %)
        "leak_rate_upper_bound_kg_per_day": (None if v.leak_detected else
                                             max(v.leak_rate_kg_per_s.high, 0.0) * DAY_S),
        "leak_rate_kg_per_day": v.leak_rate_kg_per_s.scaled(DAY_S).to_dict(),
        "pressure_rate_mmHg_per_h": v.pressure_rate_Pa_per_s.scaled(HOUR_S / MMHG_PA).to_dict(),
        "effective_area_m2": v.effective_area_m2.to_dict(),
        "equivalent_hole_diameter_mm": v.hole_diameter_m.scaled(1e3).to_dict(),
        "discharge_coefficient": v.discharge_coefficient,
        "flow_law": v.laws.preferred,
        "flow_law_evidence": {"delta_chi2": v.laws.delta_chi2, "decisive": v.laws.decisive,
                              "text": v.laws.evidence()},
        "onset_time": a.iso(v.onset_s),
        "onset_time_s": v.onset_s,
        "detection": v.detection.to_dict() if v.detection else None,
        "dpdt_alarm": v.dpdt.to_dict() if v.dpdt else None,
        "time_to_floor_h": (fc.time_to_floor_s.scaled(1 / HOUR_S).to_dict()
                            if fc.time_to_floor_s else None),
        "time_to_ppO2_floor_h": (fc.time_to_ppO2_floor_s.scaled(1 / HOUR_S).to_dict()
                                 if fc.time_to_ppO2_floor_s else None),
        "gas_per_day_kg": {k: i.to_dict() for k, i in fc.gas_per_day_kg.items()},
        "days_of_supply": {k: i.scaled(1 / DAY_S).to_dict() for k, i in
                           fc.days_of_supply.items()},
        "temperature_compensated": v.series.temperature_compensated,
        "notes": list(v.notes),
    }
    return d


def _decimals(i: Interval, scale: float) -> int:
    """Decimals that show the interval's half-width to two significant digits."""
    ends = [x * scale for x in (i.value, i.low, i.high)]
    if not all(math.isfinite(x) for x in ends):
        return 1
    half = 0.5 * (max(ends) - min(ends))
    if half <= 0:
        return 3
    return int(min(6, max(0, 1 - math.floor(math.log10(half)))))


def interval_text(i: Interval, scale: float, unit: str) -> str:
    dec = _decimals(i, scale)

    def f(x: float) -> str:
        if not math.isfinite(x):
            return "never"
        out = f"{x * scale:.{dec}f}"
        return out.lstrip("-") if float(out) == 0 else out  # no "-0"
    return f"{f(i.value)} {unit} (95 %: {f(i.low)} to {f(i.high)})"


def _span(seconds: float) -> str:
    """A horizon in hours below 72 h, else in days."""
    return (f"{seconds / HOUR_S:.0f} h" if seconds < 72 * HOUR_S
            else f"{seconds / DAY_S:.0f} days")


def duration_interval_text(i: Interval, horizon_s: float | None = None, after: str = "") -> str:
    """A duration interval in hours (days past 72 h); inf means "not within the horizon".

    >>> duration_interval_text(Interval(40 * 3600.0, 36 * 3600.0, 45 * 3600.0))
    '40.0 h (95 %: 36.0 to 45.0)'
    >>> duration_interval_text(Interval(math.inf, 36.67 * 3600, math.inf), 4 * 86400.0, " after")
    'beyond 4 days after (95 %: 36.67 h to beyond 4 days)'
    """
    beyond = "beyond the forecast" if horizon_s is None else f"beyond {_span(horizon_s)}"
    if not math.isfinite(i.value) and not math.isfinite(i.low):
        return (f"not reached within the forecast's {_span(horizon_s)}"
                if horizon_s is not None else "not reached")
    ref = i.value if math.isfinite(i.value) else i.low
    scale, unit = (DAY_S, "days") if ref >= 72 * HOUR_S else (HOUR_S, "h")
    dec = _decimals(i, 1 / scale) if math.isfinite(i.high) else 2

    def f(x: float) -> str:
        return f"{x / scale:.{dec}f}" if math.isfinite(x) else beyond
    if not math.isfinite(i.value):  # the median is past the horizon, the early end is not
        return f"{beyond}{after} (95 %: {f(i.low)} {unit} to {beyond})"
    return f"{f(i.value)} {unit}{after} (95 %: {f(i.low)} to {f(i.high)})"


def _at_least(low_s: float, horizon_s: float) -> str:
    """The early end of a time to a floor, in hours (days past 72 h).

    >>> _at_least(75.11 * 86400.0, 258 * 86400.0)
    'at least 75.11 days'
    >>> _at_least(math.inf, 4 * 86400.0)
    'beyond 4 days'
    """
    if not math.isfinite(low_s):
        return f"beyond {_span(horizon_s)}"
    scale, unit = (DAY_S, "days") if low_s >= 72 * HOUR_S else (HOUR_S, "h")
    return f"at least {low_s / scale:.2f} {unit}"


def _volume_text(a: LeakAnalysis, v: VolumeAnalysis) -> str:
    s = v.series
    comp = ("temperature-compensated" if s.temperature_compensated
            else "NOT temperature-compensated (no temperature record that follows the gas)")
    lines = [f"\n{v.label}: {len(s.modules) or 1} module(s), {s.volume_m3:.4g} m³, {comp}"]
    if v.detection is not None:
        lines.append(f"  detection        {v.detection}")
    elif v.leak_detected:
        lines.append("  detection        leak: the rate's 95 % interval is above the background")
    else:
        lines.append("  detection        no leak shown: "
                     "the rate's interval includes the background")
    if v.dpdt is not None and v.dpdt.alarm:
        lines.append(f"  dP/dt alarm      {v.dpdt}")
    rate = interval_text(v.leak_rate_kg_per_s, DAY_S, "kg/day")
    dpdt = interval_text(v.pressure_rate_Pa_per_s, HOUR_S / MMHG_PA, "mmHg/h")
    area = interval_text(v.effective_area_m2, 1e6, "mm²")
    if v.leak_detected:
        lines.append(f"  leak rate        {rate}")
        lines.append(f"  pressure rate    {dpdt}")
        lines.append(f"  effective area   Cd·A {area}")
        lines.append(f"  equivalent hole  {interval_text(v.hole_diameter_m, 1e3, 'mm')} "
                     f"at Cd {v.discharge_coefficient:g} (assumed; only Cd·A is measured)")
    else:
        # no leak shown: the bounds are the answer, the estimate is kept for the record
        q = v.leak_rate_kg_per_s
        lines.append(f"  leak rate        no leak shown: at most {max(q.high, 0) * DAY_S:.3g} "
                     f"kg/day (95 % upper bound on a steady leak; estimate {rate})")
        lines.append(f"  pressure rate    {dpdt}")
        lines.append(f"  effective area   Cd·A at most {v.effective_area_m2.high * 1e6:.3g} mm² "
                     "(95 %)")
        lines.append(f"  equivalent hole  at most {v.hole_diameter_m.high * 1e3:.3g} mm at Cd "
                     f"{v.discharge_coefficient:g} (assumed; only Cd·A is measured)")
    lines.append(f"  flow law         {v.laws.preferred}: {v.laws.evidence()}")
    if v.onset_s is not None:
        lines.append(f"  onset            {a.when(v.onset_s)}")
    fc = v.forecast
    horizon = float(fc.time_s[-1] - fc.time_s[0])
    for floor, when_s, name in ((fc.floor_Pa, fc.time_to_floor_s, ""),
                                (fc.ppO2_floor_Pa, fc.time_to_ppO2_floor_s, "ppO2 ")):
        if when_s is None or floor is None:
            continue
        label = f"to {name}{floor / MMHG_PA:.0f} mmHg"
        if v.leak_detected:
            when = duration_interval_text(when_s, horizon, " after the last sample")
        else:
            # no leak shown: a time from the estimate would read as a forecast of a leak
            # the record does not show; the early end (the largest steady leak it leaves
            # possible) is the answer
            when = (f"no leak shown: {_at_least(when_s.low, horizon)} after the last "
                    "sample (95 %, at the largest steady leak the record allows)")
        lines.append(f"  {label:<17}{when}")
    need = ", ".join(f"{k} {i.value:.3g} kg/day" for k, i in fc.gas_per_day_kg.items())
    lines.append(f"  gas to hold      {need}"
                 + (" (O2 includes the crew's use)" if v.crew_source_kg_per_s else ""))
    for k, i in fc.days_of_supply.items():
        label = f"{k} supply lasts"
        lines.append(f"  {label:<17}{duration_interval_text(i)}")
    lines += [f"  note: {n}" for n in v.notes]
    return "\n".join(lines)


# ------------------------------------------------------------------ the analysis
