"""Layer 4: telemetry tables in and out (CSV and Parquet) and hand-read gauge values.

Column names carry their unit (``zvezda_pressure_mmHg``, ``lab_T_C``); see
:mod:`cabinleak.telemetry.read` for the rules and :mod:`cabinleak.telemetry.write`
for the tables the simulator writes, and :mod:`cabinleak.telemetry.stream` for tables too
long to load whole (read in batches into bin means). Records of the public ISS telemetry feed
(``item, timestamp, value``, one row per change) are recognised by their header and read
through the bundled item mapping; see :mod:`cabinleak.telemetry.feed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cabinleak.lazy import lazy_package

# The names below are imported on first use (cabinleak.lazy): the readers pull pyarrow
# and SciPy, which `cabinleak simulate` (it only writes) and `import
# cabinleak.telemetry.model` need not pay for.
if TYPE_CHECKING:
    from cabinleak.telemetry.columns import ColumnSpec, TableMapping, load_mapping, parse_header
    from cabinleak.telemetry.feed import FEED_MAPPING, feed_time, is_feed_file
    from cabinleak.telemetry.model import (
        QUANTITIES,
        STATES,
        Channel,
        DataIssue,
        Quantity,
        Telemetry,
        TelemetryError,
    )
    from cabinleak.telemetry.read import read_telemetry, telemetry_from_table
    from cabinleak.telemetry.stream import read_auto, read_binned
    from cabinleak.telemetry.write import TABLE_FORMATS, sensor_columns, state_columns, write_table

__all__ = [
    "FEED_MAPPING",
    "QUANTITIES",
    "STATES",
    "TABLE_FORMATS",
    "Channel",
    "ColumnSpec",
    "DataIssue",
    "Quantity",
    "TableMapping",
    "Telemetry",
    "TelemetryError",
    "feed_time",
    "is_feed_file",
    "load_mapping",
    "parse_header",
    "read_auto",
    "read_binned",
    "read_telemetry",
    "sensor_columns",
    "state_columns",
    "telemetry_from_table",
    "write_table",
]

lazy_package(__name__, {
    "columns": ("ColumnSpec", "TableMapping", "load_mapping", "parse_header"),
    "feed": ("FEED_MAPPING", "feed_time", "is_feed_file"),
    "model": ("QUANTITIES", "STATES", "Channel", "DataIssue", "Quantity", "Telemetry",
              "TelemetryError"),
    "read": ("read_telemetry", "telemetry_from_table"),
    "stream": ("read_auto", "read_binned"),
    "write": ("TABLE_FORMATS", "sensor_columns", "state_columns", "write_table"),
})
