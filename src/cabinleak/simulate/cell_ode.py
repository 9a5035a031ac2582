"""The few-cell ODE: each cell of open hatches as one module of a small network.

Where the closed form (:mod:`.closed_form`) does not exist but the cells still hold
(:mod:`.cells`: a leak slow against the equalisation through the open hatches), the
station reduces to a network of its cells: one isothermal volume per cell, joined by
the leaks between cells (a leaking seal of a closed hatch, a valve), venting through
leaks of any law, fed by supplies, breathed by a crew cut off from the life support.
It runs on the same RODAS4 steps as the full network (:mod:`.integrator`) with C
cells instead of n modules and no millisecond hatch modes, and switches cells at
every event (a hatch that closes splits a cell at one pressure and air).

Each module of a cell holds the cell's air at the cell's pressure (its mass is its
volume share). The reduction is exact to the tolerance when

- every module is isothermal, and the modules of a cell start at one pressure,
  temperature and air (a hatch opening between cells at different pressures, or
  unequal start pressures, need the network to equalise them);
- nothing changes the air of one module of a cell of several (a crew cut off from
  the life support, a supply of another air, a leak bringing such air in): the
  network mixes it through the hatches by ventilation, which the cell does not
  resolve. In a cell of one module the air may change freely;
- the quasi-steady pressure spread that carries each module's share of the cell's
  gains and losses through its hatches (:func:`.cells.quasi_steady_lag`), with what it
  does to the flows over the run, stays inside the error scale rtol·p + atol. It is
  checked on the reduced solution at 33 times of every interval and at the outputs.

Otherwise the scenario goes to the full network with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import SimulationError
from cabinleak.physics import gas
from cabinleak.simulate.cells import (
    TOO_FAST,
    UNIFORM_RTOL,
    CellCache,
    Cells,
    quasi_steady_lag,
)
from cabinleak.simulate.integrator import integrate
from cabinleak.simulate.network import (
    LinkSlot,
    Network,
    Params,
    between_events,
    crew_sources,
    flows_at,
)
from cabinleak.simulate.tolerances import Tolerances

F = NDArray[np.float64]
B = NDArray[np.bool_]
I = NDArray[np.intp]  # noqa: E741

#: Times of each interval at which the reduction's validity is checked (evenly spaced).
CHECK_POINTS = 33


@dataclass(frozen=True)
class CellNetwork:
    """A network whose modules are the cells of ``cells``, and how it maps back."""

    cells: Cells
    net: Network
    kept: I  # link slots of the full network kept (leaks between cells or to vacuum)
    size: I  # [C] modules in each cell


@dataclass(frozen=True)
class CellsRun:
    """Module states of the scenarios with ``ok`` at the output times (M, T [B, nt, n],
    Y [B, nt, n, 4]), the mass added [B, nt] [kg] and quasi-steady hatch flows
    [B, nt, L]; for the others, why the network must run."""

    ok: B
    reason: tuple[str, ...]
    mass_kg: F
    temperature_K: F
    mass_fractions: F
    added_kg: F
    hatch_flow_kg_per_s: F


def reduce_network(net: Network, cells: Cells) -> CellNetwork:
    """The cells of ``net`` as the modules of a network (hatches dropped: the open ones
    are inside cells, the closed ones carry nothing; leaks inside a cell dropped)."""
    lab, n, c = cells.label, net.n, cells.count
    kept, slots = [], []
    for j, s in enumerate(net.links):
        if s.kind == "hatch":
            continue
        a = int(lab[s.a])
        b = c if s.b == n else int(lab[s.b])
        if a == b:
            continue
        kept.append(j)
        slots.append(LinkSlot(s.name, s.kind, s.law, a, b))
    k = np.array(kept, dtype=np.intp)
    link_a = np.array([s.a for s in slots], dtype=np.intp)
    link_b = np.array([s.b for s in slots], dtype=np.intp)
    onehot_a = np.zeros((len(slots), c + 1))
    onehot_b = np.zeros((len(slots), c + 1))
    onehot_a[np.arange(len(slots)), link_a] = 1.0
    onehot_b[np.arange(len(slots)), link_b] = 1.0
    reduced = Network(
        station=net.station,
        links=tuple(slots),
        volume_m3=cells.volume_m3.copy(),
        wall_temperature_K=net.wall_temperature_K[cells.first],
        wall_conductance_W_per_K=np.zeros(c),
        isothermal=np.ones(c, dtype=bool),
        supply_module=lab[net.supply_module],
        supply_y=net.supply_y,
        supply_temperature_K=net.supply_temperature_K,
        supply_regulated=net.supply_regulated,
        supply_set_Pa=net.supply_set_Pa,
        supply_band_Pa=net.supply_band_Pa,
        supply_flow_kg_per_s=net.supply_flow_kg_per_s,
        crew_source_kg_per_s=cells.onehot.T @ net.crew_source_kg_per_s,
        link_a=link_a,
        link_b=link_b,
        link_ventilation_m3_per_s=np.zeros(len(slots)),
        incidence=onehot_a - onehot_b,
        onehot_a=onehot_a,
        onehot_b=onehot_b,
        link_linear_below_Pa=net.link_linear_below_Pa[k],
    )
    return CellNetwork(cells, reduced, k, np.bincount(lab, minlength=c))


def _reduced_params(par: Params, kept: I) -> Params:
    """The parameters of the kept links, as in force now, with no events left."""
    rows = par.link_cda.shape[0]
    return Params(par.link_cda[:, kept], par.link_conductance[:, kept],
                  par.link_coefficient[:, kept], par.link_exponent[:, kept],
                  par.link_enabled[:, kept], par.supply_enabled.copy(),
                  np.full((rows, 1), np.inf), np.zeros((rows, 1), dtype=np.intp),
                  np.zeros((rows, 1), dtype=np.intp), np.zeros((rows, 1)))


def solve(net: Network, par0: Params, t_out: F, tol: Tolerances, todo: B,
          cache: CellCache | None = None) -> CellsRun:
    """Run the few-cell ODE for the scenarios ``todo`` [B] where it holds (module doc)."""
    batch, n, nt = par0.link_cda.shape[0], net.n, len(t_out)
    reason = [""] * batch
    ok = todo.copy()
    out_m = np.zeros((batch, nt, n))
    out_t = np.zeros((batch, nt, n))
    out_y = np.zeros((batch, nt, n, 4))
    out_a = np.zeros((batch, nt))
    hatch_flow = np.zeros((batch, nt, net.n_links))

    def refuse(rows: NDArray[np.intp], why: str) -> None:
        for i in rows:
            if ok[i]:
                ok[i], reason[i] = False, why

    def result() -> CellsRun:
        return CellsRun(ok, tuple(reason), out_m, out_t, out_y, out_a, hatch_flow)

    hot = [m.id for m, iso in zip(net.station.modules, net.isothermal, strict=True) if not iso]
    if hot:
        refuse(np.arange(batch), f"module {hot[0]!r} is not isothermal (its temperature "
               "changes as it vents)")
    empty = [m.id for m in net.station.modules if not m.pressure_Pa > 0.0]
    if empty:
        refuse(np.arange(batch), f"module {empty[0]!r} starts at pressure 0 Pa")
    if not ok.any():
        return result()
    m_cur, t_mod, y_cur = net.initial_state(batch)
    atol_kg = tol.atol_mass_fraction_of_initial * float(m_cur[0].max())
    p_start = m_cur[0] * (y_cur[0] @ gas.R_SPECIES) * t_mod[0] / net.volume_m3
    atol_p = tol.atol_mass_fraction_of_initial * float(p_start.max())
    hatch = np.array([s.kind == "hatch" for s in net.links], dtype=bool)
    cache = CellCache() if cache is None else cache
    reduced: dict[bytes, CellNetwork] = cache.memo.setdefault("cell networks", {})
    par = par0.take(np.arange(batch))
    added = np.zeros(batch)
    drift = np.zeros(batch)
    for n_int, (live, t_cur, t_next) in enumerate(between_events(net, par, ok,
                                                                  float(t_out[-1]))):
        keys = [(par.link_enabled[i, hatch] > 0).tobytes() + np.array(
            [t_cur[k], t_next[k]]).tobytes() for k, i in enumerate(live)]
        for key in dict.fromkeys(keys):
            sel = np.flatnonzero([k == key for k in keys])
            rows = live[sel]
            pattern = np.frombuffer(key[:int(hatch.sum())], dtype=bool)
            mask = np.zeros(net.n_links, dtype=bool)
            mask[np.flatnonzero(hatch)[pattern]] = True
            ck = mask.tobytes()
            if ck not in reduced:
                reduced[ck] = reduce_network(net, cache.of(net, mask))
            step = _Interval(net, reduced[ck], par.take(rows), rows, tol, atol_kg, atol_p,
                             refuse, n_int == 0)
            step.run(float(t_cur[sel[0]]), float(t_next[sel[0]]), t_out, m_cur, y_cur, t_mod,
                     added, drift, (out_m, out_t, out_y, out_a, hatch_flow))
    return result()


@dataclass
class _Interval:
    """One stretch between events of scenarios sharing their cells and times."""

    net: Network
    cn: CellNetwork
    par: Params
    rows: I
    tol: Tolerances
    atol_kg: float
    atol_p: float
    refuse: Callable[[NDArray[np.intp], str], None]
    first: bool

    def run(self, t0: float, t1: float, t_out: F, m_cur: F, y_cur: F, t_mod: F, added: F,
            drift: F, out: tuple[F, F, F, F, F]) -> None:
        cells, rows = self.cn.cells, self.rows
        live = self._admissible(m_cur[rows], y_cur[rows], t_mod[rows])
        if not live.any():
            return
        rows = rows[live]
        par = self.par.take(np.flatnonzero(live))
        lab, onehot = cells.label, cells.onehot
        # outputs in (t0, t1] (the first interval also writes t = 0), and check points
        lo = -np.inf if t0 <= 0.0 else t0
        sel = np.flatnonzero((t_out > lo) & (t_out <= t1))
        checks = np.linspace(0.0, t1 - t0, CHECK_POINTS)
        t_local = np.unique(np.concatenate([checks, np.maximum(t_out[sel] - t0, 0.0)]))
        m_c = m_cur[rows] @ onehot
        y_c = y_cur[rows][:, cells.first]
        t_c = np.broadcast_to(self.cn.net.wall_temperature_K, m_c.shape).copy()
        rpar = _reduced_params(par, self.cn.kept)
        # a leak that is already too fast for the cells at the start: no need to integrate
        start = self._slow(rpar, m_c[:, None], t_c[:, None], y_c[:, None], t_mod[rows[0]],
                           drift[rows])[0]
        if start.any():
            self.refuse(rows[start], TOO_FAST)
            rows, m_c, t_c, y_c = rows[~start], m_c[~start], t_c[~start], y_c[~start]
            par, rpar = (x.take(np.flatnonzero(~start)) for x in (par, rpar))
            if not rows.size:
                return
        try:
            mc, tc, yc, ac = integrate(self.cn.net, rpar, t_local, self.tol,
                                       initial=(m_c, t_c, y_c), atol_mass_kg=self.atol_kg)
        except SimulationError as err:
            self.refuse(rows, f"the cells' ODE failed ({err})")
            return
        r, k = mc.shape[:2]
        m_mod = mc[:, :, lab] * cells.share  # [R, K, n]
        y_mod = yc[:, :, lab]
        slow, grown, outflow = self._slow(rpar, mc, tc, yc, t_mod[rows[0]], drift[rows])
        if slow.any():
            self.refuse(rows[slow], TOO_FAST)
        good = ~slow
        drift[rows] += np.nan_to_num(grown[:, -1], posinf=0.0).max(axis=1)
        # write the outputs and hand the end state on
        at = np.searchsorted(t_local, np.maximum(t_out[sel] - t0, 0.0))
        g = rows[good]
        idx = np.ix_(g, sel)
        out[0][idx] = m_mod[good][:, at]
        out[1][idx] = t_mod[g][:, None, :]
        out[2][idx] = y_mod[good][:, at]
        out[3][idx] = added[g][:, None] + ac[good][:, at]
        h = cells.hatch_slots
        if h.size:
            q = cells.quasi_steady_flows(self.net, outflow.reshape(r, k, -1)[good][:, at])
            out[4][g[:, None, None], sel[None, :, None], h[None, None, :]] = q
        m_cur[g] = m_mod[good][:, -1]
        y_cur[g] = y_mod[good][:, -1]
        added[g] += ac[good][:, -1]

    def _slow(self, rpar: Params, mc: F, tc: F, yc: F, t_wall: F, before: F
              ) -> tuple[B, F, F]:
        """Rows [R] where the quasi-steady spread inside a cell, with what it has done to
        the flows since the start of the run, leaves rtol·p + atol at any of the states
        [R, K, C] (times in order); the relative drift grown [R, K, C]; the hatch
        outflows [R·K, n] that carry every module's share."""
        cells = self.cn.cells
        r, k = mc.shape[:2]
        flat = rpar.take(np.repeat(np.arange(r), k))
        m_mod = (mc[:, :, cells.label] * cells.share).reshape(r * k, -1)
        y_mod = yc[:, :, cells.label].reshape(r * k, -1, 4)
        outflow = self._hatch_outflow(flat, mc.reshape(r * k, -1), tc.reshape(r * k, -1),
                                      yc.reshape(r * k, -1, 4), m_mod, y_mod, t_wall)
        rt = (yc @ gas.R_SPECIES) * tc  # [R, K, C]
        p_c = mc * rt / cells.volume_m3
        if not cells.hatch_slots.size:  # single modules: no spread
            return np.zeros(r, dtype=bool), np.zeros_like(p_c), outflow
        spread = cells.lag_per_unit_flow(self.net, outflow)
        lag = quasi_steady_lag(cells, spread, p_c.reshape(r * k, -1)[..., None],
                               rt.reshape(r * k, -1)[..., None], np.ones(1)).reshape(r, k, -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            eps = np.where(p_c > 0, lag / p_c, np.where(lag > 0, np.inf, 0.0))
            dlnp = np.abs(np.diff(np.log(np.maximum(p_c, 1e-300)), axis=1))
        grown = np.concatenate([np.zeros((r, 1, cells.count)), np.cumsum(
            0.5 * (eps[:, 1:] + eps[:, :-1]) * dlnp, axis=1)], axis=1)
        with np.errstate(invalid="ignore"):
            total = p_c * (eps + grown + before[:, None, None])
            slow = ((total > self.tol.rtol * p_c + self.atol_p)
                    | ~np.isfinite(total)).any(axis=(1, 2))
        return slow, grown, outflow

    def _admissible(self, m: F, y: F, t: F) -> B:
        """Rows whose cells are uniform now and stay so (see the module doc)."""
        cells, lab, net = self.cn.cells, self.cn.cells.label, self.net
        ids = net.station.module_ids
        ok = np.ones(len(self.rows), dtype=bool)

        spread = cells.spread

        def refuse(bad: B, why: str) -> None:
            self.refuse(self.rows[bad & ok], why)
            ok[bad] = False

        t_bad = spread(t).max(axis=1) > UNIFORM_RTOL
        if t_bad.any():
            c = int(np.argmax(spread(t)[np.argmax(t_bad)]))
            refuse(t_bad, f"modules of the cell of {ids[int(cells.first[c])]!r} "
                   "differ in temperature")
        y_bad = np.zeros(len(self.rows), dtype=bool)
        for k in range(4):
            y_bad |= (spread(y[..., k] + 1.0) > UNIFORM_RTOL).any(axis=1)
        refuse(y_bad, "modules joined by open hatches hold different air")
        p = m * (y @ gas.R_SPECIES) * t / net.volume_m3
        p_bad = np.asarray((spread(p) > UNIFORM_RTOL).any(axis=1))
        when = "start" if self.first else "a hatch opens between them"
        refuse(p_bad, f"modules are joined by open hatches at different pressures ({when}): "
               "the network equalises them")
        # what changes the air of one module of a cell of several
        multi = self.cn.size > 1
        crew = cells.onehot.T @ np.abs(net.crew_source_kg_per_s).sum(axis=1) > 0  # [C]
        if (crew & multi).any():
            c = int(np.flatnonzero(crew & multi)[0])
            who = next(cr.module for cr in net.station.crew
                       if cr.count > 0 and lab[ids.index(cr.module)] == c)
            refuse(np.ones_like(ok), f"crew in {who!r} change the air of one module of a "
                   f"cell of {int(self.cn.size[c])} (the network mixes it through the hatches)")
        y_cell = y[:, cells.first]
        changes = np.broadcast_to(crew, (len(self.rows), cells.count)).copy()
        for s, mod in enumerate(net.supply_module):
            c = lab[mod]
            other = np.abs(net.supply_y[s] - y_cell[:, c]).max(axis=1) > UNIFORM_RTOL
            on = (self.par.supply_enabled[:, s] > 0) & other
            changes[on, c] = True
            if multi[c]:
                refuse(on, f"a supply of another air feeds {ids[int(mod)]!r}, one module of a "
                       f"cell of {int(self.cn.size[c])} (the network mixes it through the "
                       "hatches)")
        a, b = self.cn.net.link_a, self.cn.net.link_b
        inner = b < cells.count
        en = self.par.link_enabled[:, self.cn.kept] > 0
        for j in np.flatnonzero(inner):
            ca, cb = int(a[j]), int(b[j])
            carries = en[:, j] & ((changes[:, ca] & multi[cb]) | (changes[:, cb] & multi[ca]))
            refuse(carries, f"the leak {net.links[int(self.cn.kept[j])].name!r} carries air "
                   "that a crew or supply changes into a cell of several modules")
        return ok

    def _hatch_outflow(self, par: Params, mc: F, tc: F, yc: F, m_mod: F, y_mod: F,
                       t_wall: F) -> F:
        """What each module must send through its hatches [Q, n] [kg/s] to stay at its
        volume share of its cell: its gains from leaks, supplies and crew less that share
        of the cell's."""
        net, cn = self.net, self.cn
        link, supply = flows_at(cn.net, par, mc, tc, yc)
        gain = np.zeros((mc.shape[0], net.n + 1))
        full = cn.kept
        np.add.at(gain.T, net.link_a[full], -link.T)
        np.add.at(gain.T, net.link_b[full], link.T)
        gain = gain[:, :net.n]
        if supply.shape[1]:
            np.add.at(gain.T, net.supply_module, supply.T)
        if net.has_crew:
            p_mod = m_mod * (y_mod @ gas.R_SPECIES) * t_wall / net.volume_m3
            gain += crew_sources(net, p_mod, y_mod).sum(axis=2)
        return cn.cells.through_hatches(gain)
