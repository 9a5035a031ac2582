"""The localization assistant: ``cabinleak locate``'s session, kept by the console.

The same model as the command: the station's search context, the prior (with the rate
the session was started with), the planner's next test, readings typed as
``1: 748.2 748.0; 2: 748.2 745.1`` and checked by :func:`~cabinleak.locate.session.parse_typed`,
the posterior rebuilt from the prior and the tests; the session saved after every step
with :func:`~cabinleak.locate.session.save_session` (atomically, a copy as FILE.bak) as
``locate-session.json`` in the console's data folder, and resumed from it on restart.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from cabinleak.locate.campaign import search_context
from cabinleak.locate.model import Posterior, prior
from cabinleak.locate.planner import InformationPlanner
from cabinleak.locate.policy import Recommendation, done, schedule
from cabinleak.locate.session import (
    DoneTest,
    build_posterior,
    load_session,
    parse_typed,
    save_session,
)
from cabinleak.physics.units import HOUR_S
from cabinleak.station import Station


class Assistant:
    """One localization session of a console."""

    def __init__(self, station: Station, path: Path) -> None:
        self.ctx = search_context(station)
        self.path = path
        self.planner = InformationPlanner()
        self.lock = threading.Lock()
        self.rate_kg_per_day: float | None = None
        self.tests: list[DoneTest] = []
        if path.exists():
            saved = load_session(path, self.ctx)
            self.tests, self.rate_kg_per_day = list(saved.tests), saved.rate_kg_per_day
        self._rec: Recommendation | None = None
        self._rec_for = -1

    def base(self) -> Posterior:
        rate = None if self.rate_kg_per_day is None else (self.rate_kg_per_day, 0.2)
        return prior(self.ctx.cells, station_rate_kg_per_day=rate)

    def posterior(self) -> Posterior:
        return build_posterior(self.ctx, self.base(), self.tests)

    def recommendation(self, post: Posterior) -> Recommendation | None:
        """The planner's next test (kept until a step changes the posterior)."""
        if done(post, self.ctx.target):
            return None
        if self._rec_for != len(self.tests):
            _, room = schedule(0.0, self.ctx)
            ctx = replace(self.ctx, hold_limit_s=max(room - self.ctx.setup_s, 0.0))
            self._rec, self._rec_for = self.planner.next_test(post, ctx), len(self.tests)
        return self._rec

    def set_rate(self, rate_kg_per_day: float) -> None:
        """Centre the prior on the station's leak rate (``cabinleak locate --rate``); only
        before the first test, since it changes what the tests so far recommended."""
        from cabinleak.locate.session import SessionError

        with self.lock:
            if self.tests:
                raise SessionError("the session has tests already: its rate cannot change "
                                   "(start a new console data folder for a new session)")
            if not (math.isfinite(rate_kg_per_day) and rate_kg_per_day > 0):
                raise SessionError(f"the rate must be > 0 kg/day, got {rate_kg_per_day:g}")
            self.rate_kg_per_day = float(rate_kg_per_day)
            self._rec_for = -1
            save_session(self.path, self.ctx, self.tests, self.rate_kg_per_day)

    def step(self, typed: str) -> DoneTest:
        """Read the recommended test's readings, add the test, save the session."""
        with self.lock:
            post = self.posterior()
            rec = self.recommendation(post)
            if rec is None:
                from cabinleak.locate.session import SessionError

                raise SessionError("the search is done: no test is pending")
            test = parse_typed(typed, self.ctx, rec)
            self.tests.append(test)
            save_session(self.path, self.ctx, self.tests, self.rate_kg_per_day)
            return test

    def view(self) -> dict[str, Any]:
        """The posterior per volume, the next test and the tests so far."""
        with self.lock:
            post = self.posterior()
            rec = self.recommendation(post)
            best, p = post.best()
            cells = [{"id": c.id, "modules": list(c.modules), "p": float(q)}
                     for c, q in zip(self.ctx.cells, post.cell_probabilities, strict=True)]
            out: dict[str, Any] = {
                "posterior": [*cells, {"id": "none", "modules": [], "p": float(post.p_none)}],
                "best": best, "confidence": p, "found": done(post, self.ctx.target),
                "tests": [t.to_dict() for t in self.tests],
                "rate_kg_per_day": self.rate_kg_per_day,
                "sensing": self.ctx.sensing.describe(), "next": None}
            if rec is not None:
                out["next"] = {
                    "text": rec.describe(self.ctx.cells), "reason": rec.reason,
                    "close": sorted(rec.config.closed), "hours": rec.duration_s / HOUR_S,
                    "groups": [{"number": g + 1,
                                "label": rec.config.label(self.ctx.cells, g)}
                               for g in range(len(rec.config.groups))]}
            return out
