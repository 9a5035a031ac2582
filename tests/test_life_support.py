"""A station's life support makes good the crew's O2 use and CO2 output.

On the ISS the oxygen generators and CO2 removal run all the time, so a crew in a volume
joined to them changes neither the gas mass nor its composition. Counting their
metabolism as a known source there (7 crew: +1.54 kg/day of CO2 less O2) biased every
real ISS leak rate, and over a year drove the modelled cabin gas to CO2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cabinleak.errors import StationError
from cabinleak.estimate.analysis import Settings, _crew
from cabinleak.simulate.events import Scenario
from cabinleak.simulate.network import compile_network
from cabinleak.station import load_station

ISS_CREW = 7


def test_iss_life_support_serves_every_crew_member_with_its_hatches_open() -> None:
    iss = load_station("iss")
    assert set(iss.life_support) == {"zvezda", "destiny", "tranquility"}
    assert sum(c.count for c in iss.crew) == ISS_CREW
    assert {c.module for c in iss.crew} <= iss.balanced_crew_modules()
    assert not _crew(iss, iss.module_ids, Settings()).any()
    net, _ = compile_network(iss, [Scenario()])
    assert not net.has_crew


def test_a_crew_cut_off_from_the_life_support_uses_its_oxygen() -> None:
    """Columbus closed off (its one hatch, to Harmony): its crew member breathes alone."""
    iss = load_station("iss")
    hatch = next(h.id for h in iss.hatches if "columbus" in (h.a, h.b))
    alone = iss.with_hatch_open(hatch, False)
    assert "columbus" not in alone.balanced_crew_modules()
    src = _crew(alone, ("columbus",), Settings())
    o2_kg_per_day, co2_kg_per_day = 0.82, 1.04  # NASA BVAD, one person (typed in)
    assert src[1] * 86400.0 == pytest.approx(-o2_kg_per_day, rel=1e-12, abs=0)
    assert src[2] * 86400.0 == pytest.approx(co2_kg_per_day, rel=1e-12, abs=0)
    net, _ = compile_network(alone, [Scenario()])
    col = alone.module_ids.index("columbus")
    assert net.crew_source_kg_per_s[col, 1] < 0
    assert np.count_nonzero(net.crew_source_kg_per_s.any(axis=1)) == 1


def test_a_life_support_module_that_does_not_exist_is_one_clear_error(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "src/cabinleak/stations/test-chamber.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text + '\n[life_support]\nmodules = ["nowhere"]\n')
    with pytest.raises(StationError, match=r"\[life_support\].*'nowhere' is not a module"):
        load_station(str(bad))
    bad.write_text(text + '\n[life_support]\nmodules = "chamber"\n')
    with pytest.raises(StationError, match="modules must be a list"):
        load_station(str(bad))
