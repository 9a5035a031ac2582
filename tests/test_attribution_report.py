"""The attribution report reads as a report: laid-out sections, words not Python, real sources.

The case is Soyuz MS-09 (bundled evidence ``ms09``) on a bare 1.5 mm wall over 84 days, as
in the README. The checks are on the structure of the HTML, not on the numbers (those are
tested in test_attribute_cause.py).
"""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cabinleak.attribute.cause import attribute, prior_from
from cabinleak.attribute.evidence import CAUSES, load_evidence
from cabinleak.attribute.risk import Environment, parse_wall, surface_risk
from cabinleak.physics.units import DAY_S
from cabinleak.report.attribution_report import write_attribution_report

ROOT = Path(__file__).resolve().parents[1]


class Sections(HTMLParser):
    """Per <h2> heading, the blocks under it: (tag, text) for p, pre, th, td and li."""

    BLOCKS = frozenset({"p", "pre", "th", "td", "li"})

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[tuple[str, str]]] = {}
        self._heading: str | None = None
        self._in_h2 = False
        self._tag: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._in_h2, self._text = True, []
        elif tag in self.BLOCKS:
            self._tag, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._in_h2:
            self._in_h2 = False
            self._heading = "".join(self._text)
            self.sections[self._heading] = []
        elif tag == self._tag and self._heading is not None:
            self.sections[self._heading].append((tag, "".join(self._text)))
            self._tag = None

    def handle_data(self, data: str) -> None:
        if self._in_h2 or self._tag:
            self._text.append(data)

    def section(self, start: str) -> list[tuple[str, str]]:
        found = [v for k, v in self.sections.items() if k.startswith(start)]
        assert len(found) == 1, f"one section starting {start!r} in {list(self.sections)}"
        return found[0]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Sections]:
    risk = surface_risk([parse_wall("single:0.15cm")], 15.968, 84 * DAY_S, Environment(),
                        hole_m=2e-3)
    result = attribute(prior_from(risk.probability_hole or 0.0), load_evidence("ms09"))
    path = tmp_path_factory.mktemp("attribution") / "a.html"
    write_attribution_report(path, module="soyuz-om", risk=risk, result=result,
                             notes=("note one: the area is an estimate",
                                    "note two: the wall is a stand-in"))
    text = path.read_text(encoding="utf-8")
    parsed = Sections()
    parsed.feed(text)
    return text, parsed


def test_posterior_section_is_laid_out_not_one_paragraph(report: tuple[str, Sections]) -> None:
    _, parsed = report
    blocks = parsed.section("Posterior")
    paragraphs = [t for tag, t in blocks if tag == "p"]
    assert all(len(p) < 400 for p in paragraphs), max(paragraphs, key=len)
    cells = [t for tag, t in blocks if tag in ("th", "td")]
    assert "posterior" in cells
    assert set(CAUSES) <= set(cells)  # one row per cause


def test_physics_section_keeps_its_lines(report: tuple[str, Sections]) -> None:
    _, parsed = report
    blocks = parsed.section("Physics")
    pre = [t for tag, t in blocks if tag == "pre"]
    assert len(pre) == 1 and "\n  critical diameter" in pre[0]
    paragraphs = [t for tag, t in blocks if tag == "p"]
    assert paragraphs[-2:] == ["note one: the area is an estimate",
                               "note two: the wall is a stand-in"]


def test_sensitivity_table_in_words(report: tuple[str, Sections]) -> None:
    _, parsed = report
    blocks = parsed.section("Sensitivity")
    header = [t for tag, t in blocks if tag == "th"]
    cells = [t for tag, t in blocks if tag == "td"]
    assert cells, "the sensitivity table is empty"
    assert not {"True", "False", "None"} & set(cells)
    at = header.index("if instead")
    rows = [cells[i:i + len(header)] for i in range(0, len(cells), len(header))]
    assert {r[at] for r in rows} <= {"present", "absent", "unknown"}
    assert {r[header.index("reported")] for r in rows} <= {"present", "absent", "unknown"}


def _repository_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return out.stdout.split()


def test_every_file_the_report_cites_is_in_the_repository(report: tuple[str, Sections]) -> None:
    text, _ = report
    body = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", text)
    cited = set(re.findall(r"[\w./-]+\.(?:md|toml|csv|py|txt|json)\b", body))
    files = _repository_files()
    missing = [c for c in cited if not any(f == c or f.endswith("/" + c) for f in files)]
    assert not missing


def test_summary_is_the_headline_and_no_data_checks(report: tuple[str, Sections]) -> None:
    _, parsed = report
    assert not any(k.startswith("Data checks") for k in parsed.sections)  # not telemetry
    (summary,) = [t for tag, t in parsed.section("Summary") if tag == "pre"]
    lines = summary.splitlines()
    assert max(len(ln) for ln in lines) <= 110  # fits the page; the tables are below
    assert any(ln.startswith("posterior: manufacturing") for ln in lines)
    assert any(ln.startswith("most probable: manufacturing") for ln in lines)
