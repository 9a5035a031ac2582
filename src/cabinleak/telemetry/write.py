"""Write telemetry tables: simulated states and what the sensors would report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from cabinleak.simulate.result import SimulationResult
from cabinleak.simulate.sensors import sample
from cabinleak.station import Sensor
from cabinleak.telemetry.model import TelemetryError

TABLE_FORMATS = (".csv", ".parquet")


def write_table(columns: Mapping[str, ArrayLike], path: str | Path, *,
                start_time: datetime | None = None,
                metadata: Mapping[str, str] | None = None) -> Path:
    """Write equal-length columns to ``.csv`` (header row) or ``.parquet``.

    With ``start_time`` (timezone-aware, or naive meaning UTC) a ``time_s`` column is
    written as ISO 8601 UTC timestamps in a ``time`` column, as real telemetry comes.
    ``metadata`` goes to ``# key = value`` lines above a CSV header, or to the
    Parquet schema metadata.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in TABLE_FORMATS:
        raise TelemetryError(f"{out}: unknown table format {suffix or '(none)'!r} "
                             f"(expected {' or '.join(TABLE_FORMATS)})")
    names = list(columns)
    data: list[np.ndarray] = [np.asarray(columns[k], dtype=float) for k in names]
    if start_time is not None and "time_s" in names:
        i = names.index("time_s")
        zero = start_time.astimezone(UTC).replace(tzinfo=None) if start_time.tzinfo else start_time
        stamps = np.datetime64(zero, "ms") + np.round(data[i] * 1e3).astype("timedelta64[ms]")
        names[i] = "time"
        data[i] = np.char.add(np.datetime_as_string(stamps, unit="s"), "Z")
    meta = dict(metadata or {})
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(dict(zip(names, data, strict=True)))
        if meta:
            table = table.replace_schema_metadata({k: str(v) for k, v in meta.items()})
        pq.write_table(table, out)
        return out
    with out.open("w", encoding="utf-8") as fh:
        for k, v in meta.items():
            fh.write(f"# {k} = {v}\n")
        fh.write(",".join(names) + "\n")
        text = [d if d.dtype.kind in "US" else np.char.mod("%.10g", d) for d in data]
        rows = text[0]
        for col in text[1:]:
            rows = np.char.add(np.char.add(rows, ","), col)
        fh.write("\n".join(rows.tolist()))
        fh.write("\n")
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
