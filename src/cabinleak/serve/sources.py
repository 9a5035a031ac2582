"""Where samples come from besides the API: ``--demo``, ``--replay FILE``, ``--follow FILE``.

Each runs in its own thread and hands batches to :meth:`.live.Live.ingest`, the path the
API takes, so they are stored and tested the same way.

* ``--demo``: the ``cabinleak demo`` scenario (a 1.8 mm hole, Cd 0.6, in the Soyuz
  orbital module of the ISS, a ±0.5 K orbital thermal cycle, the station's sensors at
  0.1 Hz), with the hole opening :data:`DEMO_LEAK_S` into the record instead of 8 h, and
  played at ``--speed`` (default 180): the alarm comes about two hours of station time
  after the onset, some 40 s after the start.
* ``--replay FILE``: a recorded table (anything ``cabinleak analyze`` reads, the public
  ISS feed's recordings included) played at ``--speed``.
* ``--follow FILE``: a CSV another program appends to; new complete lines are read every
  half second.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cabinleak.errors import CabinleakError
from cabinleak.serve.background import Background
from cabinleak.serve.ingest import Batch
from cabinleak.serve.live import Live
from cabinleak.telemetry.columns import ColumnSpec, parse_header
from cabinleak.telemetry.model import Telemetry

DEMO_LEAK_S = 300.0  # the hole opens 5 minutes into the demo record
DEMO_HOURS = 12.0
DEMO_SPEED = 180.0
TICK_S = 0.25  # wall-clock interval between batches of a replay


def demo_telemetry(*, seed: int = 0, hours: float = DEMO_HOURS,
                   leak_s: float | None = DEMO_LEAK_S) -> Telemetry:
    """The demo's station and hole, simulated for ``hours`` (no hole: ``leak_s`` None)."""
    import pyarrow as pa

    from cabinleak.cli.demo import DEMO_START, TELEMETRY_HZ, THERMAL_K, demo_station
    from cabinleak.simulate import simulate
    from cabinleak.telemetry import telemetry_from_table
    from cabinleak.telemetry.synthetic import synthetic_telemetry

    station, leak = demo_station()
    station = station.replace(supplies=())  # the demo's repress comes at 24 h
    duration = hours * 3600.0
    leaks = [] if leak_s is None else [dataclasses.replace(leak, start_s=leak_s)]
    t_eval = np.linspace(0.0, duration, int(hours * 120) + 1)
    result = simulate(station, duration, leaks=leaks, t_eval=t_eval)
    cols = synthetic_telemetry(result, station, rng=seed, rate_Hz=TELEMETRY_HZ,
                               thermal_amplitude_K=THERMAL_K)
    t = cols.pop("time_s")
    start = DEMO_START
    table = pa.table({"time": t} | cols)
    tel = telemetry_from_table(table, name="demo")
    return dataclasses.replace(tel, start_time=start)


def telemetry_batches(tel: Telemetry) -> tuple[tuple[ColumnSpec, ...], np.ndarray, list]:
    """The specs of a read table's channels (SI values) and its times and columns."""
    specs = []
    for c in tel.channels:
        spec = parse_header(c.name)
        if spec is None:  # a feed's item, or a mapping file's column: what it read says
            spec = ColumnSpec(c.name, c.source, c.quantity, c.unit)
        # the values are SI already; an injection is a cumulative mass [kg] once read
        specs.append(dataclasses.replace(spec, scale=1.0, offset=0.0, rate=False))
    cols = [_per_row(tel.channel(s.name).values) if s.quantity == "injection"
            else tel.channel(s.name).values for s in specs]
    return tuple(specs), tel.time_s, cols


def _per_row(cumulative: np.ndarray) -> np.ndarray:
    """A cumulative mass added [kg] as the mass added in the interval ending at each row."""
    c = np.nan_to_num(cumulative)
    return np.diff(c, prepend=c[:1])


class Player(Background):
    """Plays a read table into a console at ``speed`` times real time."""

    name = "cabinleak-replay"

    def __init__(self, live: Live, tel: Telemetry, *, speed: float,
                 on_error: Callable[[str], None] = print) -> None:
        self.live, self.tel, self.speed, self.on_error = live, tel, speed, on_error
        super().__init__()

    def _run(self) -> None:
        specs, t, cols = telemetry_batches(self.tel)
        t = t - t[0]
        start = self.tel.start_time
        # a restarted console goes on from its last sample
        last = self.live.window.last_time_s
        first = 0 if last is None else int(np.searchsorted(t, last, side="right"))
        if first and first < t.size:
            self.live.store.log("console", f"replay resumed at {t[first]:.0f} s")
        clock0, t0 = time.monotonic(), t[first] if first < t.size else 0.0
        i = first
        while i < t.size and not self._stop.is_set():
            due = t0 + (time.monotonic() - clock0) * self.speed
            j = int(np.searchsorted(t, due, side="right"))
            if j > i:
                batch = Batch(t[i:j], specs, tuple(np.asarray(c[i:j]) for c in cols),
                              start if self.live.start_utc is None else None)
                try:
                    self.live.ingest(batch)
                except CabinleakError as exc:
                    self.on_error(f"replay stopped: {exc}")
                    return
                i = j
            self._stop.wait(TICK_S)


class Follower(Background):
    """Tails a CSV that grows: its header once, then each complete new line."""

    name = "cabinleak-follow"

    def __init__(self, live: Live, path: str | Path, *,
                 on_error: Callable[[str], None] = print, poll_s: float = 0.5) -> None:
        self.live, self.path, self.on_error, self.poll_s = live, Path(path), on_error, poll_s
        super().__init__()

    def _run(self) -> None:
        header: list[str] | None = None
        offset, line_no = 0, 0
        while not self._stop.is_set():
            try:
                with open(self.path, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
            except OSError as exc:
                self.on_error(f"--follow {self.path}: {exc.strerror}")
                self._stop.wait(self.poll_s)
                continue
            end = chunk.rfind(b"\n")
            if end >= 0:
                text = chunk[: end + 1].decode("utf-8", errors="replace")
                offset += end + 1
                lines = text.splitlines()
                first = line_no + 1
                line_no += len(lines)
                if header is None:
                    rows = [s for s in lines if s.strip() and not s.startswith("#")]
                    if not rows:
                        continue
                    header = [h.strip() for h in rows[0].split(",")]
                    skip = lines.index(rows[0]) + 1
                    lines, first = lines[skip:], first + skip
                self._take(lines, header, first)
            self._stop.wait(self.poll_s)

    def _take(self, lines: list[str], header: list[str], first: int) -> None:
        """New lines into the console; a bad line is reported and skipped, the good
        ones around it are kept (the file cannot be asked to send it again)."""
        if not "".join(lines).strip():
            return
        try:
            self._ingest("\n".join(lines), header, first)
        except CabinleakError:
            for k, line in enumerate(lines):
                if line.strip() and not line.startswith("#"):
                    try:
                        self._ingest(line, header, first + k)
                    except CabinleakError as exc:
                        self.on_error(f"--follow {self.path}: {exc}")

    def _ingest(self, text: str, header: list[str], first: int) -> None:
        last = self.live.window.last_time_s
        batch = self._parse(text, header, first)
        keep = batch.time_s > (last if last is not None else -np.inf)
        if keep.any():
            self.live.ingest(_select(batch, keep))

    def _parse(self, text: str, header: list[str], first_line: int) -> Batch:
        from cabinleak.serve.ingest import parse_csv

        return parse_csv(text, self.live.station, start=self.live.start_utc, last_s=None,
                         known=self.live.specs, header=header, first_line=first_line)


def _select(batch: Batch, keep: np.ndarray) -> Batch:
    return Batch(batch.time_s[keep], batch.specs, tuple(v[keep] for v in batch.values),
                 batch.start_utc)
