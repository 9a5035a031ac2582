"""Cells: the groups of modules joined by open hatches, and the flows inside them.

An open hatch equalises the two modules it joins in about a second (0.5 m² of
Cd·A between 100 m³ modules), while a leak acts over minutes to months. On the
leak's time scale a cell of modules behaves as one volume at one pressure; the
reduced models (:mod:`cabinleak.simulate.closed_form`) integrate cells instead of
modules. This module finds the cells of an open-hatch pattern and the quasi-steady
hatch flows and pressure spread that carry each module's share of a leak through the
cell (the spread decides whether the reduction holds).

Near equilibrium a hatch of effective area Cd·A conducts K = Cd·A·sqrt(2ρ/ε)
[kg/(s·Pa)] when its law is made linear below ε (``physics.flow._regularize``); with
the exact square-root law (ε = 0) it takes Δp = f²/(2ρ·(Cd·A)²) to carry a flow f.
The quasi-steady flows solve the cell's weighted graph Laplacian (Kirchhoff's laws;
e.g. Bollobás, *Modern Graph Theory*, Springer 1998, §II.1): on a tree of hatches,
as on the ISS, they follow from the mass balance alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from cabinleak.physics.flow import scaled_linear_below
from cabinleak.simulate.network import Network

F = NDArray[np.float64]
I = NDArray[np.intp]  # noqa: E741

#: Cells up to this many modules solve their Laplacian by a dense LU factorisation
#: (LAPACK, many right-hand sides at once); larger ones by a sparse LU (SuperLU).
DENSE_BELOW_MODULES = 400
#: Relative spread of pressure, temperature or composition within a cell that still
#: counts as one uniform gas [-].
UNIFORM_RTOL = 1e-9
#: Why a reduced model refuses a scenario whose leak outruns its cells' equalisation.
TOO_FAST = ("the leak is not slow against the equalisation through the open hatches (the "
            "cell's modules would differ beyond the tolerance)")


@dataclass(frozen=True)
class Cells:
    """The cells of one open-hatch pattern of a network.

    ``label[i]`` is the cell of module i; ``onehot`` [n, C] sums modules into cells;
    hatch weights w are Cd·A when the hatch law is regularised, (Cd·A)² when it is not.
    """

    label: I  # [n]
    count: int
    volume_m3: F  # [C]
    onehot: F  # [n, C]
    hatch_slots: I  # [H] link slots of the open hatches
    hatch_weight: F  # [H]
    linear_below_Pa: float  # ε of the hatch law [Pa]
    first: I  # [C] the first module of each cell (grounded in the Laplacian)
    share: F  # [n] each module's share of its cell's volume (and, at one p, T and air, mass)
    _grounded: object  # sparse LU of the Laplacian with one module of each cell grounded
    _free: I  # modules not grounded
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What the reduced models derive from the cells alone, kept with them."""

    def spread(self, values: F) -> F:
        """Relative spread (max − min)/max|·| of ``values`` [R, n] within each cell [R, C]."""
        out = np.zeros((values.shape[0], self.count))
        for c in range(self.count):
            v = values[:, self.label == c]
            top = np.abs(v).max(axis=1)
            out[:, c] = (v.max(axis=1) - v.min(axis=1)) / np.where(top > 0, top, 1.0)
        return out

    def through_hatches(self, gain_kg_per_s: F) -> F:
        """What each module must send through its hatches [R, n] [kg/s] to stay at its
        share of its cell when it gains ``gain_kg_per_s`` [R, n] from leaks, supplies and
        crew: its gain less its share of its cell's (sums to zero over every cell)."""
        cell = gain_kg_per_s @ self.onehot
        return np.asarray(gain_kg_per_s - self.share * cell[:, self.label])

    def quasi_steady_flows(self, net: Network, outflow_kg_per_s: F) -> F:
        """Hatch flows a → b [..., H] [kg/s] that carry each module's net outflow.

        ``outflow_kg_per_s`` [..., n] is what each module must send through hatches
        (it sums to zero over every cell). On a tree of hatches, as on the ISS, the
        flows follow from the mass balance alone; on a loop the weights share them.
        """
        lead = outflow_kg_per_s.shape[:-1]
        phi = self.potentials(outflow_kg_per_s.reshape(-1, net.n))
        a, b = net.link_a[self.hatch_slots], net.link_b[self.hatch_slots]
        flows = self.hatch_weight * (phi[:, a] - phi[:, b])
        return np.asarray(flows.reshape(*lead, len(self.hatch_slots)))

    def potentials(self, outflow: F) -> F:
        """φ [R, n] with L_w·φ = outflow [R, n] in every cell (one module per cell at 0)."""
        phi = np.zeros_like(outflow)
        if self._free.size:
            rhs = np.ascontiguousarray(outflow[:, self._free].T)
            if isinstance(self._grounded, tuple):  # dense LU (LAPACK getrs), small cells
                from scipy.linalg import lu_solve  # SciPy only once a cell has hatches

                phi[:, self._free] = lu_solve(self._grounded, rhs, check_finite=False).T
            else:  # sparse LU, large networks
                phi[:, self._free] = self._grounded.solve(rhs).T  # type: ignore[attr-defined]
        return phi

    def lag_per_unit_flow(self, net: Network, outflow: F) -> tuple[F, F]:
        """What sets the quasi-steady pressure spread of each cell for hatch outflows
        ``outflow`` [R, n] per unit of leak flow (see :func:`quasi_steady_lag`): the
        spread of the potentials φ over each cell [R, C] (the linear part of a
        regularised law; zeros for exact laws) and Σ f²/(Cd·A)² over its hatches [R, C]
        (the square-root part)."""
        phi = self.potentials(outflow)
        lin = np.zeros((outflow.shape[0], self.count))
        a, b = net.link_a[self.hatch_slots], net.link_b[self.hatch_slots]
        f = self.hatch_weight * (phi[:, a] - phi[:, b])
        regular = self.linear_below_Pa > 0
        if regular:
            for c in range(self.count):
                v = phi[:, self.label == c]
                lin[:, c] = v.max(axis=1) - v.min(axis=1)
        cda2 = self.hatch_weight**2 if regular else self.hatch_weight
        sq = np.zeros((outflow.shape[0], self.count))
        np.add.at(sq.T, self.label[a], (f * f / cda2).T)
        return lin, sq


@dataclass
class CellCache:
    """The cells of each open-hatch pattern of one compiled station, built once, and what
    the reduced models derive from the station alone (``memo``)."""

    cells: dict[bytes, Cells] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)

    def of(self, net: Network, hatch_open: NDArray[np.bool_]) -> Cells:
        """The cells with the hatches ``hatch_open`` [L] (True: open)."""
        key = hatch_open.tobytes()
        if key not in self.cells:
            self.cells[key] = build_cells(net, hatch_open)
        return self.cells[key]


def build_cells(net: Network, hatch_open: NDArray[np.bool_]) -> Cells:
    """The cells of ``net`` with the hatches ``hatch_open`` [L] (True: open)."""
    n = net.n
    slots = np.flatnonzero(hatch_open & np.array([s.kind == "hatch" for s in net.links],
                                                 dtype=bool))
    a, b = net.link_a[slots], net.link_b[slots]
    cda = np.array([_hatch_cda(net, int(j)) for j in slots], dtype=float)
    eps = float(net.link_linear_below_Pa[slots].max()) if slots.size else 0.0
    w = cda if eps > 0 else cda * cda
    count, label = _components(n, a, b)
    onehot = np.zeros((n, count))
    onehot[np.arange(n), label] = 1.0
    lap = np.zeros((n, n))
    np.add.at(lap, (np.concatenate([a, b, a, b]), np.concatenate([a, b, b, a])),
              np.concatenate([w, w, -w, -w]))
    # ground the first module of each cell: the rest of each cell's Laplacian is regular
    first = np.full(count, -1)
    for i in range(n - 1, -1, -1):
        first[label[i]] = i
    free = np.setdiff1d(np.arange(n), first)
    grounded = lap[np.ix_(free, free)]
    lu: object = None
    if free.size > DENSE_BELOW_MODULES:
        from scipy.sparse import csc_matrix
        from scipy.sparse.linalg import splu

        lu = splu(csc_matrix(grounded))
    elif free.size:
        from scipy.linalg import lu_factor

        lu = lu_factor(grounded, check_finite=False)
    volume = onehot.T @ net.volume_m3
    return Cells(label, int(count), volume, onehot, slots, w, eps, first,
                 net.volume_m3 / volume[label], lu, free)


def _components(n: int, a: I, b: I) -> tuple[int, I]:
    """Connected components of n modules joined by the pairs (a, b): their count and each
    module's component, numbered in order of first module (union–find; no SciPy at start)."""
    parent = np.arange(n)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    roots = np.array([root(i) for i in range(n)], dtype=np.intp)
    _, label = np.unique(roots, return_inverse=True)
    return int(label.max()) + 1 if n else 0, np.asarray(label, dtype=np.intp)


def _hatch_cda(net: Network, slot: int) -> float:
    name = net.links[slot].name
    hatch = next(h for h in net.station.hatches if h.id == name)
    return float(hatch.area_m2 * hatch.discharge_coefficient)


def quasi_steady_lag(cells: Cells, spread: tuple[F, F], p_Pa: F, rt_J_per_kg: F,
                     leak_kg_per_s: F) -> F:
    """Largest pressure difference [Pa] inside each cell while it carries a leak flow q
    (a bound).

    ``spread`` is :meth:`Cells.lag_per_unit_flow`. Exact square-root hatches take
    Δp = f²/(2ρ·(Cd·A)²) on each, bounded here by their sum over the cell:
    q²·Σ f_unit²/(Cd·A)²/(2ρ). A regularised hatch, ṁ = Cd·A·sqrt(2ρ)·Δp/(Δp² + ε²)^¼,
    takes at most 2^¼ times its linear Δp = f/(Cd·A·sqrt(2ρ/ε)) where Δp ≤ ε and √2 times
    its square-root Δp above, so the cell's spread is at most the sum of the two bounds;
    ε scales with the pressure as in the network (``flow.scaled_linear_below``). Arrays
    broadcast against [..., C, K].
    """
    lin, sq = spread
    rho = np.maximum(p_Pa / rt_J_per_kg, 1e-300)
    root = sq[..., None] * leak_kg_per_s**2 / (2.0 * rho)
    if cells.linear_below_Pa <= 0:
        return np.asarray(root)
    eps = scaled_linear_below(cells.linear_below_Pa, p_Pa)
    linear = lin[..., None] * leak_kg_per_s / np.sqrt(2.0 * rho / eps)
    return np.asarray(2.0**0.25 * linear + math.sqrt(2.0) * root)
