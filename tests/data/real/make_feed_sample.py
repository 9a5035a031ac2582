"""Write ``iss-crewlock-eva-2017-10-10-feed.csv``: the crewlock record back in the feed's long form.

The public ISS feed sends an item only when its value changes; recorders of it write one
``item,timestamp,value`` row per change, the timestamp in hours since 00:00 UTC on
31 December of the year before. ``iss-crewlock-eva-2017-10-10.csv`` is such a record
turned wide (its times converted to UTC). This script turns it back:

* ``crewlock_pressure_mmHg`` → item ``AIRLOCK000049``, a row where the value differs from
  the row before (and the first row);
* ``depress_pump_status`` → ``AIRLOCK000047`` and ``depress_pump_switch`` →
  ``AIRLOCK000048``, a row wherever the wide record has a value (not ``-``), once per time;
* timestamp = (time − 2016-12-31T00:00Z) in hours, 6 decimals (3.6 ms, well under the
  record's whole seconds); values as written in the wide record.

The ``# year = 2017`` line says the year the timestamps count in. Run from this folder:
``python make_feed_sample.py``.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "iss-crewlock-eva-2017-10-10.csv"
TARGET = HERE / "iss-crewlock-eva-2017-10-10-feed.csv"
EPOCH = datetime(2016, 12, 31, tzinfo=UTC)
ITEMS = {"crewlock_pressure_mmHg": "AIRLOCK000049", "depress_pump_status": "AIRLOCK000047",
         "depress_pump_switch": "AIRLOCK000048"}


def main() -> None:
    lines = SOURCE.read_text().splitlines()
    header = [ln for ln in lines if ln.startswith("#")]
    rows = list(csv.DictReader(ln for ln in lines if not ln.startswith("#")))
    out: list[tuple[str, str, str]] = []
    last: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        at = datetime.fromisoformat(row["time"].replace("Z", "+00:00"))
        hours = f"{(at - EPOCH).total_seconds() / 3600:.6f}"
        for column, item in ITEMS.items():
            value = row[column]
            if column == "crewlock_pressure_mmHg":
                if last.get(item) == value:
                    continue
                last[item] = value
            elif value == "-" or (item, row["time"]) in seen:
                continue
            seen.add((item, row["time"]))
            out.append((item, hours, value))
    with open(TARGET, "w", newline="") as fh:
        fh.write("# The Quest crewlock record iss-crewlock-eva-2017-10-10.csv turned back into the "
                 "public ISS feed's long form (one row per change) by make_feed_sample.py.\n")
        for line in header:
            fh.write(line + "\n")
        fh.write("# year = 2017\n")
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("item", "timestamp", "value"))
        writer.writerows(out)


if __name__ == "__main__":
    main()
