"""The campaign's HTML report: outcome probabilities, by module and hole size, the two
search policies, and the distributions behind them (:mod:`cabinleak.report.html`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from cabinleak.campaign.response import OUTCOMES
from cabinleak.campaign.results import Breakdown, CampaignSummary
from cabinleak.campaign.spec import ResponseParams
from cabinleak.physics.units import MMHG_PA, format_duration
from cabinleak.report.html import Section, write_report

_COLOURS = ("tab:green", "tab:orange", "tab:purple", "tab:red")


def _outcome_figure(summary: CampaignSummary) -> Figure:
    fig = Figure(figsize=(9, 3.2))
    ax = fig.add_subplot()
    props = summary.outcomes
    y = np.arange(len(props))
    p = np.array([x.p for x in props])
    err = np.maximum(np.array([[x.p - x.low for x in props], [x.high - x.p for x in props]]), 0.0)
    ax.barh(y, p, xerr=err, color=_COLOURS, capsize=4)
    ax.set_yticks(y, [x.name for x in props])
    ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_xlabel("probability given a hole (95 % Wilson interval)")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def _breakdown_figure(rows: tuple[Breakdown, ...], title: str,
                      policies: tuple[str, ...]) -> Figure:
    """Stacked non-nominal outcomes per group under the campaign's policy; a black mark
    for the evacuation probability under the comparison policy (same scenarios)."""
    fig = Figure(figsize=(9, 3.6))
    ax = fig.add_subplot()
    x = np.arange(len(rows))
    bottom = np.zeros(len(rows))
    for k in range(1, len(OUTCOMES)):
        v = np.array([r.counts[k] / r.n if r.n else 0.0 for r in rows])
        ax.bar(x, v, bottom=bottom, color=_COLOURS[k], label=f"{OUTCOMES[k]} ({policies[0]})")
        bottom += v
    if len(policies) > 1:
        alt = np.array([r.other_evacuated / r.n if r.n else 0.0 for r in rows])
        ax.plot(x, alt, "k_", ms=14, mew=2, label=f"evacuated ({policies[1]})")
    if not bottom.any() and not (len(policies) > 1 and alt.any()):
        ax.text(0.5, 0.5, "no scenario left the nominal path", transform=ax.transAxes,
                ha="center", va="center", color="0.4")
    ax.set_xticks(x, [r.group for r in rows], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("probability of the outcome")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return fig


def _times_figure(table: Any, policies: tuple[str, ...]) -> Figure:
    fig = Figure(figsize=(9, 3.4))
    ax = fig.add_subplot()
    det = table["time_to_detect_s"].to_numpy()
    series = [("time to detect", det)]
    if "time_to_locate_s" in table.column_names:
        series.append((f"time to locate ({policies[0]})", table["time_to_locate_s"].to_numpy()))
    if len(policies) > 1 and "alt_time_to_locate_s" in table.column_names:
        series.append((f"time to locate ({policies[1]})",
                       table["alt_time_to_locate_s"].to_numpy()))
    finite = [v[np.isfinite(v) & (v > 0)] for _, v in series]
    if any(v.size for v in finite):
        lo = min(float(v.min()) for v in finite if v.size)
        hi = max(float(v.max()) for v in finite if v.size)
        bins = list(np.geomspace(lo / 1.01, hi * 1.01, 50) / 3600.0)
        for (label, _), v in zip(series, finite, strict=True):
            if v.size:
                ax.hist(v / 3600.0, bins=bins, histtype="step", lw=1.5, label=label)
        ax.set_xscale("log")
        ax.legend(fontsize=8)
    ax.set_xlabel("hours after the hole")
    ax.set_ylabel("scenarios")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _rows(rows: tuple[Breakdown, ...], name: str) -> tuple[tuple[str, ...], ...]:
    head = (name, "scenarios", *(f"{o} (count)" for o in OUTCOMES[1:]),
            *(f"P({o})" for o in OUTCOMES[1:]), "evacuated, other policy (count)")
    body = tuple((r.group, str(r.n), *(str(r.counts[k]) for k in range(1, len(OUTCOMES))),
                  *(f"{r.proportion(k).p:.3%}" for k in range(1, len(OUTCOMES))),
                  str(r.other_evacuated))
                 for r in rows)
    return (head, *body)


def _value(name: str, v: Any) -> str:
    """A parameter in the units crews use."""
    if v is None:
        return "from the station"
    if name.endswith("_Pa_per_s"):
        return f"{v / MMHG_PA * 60:.3g} mmHg/min"
    if name.endswith("_Pa"):
        return f"{v / MMHG_PA:.1f} mmHg ({v / 100:.0f} mbar)"
    if name.endswith("_s"):
        return format_duration(float(v))
    return f"{v:g}"


def write_campaign_report(path: str | Path, summary: CampaignSummary, table: Any, *,
                          policies: tuple[str, ...], spec_text: str = "",
                          response: ResponseParams | None = None,
                          footer: str = "") -> Path:
    """Write the report of a finished campaign."""
    sections = [
        Section("Outcome probabilities",
                text="Each outcome's probability given a hole, with its 95 % Wilson interval "
                     "and the counts behind it (see the summary).",
                figures=(_outcome_figure(summary),),
                table=(("outcome", "probability", "95 % interval", "count", "scenarios"),
                       *((p.name, f"{p.p:.4%}", f"[{p.low:.4%}, {p.high:.4%}]",
                          str(p.count), str(p.n)) for p in summary.outcomes))),
        Section("By module (leak site)",
                figures=(_breakdown_figure(summary.by_module, "outcomes by leak site",
                                           policies),),
                table=_rows(summary.by_module, "module")),
        Section("By hole size",
                figures=(_breakdown_figure(summary.by_size, "outcomes by hole diameter",
                                           policies),),
                table=_rows(summary.by_size, "hole")),
    ]
    c = summary.comparison
    if c is not None:
        sections.append(Section(
            f"Search policy: {c.policy} against {c.other}",
            text=(f"The same scenarios played under both policies. Evacuation "
                  f"{c.evacuated.p:.3%} [{c.evacuated.low:.3%}, {c.evacuated.high:.3%}] "
                  f"with the {c.policy}, {c.other_evacuated.p:.3%} "
                  f"[{c.other_evacuated.low:.3%}, {c.other_evacuated.high:.3%}] with "
                  f"{c.other}: the {c.policy} removes {c.difference:.3%} "
                  f"[{c.low:.3%}, {c.high:.3%}] of evacuation risk ({c.only_other} "
                  f"scenarios evacuated only under {c.other}, {c.only_this} only under "
                  f"{c.policy})."),
            figures=(_times_figure(table, policies),)))
    else:
        sections.append(Section("Times", figures=(_times_figure(table, policies),)))
    if response is not None:
        from dataclasses import fields

        from cabinleak.campaign.response import PARAMETER_SOURCES

        sections.append(Section(
            "Response model parameters",
            text="Every rule of the crew-response model is a parameter of the campaign "
                 "description ([response]); the model is described in "
                 "cabinleak.campaign.response.",
            table=(("parameter", "value", "source"),
                   *((f.name, _value(f.name, getattr(response, f.name)),
                      PARAMETER_SOURCES.get(f.name, "")) for f in fields(response)))))
    if spec_text:
        sections.append(Section("Campaign description", pre=spec_text))
    return write_report(path, title=f"Consequence campaign: {summary.station}",
                        summary=str(summary), sections=sections, issues=None, footer=footer)
