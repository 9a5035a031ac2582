"""A tiny campaign shared by the campaign tests: three modules, three hole sizes, a fixed
search time per policy (so that every outcome can be worked by hand)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# the three-module station of the localization tests (a 10 m³, b 20 m³, c 30 m³ in a row;
# tests/ is on sys.path under pytest)
from test_locate import THREE_MODULES as THREE

SPEC = """
[campaign]
station = "{station}"
scenarios = {n}
seed = 7
chunk_size = {chunk}
[leak_site]
mode = "listed"
modules = {{ a = 1, b = 1, c = 2 }}
[hole]
distribution = "listed"
sizes = ["1 mm", "5 mm", "30 mm"]
weights = [2, 1, 1]
[crew]
size = 3
location = "b"
[[escape_vehicle]]
id = "capsule"
modules = ["a"]
seats = 2
[[escape_vehicle]]
id = "other"
seats = 2
[response]
locate_replicates = 1
"""

#: Search times of the fixed lookup [s]: planner 1 h, module by module 4 h.
SEARCH_S = (3600.0, 14400.0)


def write_spec(folder: Path, n: int = 2000, chunk: int = 250) -> Path:
    station = folder / "three.toml"
    station.write_text(THREE)
    spec = folder / "spec.toml"
    spec.write_text(SPEC.format(station=station, n=n, chunk=chunk))
    return spec


def fixed_model(spec_path: Path):  # -> CampaignModel
    """The campaign's model with the search lookup replaced by :data:`SEARCH_S`."""
    from cabinleak.campaign.locate_table import LocateTable
    from cabinleak.campaign.prepare import prepare
    from cabinleak.campaign.spec import load_spec

    spec = load_spec(spec_path)
    table = LocateTable(("planner", "module-by-module"), np.array([1.0]),
                        np.array([0, 1, 2]),
                        np.array(SEARCH_S)[:, None, None, None] * np.ones((2, 3, 1, 1)),
                        np.ones((2, 3, 1, 1), dtype=bool))
    return spec, prepare(spec, locate=table)
