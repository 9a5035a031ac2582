"""The live view's bounded window: the latest rows of every channel, in memory.

A fixed number of rows (``capacity``) of float64 per channel, so the console's memory is
bounded whatever the record's length: 200,000 rows × 40 channels is 64 MB. When it is
full the oldest half is dropped (the database keeps everything).
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray

F = NDArray[np.float64]


class Window:
    """Rows (time, one value per channel) in arrival order; NaN where a row has none."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = max(int(capacity), 16)
        self.names: list[str] = []
        self._t = np.empty(self.capacity)
        self._v = np.empty((self.capacity, 0))
        self.size = 0
        self._latest: dict[str, tuple[float, float]] = {}  # each channel's last reading
        self.lock = threading.Lock()

    def _column(self, name: str) -> int:
        if name not in self.names:
            self.names.append(name)
            self._v = np.hstack([self._v, np.full((self.capacity, 1), np.nan)])
        return self.names.index(name)

    def append(self, time_s: F, columns: dict[str, F]) -> None:
        """Add rows (times increasing and after the last row)."""
        with self.lock:
            idx = [self._column(n) for n in columns]
            for name, col in columns.items():
                ok = np.flatnonzero(np.isfinite(col))
                if ok.size:
                    self._latest[name] = (float(time_s[ok[-1]]), float(col[ok[-1]]))
            for start in range(0, time_s.size, self.capacity // 2):
                stop = min(start + self.capacity // 2, time_s.size)
                n = stop - start
                if self.size + n > self.capacity:  # keep the newest half
                    keep = self.capacity // 2
                    self._t[:keep] = self._t[self.size - keep: self.size]
                    self._v[:keep] = self._v[self.size - keep: self.size]
                    self.size = keep
                sl = slice(self.size, self.size + n)
                self._t[sl] = time_s[start:stop]
                self._v[sl] = np.nan
                for j, col in zip(idx, columns.values(), strict=True):
                    self._v[sl, j] = col[start:stop]
                self.size += n

    def snapshot(self, since_s: float = -np.inf, points: int | None = None
                 ) -> tuple[F, dict[str, F]]:
        """The rows from ``since_s`` on, as copies; with ``points``, at most that many
        (:func:`decimate`, computed on the window itself: no full copy is made)."""
        with self.lock:
            t = self._t[: self.size]
            i = int(np.searchsorted(t, since_s, side="left"))
            cols = {n: self._v[i: self.size, j] for j, n in enumerate(self.names)}
            if points is not None and t.size - i > points:
                return decimate(t[i:], cols, points)
            return t[i:].copy(), {n: v.copy() for n, v in cols.items()}

    @property
    def last_time_s(self) -> float | None:
        with self.lock:
            return float(self._t[self.size - 1]) if self.size else None

    def latest(self) -> dict[str, tuple[float, float]]:
        """Each channel's last reading: (time [s], value [SI])."""
        with self.lock:
            return dict(self._latest)


def decimate(time_s: F, columns: dict[str, F], points: int) -> tuple[F, dict[str, F]]:
    """At most ``points`` rows: the mean of each of ``points`` equal groups of rows (a plot
    of a week needs no million points)."""
    n = time_s.size
    if n <= points:
        return time_s, columns
    edges = np.linspace(0, n, points + 1).astype(int)
    starts = edges[:-1]
    counts = np.diff(edges)

    def mean(x: F) -> F:
        ok = np.isfinite(x)
        s = np.add.reduceat(np.where(ok, x, 0.0), starts)
        c = np.add.reduceat(ok.astype(float), starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(c > 0, s / np.maximum(c, 1), np.nan)

    t = np.add.reduceat(time_s, starts) / counts
    return t, {k: mean(v) for k, v in columns.items()}
