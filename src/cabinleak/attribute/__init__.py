"""Cause attribution for a hole in a pressure wall: MMOD environment and ballistic limits.

The physics lives in :mod:`cabinleak.attribute.environment` (meteoroid and orbital-debris
fluxes), :mod:`cabinleak.attribute.ballistic` (critical particle diameters) and
:mod:`cabinleak.attribute.holes` (hole sizes). Every model refuses inputs outside its
validity range with :class:`AttributeModelError`, whose one-line message names the model
and the range.
"""

from __future__ import annotations

from cabinleak.errors import CabinleakError


class AttributeModelError(CabinleakError):
    """A model of the MMOD environment or of a wall was asked something it cannot answer.

    Carries the model's name and what was wrong; the message is one line, naming both
    (and the validity range, where the problem is a value outside it).
    """

    def __init__(self, model: str, problem: str) -> None:
        self.model = model
        self.problem = problem
        super().__init__(f"{model}: {problem}")
