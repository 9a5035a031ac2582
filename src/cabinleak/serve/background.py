"""A console's background work: a daemon thread that runs until it is told to stop."""

from __future__ import annotations

import threading


class Background:
    """Runs :meth:`_run` on a daemon thread named ``name``; ``_stop`` is set by
    :meth:`stop`, which then waits up to ``join_timeout_s`` for the thread."""

    name = "cabinleak-background"
    join_timeout_s = 5.0

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=self.join_timeout_s)

    def _run(self) -> None:
        raise NotImplementedError
