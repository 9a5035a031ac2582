"""cabinleak: air leaks in crewed spacecraft and habitats.

Layers (each imports only those above it in this list):
physics → station (model) → simulate → (data → inference) → report / cli.
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
