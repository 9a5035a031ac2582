"""The HTML report of a cause attribution: physics, prior, evidence, posterior, sensitivity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cabinleak.attribute.cause import BASE_RATE_REASONS
from cabinleak.attribute.evidence import CAUSE_NAMES, CAUSES
from cabinleak.attribute.risk import Risk
from cabinleak.report.html import Section, write_report

SOURCES = "\n\n".join((
    "Meteoroid flux: Grün, Zook, Fechtig & Giese (1985), Icarus 62:244, eq. A3; near-"
    "Earth focusing and Earth shielding as in ECSS-E-ST-10-04C Annex C; mean speed 19 "
    "km/s and density from NASA TM-4527.",
    "Orbital debris flux: the NASA-91 engineering model, Kessler et al. (NASA TM-100471 "
    "and its 1991 update; SSP 30425 rev. B); mean speed 10 km/s (ECSS-E-ST-10-04C).",
    "Ballistic limits: Cour-Palais / Christiansen single-wall equation and the JSC "
    "Whipple equation, Christiansen, NASA/TP-2003-210788; Ryan & Christiansen (2011), "
    "Acta Astronautica 69:245. Hole size in the pressure wall: Hill (2004) for a single "
    "wall; behind a shield, an estimate of this project, not a published equation (no "
    "hole at the shield's limit, Hill's hole of the momentum in excess of it).",
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
    ax.barh([i + 0.2 for i in y], prior, height=0.4, color="#bbbbbb", label="prior (physics\n"
            "and base rates)")
    ax.barh([i - 0.2 for i in y], post, height=0.4, color="#1f77b4", label="posterior")
    ax.set_yticks(list(y), causes)
    ax.set_xscale("log")
    ax.set_xlim(1e-8, 1.5)
    ax.set_xlabel("probability")
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # hides no bar
    ax.set_title("cause of the hole: prior and posterior")
    return fig


_STATE = {True: "present", False: "absent", None: "unknown"}  # as the text output says


def _prior_table(result: Any) -> tuple[tuple[str, ...], ...]:
    prior = result.prior
    rows: list[tuple[str, ...]] = [("cause", "P(leak from cause)", "P(cause | leak)", "basis")]
    for c in CAUSES:
        if c == "mmod":
            basis = prior.mmod_source
        elif c in prior.base_rate_defaults:
            basis = f"base rate per vehicle-flight, default: {BASE_RATE_REASONS[c]}"
        else:
            basis = "base rate per vehicle-flight, given"
        rows.append((c, f"{prior.leak_probability[c]:.3g}", f"{prior.probability[c]:.3g}",
                     basis))
    return tuple(rows)


def _evidence_table(result: Any) -> tuple[tuple[str, ...], ...]:
    top = result.most_probable
    rows: list[tuple[str, ...]] = [("observation", "reported", *CAUSES,
                                    f"odds of {top} vs the rest, added last")]
    for s in result.steps:
        factor = ("rest already ruled out" if math.isnan(s.bayes_factor)
                  else f"x{s.bayes_factor:.3g} ({s.top_without:.3g} → "
                       f"{result.posterior[top]:.3g})")
        rows.append((s.key, _STATE[s.present], *(f"{s.likelihoods[c]:.3g}" for c in CAUSES),
                     factor))
    return tuple(rows)


def _posterior_table(result: Any) -> tuple[tuple[str, ...], ...]:
    top = result.most_probable
    factors = result.prior_factor_to_overtake
    rows: list[tuple[str, ...]] = [("cause", "what it is", "prior", "posterior",
                                    f"prior factor needed to overtake {top}")]
    for c in sorted(CAUSES, key=lambda c: -result.posterior[c]):
        factor = "—" if c == top else f"x{factors[c]:.3g}"
        rows.append((c, CAUSE_NAMES[c], f"{result.prior.probability[c]:.3g}",
                     f"{result.posterior[c]:.3g}", factor))
    return tuple(rows)


def _sensitivity_table(result: Any) -> tuple[tuple[str, ...], ...]:
    rows: list[tuple[str, ...]] = [("observation", "reported", "if instead",
                                    "most probable cause", "its probability",
                                    "changes the conclusion")]
    for x in result.sensitivity:
        if x.posterior is None or x.most_probable is None:
            top, p = "impossible under every cause", "—"
        else:
            top, p = x.most_probable, f"{x.posterior[x.most_probable]:.3g}"
        rows.append((x.key, _STATE[x.reported], _STATE[x.changed_to], top, p,
                     "YES" if x.changes else "no"))
    return tuple(rows)


def _sensitivity_text(result: Any) -> str:
    fragile = result.fragile
    if not fragile:
        return ("No single reported observation, if wrong, changes the conclusion "
                f"({result.most_probable}).")
    return "The conclusion changes if one of these is wrong: " + "; ".join(
        f"{x.key} (if {_STATE[x.changed_to]}: {x.most_probable})" for x in fragile) + "."


def write_attribution_report(path: str | Path, *, module: str, risk: Risk, result: Any,
                             notes: Sequence[str] = ()) -> Path:
    """Write the attribution, section by section from the physics prior to the posterior."""
    top = result.most_probable
    ev = result.evidence
    ranked = sorted(CAUSES, key=lambda c: -result.posterior[c])
    summary = "\n".join([  # the headline; the full terminal output is in --json and the CLI
        str(risk), "",
        f"evidence: {ev.description or ev.source} ({ev.source})",
        "posterior: " + ", ".join(f"{c} {result.posterior[c]:.3g}" for c in ranked),
        f"most probable: {top} ({CAUSE_NAMES[top]})",
        _sensitivity_text(result)])
    evidence_notes = "\n\n".join(f"Note: {n}" for n in ev.notes)
    sections = [
        Section("Physics: how likely is a natural penetration?", pre=str(risk),
                text="\n\n".join(notes)),
        Section("Prior: P(cause | a leak of this size)", table=_prior_table(result),
                text="Eq. (1): P(cause | leak) = P(leak from cause) / sum over causes; the "
                     "physics gives MMOD's, documented base rates the others'."),
        Section("Evidence: P(observation | cause)", table=_evidence_table(result),
                text=f"Evidence: {ev.description or ev.source}; from {ev.source}. Each row is "
                     "one reported observation and how likely it is under each cause "
                     "(defaults from the catalogue, or the evidence file's overrides); the "
                     f"last column is the factor it gives the odds of {top} against the "
                     "other causes when it is added last.",
                after=evidence_notes),
        Section("Posterior", figures=(_posterior_figure(result),),
                text=f"Most probable: {top} ({CAUSE_NAMES[top]}), "
                     f"{result.posterior[top]:.3g}.",
                table=_posterior_table(result),
                after="The last column is by how much a cause's prior would have to grow for "
                      f"it to overtake {top}.\n\nAssumes the observations independent given "
                      "the cause; likelihoods and base rates are judgement-based defaults "
                      "unless overridden."),
        Section("Sensitivity: which observation, if wrong, changes the conclusion",
                text=_sensitivity_text(result) + " One observation is changed at a time; "
                     "for those not reported, what finding it present or absent would do.",
                table=_sensitivity_table(result)),
        Section("Sources", text=SOURCES + "\n\n" + _evidence_sources(result)),
    ]
    return write_report(path, title=f"cabinleak cause attribution: hole in {module}",
                        summary=summary, sections=sections, issues=None)
