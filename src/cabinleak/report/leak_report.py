"""The HTML report of a leak analysis: the summary, then the plots people look at."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from cabinleak.estimate.analysis import LeakAnalysis, VolumeAnalysis, interval_text
from cabinleak.estimate.forecast import Interval
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA
from cabinleak.report.html import Section, report_preview_png, write_report
from cabinleak.report.leak_plots import forecast_figure, leak_rate_figure, pressure_fit_figure

Z95 = 1.959963984540054


def analysis_figures(a: LeakAnalysis, v: VolumeAnalysis) -> tuple[Figure, Figure, Figure]:
    t0 = a.time_s[0]
    s = v.series
    alarm = v.detection.alarm_time_s if v.detection and v.detection.alarm else None
    rel = (lambda t: None if t is None else t - t0)  # noqa: E731 - times from the record start
    events = [(float(t - t0), "gas added") for t in _injection_starts(s.time_s, s.added_kg)]
    fit_med = v.fit_pressure_Pa
    title = f"{v.label}: {s.volume_m3:.4g} m³"
    fig_p = pressure_fit_figure(
        s.time_s - t0, s.pressure_Pa, fit_time_s=v.fit_time_s - t0, fit_Pa=fit_med[1],
        fit_low_Pa=fit_med[0], fit_high_Pa=fit_med[2], onset_s=rel(v.onset_s),
        alarm_s=rel(alarm), floor_Pa=a.settings.floor_Pa, events=events,
        start_time=a.start_time, title=f"{title}: pressure and the {v.laws.preferred}-law fit")
    tr = v.track
    fig_q = leak_rate_figure(
        tr.time_s - t0, tr.rate_kg_per_s, tr.rate_kg_per_s - Z95 * tr.rate_sd_kg_per_s,
        tr.rate_kg_per_s + Z95 * tr.rate_sd_kg_per_s, onset_s=rel(v.onset_s), alarm_s=rel(alarm),
        estimate=(v.leak_rate_kg_per_s.value, v.leak_rate_kg_per_s.low,
                  v.leak_rate_kg_per_s.high),
        start_time=a.start_time, title=f"{title}: leak rate (Kalman smoother, 95 % band)")
    fc = v.forecast
    recent = s.time_s >= s.time_s[-1] - max(0.25 * (s.time_s[-1] - s.time_s[0]), 6 * HOUR_S)
    fig_f = forecast_figure(
        fc.time_s - t0, fc.pressure_Pa[1], fc.pressure_Pa[0], fc.pressure_Pa[2],
        floor_Pa=fc.floor_Pa, history_time_s=s.time_s[recent] - t0,
        history_Pa=s.pressure_Pa[recent],
        ppO2_median_Pa=fc.ppO2_Pa[1] if fc.ppO2_floor_Pa else None,
        ppO2_low_Pa=fc.ppO2_Pa[0] if fc.ppO2_floor_Pa else None,
        ppO2_high_Pa=fc.ppO2_Pa[2] if fc.ppO2_floor_Pa else None,
        ppO2_floor_Pa=fc.ppO2_floor_Pa, time_to_floor_s=_triple(fc.time_to_floor_s),
        time_to_ppO2_floor_s=_triple(fc.time_to_ppO2_floor_s), start_time=a.start_time,
        title=f"{title}: forecast with the {v.fit.law} law (95 % band)")
    return fig_p, fig_q, fig_f


def _triple(i: Interval | None) -> tuple[float, float, float] | None:
    """The forecast's own interval (from its draws), so the plot says what the summary says."""
    return None if i is None else (i.value, i.low, i.high)


def _injection_starts(t: np.ndarray, added: np.ndarray) -> list[float]:
    """Where known additions run well above their steady (crew) rate: repress starts."""
    if t.size < 3:
        return []
    rate = np.diff(added) / np.diff(t)
    steady = float(np.median(rate))
    high = rate > steady + max(3.0 * abs(steady), 1e-6)
    starts = np.flatnonzero(high & ~np.concatenate([[False], high[:-1]]))
    return [float(t[i]) for i in starts[:10]]


def _law_table(v: VolumeAnalysis) -> tuple[tuple[str, ...], ...]:
    rows: list[tuple[str, ...]] = [("law", "parameter θ", "95 % interval", "χ²", "points",
                                    "error scale")]
    for f in (v.laws.orifice, v.laws.crack):
        unit = "kg·K^½/(Pa·s)" if f.law == "orifice" else "m³ (w·h³/12L)"
        rows.append((f.law, f"{f.theta:.4g} {unit}",
                     f"{f.theta - Z95 * f.theta_sd:.4g} to {f.theta + Z95 * f.theta_sd:.4g}",
                     f"{f.chi2:.1f}", str(f.dof + 2), f"{f.scale:.2f}"))
    return tuple(rows)


def analysis_text(a: LeakAnalysis, v: VolumeAnalysis) -> str:
    s = v.series
    q = v.leak_rate_kg_per_s  # numbers formatted as the text summary formats them
    parts = [
        f"Gas mass m = p·V/(R·T) of {v.label} ({s.volume_m3:.4g} m³, R = {s.gas_constant:.1f} "
        f"J/(kg·K)) from {len(s.modules) or 1} module(s), averaged into {len(s)} points; "
        f"per-sample noise {s.pressure_sd_Pa / MMHG_PA:.3g} mmHg and "
        f"{s.temperature_sd_K:.3g} K as estimated from the records.",
        f"Leak rate at the last sample: {interval_text(q, DAY_S, 'kg/day')}, from the "
        f"{v.fit.law} law fitted "
        f"from {(v.fit.onset_s - a.time_s[0]) / HOUR_S:.1f} h on. Known additions (injections, "
        "crew metabolism) are removed from the mass before fitting.",
        f"Effective area Cd·A {interval_text(v.effective_area_m2, 1e6, 'mm²')}; a round hole "
        f"of {interval_text(v.hole_diameter_m, 1e3, 'mm')} at the assumed Cd "
        f"{v.discharge_coefficient:g} (only Cd·A is measured; sharp-edged orifices have "
        "Cd 0.6–0.85).",
        f"Flow law: {v.laws.evidence()}.",
    ]
    return "\n\n".join(parts)


def write_leak_report(a: LeakAnalysis, path: str | Path, *,
                      preview_png: str | Path | None = None) -> Path:
    """Write the analysis as a self-contained HTML file (and optionally a preview PNG)."""
    sections: list[Section] = []
    for v in sorted(a.volumes, key=lambda v: v is not a.primary):
        figs = analysis_figures(a, v)
        if preview_png is not None and v is a.primary:
            preview_png = report_preview_png(figs, preview_png)
        sections.append(Section(heading=f"{v.label}: pressure and fit", text=analysis_text(a, v),
                                figures=(figs[0],)))
        sections.append(Section(heading=f"{v.label}: leak rate over time",
                                text=("The smoothed leak rate with its 95 % band; the line "
                                      "from the onset is the flow-law estimate."),
                                figures=(figs[1],)))
        sections.append(Section(heading=f"{v.label}: forecast", figures=(figs[2],)))
        sections.append(Section(heading=f"{v.label}: flow laws compared", table=_law_table(v),
                                text=v.laws.evidence()))
    return write_report(path, title=f"cabinleak leak analysis: {Path(a.path).name}",
                        summary=str(a), sections=sections, issues=a.issues)
