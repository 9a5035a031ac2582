"""The bundled station files load, are sourced, and form connected hatch graphs."""

from __future__ import annotations

import pytest

from cabinleak.station import Station, bundled_stations, load_station

#: Whole-ISS pressurized volume, 915.6 m³ (32,333 ft³), NASA ISS facts and figures
#: (project reference "ISS and vehicle facts", whole-ISS line).
NASA_ISS_VOLUME_M3 = 915.6

BUNDLED = ("iss", "progress-ms", "soyuz-ms", "test-chamber")
VEHICLES = ("soyuz", "progress")


@pytest.fixture(scope="module")
def iss() -> Station:
    return load_station("iss")


def reachable(station: Station, start: str) -> set[str]:
    """Module ids reachable from ``start`` through open hatches."""
    neighbours: dict[str, set[str]] = {m: set() for m in station.module_ids}
    for h in station.hatches:
        if h.open:
            neighbours[h.a].add(h.b)
            neighbours[h.b].add(h.a)
    seen = {start}
    todo = [start]
    while todo:
        for n in neighbours[todo.pop()] - seen:
            seen.add(n)
            todo.append(n)
    return seen


def test_bundled_names_and_descriptions() -> None:
    listed = bundled_stations()
    for name in BUNDLED:
        assert name in listed
        assert listed[name], f"{name} has no description"


@pytest.mark.parametrize("name", BUNDLED)
def test_modules_have_source_and_volume(name: str) -> None:
    st = load_station(name)
    assert st.name == name
    for m in st.modules:
        assert m.source.strip(), f"{name}: module {m.id} has no source"
        assert m.volume_m3 > 0.0


@pytest.mark.parametrize("name", BUNDLED)
def test_estimates_say_so(name: str) -> None:
    st = load_station(name)
    for item in (*st.modules, *st.hatches):
        if item.estimate:
            assert "estimate" in item.source.lower(), f"{name}: {item.id} source lacks 'estimate'"


@pytest.mark.parametrize("name", ["iss", "soyuz-ms"])
def test_hatches_have_sources(name: str) -> None:
    for h in load_station(name).hatches:
        assert h.source.strip(), f"{name}: hatch {h.id} has no source"
        assert h.open


def test_iss_total_volume_near_nasa_figure(iss: Station) -> None:
    # NASA's 915.6 m³ excludes visiting vehicles; both totals stay within 5 %.
    assert iss.volume_m3 == pytest.approx(NASA_ISS_VOLUME_M3, rel=0.05, abs=0)
    assert iss.without(VEHICLES).volume_m3 == pytest.approx(NASA_ISS_VOLUME_M3, rel=0.05, abs=0)


def test_iss_module_ids_and_groups(iss: Station) -> None:
    for mid in ("zvezda", "prk", "zarya", "pma-1", "unity", "destiny", "harmony", "tranquility",
                "cupola", "columbus", "kibo-pm", "kibo-elm-ps", "leonardo", "quest", "beam",
                "nauka", "prichal", "poisk", "rassvet", "pma-2", "pma-3",
                "soyuz-om", "soyuz-dm", "progress"):
        assert mid in iss.module_ids
    assert set(iss.groups()) == {"rs", "usos", "soyuz", "progress"}
    assert all(m.group for m in iss.modules)


def test_iss_connected_from_zvezda(iss: Station) -> None:
    assert reachable(iss, "zvezda") == set(iss.module_ids)


def test_iss_without_vehicles_stays_connected(iss: Station) -> None:
    bare = iss.without(VEHICLES)
    assert not {"soyuz-om", "soyuz-dm", "progress"} & set(bare.module_ids)
    assert set(bare.groups()) == {"rs", "usos"}
    assert reachable(bare, "zvezda") == set(bare.module_ids)
    assert all(not {h.a, h.b} & {"soyuz-om", "soyuz-dm", "progress"} for h in bare.hatches)
    assert sum(c.count for c in bare.crew) == 7


def test_iss_prk_between_zvezda_and_progress(iss: Station) -> None:
    prk = iss.module("prk")
    assert prk.estimate
    assert 3.0 <= prk.volume_m3 <= 6.0
    pairs = {frozenset((h.a, h.b)) for h in iss.hatches}
    assert frozenset(("zvezda", "prk")) in pairs
    assert frozenset(("prk", "progress")) in pairs
    assert frozenset(("zvezda", "progress")) not in pairs
    # Closing the PrK hatch cuts off the PrK and the Progress behind it, nothing else.
    closed = iss.with_hatch_open("zvezda-prk", False)
    assert reachable(closed, "zvezda") == set(iss.module_ids) - {"prk", "progress"}


def test_iss_soyuz_at_rassvet(iss: Station) -> None:
    pairs = {frozenset((h.a, h.b)) for h in iss.hatches}
    assert frozenset(("rassvet", "soyuz-om")) in pairs
    assert frozenset(("soyuz-om", "soyuz-dm")) in pairs
    assert iss.module("soyuz-om").volume_m3 == 6.0
    assert iss.module("soyuz-dm").volume_m3 == 4.0


def test_iss_crew_supplies_sensors(iss: Station) -> None:
    assert sum(c.count for c in iss.crew) == 7
    assert iss.supplies and all(not s.on for s in iss.supplies)
    assert {s.gas for s in iss.supplies} == {"N2", "O2"}
    pressure = {s.module for s in iss.sensors if s.quantity == "pressure"}
    assert {"zvezda", "prk", "destiny", "unity", "columbus", "kibo-pm", "soyuz-om"} <= pressure
    assert any(s.quantity == "temperature" for s in iss.sensors)
    assert not iss.leaks


def test_soyuz_ms() -> None:
    st = load_station("soyuz-ms")
    assert st.volume_m3 == pytest.approx(10.0, abs=0)
    assert reachable(st, "soyuz-om") == {"soyuz-om", "soyuz-dm"}
    assert sum(c.count for c in st.crew) == 3
    assert {s.module for s in st.sensors if s.quantity == "pressure"} == {"soyuz-om", "soyuz-dm"}
    assert not st.leaks
