"""Layer 4: telemetry tables in and out (CSV and Parquet) and hand-read gauge values.

Column names carry their unit (``zvezda_pressure_mmHg``, ``lab_T_C``); see
:mod:`cabinleak.telemetry.read` for the rules and :mod:`cabinleak.telemetry.write`
for the tables the simulator writes, and :mod:`cabinleak.telemetry.stream` for tables too
long to load whole (read in batches into bin means).
"""

from cabinleak.telemetry.columns import ColumnSpec, TableMapping, load_mapping, parse_header
from cabinleak.telemetry.model import (
    QUANTITIES,
    Channel,
    DataIssue,
    Quantity,
    Telemetry,
    TelemetryError,
)
from cabinleak.telemetry.read import read_telemetry
from cabinleak.telemetry.stream import read_auto, read_binned
from cabinleak.telemetry.write import TABLE_FORMATS, sensor_columns, state_columns, write_table

__all__ = [
    "QUANTITIES",
    "TABLE_FORMATS",
    "Channel",
    "ColumnSpec",
    "DataIssue",
    "Quantity",
    "TableMapping",
    "Telemetry",
    "TelemetryError",
    "load_mapping",
    "parse_header",
    "read_auto",
    "read_binned",
    "read_telemetry",
    "sensor_columns",
    "state_columns",
    "write_table",
]
