"""Tests for :mod:`cabinleak.report.html` and :mod:`cabinleak.report.leak_plots`.

Inputs are synthetic: an exponential pressure decay with Gaussian noise, as an orifice leak in
the isothermal, choked regime gives (p = p0 exp(-t/tau)); no reference values are involved,
only structure (labels, notes, escaping, well-formed HTML) and invariants of the envelope.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.text import Text

import cabinleak
from cabinleak.physics.units import DAY_S, HOUR_S, MMHG_PA
from cabinleak.report.html import Section, figure_png, report_preview_png, write_report
from cabinleak.report.leak_plots import (
    envelope,
    floor_note,
    forecast_figure,
    leak_rate_figure,
    pressure_fit_figure,
)

P0_PA = 760 * MMHG_PA
TAU_S = 400 * HOUR_S  # decay time constant [s]
FLOOR_PA = 490 * MMHG_PA
START = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)


def decay(n: int, hours: float = 48.0, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Pressure decay p0 exp(-t/tau) [Pa] sampled n times over `hours`, 0.2 mmHg noise."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, hours * HOUR_S, n)
    return t, P0_PA * np.exp(-t / TAU_S) + rng.normal(0.0, 0.2 * MMHG_PA, n)


def texts(fig: Figure) -> list[str]:
    """Every text drawn in `fig` (titles, labels, notes, legend entries)."""
    return [a.get_text() for a in fig.findobj(Text) if isinstance(a, Text)]


def png_size(fig: Figure) -> int:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return len(buffer.getvalue())


class TagBalance(HTMLParser):
    """Checks that every opened (non-void) tag is closed in order."""

    VOID = frozenset({"meta", "img", "br", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


# --- envelope -------------------------------------------------------------------------------


def test_envelope_keeps_short_series_unchanged():
    t, p = decay(500)
    x, y = envelope(t, p, columns=1000)
    np.testing.assert_array_equal(x, t)
    np.testing.assert_array_equal(y, p)


def test_envelope_keeps_extremes_and_bounds_point_count():
    t, p = decay(1_000_000)
    p[123_456] = np.nan  # a dropout is ignored, not propagated
    x, y = envelope(t, p, columns=2000)
    assert x.size == 4000
    assert np.nanmax(y) == np.nanmax(p)
    assert np.nanmin(y) == np.nanmin(p)
    assert x.min() >= t[0] and x.max() <= t[-1]


def test_envelope_leaves_gaps_empty():
    t = np.concatenate([np.linspace(0, 10, 5000), np.linspace(20, 30, 5000)])
    x, y = envelope(t, np.ones_like(t), columns=100)
    gap = (x > 11) & (x < 19)
    assert gap.any() and np.isnan(y[gap]).all()


def test_envelope_rejects_mismatched_sizes():
    with pytest.raises(ValueError, match="x has 3, y has 2"):
        envelope([0, 1, 2], [1, 2])


# --- figures --------------------------------------------------------------------------------


def test_pressure_fit_figure_million_points_small_png():
    t, p = decay(1_000_000)
    fit = P0_PA * np.exp(-t / TAU_S)
    fig = pressure_fit_figure(
        t, p, fit_time_s=t, fit_Pa=fit, fit_low_Pa=fit - 50, fit_high_Pa=fit + 50,
        onset_s=2 * HOUR_S, alarm_s=5 * HOUR_S, floor_Pa=FLOOR_PA,
        events=[(10 * HOUR_S, "repress"), (30 * HOUR_S, "hatch closed")],
        start_time=START, title="Zvezda PrK",
    )
    ax = fig.axes[0]
    assert ax.get_ylabel() == "pressure [mmHg]"
    assert ax.get_xlabel() == "hours since 2024-05-01 06:00 UTC"
    assert max(np.size(line.get_xdata()) for line in ax.get_lines()) <= 4000  # decimated
    drawn = texts(fig)
    assert {"repress", "hatch closed", "onset 2.0 h", "alarm 5.0 h"} <= set(drawn)
    assert "floor 490 mmHg (below the plotted range)" in drawn  # 760 → 671 mmHg in 48 h
    assert png_size(fig) < 300_000


def test_pressure_fit_figure_rejects_mismatched_arrays():
    with pytest.raises(ValueError, match="time_s has 3, pressure_Pa has 2"):
        pressure_fit_figure([0, 1, 2], [1e5, 1e5])


def test_leak_rate_figure_labels_and_estimate():
    t = np.linspace(0, 24 * HOUR_S, 2000)
    rate = np.where(t > 3 * HOUR_S, 1.4 / DAY_S, 0.0)
    fig = leak_rate_figure(t, rate, rate - 0.2 / DAY_S, rate + 0.2 / DAY_S, onset_s=3 * HOUR_S,
                           alarm_s=4 * HOUR_S, estimate=(1.4 / DAY_S, 1.2 / DAY_S, 1.6 / DAY_S))
    ax = fig.axes[0]
    assert ax.get_ylabel() == "leak rate [kg/day]"
    assert ax.get_xlabel() == "hours"
    assert "estimate 1.40 kg/day (95 %: 1.20 to 1.60)" in texts(fig)


def test_forecast_floor_note_and_days_axis():
    t = np.linspace(48 * HOUR_S, 548 * HOUR_S, 501)  # 500 h forecast after 48 h of history
    med = P0_PA * np.exp(-t / TAU_S)  # crosses 490 mmHg at tau ln(760/490) = 175.6 h
    ht, hp = decay(10_000)
    fig = forecast_figure(t, med, 0.97 * med, 1.03 * med, floor_Pa=FLOOR_PA, history_time_s=ht,
                          history_Pa=hp, start_time=START)
    assert fig.axes[0].get_xlabel().startswith("days since 2024-05-01")
    assert fig.axes[0].get_ylabel() == "pressure [mmHg]"
    note = [s for s in texts(fig) if s.startswith("floor 490 mmHg:")]
    # median: tau ln(760/490) - 48 h = 5.3152 days; band edges at tau ln(0.97*760/490) and
    # tau ln(1.03*760/490), less 48 h: 4.8076 and 5.8079 days
    assert note == ["floor 490 mmHg: 5.32 days after the last sample (95 %: 4.81 to 5.81)"]


def test_forecast_short_span_stays_in_hours_and_ppO2_panel():
    t = np.linspace(0, 60 * HOUR_S, 200)
    med = P0_PA * np.exp(-t / TAU_S)
    o2 = 0.21 * med
    fig = forecast_figure(t, med, med - 100, med + 100, ppO2_median_Pa=o2, ppO2_low_Pa=o2 - 50,
                          ppO2_high_Pa=o2 + 50, ppO2_floor_Pa=120 * MMHG_PA)
    assert len(fig.axes) == 2
    assert fig.axes[1].get_xlabel() == "hours"
    assert fig.axes[1].get_ylabel() == "ppO2 [mmHg]"
    # a 60 h horizon is said in hours (it printed "2 days", 2.5 rounded down)
    assert "ppO2 floor 120 mmHg: not reached within the forecast's 60 h" in texts(fig)


def test_floor_note_reached_at_once():
    t = np.array([0.0, 100 * HOUR_S])
    mmHg = MMHG_PA
    assert floor_note(t, [480 * mmHg] * 2, [470 * mmHg] * 2, [485 * mmHg] * 2,
                      490 * mmHg) == ("floor 490 mmHg: 0.000 h after the last sample "
                                      "(95 %: 0.000 to 0.000)")


def test_floor_note_median_not_reached():
    t = np.array([0.0, 100 * HOUR_S])
    mmHg = MMHG_PA
    note = floor_note(t, [700 * mmHg, 500 * mmHg], [600 * mmHg, 300 * mmHg],
                      [760 * mmHg, 600 * mmHg], 490 * mmHg)
    # the low edge crosses at 100 h x (600 - 490) / (600 - 300) = 36.67 h
    assert note.startswith("floor 490 mmHg: beyond 4 days after the last sample (95 %: 36.67")


# --- HTML -----------------------------------------------------------------------------------


@pytest.fixture
def report(tmp_path: Path) -> tuple[Path, list[Figure]]:
    t, p = decay(5000)
    figs = [
        pressure_fit_figure(t, p, title="pressure"),
        leak_rate_figure(t, np.full_like(t, 1e-5), np.full_like(t, 0.8e-5),
                         np.full_like(t, 1.2e-5)),
        forecast_figure(t, p, p - 100, p + 100, floor_Pa=FLOOR_PA),
    ]
    sections = [
        Section("Pressure & fit", text="First paragraph\nwraps.\n\nSecond <b>para</b>.",
                figures=(figs[0], figs[1])),
        Section("Forecast", figures=(figs[2],),
                table=(("quantity", "value"), ("leak rate", "0.86 kg/day"),
                       ("time to floor", "312 h <est>"))),
    ]
    path = write_report(
        tmp_path / "out" / "report.html", title="Leak <ISS> report",
        summary="leak rate 0.86 kg/day\n<script>alert(1)</script>", sections=sections,
        issues=["gap of 2.0 h at 12:00", "sensor P2 stuck & replaced"], footer="cabinleak analyze",
        generated=datetime(2024, 5, 3, 12, 30, tzinfo=UTC),
    )
    return path, figs


def test_report_contents_escaped(report: tuple[Path, list[Figure]]):
    path, _ = report
    text = path.read_text(encoding="utf-8")
    assert "<title>Leak &lt;ISS&gt; report</title>" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script" not in text
    assert text.count('<img src="data:image/png;base64,') == 3
    assert "<p>First paragraph wraps.</p>" in text
    assert "<p>Second &lt;b&gt;para&lt;/b&gt;.</p>" in text
    assert "<thead><tr><th>quantity</th><th>value</th></tr></thead>" in text
    assert "<tr><td>time to floor</td><td>312 h &lt;est&gt;</td></tr>" in text
    assert "<li>gap of 2.0 h at 12:00</li>" in text
    assert "<li>sensor P2 stuck &amp; replaced</li>" in text
    assert f"cabinleak {cabinleak.__version__}" in text
    assert "2024-05-03 12:30 UTC" in text
    for external in ('src="http', "href=", "url(", "@import"):  # self-contained
        assert external not in text


def test_report_is_well_formed(report: tuple[Path, list[Figure]]):
    path, _ = report
    parser = TagBalance()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    alts = [attrs["alt"] for tag, attrs in parser.tags if tag == "img"]
    assert alts == ["Pressure & fit", "Pressure & fit", "Forecast"]


def test_report_releases_figures(report: tuple[Path, list[Figure]]):
    _, figs = report
    assert all(not fig.axes for fig in figs)


def test_report_without_issues_says_so(tmp_path: Path):
    path = write_report(tmp_path / "r.html", title="t", summary="s", sections=[])
    assert "No issues reported." in path.read_text(encoding="utf-8")


def test_section_rejects_ragged_table():
    with pytest.raises(ValueError, match="table row 1 has 1 cells, the header has 2"):
        Section("x", table=(("a", "b"), ("c",)))


def test_figure_png_and_preview(tmp_path: Path):
    t, p = decay(1000)
    one = figure_png(pressure_fit_figure(t, p), tmp_path / "a" / "one.png")
    assert imread(one).shape[:2] == (400, 900)
    figs = [pressure_fit_figure(t, p),
            forecast_figure(t, p, p - 1, p + 1, ppO2_median_Pa=0.21 * p)]
    preview = report_preview_png(figs, tmp_path / "preview.png", dpi=50, gap_px=10)
    assert imread(preview).shape[:2] == (200 + 10 + 300, 450)
