"""Everything a chunk needs, computed once before the scenarios: the tables and constants.

A :class:`CampaignModel` is plain data (NumPy arrays, floats, the spec), so it pickles
to any worker; :func:`run_chunk` plays one chunk of scenarios with it. The expensive
parts (the localization lookup, the detector's delays, the MMOD tables) are built here,
once, by :func:`prepare`.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cabinleak.campaign.locate_table import LocateTable, build_locate_table
from cabinleak.campaign.response import (
    DelayTable,
    StationGas,
    detector_table,
    respond,
    station_gas,
)
from cabinleak.campaign.sampling import SiteTable, draw_inputs, mmod_hole_table, site_table
from cabinleak.campaign.spec import POLICIES, CampaignSpec

F = NDArray[np.float64]


@dataclass(frozen=True)
class CampaignModel:
    """The spec and its precomputed tables."""

    spec: CampaignSpec
    module_ids: tuple[str, ...]
    sites: SiteTable
    hole_table: tuple[F, F] | None
    gas: StationGas
    delays: DelayTable
    locate: LocateTable
    penetrations_per_year: float | None

    @property
    def policies(self) -> tuple[str, ...]:
        return self.locate.policies


def policies_of(spec: CampaignSpec) -> tuple[str, ...]:
    """The spec's policy first, then the comparison policy when asked."""
    if not spec.compare:
        return (spec.policy,)
    return (spec.policy, *(p for p in POLICIES if p != spec.policy))


def prepare(spec: CampaignSpec, *, locate: LocateTable | None = None,
            executor: Executor | None = None) -> CampaignModel:
    """Build the tables (``locate``: a lookup built before, e.g. read back on resume; else
    played on ``executor``, one task per policy and cell)."""
    station = spec.load_station()
    gasx = station_gas(station, spec)
    hole_table = (mmod_hole_table(station, spec.site.wall, spec.orbit, spec.hole)
                  if spec.hole.distribution == "mmod" else None)
    if locate is None:
        locate = build_locate_table(station, policies_of(spec),
                                    spec.response.locate_replicates, spec.seed, executor)
    rate: float | None
    if spec.penetrations_per_year == "mmod":
        from cabinleak.campaign.sampling import module_risk_weights

        rate = float(module_risk_weights(station, spec.site.wall, spec.orbit).sum())
    else:
        rate = None if spec.penetrations_per_year is None else float(spec.penetrations_per_year)
    return CampaignModel(spec, station.module_ids, site_table(station, spec), hole_table,
                         gasx, detector_table(station, gasx, spec.response), locate, rate)


def run_chunk(model: CampaignModel, chunk: int, seed: np.random.SeedSequence,
              first: int, n: int) -> dict[str, NDArray[np.generic]]:
    """Draw and play the scenarios ``first`` … ``first + n − 1`` of chunk ``chunk``.

    Vectorised over the chunk; if that fails, scenario by scenario, so that a scenario
    that fails deterministically is recorded (with its inputs and the error) and the
    others are kept.
    """
    rng = np.random.default_rng(seed)
    spec = model.spec
    inputs = draw_inputs(spec, model.sites, model.hole_table, spec.response.locate_replicates,
                         rng, n, first, chunk)
    try:
        return {**inputs, **_play(model, inputs, slice(None)), "error": np.full(n, "", object)}
    except Exception:  # retried one by one below, each failure recorded
        pass
    rows = []
    for i in range(n):
        try:
            rows.append({**_play(model, inputs, slice(i, i + 1)),
                         "error": np.array([""], dtype=object)})
        except Exception as exc:  # a failing scenario is recorded, not fatal
            rows.append(_failed(model, f"{type(exc).__name__}: {exc}"))
    out = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    return {**inputs, **out}


def _play(model: CampaignModel, inputs: dict[str, NDArray[np.generic]], sel: slice
          ) -> dict[str, NDArray[np.generic]]:
    module = np.asarray(inputs["module"][sel], dtype=np.intp)
    args = (module, np.asarray(inputs["cd_area_mm2"][sel], dtype=float) * 1e-6,
            np.asarray(inputs["asleep"][sel], dtype=bool),
            np.asarray(inputs["locate_draw"][sel], dtype=np.intp), model.gas, model.delays,
            model.locate)
    main = respond(*args, 0, model.spec.response)
    out: dict[str, NDArray[np.generic]] = dict(vars(main))
    n = len(module)
    if len(model.policies) > 1:
        alt = respond(*args, 1, model.spec.response)
        out.update(alt_time_to_locate_s=alt.time_to_locate_s, alt_evacuated=alt.evacuated,
                   alt_gas_lost_kg=alt.gas_lost_kg, alt_outcome=alt.outcome)
    else:
        out.update(alt_time_to_locate_s=np.full(n, np.nan), alt_evacuated=np.zeros(n, bool),
                   alt_gas_lost_kg=np.full(n, np.nan), alt_outcome=np.full(n, -2, np.int8))
    return out


def _failed(model: CampaignModel, error: str) -> dict[str, NDArray[np.generic]]:
    """One failed scenario's outcome columns: NaN, False, outcome −1, and the error."""
    from cabinleak.campaign.response import OUTCOME_COLUMNS

    out: dict[str, NDArray[np.generic]] = {}
    for name in OUTCOME_COLUMNS:
        if name == "error":
            out[name] = np.array([error], dtype=object)
        elif name in ("outcome", "alt_outcome"):
            out[name] = np.array([-1], dtype=np.int8)
        elif name in ("detected", "located", "evacuated", "reached_vehicle",
                      "leak_in_vehicle", "alt_evacuated"):
            out[name] = np.array([False])
        else:
            out[name] = np.array([np.nan])
    return out
