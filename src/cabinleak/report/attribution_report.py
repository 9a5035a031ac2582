"""The HTML report of a cause attribution: physics prior, evidence, posterior, sensitivity."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cabinleak.attribute.risk import Risk
from cabinleak.report.html import Section, write_report

SOURCES = "\n\n".join((
    "Meteoroid flux: Grün, Zook, Fechtig & Giese (1985), Icarus 62:244, eq. A3; near- "
    "Earth focusing and Earth shielding as in ECSS-E-ST-10-04C Annex C; mean speed 19 "
    "km/s and density from NASA TM-4527.",
    "Orbital debris flux: the NASA-91 engineering model, Kessler et al. (NASA TM-100471 "
    "and its 1991 update; SSP 30425 rev. B); mean speed 10 km/s (ECSS-E-ST-10-04C).",
    "Ballistic limits: Cour-Palais / Christiansen single-wall equation and the JSC "
    "Whipple equation, Christiansen, NASA/TP-2003-210788; Ryan & Christiansen (2011), "
    "Acta Astronautica 69:245. Hole size in the pressure wall: Hill (2004).",
    "Penetrations as a Poisson process: P(none) = exp(-N), as in NASA's BUMPER analyses.",
    "Likelihoods of the observations and base rates of the causes: judgement-based "
    "defaults with the reasoning given for each in the catalogue (cabinleak attribute "
    "--catalogue), overridable in the evidence file.",
))


def _evidence_sources(result: Any) -> str:
    refs = sorted({r for key in result.evidence.observed
                   for r in result.evidence.catalogue[key].references})
    return ("References the catalogue cites for the reported observations: "
            + "; ".join(refs)) if refs else ""


def _posterior_figure(result: Any) -> Figure:
    fig = Figure(figsize=(9, 3.2), layout="tight")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    causes = list(result.posterior)
    prior = [result.prior.probability[c] for c in causes]
    post = [result.posterior[c] for c in causes]
    y = range(len(causes))
    ax.barh([i + 0.2 for i in y], prior, height=0.4, color="#bbbbbb", label="prior (physics "
            "and base rates)")
    ax.barh([i - 0.2 for i in y], post, height=0.4, color="#1f77b4", label="posterior")
    ax.set_yticks(list(y), causes)
    ax.set_xscale("log")
    ax.set_xlim(1e-8, 1.5)
    ax.set_xlabel("probability")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("cause of the hole: prior and posterior")
    return fig


def write_attribution_report(path: str | Path, *, module: str, risk: Risk, result: Any,
                             notes: Sequence[str] = ()) -> Path:
    """Write the attribution, line by line from the physics prior to the posterior."""
    summary = str(risk) + "\n\n" + str(result)
    steps = [("observation", "reported", *(c for c in result.posterior))]
    for s in result.steps:
        steps.append((s.key, "present" if s.present else "absent",
                      *(f"{s.likelihoods[c]:.3g}" for c in result.posterior)))
    sens = [("observation", "if instead", "most probable cause", "changes the conclusion")]
    for x in result.sensitivity:
        sens.append((x.key, str(x.changed_to), x.most_probable, "yes" if x.changes else "no"))
    sections = [
        Section("Physics: how likely is a natural penetration?",
                text=str(risk) + ("\n\n" + "\n".join(notes) if notes else "")),
        Section("Evidence: P(observation | cause)", table=tuple(steps),
                text="Each row is one reported observation and how likely it is under each "
                     "cause (defaults from the catalogue, or the evidence file's overrides)."),
        Section("Posterior", figures=(_posterior_figure(result),), text=str(result)),
        Section("Sensitivity: which observation, if wrong, changes the conclusion",
                table=tuple(sens)),
        Section("Sources", text=SOURCES + "\n\n" + _evidence_sources(result)),
    ]
    return write_report(path, title=f"cabinleak cause attribution: hole in {module}",
                        summary=summary, sections=sections)
