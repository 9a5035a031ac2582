"""Cause attribution: Bayes' rule on the evidence catalogue, the sensitivity table, MS-09.

Hand-computed references use round likelihoods chosen so that the posterior is a
fraction with a small denominator (worked below each test); they are exact, so the
tolerance is floating-point rounding.
"""

from __future__ import annotations

import doctest
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cabinleak.attribute import cause as cause_module
from cabinleak.attribute.cause import (
    DEFAULT_BASE_RATES,
    Attribution,
    attribute,
    prior_from,
)
from cabinleak.attribute.evidence import (
    CATALOGUE,
    CAUSES,
    EvidenceError,
    EvidenceSet,
    catalogue_text,
    evidence_from,
    load_evidence,
    parse_evidence,
)
from cabinleak.errors import CabinleakError

MS09_FILE = (Path(__file__).resolve().parents[1] / "src" / "cabinleak" / "attribute"
             / "ms09-evidence.toml")
# Base rates that sum to 1 with p_mmod_hole = 0.1, so the prior equals them.
FLAT_RATES = {"manufacturing": 0.2, "fatigue": 0.1, "seal": 0.4, "deliberate": 0.2}


def _two_observations() -> EvidenceSet:
    # round_machined_rim present, tool_marks absent; likelihoods in CAUSES order.
    return evidence_from(
        {"round_machined_rim": True, "tool_marks": False},
        {"round_machined_rim": dict(zip(CAUSES, (0.5, 0.25, 0.1, 0.2, 0.8), strict=True)),
         "tool_marks": dict(zip(CAUSES, (0.5, 0.5, 0.5, 0.75, 0.5), strict=True))},
        source="hand.toml")


# ------------------------------------------------------------------ Bayes' rule by hand


def test_prior_is_proportional_to_leak_probabilities() -> None:
    prior = prior_from(0.1, FLAT_RATES)
    assert dict(prior.probability) == pytest.approx(
        {"mmod": 0.1, "manufacturing": 0.2, "fatigue": 0.1, "seal": 0.4, "deliberate": 0.2},
        rel=1e-12, abs=0)
    # Defaults: P(cause | leak) = P(leak from cause) / sum; 1e-4 + 5e-3 + 1e-3 + 1e-2 + 1e-4.
    p = prior_from(1e-4)
    total = 1e-4 + sum(DEFAULT_BASE_RATES.values())
    assert p.probability["mmod"] == pytest.approx(1e-4 / total, rel=1e-12, abs=0)
    assert p.base_rate_defaults == ("manufacturing", "fatigue", "seal", "deliberate")
    partial = prior_from(1e-4, {"seal": 0.02})
    assert partial.leak_probability["seal"] == 0.02
    assert partial.leak_probability["fatigue"] == DEFAULT_BASE_RATES["fatigue"]
    assert "seal" not in partial.base_rate_defaults


def test_two_observations_by_hand() -> None:
    # prior          0.1   0.2   0.1   0.4   0.2
    # × present      0.5   0.25  0.1   0.2   0.8   -> 0.05 0.05 0.01 0.08 0.16 (sum 0.35)
    # × absent 1−p   0.5   0.5   0.5   0.25  0.5   -> 0.025 0.025 0.005 0.02 0.08 (sum 0.155)
    # posterior = (5, 5, 1, 4, 16) / 31
    a = attribute(prior_from(0.1, FLAT_RATES), _two_observations())
    expected = dict(zip(CAUSES, (5 / 31, 5 / 31, 1 / 31, 4 / 31, 16 / 31), strict=True))
    assert dict(a.posterior) == pytest.approx(expected, rel=1e-12, abs=0)
    assert a.most_probable == "deliberate"
    first, second = a.steps
    assert dict(first.running) == pytest.approx(
        dict(zip(CAUSES, (5 / 35, 5 / 35, 1 / 35, 8 / 35, 16 / 35), strict=True)), rel=1e-12, abs=0)
    assert dict(second.running) == pytest.approx(expected, rel=1e-12, abs=0)
    assert dict(second.likelihoods) == pytest.approx(
        dict(zip(CAUSES, (0.5, 0.5, 0.5, 0.25, 0.5), strict=True)), rel=1e-12, abs=0)
    # Added last, odds of deliberate vs the rest: with both 16/15; without tool_marks
    # (16/35)/(19/35) = 16/19, so ×19/15; without round_machined_rim 0.1/0.3, so ×3.2.
    assert second.bayes_factor == pytest.approx(19 / 15, rel=1e-12, abs=0)
    assert second.top_without == pytest.approx(16 / 35, rel=1e-12, abs=0)
    assert first.bayes_factor == pytest.approx(3.2, rel=1e-12, abs=0)
    assert first.top_without == pytest.approx(0.25, rel=1e-12, abs=0)


def test_absent_observation_uses_the_complement() -> None:
    prior = prior_from(1e-3)
    a = attribute(prior, evidence_from({"crack_like": False}))
    crack = CATALOGUE["crack_like"].likelihoods
    for c in CAUSES:
        assert a.steps[0].likelihoods[c] == pytest.approx(1 - crack[c], rel=1e-12, abs=0)
    ratio = a.posterior["fatigue"] / a.posterior["mmod"]
    expected = (prior.probability["fatigue"] * (1 - crack["fatigue"])
                / (prior.probability["mmod"] * (1 - crack["mmod"])))
    assert ratio == pytest.approx(expected, rel=1e-12, abs=0)


def test_unknown_observations_change_nothing() -> None:
    prior = prior_from(1e-3)
    a = attribute(prior, evidence_from({}))
    assert dict(a.posterior) == pytest.approx(dict(prior.probability), rel=1e-12, abs=0)
    assert a.steps == ()
    assert "none reported" in str(a)


def test_likelihood_ratio_between_any_two_causes() -> None:
    obs = CATALOGUE["outer_damage"]
    assert obs.ratio("mmod", "deliberate") == pytest.approx(0.95 / 0.05, rel=1e-12, abs=0)
    assert obs.ratio("mmod", "deliberate", present=False) == pytest.approx(0.05 / 0.95,
                                                                          rel=1e-12, abs=0)


# ------------------------------------------------------------------ overrides


def test_override_from_toml_replaces_the_defaults(tmp_path: Path) -> None:
    f = tmp_path / "case.toml"
    f.write_text(
        "[observed]\n"
        "round_machined_rim = true\n"
        "tool_marks = true\n"
        "outer_damage = false\n"
        "sealant_in_hole = true\n"
        "[likelihoods.sealant_in_hole]   # optional override: P(obs | cause) for each cause\n"
        "mmod = 0.01\n"
        "manufacturing = 0.5\n"
        "fatigue = 0.05\n"
        "seal = 0.1\n"
        "deliberate = 0.6\n"
        'reason = "lab survey of sealed holes"\n', encoding="utf-8")
    ev = load_evidence(f)
    obs = ev.catalogue["sealant_in_hole"]
    assert obs.overridden and ev.overridden == ("sealant_in_hole",)
    assert dict(obs.likelihoods) == {"mmod": 0.01, "manufacturing": 0.5, "fatigue": 0.05,
                                     "seal": 0.1, "deliberate": 0.6}
    assert "lab survey of sealed holes" in obs.justification
    assert not ev.catalogue["tool_marks"].overridden
    prior = prior_from(1e-3)
    with_override = attribute(prior, ev)
    defaults = attribute(prior, evidence_from(dict(ev.observed)))
    # Only sealant_in_hole's factor differs: posterior odds move by the ratio of ratios.
    odds = (with_override.posterior["deliberate"] / with_override.posterior["manufacturing"])
    base = defaults.posterior["deliberate"] / defaults.posterior["manufacturing"]
    assert odds / base == pytest.approx((0.6 / 0.5) / (0.15 / 0.4), rel=1e-12, abs=0)
    assert "(overridden)" in str(with_override)
    assert with_override.to_dict()["evidence"]["overridden"] == ["sealant_in_hole"]


def test_override_of_an_unreported_observation_feeds_the_what_ifs() -> None:
    ev = evidence_from({}, {"crack_like": dict.fromkeys(CAUSES, 0.5)})
    a = attribute(prior_from(1e-3), ev)
    row = next(s for s in a.sensitivity if s.key == "crack_like" and s.changed_to is True)
    assert row.posterior is not None
    assert dict(row.posterior) == pytest.approx(dict(a.posterior), rel=1e-12, abs=0)


# ------------------------------------------------------------------ sensitivity


def test_sensitivity_flags_the_observation_that_flips_the_conclusion() -> None:
    # Prior ∝ 1e-3, 1e-2, 1e-3, 1e-3, 1e-2. tool_marks strongly favours deliberate,
    # behind_inner_panel mildly favours manufacturing:
    #   manufacturing 1e-2·0.1·0.6 = 6e-4,  deliberate 1e-2·0.9·0.5 = 4.5e-3 -> deliberate.
    # Without tool_marks: 6e-3 vs 5e-3 -> manufacturing; tool_marks absent: 5.4e-3 vs
    # 5e-4 -> manufacturing. Without behind_inner_panel: 1e-3 vs 9e-3 -> deliberate.
    prior = prior_from(1e-3, {"manufacturing": 1e-2, "fatigue": 1e-3, "seal": 1e-3,
                              "deliberate": 1e-2})
    ev = evidence_from(
        {"tool_marks": True, "behind_inner_panel": True},
        {"tool_marks": dict(zip(CAUSES, (0.01, 0.1, 0.01, 0.01, 0.9), strict=True)),
         "behind_inner_panel": dict(zip(CAUSES, (0.5, 0.6, 0.5, 0.5, 0.5), strict=True))})
    a = attribute(prior, ev)
    assert a.most_probable == "deliberate"
    flips = {(s.key, s.changed_to): s.most_probable for s in a.fragile}
    assert flips == {("tool_marks", False): "manufacturing",
                     ("tool_marks", None): "manufacturing"}
    removed = next(s for s in a.sensitivity if s.key == "tool_marks" and s.changed_to is None)
    assert removed.posterior is not None
    # Without tool_marks, × behind_inner_panel: 5e-4, 6e-3, 5e-4, 5e-4, 5e-3 (sum 1.25e-2).
    assert removed.posterior["manufacturing"] == pytest.approx(6e-3 / 1.25e-2, rel=1e-12, abs=0)
    panel = [s for s in a.sensitivity if s.key == "behind_inner_panel"]
    assert [s.changed_to for s in panel] == [False, None]
    assert not any(s.changes for s in panel)
    # Unreported observations are asked "what if present / absent", after the reported.
    assert [s.reported for s in a.sensitivity[:4]] == [True, True, True, True]
    assert all(s.reported is None for s in a.sensitivity[4:])
    assert len(a.sensitivity) == 2 * len(CATALOGUE)
    text = str(a)
    assert "CHANGES the conclusion" in text
    assert ("the conclusion changes if wrong: tool_marks (if absent: manufacturing), "
            "tool_marks (if unknown: manufacturing)") in text
    d = a.to_dict()
    assert d["conclusion_changed_by"] == [
        {"key": "tool_marks", "changed_to": False, "most_probable": "manufacturing"},
        {"key": "tool_marks", "changed_to": None, "most_probable": "manufacturing"}]


def test_prior_factor_to_overtake() -> None:
    a = attribute(prior_from(0.1, FLAT_RATES), _two_observations())
    assert a.prior_factor_to_overtake["manufacturing"] == pytest.approx(16 / 5, rel=1e-12, abs=0)
    assert set(a.prior_factor_to_overtake) == set(CAUSES) - {"deliberate"}


# ------------------------------------------------------------------ Soyuz MS-09


def test_ms09_file_matches_the_reported_observations() -> None:
    ev = load_evidence("ms09")
    assert dict(ev.observed) == {"round_machined_rim": True, "tool_marks": True,
                                 "sealant_in_hole": True, "behind_inner_panel": True,
                                 "pushed_outward": True}
    assert ev.overridden == ()
    assert ev.notes == ()
    assert dict(load_evidence(MS09_FILE).observed) == dict(ev.observed)
    assert "MS-09" in ev.description


def test_ms09_with_a_small_mmod_prior_is_not_mmod() -> None:
    a = attribute(prior_from(1e-4), load_evidence("ms09"))
    assert a.most_probable != "mmod"
    assert a.most_probable in ("manufacturing", "deliberate")
    assert a.posterior["mmod"] < 1e-6


@pytest.mark.parametrize("p_mmod_hole", [1e-6, 1e-4, 1e-3, 1e-2])
def test_ms09_mmod_posterior_is_tiny_for_any_physical_prior(p_mmod_hole: float) -> None:
    # A 1.5-2 mm hole in the ~16 m² Soyuz orbital module over its ~80 days docked: the
    # physics gives well under 1e-2 (issue 5); even that leaves MMOD below 1e-4.
    a = attribute(prior_from(p_mmod_hole, source="penetration risk"), load_evidence("ms09"))
    assert a.posterior["mmod"] < 1e-4
    assert a.most_probable != "mmod"


def test_ms09_even_a_certain_mmod_hole_does_not_explain_the_evidence() -> None:
    a = attribute(prior_from(1.0), load_evidence("ms09"))
    assert a.prior.probability["mmod"] > 0.98
    assert a.posterior["mmod"] < 1e-2


def test_ms09_report_reads_line_by_line() -> None:
    a = attribute(prior_from(1e-4, source="physics: Soyuz OM, 80 d, hole >= 1.5 mm"),
                  load_evidence("ms09"))
    text = str(a)
    lines = text.splitlines()
    assert lines[0].startswith("cause attribution: Soyuz MS-09 orbital module hole")
    assert "prior, eq. (1): P(cause | leak) = P(leak from cause) / sum over causes" in text
    assert "physics: Soyuz OM, 80 d, hole >= 1.5 mm" in text
    assert "base rate per vehicle-flight, default:" in text
    for key in a.evidence.observed:
        assert sum(line.lstrip().startswith(key) for line in lines) == 2  # step + what-if
    assert any(line.startswith("posterior: manufacturing 0.9") for line in lines)
    assert "most probable: manufacturing (manufacturing or ground-handling damage)" in text
    assert "sensitivity (one observation changed at a time):" in text
    assert "no single reported observation, if wrong, changes the conclusion" in text
    assert "independent given the cause" in text
    d = a.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["most_probable"] == "manufacturing"
    assert sum(d["posterior"].values()) == pytest.approx(1.0, rel=1e-12, abs=0)
    assert set(d["justifications"]) == set(a.evidence.observed)


# ------------------------------------------------------------------ invariants

_OBS = st.dictionaries(st.sampled_from(sorted(CATALOGUE)), st.booleans())


@settings(max_examples=60, deadline=None)
@given(observed=_OBS, p=st.floats(0.0, 1.0))
def test_posterior_is_normalised_and_independent_of_order(observed: dict[str, bool],
                                                          p: float) -> None:
    prior = prior_from(p)
    a = attribute(prior, evidence_from(observed))
    b = attribute(prior, evidence_from(dict(reversed(list(observed.items())))))
    assert sum(a.posterior.values()) == pytest.approx(1.0, rel=1e-12, abs=0)
    assert dict(a.posterior) == pytest.approx(dict(b.posterior), rel=1e-9, abs=1e-300)
    assert a.most_probable == b.most_probable
    for s in a.steps:
        t = next(x for x in b.steps if x.key == s.key)
        assert (math.isnan(s.bayes_factor) and math.isnan(t.bayes_factor)) or \
            s.bayes_factor == pytest.approx(t.bayes_factor, rel=1e-9, abs=0)
    if a.steps:
        assert dict(a.steps[-1].running) == pytest.approx(dict(a.posterior), rel=1e-9, abs=0)


def test_catalogue_is_complete_and_documented() -> None:
    required = {"round_machined_rim", "tool_marks", "pushed_outward", "pushed_inward",
                "outer_damage", "sealant_in_hole", "behind_inner_panel", "crack_like",
                "grew_with_cycles"}
    assert required <= set(CATALOGUE)
    for key, obs in CATALOGUE.items():
        assert obs.key == key
        assert tuple(obs.likelihoods) == CAUSES
        assert all(0 < p < 1 for p in obs.likelihoods.values())
        assert len(obs.justification) > 100
    table = catalogue_text()
    assert "judgement-based defaults" in table
    assert "outer_damage" in table and "0.95" in table
    assert str(CATALOGUE["crack_like"]).startswith("crack_like: crack-like")


def test_evidence_text_lists_every_observation_and_its_state() -> None:
    ev = evidence_from({"pushed_outward": True, "pushed_inward": False}, source="x.toml")
    text = str(ev)
    assert text.splitlines()[0] == "evidence from x.toml"
    assert "pushed_outward      present" in text and "pushed_inward       absent" in text
    assert "crack_like          unknown" in text
    assert "counted twice" in text  # the two describe one fact
    json.dumps(ev.to_dict(), allow_nan=False)


def test_doctests() -> None:
    assert doctest.testmod(cause_module).failed == 0


# ------------------------------------------------------------------ bad input

_OK = "[observed]\ntool_marks = true\n"
_LIK = "[likelihoods.sealant_in_hole]\nmmod = 0.01\nmanufacturing = 0.5\nfatigue = 0.05\n" \
       "seal = 0.1\ndeliberate = 0.6\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[observed]\ndrill_bit_found = true\n",
         r"^bad\.toml: observed\.drill_bit_found: unknown observation \(known: "
         r"round_machined_rim, tool_marks, pushed_outward, pushed_inward, outer_damage, "
         r"sealant_in_hole, behind_inner_panel, crack_like, grew_with_cycles\)$"),
        ('[observed]\ntool_marks = "yes"\n',
         r"^bad\.toml: observed\.tool_marks: must be true or false \(omit it if unknown\), "
         r"got 'yes'$"),
        ("[observed]\ntool_marks = 1\n",
         r"^bad\.toml: observed\.tool_marks: must be true or false \(omit it if unknown\), "
         r"got 1$"),
        (_OK + _LIK.replace("mmod = 0.01", "mmod = 0"),
         r"^bad\.toml: likelihoods\.sealant_in_hole\.mmod: must be in \(0, 1\] \(a likelihood "
         r"must be positive\), got 0$"),
        (_OK + _LIK.replace("seal = 0.1", "seal = -0.1"),
         r"^bad\.toml: likelihoods\.sealant_in_hole\.seal: must be in \(0, 1\] \(a likelihood "
         r"must be positive\), got -0\.1$"),
        (_OK + _LIK.replace("deliberate = 0.6", "deliberate = 1.5"),
         r"^bad\.toml: likelihoods\.sealant_in_hole\.deliberate: must be in \(0, 1\] "
         r"\(a likelihood must be positive\), got 1\.5$"),
        (_OK + _LIK.replace("mmod = 0.01", 'mmod = "low"'),
         r"^bad\.toml: likelihoods\.sealant_in_hole\.mmod: must be a number "
         r"P\(observation \| cause\) in \(0, 1\], got 'low'$"),
        (_OK + _LIK.replace("fatigue = 0.05\n", ""),
         r"^bad\.toml: likelihoods\.sealant_in_hole\.fatigue: missing \(give "
         r"P\(observation \| cause\) for every cause: mmod, manufacturing, fatigue, seal, "
         r"deliberate\)$"),
        (_OK + _LIK + "sabotage = 0.5\n",
         r"^bad\.toml: likelihoods\.sealant_in_hole\.sabotage: unknown cause \(causes: mmod, "
         r"manufacturing, fatigue, seal, deliberate; or 'reason'\)$"),
        (_OK + _LIK.replace("sealant_in_hole", "drill"),
         r"^bad\.toml: likelihoods\.drill: unknown observation \(known: round_machined_rim, "),
        (_OK + "[likelihoods]\nsealant_in_hole = 0.5\n",
         r"^bad\.toml: likelihoods\.sealant_in_hole: must be a table of "
         r"P\(observation \| cause\), one per cause"),
        (_OK + _LIK + "reason = 3\n",
         r"^bad\.toml: likelihoods\.sealant_in_hole\.reason: must be text, got 3$"),
        ("[observations]\ntool_marks = true\n",
         r"^bad\.toml: observations: unknown key \(expected description, observed, "
         r"likelihoods\)$"),
        ("observed = 3\n", r"^bad\.toml: observed: must be a table such as \[observed\]$"),
        ("description = 3\n", r"^bad\.toml: description: must be text, got 3$"),
        ("[observed\n", r"^bad\.toml: TOML syntax: "),
        ("[observed]\nsealant_in_hole = false\n[likelihoods.sealant_in_hole]\n"
         + "".join(f"{c} = 1.0\n" for c in CAUSES),
         r"^bad\.toml: observed\.sealant_in_hole: reported absent, but its likelihoods are 1 "
         r"under every cause, so absence is impossible$"),
    ],
)
def test_bad_evidence_text(text: str, message: str) -> None:
    with pytest.raises(EvidenceError, match=message) as info:
        parse_evidence(text, source="bad.toml")
    assert isinstance(info.value, CabinleakError)  # the CLI's exit code 2
    assert "\n" not in str(info.value)


def test_missing_file_lists_the_bundled_examples(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(EvidenceError, match=r"nope\.toml: file: no such evidence file or "
                                            r"bundled example \(bundled: ms09\)$"):
        load_evidence(missing)


def test_error_names_the_file(tmp_path: Path) -> None:
    f = tmp_path / "case.toml"
    f.write_text("[observed]\nspall = true\n", encoding="utf-8")
    with pytest.raises(EvidenceError, match=r"case\.toml: observed\.spall: unknown observation"):
        load_evidence(f)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1.5,), r"^prior: p_mmod_hole: must be a probability in \[0, 1\], got 1\.5$"),
        ((-1e-3,), r"^prior: p_mmod_hole: must be a probability in \[0, 1\], got -0\.001$"),
        ((math.nan,), r"^prior: p_mmod_hole: must be a probability in \[0, 1\], got nan$"),
        ((1e-3, {"mmod": 0.1}),
         r"^prior: base_rates\.mmod: unknown cause \(its prior is p_mmod_hole, from the "
         r"physics\)$"),
        ((1e-3, {"sabotage": 0.1}),
         r"^prior: base_rates\.sabotage: unknown cause \(causes: manufacturing, fatigue, seal, "
         r"deliberate\)$"),
        ((1e-3, {"seal": 2.0}),
         r"^prior: base_rates\.seal: must be a probability in \[0, 1\], got 2\.0$"),
        ((0.0, dict.fromkeys(("manufacturing", "fatigue", "seal", "deliberate"), 0.0)),
         r"^prior: base_rates: every cause has probability 0; at least one must be > 0$"),
    ],
)
def test_bad_prior(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(EvidenceError, match=message):
        prior_from(*args)  # type: ignore[arg-type]


def test_evidence_that_rules_out_every_cause() -> None:
    prior = prior_from(0.0, {"manufacturing": 0.0, "fatigue": 0.0, "seal": 0.0,
                             "deliberate": 1e-4})
    ev = evidence_from({"tool_marks": False},
                       {"tool_marks": {**dict.fromkeys(CAUSES, 0.5), "deliberate": 1.0}},
                       source="odd.toml")
    with pytest.raises(EvidenceError, match=r"^odd\.toml: observed: the observations rule "
                                            r"out every cause with a non-zero prior$"):
        attribute(prior, ev)


def test_result_types() -> None:
    a = attribute(prior_from(1e-4), load_evidence("ms09"))
    assert isinstance(a, Attribution)
    with pytest.raises(AttributeError):
        a.most_probable = "mmod"  # type: ignore[misc]


def test_a_tie_goes_to_the_cause_listed_first_whatever_the_order_of_the_evidence() -> None:
    """Found by the property test above (it failed about one run in five): with no MMOD
    prior, a crack-like hole not behind a panel makes manufacturing and seal equally
    probable (5e-3·L = 1e-2·L/2); the two products of the same likelihoods differ in the
    last bit depending on the order of the evidence file, which must not pick the answer.
    A tie goes to the cause listed first in CAUSES."""
    observed = {"behind_inner_panel": False, "crack_like": True}
    runs = [attribute(prior_from(0.0), evidence_from(dict(order)))
            for order in (list(observed.items()), list(reversed(observed.items())))]
    for a in runs:
        assert a.posterior["manufacturing"] == pytest.approx(a.posterior["seal"], rel=1e-12,
                                                             abs=0)
        assert a.most_probable == "manufacturing"
    assert [s.bayes_factor for s in runs[0].steps] == pytest.approx(
        [next(t.bayes_factor for t in runs[1].steps if t.key == s.key) for s in runs[0].steps],
        rel=1e-12, abs=0)
    # the running posterior follows the file's order; the conclusion does not
    def conclusion(a: Attribution) -> list[str]:
        return [line for line in str(a).splitlines()
                if line.startswith(("posterior:", "most probable:", "prior factor"))]

    assert conclusion(runs[0]) == conclusion(runs[1])
    assert conclusion(runs[0])[0].startswith("posterior: manufacturing 0.384, seal 0.384,")
