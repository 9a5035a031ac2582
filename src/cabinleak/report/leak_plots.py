"""Figures of a leak analysis: measured pressure with the fitted flow law, leak rate, forecast.

The functions take plain SI arrays (times [s] since the record start, pressures [Pa], mass
rates [kg/s]) and return a :class:`matplotlib.figure.Figure` drawn on the Agg canvas; nothing
touches pyplot's global state, nothing is shown. Units on the axes are the ones crews read:
hours (days for long forecasts) since the record start, mmHg and kg/day.

A record may hold millions of samples. Measured series are reduced by :func:`envelope` to
the minimum and maximum of each pixel column before plotting, which draws the same picture
as the full series at a fraction of the time and PNG size; smooth model curves are thinned
by a stride (:func:`_thin`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray

from cabinleak.estimate.forecast import Interval
from cabinleak.estimate.results import duration_interval_text, interval_text
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA

__all__ = [
    "envelope", "floor_note", "floor_text", "forecast_figure", "leak_rate_figure",
    "pressure_fit_figure",
]

FloatArray = NDArray[np.float64]

FIGSIZE_IN = (9.0, 4.0)  # one panel [in]; 900 x 400 px at 100 dpi
DPI = 100
COLUMNS = 2000  # envelope columns: over 2 per pixel of a 9 in figure at 100 dpi
MAX_CURVE_POINTS = 4000  # smooth curves are thinned to about this many points
FEW_POINTS = 50  # records this short are drawn as markers on top of the fit, no line
SMALL_MARKERS_BELOW = 300  # longer records get a line with small markers below this
DAYS_AFTER_S = 72 * HOUR_S  # time axes longer than this are drawn in days

_MEASURED = "tab:blue"
_FIT = "tab:orange"
_ONSET = "tab:purple"
_ALARM = "tab:red"
_FLOOR = "tab:red"


# --- helpers --------------------------------------------------------------------------------


def _array(name: str, values: ArrayLike) -> FloatArray:
    a = np.asarray(values, dtype=float).ravel()
    if a.size == 0:
        raise ValueError(f"{name} is empty")
    return a


def _same_size(**arrays: FloatArray) -> None:
    sizes = {name: a.size for name, a in arrays.items()}
    if len(set(sizes.values())) > 1:
        shown = ", ".join(f"{name} has {n}" for name, n in sizes.items())
        raise ValueError(f"arrays must have one value per time: {shown}")


def envelope(
    x: ArrayLike, y: ArrayLike, *, columns: int = COLUMNS
) -> tuple[FloatArray, FloatArray]:
    """Reduce a long series to the minimum and maximum of each of `columns` x-intervals.

    Parameters
    ----------
    x : array_like
        Abscissa, e.g. time [h]; sorted here if it is not. Non-finite values are dropped.
    y : array_like
        Ordinate, same size as `x`; NaN (a sensor dropout) is ignored within a column.
    columns : int
        Number of equal-width x-intervals, about the number of pixel columns or more.

    Returns
    -------
    tuple of ndarray
        ``(x, y)`` to draw as one line: unchanged when there are at most ``2 * columns``
        points, otherwise two points per column at its centre (minimum, then maximum), with
        NaN in empty columns so that data gaps stay visible as gaps.

    Notes
    -----
    A line through the minimum and maximum of every pixel column colours the same pixels as
    the full series, so the reduction is invisible at the plotted resolution; the global
    extremes are kept exactly.
    """
    xs, ys = np.asarray(x, dtype=float).ravel(), np.asarray(y, dtype=float).ravel()
    _same_size(x=xs, y=ys)
    keep = np.isfinite(xs)
    if not keep.all():
        xs, ys = xs[keep], ys[keep]
    if xs.size > 1 and np.any(np.diff(xs) < 0):
        order = np.argsort(xs, kind="stable")
        xs, ys = xs[order], ys[order]
    if xs.size <= 2 * columns or xs[-1] == xs[0]:
        return xs, ys
    edges = np.linspace(xs[0], xs[-1], columns + 1)
    starts = np.searchsorted(xs, edges[:-1], side="left")
    ends = np.append(starts[1:], xs.size)
    filled = ends > starts
    lo = np.full(columns, np.nan)
    hi = np.full(columns, np.nan)
    lo[filled] = np.fmin.reduceat(ys, starts[filled])
    hi[filled] = np.fmax.reduceat(ys, starts[filled])
    centres = 0.5 * (edges[:-1] + edges[1:])
    return np.repeat(centres, 2), np.column_stack([lo, hi]).ravel()


def _thin(n: int, max_points: int = MAX_CURVE_POINTS) -> slice:
    """Stride that keeps at most about `max_points` of `n` points of a smooth curve."""
    return slice(None, None, max(1, -(-n // max_points)))


class _TimeAxis:
    """Seconds since the record start → hours (or days) on the x axis, with its label."""

    def __init__(self, span_s: float, start_time: datetime | None, *, days_allowed: bool) -> None:
        self.days = days_allowed and span_s > DAYS_AFTER_S
        self.scale_s = DAY_S if self.days else HOUR_S
        unit = "days" if self.days else "hours"
        if start_time is None:
            self.label = unit
        else:
            utc = start_time.astimezone(UTC) if start_time.tzinfo else start_time
            self.label = f"{unit} since {utc:%Y-%m-%d %H:%M} UTC"

    def __call__(self, t_s: ArrayLike) -> FloatArray:
        return np.asarray(t_s, dtype=float) / self.scale_s


def _new_figure(panels: int = 1) -> tuple[Figure, list[Axes]]:
    width, height = FIGSIZE_IN
    fig = Figure(figsize=(width, height if panels == 1 else height * 1.5), dpi=DPI,
                 layout="tight")
    FigureCanvasAgg(fig)
    if panels == 1:
        return fig, [fig.add_subplot()]
    grid = fig.add_gridspec(2, 1, height_ratios=[2, 1])
    first = fig.add_subplot(grid[0])
    return fig, [first, fig.add_subplot(grid[1], sharex=first)]


def _finish(fig: Figure, axes: list[Axes], title: str, time_axis: _TimeAxis) -> Figure:
    for ax in axes:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", fontsize=8, framealpha=0.85)
    for ax in axes[:-1]:
        ax.tick_params(labelbottom=False)
    axes[-1].set_xlabel(time_axis.label)
    if title:
        axes[0].set_title(title, fontsize=10)
    return fig


def _format_h(t_s: float) -> str:
    t_h = t_s / HOUR_S
    return f"{t_h:.0f}" if abs(t_h) >= 10 else f"{t_h:.1f}"


def _mark_onset_alarm(ax: Axes, tx: _TimeAxis, onset_s: float | None,
                      alarm_s: float | None) -> None:
    if onset_s is not None:
        ax.axvline(float(tx(onset_s)), color=_ONSET, ls="--", lw=1.2,
                   label=f"onset {_format_h(onset_s)} h")
    if alarm_s is not None:
        ax.axvline(float(tx(alarm_s)), color=_ALARM, ls="-", lw=1.2,
                   label=f"alarm {_format_h(alarm_s)} h")


def _mark_events(ax: Axes, tx: _TimeAxis, events: Sequence[tuple[float, str]]) -> None:
    for t_s, label in events:
        x = float(tx(t_s))
        ax.axvline(x, color="0.45", ls=":", lw=0.8)
        ax.plot([x], [1.0], marker="v", ms=5, color="0.3", clip_on=False,
                transform=ax.get_xaxis_transform())
        ax.annotate(str(label), xy=(x, 0.97), xycoords=ax.get_xaxis_transform(),
                    xytext=(3, 0), textcoords="offset points", rotation=90, ha="left",
                    va="top", fontsize=7, color="0.3")


def _draw_floor(ax: Axes, floor_Pa: float, data_mmHg: Sequence[FloatArray]) -> bool:
    """Draw the floor when it lies near the plotted data; return whether it was drawn."""
    finite = [a[np.isfinite(a)] for a in data_mmHg]
    finite = [a for a in finite if a.size]
    floor = floor_Pa / MMHG_PA
    if finite:
        lo = min(float(a.min()) for a in finite)
        hi = max(float(a.max()) for a in finite)
        if floor < lo - 0.5 * max(hi - lo, 1.0):
            # a legend entry, placed where it hides no data (a corner note could)
            ax.plot([], [], color=_FLOOR, ls="--", lw=1,
                    label=f"floor {floor:.0f} mmHg (below the plotted range)")
            return False
    ax.axhline(floor, color=_FLOOR, ls="--", lw=1, label=f"floor {floor:.0f} mmHg")
    return True


def _measured(ax: Axes, x: FloatArray, y: FloatArray, label: str, color: str = _MEASURED) -> None:
    """A measured series: a line (small markers when short); a few points as markers only.

    The data are drawn over the fitted curve, which is wider, so both stay visible where
    they agree (zorder 2.5; curves are at 2). A handful of readings (two gauge values)
    would vanish under a curve drawn through them: they are large markers above every
    curve and note (zorder 4; texts are at 3, the legend at 5).
    """
    xe, ye = envelope(x, y)
    if np.count_nonzero(np.isfinite(ye)) <= FEW_POINTS:
        ax.plot(xe, ye, ls="none", marker="o", ms=7, mfc=color, mec="white", mew=1.0,
                color=color, label=label, zorder=4)
        return
    ax.plot(xe, ye, color=color, lw=0.8, label=label,
            marker="." if xe.size < SMALL_MARKERS_BELOW else None, ms=3, zorder=2.5)


# --- figures --------------------------------------------------------------------------------


def pressure_fit_figure(
    time_s: ArrayLike,
    pressure_Pa: ArrayLike,
    *,
    fit_time_s: ArrayLike | None = None,
    fit_Pa: ArrayLike | None = None,
    fit_low_Pa: ArrayLike | None = None,
    fit_high_Pa: ArrayLike | None = None,
    onset_s: float | None = None,
    alarm_s: float | None = None,
    floor_Pa: float | None = None,
    events: Sequence[tuple[float, str]] = (),
    start_time: datetime | None = None,
    title: str = "",
) -> Figure:
    """Measured cabin pressure [mmHg] with the fitted flow-law curve and its 95 % band.

    Parameters
    ----------
    time_s, pressure_Pa : array_like
        Measured record: time since the record start [s] and pressure [Pa]; any length (long
        records are drawn through :func:`envelope`).
    fit_time_s, fit_Pa : array_like, optional
        Fitted curve: time [s] and pressure [Pa].
    fit_low_Pa, fit_high_Pa : array_like, optional
        95 % band of the fit [Pa], on `fit_time_s`; shaded when both are given.
    onset_s, alarm_s : float, optional
        Leak onset (dashed line) and alarm time (solid line) [s].
    floor_Pa : float, optional
        Pressure floor [Pa]; drawn when near the data, otherwise stated in a corner note.
    events : sequence of (float, str)
        Events such as a repress or a hatch closure: time [s] and label.
    start_time : datetime, optional
        Time of the record start (naive = UTC), shown in the axis label.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = _array("time_s", time_s)
    p = _array("pressure_Pa", pressure_Pa)
    _same_size(time_s=t, pressure_Pa=p)
    tx = _TimeAxis(float(np.nanmax(t) - np.nanmin(t)), start_time, days_allowed=False)
    fig, axes = _new_figure()
    ax = axes[0]
    p_mmHg = p / MMHG_PA
    _measured(ax, tx(t), p_mmHg, "measured")
    shown = [p_mmHg]
    if fit_time_s is not None and fit_Pa is not None:
        ft = _array("fit_time_s", fit_time_s)
        fp = _array("fit_Pa", fit_Pa)
        _same_size(fit_time_s=ft, fit_Pa=fp)
        k = _thin(ft.size)
        if fit_low_Pa is not None and fit_high_Pa is not None:
            lo = _array("fit_low_Pa", fit_low_Pa)
            hi = _array("fit_high_Pa", fit_high_Pa)
            _same_size(fit_time_s=ft, fit_low_Pa=lo, fit_high_Pa=hi)
            ax.fill_between(tx(ft[k]), lo[k] / MMHG_PA, hi[k] / MMHG_PA, color=_FIT,
                            alpha=0.25, lw=0, label="fit 95 % band")
        ax.plot(tx(ft[k]), fp[k] / MMHG_PA, color=_FIT, lw=3.0, alpha=0.6, label="flow-law fit")
        shown.append(fp / MMHG_PA)
    _mark_onset_alarm(ax, tx, onset_s, alarm_s)
    _mark_events(ax, tx, events)
    if floor_Pa is not None:
        _draw_floor(ax, floor_Pa, shown)
    ax.set_ylabel("pressure [mmHg]")
    return _finish(fig, axes, title, tx)


def leak_rate_figure(
    time_s: ArrayLike,
    rate_kg_per_s: ArrayLike,
    low_kg_per_s: ArrayLike,
    high_kg_per_s: ArrayLike,
    *,
    onset_s: float | None = None,
    alarm_s: float | None = None,
    estimate: tuple[float, float, float] | None = None,
    start_time: datetime | None = None,
    title: str = "",
) -> Figure:
    """Smoothed leak rate [kg/day] with its 95 % band, onset/alarm and the headline estimate.

    Parameters
    ----------
    time_s : array_like
        Time since the record start [s].
    rate_kg_per_s, low_kg_per_s, high_kg_per_s : array_like
        Smoothed leak rate and its 95 % band [kg/s] (positive = air lost).
    onset_s, alarm_s : float, optional
        Leak onset (dashed line) and alarm time (solid line) [s].
    estimate : (float, float, float), optional
        Headline estimate ``(value, low, high)`` [kg/s], drawn from the onset (or the
        record start) to the end as a line with its band, and labelled as the text summary
        prints it.
    start_time : datetime, optional
        Time of the record start (naive = UTC), shown in the axis label.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = _array("time_s", time_s)
    r = _array("rate_kg_per_s", rate_kg_per_s)
    lo = _array("low_kg_per_s", low_kg_per_s)
    hi = _array("high_kg_per_s", high_kg_per_s)
    _same_size(time_s=t, rate_kg_per_s=r, low_kg_per_s=lo, high_kg_per_s=hi)
    t0, t1 = float(np.nanmin(t)), float(np.nanmax(t))
    tx = _TimeAxis(t1 - t0, start_time, days_allowed=False)
    fig, axes = _new_figure()
    ax = axes[0]
    k = _thin(t.size)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.fill_between(tx(t[k]), lo[k] * DAY_S, hi[k] * DAY_S, color=_MEASURED, alpha=0.25,
                    lw=0, label="95 % band")
    ax.plot(tx(t[k]), r[k] * DAY_S, color=_MEASURED, lw=1.4, label="leak rate (smoothed)")
    if estimate is not None:
        value, e_lo, e_hi = (float(v) * DAY_S for v in estimate)
        span = tx(np.array([t0 if onset_s is None else onset_s, t1]))
        ax.fill_between(span, [e_lo, e_lo], [e_hi, e_hi], color=_FIT, alpha=0.25, lw=0)
        words = interval_text(Interval(*(float(v) for v in estimate)), DAY_S, "kg/day")
        ax.plot(span, [value, value], color=_FIT, lw=2, label=f"estimate {words}")
    _mark_onset_alarm(ax, tx, onset_s, alarm_s)
    ax.set_ylabel("leak rate [kg/day]")
    return _finish(fig, axes, title, tx)


def _first_below(t_s: FloatArray, p_Pa: FloatArray, floor_Pa: float) -> float | None:
    """First time [s] at which `p_Pa` reaches `floor_Pa` (linear interpolation), or None."""
    below = np.flatnonzero(p_Pa <= floor_Pa)
    if below.size == 0:
        return None
    i = int(below[0])
    if i == 0:
        return float(t_s[0])
    p0, p1 = float(p_Pa[i - 1]), float(p_Pa[i])
    w = (p0 - floor_Pa) / (p0 - p1) if p0 != p1 else 1.0
    return float(t_s[i - 1] + w * (t_s[i] - t_s[i - 1]))


def floor_text(floor_Pa: float, time_to_floor_s: Interval, horizon_s: float) -> str:
    """Words for when a forecast reaches the floor, formatted as the text summary formats them.

    Parameters
    ----------
    floor_Pa : float
        Pressure floor [Pa].
    time_to_floor_s : Interval
        Time to the floor from the forecast start ("now") [s] with its 95 % interval; inf
        where it is not reached within the forecast.
    horizon_s : float
        Length of the forecast [s].

    Returns
    -------
    str
        ``"floor 490 mmHg: "`` followed by the same words as the summary's line "to 490
        mmHg" (one function formats both), e.g. ``"floor 490 mmHg: 14.5692 days after the
        last sample (95 %: 14.5672 to 14.5714)"``.
    """
    when = duration_interval_text(time_to_floor_s, horizon_s, " after the last sample")
    return f"floor {floor_Pa / MMHG_PA:.0f} mmHg: {when}"


def _band_crossing(t_s: FloatArray, median_Pa: ArrayLike, low_Pa: ArrayLike,
                   high_Pa: ArrayLike, floor_Pa: float) -> Interval:
    """When the median and the band edges reach the floor [s from t_s[0]]; inf if never."""
    now = float(t_s[0])

    def first(p: ArrayLike) -> float:
        hit = _first_below(t_s, np.asarray(p, dtype=float), floor_Pa)
        return math.inf if hit is None else hit - now
    # The low pressure edge of the band reaches the floor first, the high edge last.
    return Interval(first(median_Pa), first(low_Pa), first(high_Pa))


def floor_note(t_s: ArrayLike, median_Pa: ArrayLike, low_Pa: ArrayLike, high_Pa: ArrayLike,
               floor_Pa: float) -> str:
    """Words for when a forecast band reaches the floor (:func:`floor_text` of its crossings).

    Parameters
    ----------
    t_s : array_like
        Forecast times [s]; the first one is "now".
    median_Pa, low_Pa, high_Pa : array_like
        Forecast median and 95 % band [Pa].
    floor_Pa : float
        Pressure floor [Pa].

    Returns
    -------
    str
        The times at which the median and the band edges reach the floor, as
        :func:`floor_text` words them. Used when no time-to-floor interval is given; the
        crossing of a band is only as fine as the forecast grid.

    Examples
    --------
    >>> t = [0.0, 100 * 3600.0]
    >>> floor_note(t, [700 * MMHG_PA, 400 * MMHG_PA], [600 * MMHG_PA, 300 * MMHG_PA],
    ...            [760 * MMHG_PA, 500 * MMHG_PA], 490 * MMHG_PA)
    'floor 490 mmHg: 70.00 h after the last sample (95 %: 36.67 to beyond 4 days)'
    """
    t = np.asarray(t_s, dtype=float)
    return floor_text(floor_Pa, _band_crossing(t, median_Pa, low_Pa, high_Pa, floor_Pa),
                      float(t[-1] - t[0]))


def _crossing_interval(t: FloatArray, given: tuple[float, float, float] | None,
                       median_Pa: ArrayLike, low_Pa: ArrayLike, high_Pa: ArrayLike,
                       floor_Pa: float) -> Interval:
    if given is None:
        return _band_crossing(t, median_Pa, low_Pa, high_Pa, floor_Pa)
    value, low, high = (float(x) for x in given)
    return Interval(value, low, high)


def _ppO2_panel(ax: Axes, tx: _TimeAxis, t: FloatArray, median_Pa: ArrayLike,
                low_Pa: ArrayLike | None, high_Pa: ArrayLike | None,
                floor_Pa: float | None, time_to_floor_s: tuple[float, float, float] | None
                ) -> None:
    """Second forecast panel: ppO2 median [mmHg], its band and floor."""
    k = _thin(t.size)
    med = _array("ppO2_median_Pa", median_Pa)
    _same_size(time_s=t, ppO2_median_Pa=med)
    band = None
    if low_Pa is not None and high_Pa is not None:
        band = _array("ppO2_low_Pa", low_Pa), _array("ppO2_high_Pa", high_Pa)
        _same_size(time_s=t, ppO2_low_Pa=band[0], ppO2_high_Pa=band[1])
        ax.fill_between(tx(t[k]), band[0][k] / MMHG_PA, band[1][k] / MMHG_PA,
                        color="tab:green", alpha=0.25, lw=0, label="ppO2 95 % band")
    ax.plot(tx(t[k]), med[k] / MMHG_PA, color="tab:green", lw=1.6, label="ppO2 median")
    if floor_Pa is not None:
        _draw_floor(ax, floor_Pa, [med / MMHG_PA])
        if band is not None or time_to_floor_s is not None:
            lo_, hi_ = band if band is not None else (med, med)
            crossing = _crossing_interval(t, time_to_floor_s, med, lo_, hi_, floor_Pa)
            note = floor_text(floor_Pa, crossing, float(t[-1] - t[0]))
            ax.text(0.99, 0.95, f"ppO2 {note}", transform=ax.transAxes, ha="right", va="top",
                    fontsize=8, color=_FLOOR)
    ax.set_ylabel("ppO2 [mmHg]")


def forecast_figure(
    time_s: ArrayLike,
    median_Pa: ArrayLike,
    low_Pa: ArrayLike,
    high_Pa: ArrayLike,
    *,
    floor_Pa: float | None = None,
    history_time_s: ArrayLike | None = None,
    history_Pa: ArrayLike | None = None,
    ppO2_median_Pa: ArrayLike | None = None,
    ppO2_low_Pa: ArrayLike | None = None,
    ppO2_high_Pa: ArrayLike | None = None,
    ppO2_floor_Pa: float | None = None,
    time_to_floor_s: tuple[float, float, float] | None = None,
    time_to_ppO2_floor_s: tuple[float, float, float] | None = None,
    start_time: datetime | None = None,
    title: str = "",
) -> Figure:
    """Forecast fan of cabin pressure [mmHg] after the recent history, with the floor crossing.

    Parameters
    ----------
    time_s : array_like
        Forecast times since the record start [s]; the first one is "now".
    median_Pa, low_Pa, high_Pa : array_like
        Forecast median and 95 % band of the total pressure [Pa].
    floor_Pa : float, optional
        Total pressure floor [Pa]; the time the forecast reaches it is annotated (see
        :func:`floor_text`).
    history_time_s, history_Pa : array_like, optional
        Measured record before the forecast [s], [Pa].
    ppO2_median_Pa, ppO2_low_Pa, ppO2_high_Pa : array_like, optional
        Oxygen partial pressure forecast [Pa]; adds a second panel.
    ppO2_floor_Pa : float, optional
        Oxygen partial pressure floor [Pa].
    time_to_floor_s, time_to_ppO2_floor_s : (float, float, float), optional
        When the forecast reaches each floor, ``(value, low, high)`` [s] from the forecast
        start (inf where not reached), e.g. from the forecast's draws; the note and the
        marks then say exactly this. Without them, the band's crossings are used.
    start_time : datetime, optional
        Time of the record start (naive = UTC), shown in the axis label.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The time axis is in days when the plotted span exceeds 72 h, otherwise in hours.
    """
    t = _array("time_s", time_s)
    med = _array("median_Pa", median_Pa)
    lo = _array("low_Pa", low_Pa)
    hi = _array("high_Pa", high_Pa)
    _same_size(time_s=t, median_Pa=med, low_Pa=lo, high_Pa=hi)
    ht = hp = None
    if history_time_s is not None and history_Pa is not None:
        ht = _array("history_time_s", history_time_s)
        hp = _array("history_Pa", history_Pa)
        _same_size(history_time_s=ht, history_Pa=hp)
    has_o2 = ppO2_median_Pa is not None
    t_first = float(np.nanmin(t) if ht is None else min(np.nanmin(t), np.nanmin(ht)))
    tx = _TimeAxis(float(np.nanmax(t)) - t_first, start_time, days_allowed=True)
    fig, axes = _new_figure(2 if has_o2 else 1)
    ax = axes[0]
    k = _thin(t.size)
    shown = [med / MMHG_PA]
    if ht is not None and hp is not None:
        _measured(ax, tx(ht), hp / MMHG_PA, "measured", color="0.25")
        shown.append(hp / MMHG_PA)
    ax.fill_between(tx(t[k]), lo[k] / MMHG_PA, hi[k] / MMHG_PA, color=_MEASURED, alpha=0.25,
                    lw=0, label="forecast 95 % band")
    ax.plot(tx(t[k]), med[k] / MMHG_PA, color=_MEASURED, lw=1.8, label="forecast median")
    ax.axvline(float(tx(t[0])), color="0.5", lw=0.8, ls=":")
    if floor_Pa is not None:
        _draw_floor(ax, floor_Pa, shown)
        now = float(t[0])
        crossing = _crossing_interval(t, time_to_floor_s, med, lo, hi, floor_Pa)
        note = floor_text(floor_Pa, crossing, float(t[-1]) - now)
        ax.text(0.99, 0.97, note, transform=ax.transAxes, ha="right", va="top", fontsize=9,
                color=_FLOOR, bbox={"boxstyle": "round", "fc": "white", "ec": _FLOOR,
                                    "alpha": 0.9})
        if math.isfinite(crossing.low):
            end = now + crossing.high if math.isfinite(crossing.high) else float(t[-1])
            ax.plot(tx(np.array([now + crossing.low, end])), [floor_Pa / MMHG_PA] * 2,
                    color=_FLOOR, lw=4, alpha=0.5, solid_capstyle="butt")
        if math.isfinite(crossing.value):
            ax.plot([float(tx(now + crossing.value))], [floor_Pa / MMHG_PA], marker="o", ms=6,
                    color=_FLOOR)
    ax.set_ylabel("pressure [mmHg]")
    if ppO2_median_Pa is not None:
        _ppO2_panel(axes[1], tx, t, ppO2_median_Pa, ppO2_low_Pa, ppO2_high_Pa, ppO2_floor_Pa,
                    time_to_ppO2_floor_s)
    return _finish(fig, axes, title, tx)
