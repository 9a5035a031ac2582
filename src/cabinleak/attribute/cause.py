"""From the physics prior and the observations to a posterior over causes, and how robust it is.

The prior over causes, given that a leak of this size occurred, is proportional to the
probability of such a leak from each cause over the exposure:

    P(cause | leak) = P(leak from cause) / Σ_c P(leak from c)                   (1)

with P(leak from mmod) = the physics' probability that an MMOD strike made a hole at
least this large in this surface during the exposure, and base rates for the other
causes. (1) is exact when at most one cause acts, and a good approximation while every
P(leak from c) is small, which is the case here.

The observations then multiply it (Bayes' rule, observations independent given the
cause; :mod:`.evidence`):

    P(cause | leak, obs) ∝ P(cause | leak) · Π_i P(obs_i as reported | cause)      (2)

Each observation's *contribution* is its Bayes factor for the most probable cause
against all the others when it is added last, i.e. the factor by which it multiplies
the posterior odds of the top cause given all the other observations:

    B_i = P(obs_i | top) / Σ_{c ≠ top} w_c P(obs_i | c),   w ∝ posterior without obs_i

(the "rest" is weighted as the rest of the evidence weighs it), together with the change
in the top cause's posterior it makes when added last. Unlike the running posterior,
neither depends on the order the observations are listed in.

The *sensitivity analysis* asks, one observation at a time, what the posterior would be
had that observation been reported wrongly: present instead of absent or the reverse,
or not reported at all; and, for observations not reported, what finding it present or
absent would do. An observation whose change moves the most probable cause is one the
conclusion hangs on.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from cabinleak.attribute.evidence import CAUSE_NAMES, CAUSES, EvidenceError, EvidenceSet

__all__ = ["BASE_RATE_REASONS", "DEFAULT_BASE_RATES", "Attribution", "Prior", "Sensitivity",
           "Step", "attribute", "prior_from"]

# Probability per vehicle per flight (of the order of six months in orbit) of a leak
# about as large as the one being attributed (a hole of ~1 mm or more, noticed at the
# level of the station) from each cause. Rough judgement; override per case.
DEFAULT_BASE_RATES: Mapping[str, float] = MappingProxyType({
    "manufacturing": 5e-3,
    "fatigue": 1e-3,
    "seal": 1e-2,
    "deliberate": 1e-4,
})
BASE_RATE_REASONS: Mapping[str, str] = MappingProxyType({
    "manufacturing": "flaws that pass the pre-launch leak check and open in flight: none "
                     "confirmed in some 60 Soyuz TMA/MS flights (MS-09 is disputed and is "
                     "the kind of case judged, so not counted); rule of three < 5e-2; "
                     "judged an order lower",
    "fatigue": "needs many load cycles: rare within one flight of a vehicle (the Zvezda "
               "PrK cracks came after ~19 years in orbit); raise it for an old module",
    "seal": "the commonest source of noticeable leaks in the record (Soyuz 11 valve, "
            "ISS Destiny flex hose 2003-04, hatch and window seals): of order 1e-2",
    "deliberate": "no confirmed case in some 350 crewed flights (MS-09 disputed, not "
                  "counted; rule of three < 1e-2); crew screening and the crew's own "
                  "survival make it far rarer: judged 1e-4",
})
_SHORT = {"mmod": "mmod", "manufacturing": "manuf", "fatigue": "fatig", "seal": "seal",
          "deliberate": "delib"}
_STATE = {True: "present", False: "absent", None: "unknown"}


def _jf(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _g(x: float, width: int = 8) -> str:
    return f"{x:>{width}.3g}"


@dataclass(frozen=True)
class Prior:
    """P(cause | a leak of this size occurred), from the physics and the base rates."""

    leak_probability: Mapping[str, float]  # P(leak from cause) over the exposure [1]
    probability: Mapping[str, float]  # normalised, eq. (1)
    mmod_source: str  # where P(leak from mmod) came from
    base_rate_defaults: tuple[str, ...]  # causes whose base rate is the documented default

    def __str__(self) -> str:
        lines = ["prior, eq. (1): P(cause | leak) = P(leak from cause) / sum over causes",
                 f"  {'cause':<13} {'P(leak from cause)':>18} {'P(cause | leak)':>16}"]
        for c in CAUSES:
            if c == "mmod":
                why = [self.mmod_source]
            elif c in self.base_rate_defaults:
                why = ["base rate per vehicle-flight, default:", BASE_RATE_REASONS[c]]
            else:
                why = ["base rate per vehicle-flight, given"]
            lines.append(f"  {c:<13} {self.leak_probability[c]:>18.3g} "
                         f"{self.probability[c]:>16.3g}")
            lines += textwrap.wrap(" ".join(why), 88, initial_indent=" " * 18,
                                   subsequent_indent=" " * 18)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"leak_probability": {c: self.leak_probability[c] for c in CAUSES},
                "probability": {c: self.probability[c] for c in CAUSES},
                "mmod_source": self.mmod_source,
                "base_rate_defaults": list(self.base_rate_defaults)}


def prior_from(p_mmod_hole: float, base_rates: Mapping[str, float] = DEFAULT_BASE_RATES, *,
               source: str = "physics: P(an MMOD strike made a hole at least this large "
                             "in this surface during the exposure)") -> Prior:
    """The prior over causes given that a leak of this size occurred, eq. (1).

    Parameters
    ----------
    p_mmod_hole : float
        Probability [1] that an MMOD strike made a hole at least this large in this
        surface during the exposure (from the penetration risk), in [0, 1].
    base_rates : mapping
        P(leak from cause) [1] for the other causes over a comparable exposure; causes
        left out take :data:`DEFAULT_BASE_RATES`. Each in [0, 1].
    source : str
        Where ``p_mmod_hole`` came from; printed with the prior.

    Returns
    -------
    Prior

    Raises
    ------
    EvidenceError
        A probability outside [0, 1], an unknown cause (or ``mmod``, whose prior comes
        from the physics), or every probability zero.
    """
    if isinstance(p_mmod_hole, bool) or not 0.0 <= p_mmod_hole <= 1.0:
        raise EvidenceError("prior", "p_mmod_hole", f"must be a probability in [0, 1], "
                                                    f"got {p_mmod_hole!r}")
    others = [c for c in CAUSES if c != "mmod"]
    for c, value in base_rates.items():
        if c not in others:
            hint = ("its prior is p_mmod_hole, from the physics" if c == "mmod"
                    else f"causes: {', '.join(others)}")
            raise EvidenceError("prior", f"base_rates.{c}", f"unknown cause ({hint})")
        if isinstance(value, bool) or not 0.0 <= value <= 1.0:
            raise EvidenceError("prior", f"base_rates.{c}",
                                f"must be a probability in [0, 1], got {value!r}")
    leak = {"mmod": float(p_mmod_hole)}
    leak.update({c: float(base_rates.get(c, DEFAULT_BASE_RATES[c])) for c in others})
    total = sum(leak.values())
    if total <= 0:
        raise EvidenceError("prior", "base_rates", "every cause has probability 0; "
                                                   "at least one must be > 0")
    defaults = tuple(c for c in others if base_rates is DEFAULT_BASE_RATES
                     or c not in base_rates)
    return Prior(MappingProxyType(leak), MappingProxyType({c: leak[c] / total for c in CAUSES}),
                 source, defaults)


@dataclass(frozen=True)
class Step:
    """One observation as it enters the posterior."""

    key: str
    present: bool
    likelihoods: Mapping[str, float]  # P(obs as reported | cause)
    running: Mapping[str, float]  # posterior after this and the observations above it
    bayes_factor: float  # for the top cause vs the rest, added last (nan: rest ruled out)
    top_without: float  # posterior of the top cause without this observation

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "present": self.present,
                "likelihoods": dict(self.likelihoods), "running_posterior": dict(self.running),
                "bayes_factor_top_vs_rest": _jf(self.bayes_factor),
                "log10_bayes_factor": _jf(math.log10(self.bayes_factor))
                if self.bayes_factor > 0 else None,
                "top_posterior_without": self.top_without}


@dataclass(frozen=True)
class Sensitivity:
    """The posterior had one observation been reported otherwise."""

    key: str
    reported: bool | None  # None: not reported
    changed_to: bool | None  # None: removed
    posterior: Mapping[str, float] | None  # None: impossible under every cause
    most_probable: str | None
    changes: bool  # the most probable cause differs from the attribution's

    def __str__(self) -> str:
        if self.posterior is None or self.most_probable is None:
            return f"if {_STATE[self.changed_to]}: impossible under every cause"
        top = self.most_probable
        flag = "CHANGES the conclusion" if self.changes else "same"
        return f"if {_STATE[self.changed_to]}: {top} {self.posterior[top]:.3g} ({flag})"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "reported": self.reported, "changed_to": self.changed_to,
                "posterior": dict(self.posterior) if self.posterior is not None else None,
                "most_probable": self.most_probable, "changes_conclusion": self.changes}


@dataclass(frozen=True)
class Attribution:
    """Posterior over causes, each observation's contribution and the sensitivity table."""

    prior: Prior
    evidence: EvidenceSet
    steps: tuple[Step, ...]
    posterior: Mapping[str, float]
    most_probable: str
    sensitivity: tuple[Sensitivity, ...]

    @property
    def fragile(self) -> tuple[Sensitivity, ...]:
        """Reported observations that, flipped or removed, change the most probable cause."""
        return tuple(s for s in self.sensitivity if s.reported is not None and s.changes)

    @property
    def prior_factor_to_overtake(self) -> dict[str, float]:
        """For each other cause, by how much its prior must grow to become most probable."""
        top = self.posterior[self.most_probable]
        return {c: (top / p if p > 0 else math.inf) for c, p in self.posterior.items()
                if c != self.most_probable}

    def __str__(self) -> str:
        ev, top = self.evidence, self.most_probable
        out = [f"cause attribution: {ev.description or ev.source} ({ev.source})", str(self.prior)]
        width = max([len(s.key) for s in self.steps] + [11])
        causes = " ".join(f"{_SHORT[c]:>5}" for c in CAUSES)
        post = " ".join(f"{_SHORT[c]:>8}" for c in CAUSES)
        head = (f"  {'observation':<{width}} {'reported':<8} {causes}  | {post}  | "
                f"added last, {top} vs rest")
        out += ["observations, in the order reported: P(as reported | cause), the running "
                "posterior,",
                "and the odds of the most probable cause vs the rest: the factor this "
                "observation gives added last",
                "(manuf: manufacturing, fatig: fatigue, delib: deliberate)", head]
        for s in self.steps:
            ls = " ".join(f"{s.likelihoods[c]:>5.2g}" for c in CAUSES)
            ps = " ".join(_g(s.running[c]) for c in CAUSES)
            src = " (overridden)" if ev.catalogue[s.key].overridden else ""
            bf = ("rest already ruled out" if math.isnan(s.bayes_factor)
                  else f"odds x{s.bayes_factor:.3g}: {s.top_without:.3g} -> "
                       f"{self.posterior[top]:.3g}")
            out.append(f"  {s.key:<{width}} {_STATE[s.present]:<8} {ls}  | {ps}  | {bf}{src}")
        if not self.steps:
            out.append("  (none reported: the posterior is the prior)")
        ranked = _ranked(self.posterior)
        out.append("posterior: " + ", ".join(f"{c} {self.posterior[c]:.3g}" for c in ranked))
        out.append(f"most probable: {top} ({CAUSE_NAMES[top]})")
        factors = self.prior_factor_to_overtake
        out.append(f"prior factor another cause needs to overtake {top}: "
                   + ", ".join(f"{c} x{factors[c]:.3g}" for c in ranked if c != top))
        out.append("sensitivity (one observation changed at a time):")
        swidth = max([len(r.key) for r in self.sensitivity] + [11])
        by_key: dict[str, list[Sensitivity]] = {}
        for r in self.sensitivity:
            by_key.setdefault(r.key, []).append(r)
        for key, rows in by_key.items():
            out.append(f"  {key:<{swidth}} {'reported ' + _STATE[rows[0].reported]:<17} "
                       + "; ".join(str(r) for r in rows))
        fragile = self.fragile
        if fragile:
            out.append("the conclusion changes if wrong: " + ", ".join(
                f"{r.key} (if {_STATE[r.changed_to]}: {r.most_probable})" for r in fragile))
        else:
            out.append(f"no single reported observation, if wrong, changes the conclusion "
                       f"({top})")
        out.append("assumes observations independent given the cause; likelihoods and base "
                   "rates are judgement-based defaults unless overridden")
        out += [f"note: {n}" for n in ev.notes]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        return {"causes": {c: CAUSE_NAMES[c] for c in CAUSES},
                "prior": self.prior.to_dict(), "evidence": self.evidence.to_dict(),
                "justifications": {k: o.to_dict() for k, o in self.evidence.catalogue.items()
                                   if k in self.evidence.observed},
                "steps": [s.to_dict() for s in self.steps],
                "posterior": dict(self.posterior), "most_probable": self.most_probable,
                "prior_factor_to_overtake": {c: _jf(f) for c, f in
                                             self.prior_factor_to_overtake.items()},
                "sensitivity": [s.to_dict() for s in self.sensitivity],
                "conclusion_changed_by": [{"key": s.key, "changed_to": s.changed_to,
                                           "most_probable": s.most_probable}
                                          for s in self.fragile]}


def _weights(prior: Prior, evidence: EvidenceSet,
             observed: Mapping[str, bool]) -> dict[str, float]:
    w = dict(prior.probability)
    for key, present in observed.items():
        for c in CAUSES:
            w[c] *= evidence.likelihood(key, c, present)
    return w


def _normalise(w: Mapping[str, float]) -> dict[str, float] | None:
    total = sum(w.values())
    return None if total <= 0 else {c: w[c] / total for c in CAUSES}


#: Posteriors this close (relative) are a tie. The same likelihoods multiplied in another
#: order (the order of the evidence file) differ in the last bits, which must not decide
#: the answer; a tie goes to the cause listed first in CAUSES.
TIE_RTOL = 1e-9


def _tied(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TIE_RTOL, abs_tol=0.0)


def _top(p: Mapping[str, float]) -> str:
    best = max(p[c] for c in CAUSES)
    return next(c for c in CAUSES if p[c] == best or _tied(p[c], best))


def _ranked(p: Mapping[str, float]) -> list[str]:
    """Causes from the most to the least probable; ties in CAUSES order."""
    def order(a: str, b: str) -> int:
        return 0 if _tied(p[a], p[b]) else (-1 if p[a] > p[b] else 1)
    return sorted(CAUSES, key=functools.cmp_to_key(order))


def attribute(prior: Prior, evidence: EvidenceSet) -> Attribution:
    """Posterior over causes from a prior and the reported observations, eq. (2).

    Parameters
    ----------
    prior : Prior
        From :func:`prior_from`.
    evidence : EvidenceSet
        From :func:`cabinleak.attribute.evidence.load_evidence` or ``evidence_from``.

    Returns
    -------
    Attribution
        Posterior, the running posterior and added-last Bayes factor of each
        observation, and the sensitivity of the conclusion to each observation.

    Raises
    ------
    EvidenceError
        When the observations rule out every cause that has a non-zero prior.

    Examples
    --------
    >>> from cabinleak.attribute.evidence import evidence_from
    >>> a = attribute(prior_from(1e-4), evidence_from({"crack_like": True,
    ...                                                "grew_with_cycles": True}))
    >>> a.most_probable
    'fatigue'
    """
    observed = dict(evidence.observed)
    posterior = _normalise(_weights(prior, evidence, observed))
    if posterior is None:
        raise EvidenceError(evidence.source, "observed",
                            "the observations rule out every cause with a non-zero prior")
    top = _top(posterior)
    steps = []
    w = dict(prior.probability)
    for key, present in observed.items():
        ls = {c: evidence.likelihood(key, c, present) for c in CAUSES}
        w = {c: w[c] * ls[c] for c in CAUSES}
        running = _normalise(w) or posterior  # non-empty: the full product is non-zero
        without = _normalise(_weights(prior, evidence,
                                      {k: v for k, v in observed.items() if k != key}))
        assert without is not None  # removing a factor cannot zero a non-zero product
        rest = sum(without[c] for c in CAUSES if c != top)
        rest_l = sum(without[c] * ls[c] for c in CAUSES if c != top)
        bf = math.nan if rest <= 0 else (math.inf if rest_l == 0 else ls[top] * rest / rest_l)
        steps.append(Step(key, present, MappingProxyType(ls), MappingProxyType(running), bf,
                          without[top]))
    rows = []
    order = [*observed, *(k for k in evidence.catalogue if k not in observed)]
    for key in order:
        reported = observed.get(key)
        alternatives = (True, False) if reported is None else (not reported, None)
        for alt in alternatives:
            changed = {k: v for k, v in observed.items() if k != key}
            if alt is not None:
                changed[key] = alt
            p = _normalise(_weights(prior, evidence, changed))
            alt_top = None if p is None else _top(p)
            rows.append(Sensitivity(key, reported, alt, None if p is None
                                    else MappingProxyType(p), alt_top,
                                    alt_top is not None and alt_top != top))
    return Attribution(prior, evidence, tuple(steps), MappingProxyType(posterior), top,
                       tuple(rows))
