"""The leak report says what the summary says, and shows every measured point.

The record is the PrK gauge pair of March 2021 in ``examples/`` (730 -> 678 mmHg in 11.5 h,
4.5 m³): two readings, the case where a fitted line can hide the data. No reference values
are involved: the checks compare the report with the text summary of the same analysis, and
look at the pixels of the rendered plot.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Text

from cabinleak.estimate import LeakAnalysis, Settings, analyze
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA
from cabinleak.report.leak_plots import forecast_figure, pressure_fit_figure
from cabinleak.report.leak_report import analysis_figures
from cabinleak.telemetry import read_telemetry

ROOT = Path(__file__).resolve().parents[1]
PRK = ROOT / "examples" / "prk-march-2021-gauge.csv"
MEASURED_RGB = (0x1F, 0x77, 0xB4)  # matplotlib's tab:blue, the colour of measured points


def texts(fig: Figure) -> list[str]:
    return [a.get_text() for a in fig.findobj(Text) if isinstance(a, Text)]


def summary_value(a: LeakAnalysis, label: str) -> str:
    """What the text summary prints after `label` (e.g. "to 600 mmHg")."""
    for line in str(a).splitlines():
        if line.strip().startswith(label):
            return line.strip()[len(label):].strip()
    raise AssertionError(f"no {label!r} line in the summary:\n{a}")


@pytest.fixture(scope="module")
def prk() -> LeakAnalysis:
    return analyze(read_telemetry(PRK), settings=Settings(floor_Pa=600 * MMHG_PA))


def test_forecast_box_says_what_the_summary_says(prk: LeakAnalysis) -> None:
    v = prk.primary
    said = summary_value(prk, "to 600 mmHg")  # e.g. "19.03 h after the last sample (95 %: ...)"
    fig = analysis_figures(prk, v)[2]
    boxes = [s for s in texts(fig) if s.startswith("floor 600 mmHg") and s != "floor 600 mmHg"]
    assert len(boxes) == 1, texts(fig)
    assert said in boxes[0]


def test_forecast_marks_the_floor_at_the_summary_time(prk: LeakAnalysis) -> None:
    v = prk.primary
    fc = v.forecast
    assert fc.time_to_floor_s is not None
    fig = analysis_figures(prk, v)[2]
    dots = [ln for ln in fig.axes[0].get_lines()
            if ln.get_marker() == "o" and ln.get_color() == "tab:red"]
    assert len(dots) == 1
    x_h = float(np.asarray(dots[0].get_xdata())[0])
    want_h = (fc.time_s[0] + fc.time_to_floor_s.value - prk.time_s[0]) / HOUR_S
    assert x_h == pytest.approx(want_h, rel=0, abs=1e-9)


def test_forecast_box_keeps_a_narrow_interval() -> None:
    # the demo's case: 14.57 days to the floor with an interval of a few minutes, which a
    # 241-point forecast grid (an hour and a half a step) cannot resolve
    t = np.linspace(0.0, 21 * DAY_S, 241)
    p = 760 * MMHG_PA * np.exp(-t / (14.5692 * DAY_S / math.log(760 / 490)))
    fig = forecast_figure(t, p, p - 1.0, p + 1.0, floor_Pa=490 * MMHG_PA,
                          time_to_floor_s=(14.5692 * DAY_S, 14.5672 * DAY_S, 14.5714 * DAY_S))
    box = [s for s in texts(fig) if s.startswith("floor 490 mmHg") and s != "floor 490 mmHg"]
    assert box == ["floor 490 mmHg: 14.5692 days after the last sample "
                   "(95 %: 14.5672 to 14.5714)"]


def _pixel(fig: Figure, x: float, y: float, dx: int = 0, dy: int = 0) -> tuple[int, int, int]:
    """The colour [0-255] of the pixel at data point (x, y) of the first axes (+dx, dy px)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    img = imread(io.BytesIO(buffer.getvalue()), format="png")
    px, py = fig.axes[0].transData.transform((x, y))
    row = img.shape[0] - round(float(py)) - 1 - dy
    r, g, b = (round(255 * float(c)) for c in img[row, round(float(px)) + dx, :3])
    return r, g, b


def test_few_measured_points_are_drawn_over_the_fit() -> None:
    t = np.array([0.0, 11.5 * HOUR_S])
    p = np.array([730.0, 678.0]) * MMHG_PA
    fig = pressure_fit_figure(t, p, fit_time_s=np.linspace(0, t[-1], 50),
                              fit_Pa=np.linspace(p[0], p[1], 50),
                              fit_low_Pa=np.linspace(p[0], p[1], 50) - 30,
                              fit_high_Pa=np.linspace(p[0], p[1], 50) + 30)
    for x_h, p_mmHg in ((0.0, 730.0), (11.5, 678.0)):
        assert _pixel(fig, x_h, p_mmHg) == pytest.approx(MEASURED_RGB, abs=12)
    measured = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "measured"]
    fit = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "flow-law fit"]
    assert measured[0].get_zorder() > fit[0].get_zorder()
    assert measured[0].get_markersize() >= 6  # two points must be seen at a glance


def test_report_measured_points_visible(prk: LeakAnalysis) -> None:
    v = prk.primary
    fig = analysis_figures(prk, v)[0]
    t0 = prk.time_s[0]
    for t, p in zip(v.series.time_s, v.series.pressure_Pa, strict=True):
        assert _pixel(fig, (t - t0) / HOUR_S, p / MMHG_PA) == pytest.approx(MEASURED_RGB, abs=12)


def test_dense_record_is_drawn_over_the_fit() -> None:
    # a fit that matches the data exactly (the demo's case) must not hide them
    t = np.linspace(0.0, 40 * HOUR_S, 14_400)
    p = (760.0 - 0.5 * t / HOUR_S) * MMHG_PA
    fig = pressure_fit_figure(t, p, fit_time_s=t, fit_Pa=p)
    # a thin antialiased line: some pixel beside the point is more blue than orange
    around = [_pixel(fig, 20.0, 750.0, dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    assert any(b - r > 60 for r, _, b in around), around


def test_undecided_law_wording_says_the_orifice_law_falls_faster(prk: LeakAnalysis) -> None:
    # Two readings cannot tell a hole from a crack. The orifice law (rate ∝ p) loses gas
    # faster as the pressure falls than the crack law (rate ∝ p²), so it reaches a floor
    # first: the conservative forecast, and the summary must say so, not the reverse.
    text = str(prk)
    assert "forecasting with the orifice law" in text
    assert "the slower to fall" not in text
    assert "the orifice law, the faster to fall (the conservative choice)" in text


def test_report_text_and_plot_use_the_summary_numbers(prk: LeakAnalysis) -> None:
    # one number and one interval everywhere: the report's paragraphs and the leak-rate
    # plot print the rate and Cd·A exactly as the text summary does
    from cabinleak.report.leak_report import analysis_text

    v = prk.primary
    rate = summary_value(prk, "leak rate")  # "0.738 kg/day (95 %: 0.670 to 0.805)"
    area = summary_value(prk, "effective area")  # "Cd·A 0.0402 mm² (95 %: ...)"
    text = analysis_text(prk, v)
    assert rate in text and area in text
    fig = analysis_figures(prk, v)[1]
    assert f"estimate {rate}" in texts(fig)
