"""Write telemetry tables: simulated states and what the sensors would report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from cabinleak.simulate.result import SimulationResult
from cabinleak.simulate.sensors import sample
from cabinleak.station import Sensor
from cabinleak.telemetry.model import TelemetryError

TABLE_FORMATS = (".csv", ".parquet")


def write_table(columns: Mapping[str, ArrayLike], path: str | Path) -> Path:
    """Write equal-length columns to ``.csv`` (header row) or ``.parquet``."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise TelemetryError(f"{out}: unknown table format {suffix or '(none)'!r} "
                             f"(expected {' or '.join(TABLE_FORMATS)})")
    names = list(columns)
    data = [np.asarray(columns[k], dtype=float) for k in names]
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(dict(zip(names, data, strict=True))), out)
    else:
        np.savetxt(out, np.column_stack(data), delimiter=",", header=",".join(names),
                   comments="", fmt="%.10g")
    return out


def state_columns(result: SimulationResult) -> dict[str, np.ndarray]:
    """Pressure, temperature and ppO2 of every module at every output time."""
    cols: dict[str, np.ndarray] = {"time_s": result.time_s}
    o2 = result.partial_pressure_Pa("O2")
    for i, mid in enumerate(result.module_ids):
        cols[f"{mid}_pressure_Pa"] = result.pressure_Pa[:, i]
        cols[f"{mid}_T_K"] = result.temperature_K[:, i]
        cols[f"{mid}_ppO2_Pa"] = o2[:, i]
    cols["vented_kg_per_s"] = result.vented_kg_per_s
    return cols


def sensor_columns(result: SimulationResult, sensors: Sequence[Sensor],
                   rng: np.random.Generator | int | None = 0) -> dict[str, np.ndarray]:
    """What the sensors would have reported (see :func:`cabinleak.simulate.sensors.sample`)."""
    if not sensors:
        raise TelemetryError(f"station {result.station!r} has no [[sensor]] to sample")
    t, readings = sample(result, sensors, rng)
    cols: dict[str, np.ndarray] = {"time_s": t}
    for s in sensors:
        unit = "pressure_Pa" if s.quantity == "pressure" else "T_K"
        cols[f"{s.id}_{unit}"] = readings[s.id]
    return cols
