"""What the hole looks like: a catalogue of observations and how likely each is under each cause.

Five causes are weighed (in this order): ``mmod`` (a micrometeoroid or orbital-debris
strike), ``manufacturing`` (manufacturing or ground-handling damage), ``fatigue`` (a
fatigue crack or weld failure), ``seal`` (a seal or valve failure) and ``deliberate``
(a deliberate act in flight).

Each observation stores P(observation present | cause) for every cause. Any likelihood
ratio follows from these (P(obs | a) / P(obs | b)), and an observation reported absent
uses the complement 1 − P(obs | cause), so "not seen" is evidence too, and unknown
(omitted) observations change nothing. The posterior multiplies the observations'
likelihoods, i.e. it assumes they are independent given the cause (see Notes).

**The numbers are engineering judgement, not measurements.** Each states its reasoning
and, where one exists, the literature it rests on; every one can be overridden in the
evidence file, and :mod:`cabinleak.attribute.cause` shows which observations, if wrong,
change the conclusion.

Notes
-----
Independence given the cause is an approximation. ``pushed_outward`` and
``pushed_inward`` describe one fact (the direction the wall was penetrated) and
``outer_damage`` overlaps ``pushed_inward``; reporting several of them from the same
inspection counts that fact more than once. :class:`EvidenceSet` notes it when it happens.

References
----------
.. [1] Christiansen, E. L., "Meteoroid/Debris Shielding", NASA TP-2003-210788 (2003).
.. [2] Christiansen, E. L. et al., "Handbook for Designing MMOD Protection",
   NASA/TM-2009-214785 (2009).
.. [3] Gillespie, L. K., "Deburring and Edge Finishing Handbook", SME (1999).
.. [4] Broek, D., "Elementary Engineering Fracture Mechanics", 4th ed., Martinus
   Nijhoff (1986).
.. [5] Public reports of the incidents (NASA and Roscosmos statements as carried by news
   wires and Spaceflight Now; second-hand): Soyuz MS-09 (2018), Zvezda PrK (2019–),
   ISS Destiny flex hose (2003–04), Soyuz 11 (1971).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cabinleak.attribute import AttributeModelError

__all__ = ["CATALOGUE", "CAUSES", "CAUSE_NAMES", "EvidenceError", "EvidenceSet", "Observation",
           "catalogue_text", "evidence_from", "load_evidence", "parse_evidence"]

CAUSES: tuple[str, ...] = ("mmod", "manufacturing", "fatigue", "seal", "deliberate")
CAUSE_NAMES: Mapping[str, str] = MappingProxyType({
    "mmod": "micrometeoroid or orbital-debris strike",
    "manufacturing": "manufacturing or ground-handling damage",
    "fatigue": "fatigue crack or weld failure",
    "seal": "seal or valve failure",
    "deliberate": "deliberate act in flight",
})

_REF_HVI = "Christiansen 2003, NASA TP-2003-210788"
_REF_HANDBOOK = "Christiansen et al. 2009, NASA/TM-2009-214785"
_REF_BURR = "Gillespie 1999, Deburring and Edge Finishing Handbook (SME)"
_REF_FRACTURE = "Broek 1986, Elementary Engineering Fracture Mechanics"
_REF_INCIDENTS = ("press reports of Soyuz MS-09 (2018), the Zvezda PrK (2019-2021), the "
                  "Destiny flex hose (2003-04) and Soyuz 11 (1971): NASA and Roscosmos "
                  "statements via news wires and Spaceflight Now")


class EvidenceError(AttributeModelError):
    """An evidence file or a prior is invalid; names the file, the key and what was expected.

    The message is ``"<source>: <key>: <problem>"``; the CLI prints it and exits with 2.
    """

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        super().__init__(f"{source}: {key}", problem)


@dataclass(frozen=True)
class Observation:
    """One thing an investigator can see, and P(it is seen | cause) for each cause.

    ``likelihoods[cause]`` is the probability that the feature is present when the
    hole (or leak path) is examined, given that ``cause`` made it; reported absent,
    the observation counts with 1 − P.
    """

    key: str
    description: str
    likelihoods: Mapping[str, float]  # P(present | cause) for every cause in CAUSES
    justification: str
    references: tuple[str, ...] = ()
    overridden: bool = False  # True when the evidence file replaced the defaults

    def likelihood(self, cause: str, present: bool = True) -> float:
        """P(observation present | cause), or 1 − that for ``present=False``."""
        p = self.likelihoods[cause]
        return p if present else 1.0 - p

    def ratio(self, a: str, b: str, present: bool = True) -> float:
        """Likelihood ratio P(obs | a) / P(obs | b) (inf when P(obs | b) = 0)."""
        den = self.likelihood(b, present)
        return math.inf if den == 0 else self.likelihood(a, present) / den

    def __str__(self) -> str:
        ps = ", ".join(f"{c} {self.likelihoods[c]:g}" for c in CAUSES)
        tag = " (overridden)" if self.overridden else ""
        return f"{self.key}: {self.description}; P(present | cause){tag}: {ps}"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "description": self.description,
                "likelihoods": {c: self.likelihoods[c] for c in CAUSES},
                "justification": self.justification, "references": list(self.references),
                "overridden": self.overridden}


def _obs(key: str, description: str, ps: tuple[float, float, float, float, float],
         justification: str, *refs: str) -> Observation:
    return Observation(key, description, MappingProxyType(dict(zip(CAUSES, ps, strict=True))),
                       " ".join(justification.split()), refs)


# P(present | cause) in the order mmod, manufacturing, fatigue, seal, deliberate.
_DEFAULTS = (
    _obs("round_machined_rim", "round hole with a machined or drilled rim",
         (0.02, 0.30, 0.03, 0.05, 0.60), """
         Hypervelocity perforations of thin aluminium are roughly round at near-normal
         incidence and elongated when oblique, but their edges are ragged, melted or
         petalled with a raised lip, never a clean cylindrical bore [TP-2003-210788];
         0.02 allows for a poor inspection. A drill is the commonest tool that makes a
         hole in a hull on the ground and the most accessible one in flight, so drilled
         holes are a large share of manufacturing damage (0.3; the rest are dents,
         scratches, gouges and weld defects) and the majority of holes made on purpose
         in flight (0.6; the rest punctures, cuts or opened valves). A fatigue crack may
         start at a fastener hole (0.03); a seal or valve leak path runs through a
         machined fitting more rarely than through a seal face (0.05).""",
         _REF_HVI, _REF_HANDBOOK),
    _obs("tool_marks", "tool marks or signs of several attempts near the hole",
         (0.02, 0.30, 0.05, 0.10, 0.50), """
         Scratches, drill-bit skid marks and part-drilled starts are left by a tool that
         slipped, typically on a curved wall or in weightlessness: common for a drilled
         hole made on the ground (0.3) or in flight (0.5, harder to brace). A debris
         cloud behind a perforated bumper leaves a cluster of craters on the rear wall
         that a hurried look might take for several attempts, but not tool marks (0.02)
         [TM-2009-214785]. Grinding marks from weld dressing sit near weld cracks
         (0.05); wrench marks are normal on fittings (0.1).""",
         _REF_HANDBOOK),
    _obs("pushed_outward",
         "material pushed outward: burr, petals or exit spall on the outer face "
         "(penetrated from inside)",
         (0.01, 0.30, 0.05, 0.05, 0.60), """
         A drill or punch raises its exit burr on the far side [Gillespie 1999], so a
         hole made from inside leaves material pushed outward. In flight the inner face
         is the only one a person can reach without a spacewalk (0.6; the rest have no
         direction one can read, e.g. a burr removed or sealant over it). On the ground
         both faces are reachable before outfitting, so either direction (0.3 each). An
         impact from outside cannot push the pressure wall outward; the raised crater lip
         on the struck face is outer damage, not this (0.01). Cracks and seal leaks have
         no direction (0.05). Do not also report pushed_inward = false from the same
         inspection: it is the same fact.""",
         _REF_BURR, _REF_HVI),
    _obs("pushed_inward",
         "material pushed inward: petals or spall on the inner face, crater lip on the "
         "outside (penetrated from outside)",
         (0.85, 0.30, 0.05, 0.05, 0.05), """
         A hypervelocity perforation bends petals and throws spall off the rear (inner)
         face and raises a crater lip on the struck face [TP-2003-210788]: present in
         most MMOD perforations (0.85; melted or vaporised edges can hide it). Ground
         drilling or a dropped tool from outside does the same (0.3). A deliberate act in
         flight from outside needs a spacewalk (0.05). Cracks and seals: no direction
         (0.05).""",
         _REF_HVI, _REF_HANDBOOK),
    _obs("outer_damage",
         "crater lip, spall or perforation of the shield, blanket or outer surface",
         (0.95, 0.15, 0.05, 0.03, 0.05), """
         A particle that reaches the pressure wall first passes the thermal blanket and
         any bumper, leaving a perforation there and a crater lip on the wall
         [TP-2003-210788, TM-2009-214785] (0.95). Damage done on the ground is usually
         under a blanket installed afterwards, though handling dents and scratches on
         the outside occur (0.15). A hole drilled from inside stops at or just into the
         blanket (0.05). Cracks and seals: unrelated outer damage only (0.03–0.05).""",
         _REF_HVI, _REF_HANDBOOK),
    _obs("sealant_in_hole",
         "sealant found in the hole that predates the leak's discovery (not the crew's "
         "repair)",
         (0.01, 0.40, 0.02, 0.10, 0.15), """
         Nobody puts sealant into a hole that a particle makes in flight (0.01, a
         mistaken sample). A hole made on the ground had to pass the vehicle's pre-launch
         leak check, so it was most likely closed then, and sealant is the usual way
         (0.4; as for Soyuz MS-09 [press reports]). Sealing compounds belong to some seal
         and fitting joints, so their failure can look like this (0.1). A hole made in
         flight by someone who then hid it (0.15); a hole meant to leak would not be
         sealed. Fatigue cracks are not sealed before they are found (0.02).""",
         _REF_INCIDENTS),
    _obs("behind_inner_panel",
         "behind an interior panel, reachable only from inside",
         (0.60, 0.60, 0.60, 0.40, 0.80), """
         Weakly diagnostic on purpose: most of the pressure wall of a crewed module is
         behind interior panels, racks or stowage, so a hole from any cause in the
         wall is there about as often as that share (0.6, a rough figure for a
         Soyuz orbital module or an ISS module). Seals and valves sit more often at
         hatches, windows and panels kept accessible (0.4). Someone making a hole on
         purpose in flight would prefer a hidden place (0.8).""",
         _REF_INCIDENTS),
    _obs("crack_like", "crack-like: long, narrow, sharp-ended or branching",
         (0.05, 0.30, 0.90, 0.10, 0.10), """
         Fatigue and weld cracks are thin, long and sharp-ended, growing perpendicular to
         the largest cyclic stress [Broek 1986] (0.9; the Zvezda PrK cracks, 2–4.5 cm
         [press reports]). Oblique impacts give elongated holes and petalling radial
         cracks, rarely a crack alone (0.05). Scratches, gouges, stress corrosion and
         weld defects from manufacturing (0.3). A cut or slit made on purpose (0.1); a
         cracked seal or valve body (0.1).""",
         _REF_FRACTURE, _REF_INCIDENTS),
    _obs("grew_with_cycles", "the leak grew with pressure or thermal cycles",
         (0.10, 0.25, 0.85, 0.40, 0.10), """
         Growth under cyclic load is the signature of fatigue (0.85; the Zvezda PrK leak
         grew over years [press reports]). Seals wear and take a set under cycling (0.4).
         A flaw from manufacturing may be crack-like or covered with sealant that gives
         way (0.25). An impact hole or a drilled one keeps its size unless radial cracks
         grow from it (0.1).""",
         _REF_FRACTURE, _REF_INCIDENTS),
)

CATALOGUE: Mapping[str, Observation] = MappingProxyType({o.key: o for o in _DEFAULTS})
"""The default observations, by key (judgement-based defaults; override per case)."""

_TOP_KEYS = ("description", "observed", "likelihoods")
_BUNDLED_SUFFIX = "-evidence.toml"


@dataclass(frozen=True)
class EvidenceSet:
    """Observations reported for one case, with the likelihoods in force.

    ``observed`` keeps the reported order (``True`` present, ``False`` absent; unknown
    observations are not in it). ``catalogue`` holds every observation, with the file's
    overrides applied, so that what-if analyses can use the unreported ones too.
    """

    observed: Mapping[str, bool]
    catalogue: Mapping[str, Observation] = field(default_factory=lambda: CATALOGUE)
    source: str = "<evidence>"
    description: str = ""
    notes: tuple[str, ...] = ()

    @property
    def overridden(self) -> tuple[str, ...]:
        return tuple(k for k, o in self.catalogue.items() if o.overridden)

    def likelihood(self, key: str, cause: str, present: bool | None = None) -> float:
        """P(observation as reported | cause); ``present`` defaults to what was reported."""
        seen = self.observed[key] if present is None else present
        return self.catalogue[key].likelihood(cause, seen)

    def __str__(self) -> str:
        head = f"evidence from {self.source}" + (f": {self.description}"
                                                 if self.description else "")
        width = max((len(k) for k in self.catalogue), default=10)
        lines = [head]
        for key, obs in self.catalogue.items():
            state = {True: "present", False: "absent", None: "unknown"}[self.observed.get(key)]
            tag = "  (overridden)" if obs.overridden else ""
            lines.append(f"  {key:<{width}}  {state:<8} {obs.description}{tag}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "description": self.description,
                "observed": dict(self.observed), "overridden": list(self.overridden),
                "likelihoods": {k: {c: o.likelihoods[c] for c in CAUSES}
                                for k, o in self.catalogue.items()},
                "notes": list(self.notes)}


def evidence_from(observed: Mapping[str, object],
                  likelihoods: Mapping[str, Mapping[str, object]] | None = None, *,
                  source: str = "<evidence>", description: str = "") -> EvidenceSet:
    """Check observations and likelihood overrides and build an :class:`EvidenceSet`.

    Parameters
    ----------
    observed : mapping
        Observation key → ``True`` (present) or ``False`` (absent); omit unknown ones.
    likelihoods : mapping, optional
        Observation key → {cause: P(present | cause) in (0, 1]} for every cause, and
        optionally ``reason`` (a string, kept with the numbers).
    source : str
        Where the evidence came from (a file name), used in messages.

    Raises
    ------
    EvidenceError
        An unknown observation key or cause, a value that is not true/false, or a
        likelihood that is missing, not a number or outside (0, 1].
    """
    known = ", ".join(CATALOGUE)
    checked: dict[str, bool] = {}
    for key, value in observed.items():
        if key not in CATALOGUE:
            raise EvidenceError(source, f"observed.{key}",
                                f"unknown observation (known: {known})")
        if not isinstance(value, bool):
            raise EvidenceError(source, f"observed.{key}",
                                f"must be true or false (omit it if unknown), got {value!r}")
        checked[key] = value
    catalogue = dict(CATALOGUE)
    for key, table in (likelihoods or {}).items():
        catalogue[key] = _override(source, key, table, known)
    for key, value in checked.items():
        if not value and all(catalogue[key].likelihoods[c] == 1.0 for c in CAUSES):
            raise EvidenceError(source, f"observed.{key}",
                                "reported absent, but its likelihoods are 1 under every "
                                "cause, so absence is impossible")
    notes = []
    if "pushed_outward" in checked and "pushed_inward" in checked:
        notes.append("pushed_outward and pushed_inward both reported: they describe one fact "
                     "(the direction of penetration), so it is counted twice")
    return EvidenceSet(MappingProxyType(checked), MappingProxyType(catalogue), source,
                       description, tuple(notes))


def _override(source: str, key: str, table: object, known: str) -> Observation:
    where = f"likelihoods.{key}"
    if key not in CATALOGUE:
        raise EvidenceError(source, where, f"unknown observation (known: {known})")
    if not isinstance(table, Mapping):
        raise EvidenceError(source, where, "must be a table of P(observation | cause), "
                                           f"one per cause ({', '.join(CAUSES)})")
    ps: dict[str, float] = {}
    reason = "overridden in the evidence file (no reason given)"
    for cause, value in table.items():
        if cause == "reason":
            if not isinstance(value, str):
                raise EvidenceError(source, f"{where}.reason", f"must be text, got {value!r}")
            reason = f"overridden in the evidence file: {value}"
            continue
        if cause not in CAUSES:
            raise EvidenceError(source, f"{where}.{cause}",
                                f"unknown cause (causes: {', '.join(CAUSES)}; or 'reason')")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EvidenceError(source, f"{where}.{cause}",
                                f"must be a number P(observation | cause) in (0, 1], "
                                f"got {value!r}")
        if not 0.0 < value <= 1.0:
            raise EvidenceError(source, f"{where}.{cause}",
                                f"must be in (0, 1] (a likelihood must be positive), "
                                f"got {value!r}")
        ps[cause] = float(value)
    missing = [c for c in CAUSES if c not in ps]
    if missing:
        raise EvidenceError(source, f"{where}.{missing[0]}",
                            f"missing (give P(observation | cause) for every cause: "
                            f"{', '.join(CAUSES)})")
    base = CATALOGUE[key]
    return Observation(key, base.description, MappingProxyType(ps), reason, (source,),
                       overridden=True)


def parse_evidence(text: str, *, source: str = "<string>") -> EvidenceSet:
    """Read an evidence file's TOML text (see :func:`load_evidence`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise EvidenceError(source, "TOML syntax", str(exc)) from None
    for key in data:
        if key not in _TOP_KEYS:
            raise EvidenceError(source, key, f"unknown key (expected {', '.join(_TOP_KEYS)})")
    observed = data.get("observed", {})
    if not isinstance(observed, dict):
        raise EvidenceError(source, "observed", "must be a table such as [observed]")
    likelihoods = data.get("likelihoods", {})
    if not isinstance(likelihoods, dict):
        raise EvidenceError(source, "likelihoods",
                            "must hold tables such as [likelihoods.sealant_in_hole]")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise EvidenceError(source, "description", f"must be text, got {description!r}")
    return evidence_from(observed, likelihoods, source=source,
                         description=" ".join(description.split()))


def load_evidence(path: str | Path) -> EvidenceSet:
    """Load observations of a hole from a TOML file, or a bundled example by name (``ms09``).

    A file such as::

        description = "what was found, where"   # optional
        [observed]                 # true: present, false: absent; omit if unknown
        round_machined_rim = true
        outer_damage = false
        [likelihoods.sealant_in_hole]   # optional: P(observation | cause), every cause
        mmod = 0.01
        manufacturing = 0.5
        fatigue = 0.05
        seal = 0.1
        deliberate = 0.6
        reason = "why these numbers"    # optional

    Raises
    ------
    EvidenceError
        A missing file, a TOML error, or any invalid key or value (see
        :func:`evidence_from`); the message names the file and the key.
    """
    name = str(path)
    if name.replace("-", "_").isidentifier():  # a bare name such as "ms09"
        bundled = Path(__file__).with_name(f"{name}{_BUNDLED_SUFFIX}")
        if bundled.is_file():
            return parse_evidence(bundled.read_text(encoding="utf-8"),
                                  source=f"{bundled.name} (bundled)")
    file = Path(path)
    if not file.is_file():
        names = ", ".join(sorted(p.name[:-len(_BUNDLED_SUFFIX)] for p in
                                 Path(__file__).parent.glob(f"*{_BUNDLED_SUFFIX}")))
        raise EvidenceError(name, "file", f"no such evidence file or bundled example "
                                          f"(bundled: {names})")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvidenceError(name, "file", f"cannot read: {exc}") from None
    return parse_evidence(text, source=name)


def catalogue_text(catalogue: Mapping[str, Observation] = CATALOGUE) -> str:
    """The catalogue as a table: P(present | cause) for each observation and cause."""
    width = max(len(k) for k in catalogue)
    head = f"{'observation':<{width}}  " + " ".join(f"{c[:13]:>13}" for c in CAUSES)
    rows = [f"{k:<{width}}  " + " ".join(f"{o.likelihoods[c]:>13g}" for c in CAUSES)
            for k, o in catalogue.items()]
    return "\n".join(["P(observation present | cause); judgement-based defaults, "
                      "override per case", head, "-" * len(head), *rows])
