"""A station compiled to arrays, and the right-hand side of its gas dynamics.

State per scenario and module: gas mass M [kg], temperature T [K], and species mass
fractions Y [-] over :data:`cabinleak.physics.gas.SPECIES`. Every link (open hatch,
leak) carries a signed mass flow from its side *a* to its side *b*; vacuum is a
ghost module with p = 0 at index ``n``. All arrays carry the batch on axis 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from cabinleak.errors import ScenarioError
from cabinleak.physics import flow, gas
from cabinleak.physics.thermal import temperature_rate, wall_heat_flow
from cabinleak.simulate.events import HatchEvent, Scenario, SupplyEvent
from cabinleak.station import Leak, Station

F = NDArray[np.float64]
I = NDArray[np.intp]  # noqa: E741

# Link laws. Orifice-type links (hatches and orifice leaks) share one vectorised law.
ORIFICE, CRACK, POWER = 0, 1, 2

# Event action kinds.
SET_LINK, SET_SUPPLY = 0, 1


@dataclass(frozen=True)
class LinkSlot:
    """One flow path of the compiled network, the same across the batch."""

    name: str
    kind: str  # "hatch" or "leak"
    law: int
    a: int
    b: int  # module index, or n for vacuum


@dataclass
class Params:
    """Per-scenario parameters [B, ...]; the ``enabled`` arrays change at events."""

    link_cda: F  # [B, L] Cd·A for orifice links [m²]
    link_conductance: F  # [B, L] crack conductance G [m³/(Pa·s)]
    link_coefficient: F  # [B, L] power-law C
    link_exponent: F  # [B, L] power-law n
    link_enabled: F  # [B, L] 0 or 1
    supply_enabled: F  # [B, S] 0 or 1
    ev_time: F  # [B, E] event times, +inf padded
    ev_kind: I  # [B, E]
    ev_slot: I  # [B, E]
    ev_value: F  # [B, E]

    def take(self, idx: I) -> Params:
        return Params(self.link_cda[idx], self.link_conductance[idx],
                      self.link_coefficient[idx], self.link_exponent[idx],
                      self.link_enabled[idx], self.supply_enabled[idx], self.ev_time[idx],
                      self.ev_kind[idx], self.ev_slot[idx], self.ev_value[idx])


@dataclass(frozen=True)
class Network:
    """The static structure shared by a batch, plus its per-scenario :class:`Params`."""

    station: Station
    links: tuple[LinkSlot, ...]
    volume_m3: F  # [n]
    wall_temperature_K: F  # [n]
    wall_conductance_W_per_K: F  # [n]
    isothermal: NDArray[np.bool_]  # [n]
    supply_module: I  # [S]
    supply_y: F  # [S, 4]
    supply_temperature_K: F  # [S]
    supply_regulated: NDArray[np.bool_]  # [S]
    supply_set_Pa: F  # [S]
    supply_band_Pa: F  # [S]
    supply_flow_kg_per_s: F  # [S] max flow (regulated) or rate (fixed)
    crew_source_kg_per_s: F  # [n, 4] species sources (O2 negative, CO2 positive)
    link_a: I  # [L]
    link_b: I  # [L]
    link_ventilation_m3_per_s: F  # [L] fan exchange through open hatches, each way
    incidence: F  # [L, n+1]: +1 at a, -1 at b
    onehot_a: F  # [L, n+1]
    onehot_b: F  # [L, n+1]
    link_linear_below_Pa: F  # [L] regularisation of each orifice-type link

    @cached_property
    def orifice_links(self) -> I:
        return np.flatnonzero([s.law == ORIFICE for s in self.links])

    @cached_property
    def crack_links(self) -> I:
        return np.flatnonzero([s.law == CRACK for s in self.links])

    @cached_property
    def power_links(self) -> I:
        return np.flatnonzero([s.law == POWER for s in self.links])

    @cached_property
    def all_isothermal(self) -> bool:
        return bool(self.isothermal.all())

    @cached_property
    def has_crew(self) -> bool:
        return bool(self.crew_source_kg_per_s.any())

    @cached_property
    def has_ventilation(self) -> bool:
        return bool(self.link_ventilation_m3_per_s.any())

    @cached_property
    def ventilation_idle(self) -> bool:
        """The fans can change nothing: every module isothermal and holding one air that
        no crew or supply changes (equal moles of the same gas each way). Skipping them
        saved a tenth of a network run (issue 10)."""
        y0 = self._start[2]
        one_air = bool(np.ptp(y0, axis=0).max() == 0.0) if len(y0) else True
        same_supply = all(np.array_equal(y, y0[0]) for y in self.supply_y)
        return self.all_isothermal and not self.has_crew and one_air and same_supply

    @cached_property
    def wall_species_cp(self) -> F:
        """Species cp at the wall temperatures [n, 4] [J/(kg·K)]."""
        return gas.species_cp(self.wall_temperature_K)

    @cached_property
    def supply_onehot(self) -> F:
        out = np.zeros((len(self.supply_module), self.n))
        out[np.arange(len(self.supply_module)), self.supply_module] = 1.0
        return out

    @property
    def n(self) -> int:
        return len(self.volume_m3)

    @property
    def n_links(self) -> int:
        return len(self.links)

    @cached_property
    def _start(self) -> tuple[F, F, F]:
        st = self.station
        p0 = np.array([m.pressure_Pa for m in st.modules])
        t0 = np.array([m.temperature_K for m in st.modules])
        y0 = np.array([m.mass_fractions for m in st.modules])
        r0 = y0 @ gas.R_SPECIES
        return p0 * self.volume_m3 / (r0 * t0), t0, y0

    def initial_state(self, batch: int) -> tuple[F, F, F]:
        """Mass [B, n], temperature [B, n] and mass fractions [B, n, 4] at the start."""
        m0, t0, y0 = self._start
        return (np.tile(m0, (batch, 1)), np.tile(t0, (batch, 1)), np.tile(y0, (batch, 1, 1)))


def compile_network(station: Station, scenarios: list[Scenario], *,
                    linear_below_Pa: float = flow.HATCH_LINEAR_BELOW_PA,
                    ) -> tuple[Network, Params]:
    """Compile a station and a batch of scenarios into arrays.

    Leaks of the station apply to every scenario; each scenario adds its own. Leaks
    that share a module, destination and law across scenarios share a link slot.
    """
    ids = {m.id: i for i, m in enumerate(station.modules)}
    n = len(ids)
    batch = len(scenarios)

    def index(module: str | None, where: str) -> int:
        if module is None:
            return n
        if module not in ids:
            raise ScenarioError(f"{where}: module {module!r} is not in station "
                                f"{station.name!r} (modules: {', '.join(ids)})")
        return ids[module]

    slots: list[LinkSlot] = []
    slot_of: dict[tuple[object, ...], int] = {}
    for h in station.hatches:
        slot_of[("hatch", h.id)] = len(slots)
        slots.append(LinkSlot(h.id, "hatch", ORIFICE, ids[h.a], ids[h.b]))
    # leak slots: (law, a, b, occurrence) over station leaks and each scenario's leaks
    per_scenario: list[list[tuple[int, Leak]]] = []
    for s in scenarios:
        seen: dict[tuple[object, ...], int] = {}
        assigned = []
        for lk in (*station.leaks, *s.leaks):
            law = {"orifice": ORIFICE, "crack": CRACK, "power": POWER}[lk.law]
            a = index(lk.module, f"leak {lk.id or lk.module!r}")
            b = index(lk.to, f"leak {lk.id or lk.module!r}")
            base = ("leak", law, a, b)
            k = seen.get(base, 0)
            seen[base] = k + 1
            key = (*base, k)
            if key not in slot_of:
                slot_of[key] = len(slots)
                to = "vacuum" if lk.to is None else lk.to
                slots.append(LinkSlot(f"{lk.module}->{to}#{k}", "leak", law, a, b))
            assigned.append((slot_of[key], lk))
        per_scenario.append(assigned)

    net = _compiled(station, tuple(slots), linear_below_Pa)
    n_links = len(slots)
    cda = np.zeros((batch, n_links))
    cond = np.zeros((batch, n_links))
    coef = np.zeros((batch, n_links))
    expo = np.ones((batch, n_links))
    enabled = np.zeros((batch, n_links))
    hatch_ids = {h.id for h in station.hatches}
    supply_ids = {s.id: i for i, s in enumerate(station.supplies)}
    n_sup = len(supply_ids)
    sup_enabled = np.zeros((batch, n_sup))
    events: list[list[tuple[float, int, int, float]]] = []
    # hatches are the same in every scenario: one row, broadcast (a loop per scenario and
    # hatch was a quarter of a 10,000-scenario closed-form batch)
    hatch_slots = [slot_of[("hatch", h.id)] for h in station.hatches]
    cda[:, hatch_slots] = [h.area_m2 * h.discharge_coefficient for h in station.hatches]
    enabled[:, hatch_slots] = [1.0 if h.open else 0.0 for h in station.hatches]
    for bi, s in enumerate(scenarios):
        evs: list[tuple[float, int, int, float]] = []
        for j, lk in per_scenario[bi]:
            t_up = station.modules[slots[j].a].temperature_K
            if lk.law == "orifice":
                cda[bi, j] += lk.cd_area_m2
            elif lk.law == "crack":
                cond[bi, j] += lk.crack_conductance_m3_per_Pa_s(t_up)
            else:
                coef[bi, j] += lk.coefficient
                expo[bi, j] = lk.exponent
            if lk.start_s > 0:
                evs.append((lk.start_s, SET_LINK, j, 1.0))
            else:
                enabled[bi, j] = 1.0
        for si, sup in enumerate(station.supplies):
            on = sup.on and sup.start_s <= 0 < sup.stop_s
            sup_enabled[bi, si] = 1.0 if on else 0.0
            if sup.on and sup.start_s > 0:
                evs.append((sup.start_s, SET_SUPPLY, si, 1.0))
            if sup.on and np.isfinite(sup.stop_s) and sup.stop_s > 0:
                evs.append((sup.stop_s, SET_SUPPLY, si, 0.0))
        for ev in s.events:
            if ev.time_s < 0 or not np.isfinite(ev.time_s):
                raise ScenarioError(f"event time must be a finite time >= 0, got {ev.time_s:g} s")
            if isinstance(ev, HatchEvent):
                if ev.hatch not in hatch_ids:
                    raise ScenarioError(f"hatch {ev.hatch!r} is not in station {station.name!r} "
                                        f"(hatches: {', '.join(sorted(hatch_ids))})")
                evs.append((ev.time_s, SET_LINK, slot_of[("hatch", ev.hatch)],
                            1.0 if ev.open else 0.0))
            elif isinstance(ev, SupplyEvent):
                if ev.supply not in supply_ids:
                    raise ScenarioError(f"supply {ev.supply!r} is not in station {station.name!r} "
                                        f"(supplies: {', '.join(supply_ids) or 'none'})")
                evs.append((ev.time_s, SET_SUPPLY, supply_ids[ev.supply], 1.0 if ev.on else 0.0))
        evs.sort(key=lambda e: e[0])
        events.append(evs)
    n_ev = max((len(e) for e in events), default=0) + 1
    ev_time = np.full((batch, n_ev), np.inf)
    ev_kind = np.zeros((batch, n_ev), dtype=np.intp)
    ev_slot = np.zeros((batch, n_ev), dtype=np.intp)
    ev_value = np.zeros((batch, n_ev))
    for bi, evs in enumerate(events):
        for k, (t, kind, slot, value) in enumerate(evs):
            ev_time[bi, k], ev_kind[bi, k], ev_slot[bi, k], ev_value[bi, k] = t, kind, slot, value

    params = Params(cda, cond, coef, expo, enabled, sup_enabled, ev_time, ev_kind, ev_slot,
                    ev_value)
    return net, params


_NETWORKS: dict[int, tuple[Station, dict[tuple[object, ...], Network]]] = {}
#: Stations up to this many modules keep their compiled networks.
CACHE_MODULES = 200


def _compiled(station: Station, slots: tuple[LinkSlot, ...], linear_below_Pa: float
              ) -> Network:
    """The static arrays of a station with these link slots, built once and kept (the
    last few stations, up to :data:`CACHE_MODULES` modules: larger ones hold n² arrays,
    and their runs dwarf the build): building them was a tenth of a one-volume
    closed-form run."""
    if len(station.modules) > CACHE_MODULES:
        return _build_network(station, slots, linear_below_Pa)
    hit = _NETWORKS.get(id(station))
    if hit is None or hit[0] is not station:
        if len(_NETWORKS) > 8:
            _NETWORKS.clear()
        hit = (station, {})
        _NETWORKS[id(station)] = hit
    key = (slots, linear_below_Pa)
    if key not in hit[1]:
        hit[1][key] = _build_network(station, slots, linear_below_Pa)
    return hit[1][key]


def _build_network(station: Station, slots: tuple[LinkSlot, ...], linear_below_Pa: float
                   ) -> Network:
    ids = {m.id: i for i, m in enumerate(station.modules)}
    n = len(ids)
    n_links = len(slots)
    n_sup = len(station.supplies)
    link_a = np.array([s.a for s in slots], dtype=np.intp)
    link_b = np.array([s.b for s in slots], dtype=np.intp)
    onehot_a = np.zeros((n_links, n + 1))
    onehot_b = np.zeros((n_links, n + 1))
    onehot_a[np.arange(n_links), link_a] = 1.0
    onehot_b[np.arange(n_links), link_b] = 1.0

    crew = np.zeros((n, 4))
    o2, co2 = gas.SPECIES.index("O2"), gas.SPECIES.index("CO2")
    # crew served by life support (through the hatches open at the start) change nothing
    balanced = station.balanced_crew_modules()
    for c in station.crew:
        if c.module in balanced:
            continue
        crew[ids[c.module], o2] -= c.count * c.o2_kg_per_day_per_person / 86400.0
        crew[ids[c.module], co2] += c.count * c.co2_kg_per_day_per_person / 86400.0

    supplies = station.supplies
    hatch_by_id = {h.id: h for h in station.hatches}
    return Network(
        station=station,
        links=tuple(slots),
        volume_m3=np.array([m.volume_m3 for m in station.modules]),
        wall_temperature_K=np.array([m.temperature_K for m in station.modules]),
        wall_conductance_W_per_K=np.array([m.wall_conductance_W_per_K for m in station.modules]),
        isothermal=np.array([m.thermal == "isothermal" for m in station.modules]),
        supply_module=np.array([ids[su.module] for su in supplies], dtype=np.intp),
        supply_y=np.array([su.mass_fractions for su in supplies]).reshape(n_sup, 4),
        supply_temperature_K=np.array([su.temperature_K for su in supplies]),
        supply_regulated=np.array([su.mode == "regulated" for su in supplies], dtype=np.bool_),
        supply_set_Pa=np.array([su.set_pressure_Pa for su in supplies]),
        supply_band_Pa=np.array([su.band_Pa for su in supplies]),
        supply_flow_kg_per_s=np.array(
            [su.max_flow_kg_per_s if su.mode == "regulated" else su.rate_kg_per_s
             for su in supplies]),
        crew_source_kg_per_s=crew,
        link_a=link_a,
        link_b=link_b,
        link_ventilation_m3_per_s=np.array(
            [hatch_by_id[s.name].ventilation_m3_per_s if s.kind == "hatch" else 0.0
             for s in slots]),
        incidence=onehot_a - onehot_b,
        onehot_a=onehot_a,
        onehot_b=onehot_b,
        link_linear_below_Pa=np.array([_linear_below(s, n, linear_below_Pa) for s in slots]),
    )


def _linear_below(slot: LinkSlot, n: int, hatch_linear_below_Pa: float) -> float:
    """Regularisation of one orifice-type link [Pa] (see ``physics.flow._regularize``).

    Open hatches need it (their Δp → 0 as modules equalise). A leak between two modules
    keeps ``ORIFICE_LINEAR_BELOW_PA`` for the same reason. A leak to vacuum needs none:
    it is choked down to the last molecule (ṁ ∝ p), so its law stays exact to the end of
    any run (linear below 1 Pa, a year of a 2 mm hole in the ISS ended 42 % high).
    """
    if slot.kind == "hatch":
        return hatch_linear_below_Pa
    return 0.0 if slot.b == n else flow.ORIFICE_LINEAR_BELOW_PA


@dataclass(frozen=True)
class Rates:
    """Time derivatives of the state, and the flows behind them."""

    dM: F  # [B, n] kg/s
    dT: F  # [B, n] K/s
    dY: F  # [B, n, 4] 1/s
    link_flow: F  # [B, L] kg/s, a → b
    supply_flow: F  # [B, S] kg/s
    ventilation_flow: F | None  # [B, L] mol/s each way through ventilated hatches
    dm_k: F  # [B, n, 4] kg/s of each species


def pressure(net: Network, M: F, T: F, Y: F) -> F:
    """Module pressures p = M R T / V [Pa], shape [B, n]."""
    return np.asarray(M * (Y @ gas.R_SPECIES) * T / net.volume_m3)


def gas_state(net: Network, M: F, T: F, Y: F) -> tuple[F, F, F]:
    """R [J/(kg·K)], γ [-] and p = M·R·T/V [Pa] of every module, [B, n] each."""
    r = Y @ gas.R_SPECIES
    # isothermal networks: every module sits at its wall temperature
    cp_k = net.wall_species_cp if net.all_isothermal else gas.species_cp(T)
    cp = (Y * cp_k).sum(axis=2)
    return r, cp / (cp - r), M * r * T / net.volume_m3


def extend_vacuum(p: F, T: F, r: F, gam: F, Y: F) -> tuple[F, F, F, F, F]:
    """Append the vacuum ghost module (p = 0; its T, R, γ are never used upstream)."""
    batch = p.shape[0]

    def ext(x: F, fill: float) -> F:
        return np.concatenate([x, np.full((batch, 1, *x.shape[2:]), fill)], axis=1)

    return ext(p, 0.0), ext(T, 1.0), ext(r, 1.0), ext(gam, 1.4), ext(Y, 0.0)


def link_flows(net: Network, par: Params, pe: F, te: F, re: F, ge: F,
               only: NDArray[np.bool_] | None = None) -> F:
    """Signed mass flow a → b of every link [B, L] for extended states (see extend_vacuum);
    with ``only`` [L], of those links alone (the others 0)."""
    a, b = net.link_a, net.link_b
    return flows_between(net, par, pe[:, a], pe[:, b], te[:, a], te[:, b], re[:, a], re[:, b],
                         ge[:, a], ge[:, b], only=only)


def flows_between(net: Network, par: Params, pa: F, pb: F, ta: F, tb: F, ra: F, rb: F,
                  ga: F, gb: F, only: NDArray[np.bool_] | None = None) -> F:
    """Signed link flows [B, L] from per-link states on sides a and b (``only``: see
    :func:`link_flows`)."""
    mdot = np.zeros(pa.shape)

    def pick(links: NDArray[np.intp]) -> NDArray[np.intp]:
        return links if only is None else links[only[links]]

    orifice, crack, power = (pick(net.orifice_links), pick(net.crack_links),
                             pick(net.power_links))
    if orifice.size:
        j = orifice
        # the regularisation scales with the pressure (flow.LINEAR_BELOW_REL)
        eps = flow.scaled_linear_below(net.link_linear_below_Pa[j],
                                       np.maximum(pa[:, j], pb[:, j]))
        mdot[:, j] = flow.orifice_flow(par.link_cda[:, j], pa[:, j], ta[:, j], ra[:, j], ga[:, j],
                                       pb[:, j], tb[:, j], rb[:, j], gb[:, j],
                                       linear_below_Pa=eps)
    if crack.size:
        j = crack
        mdot[:, j] = flow.crack_flow(par.link_conductance[:, j], pa[:, j], ta[:, j], ra[:, j],
                                     pb[:, j], tb[:, j], rb[:, j])
    if power.size:
        j = power
        mdot[:, j] = flow.power_law_flow(par.link_coefficient[:, j], par.link_exponent[:, j],
                                         pa[:, j], pb[:, j])
    return np.asarray(mdot * par.link_enabled)


def flows_at(net: Network, par: Params, M: F, T: F, Y: F,
             only: NDArray[np.bool_] | None = None) -> tuple[F, F]:
    """Link flows [B, L] and supply flows [B, S] of given states [kg/s] (no derivatives);
    ``only``: see :func:`link_flows`."""
    r, gam, p = gas_state(net, M, T, Y)
    pe, te, re, ge, _ = extend_vacuum(p, T, r, gam, Y)
    s_flow = supply_flows(net, par, p[:, net.supply_module])
    return link_flows(net, par, pe, te, re, ge, only=only), s_flow


def rates(net: Network, par: Params, M: F, T: F, Y: F, P: F | None = None) -> Rates:
    """Right-hand side of the network ODE for every scenario of the batch.

    ``P`` [Pa], when given, is the pressure that drives the flows (the integrator's
    pressure state); by default p = M·R·T/V.
    """
    batch, n = M.shape
    r, gam, p_mrt = gas_state(net, M, T, Y)
    cv = r / (gam - 1.0)
    p = p_mrt if P is None else P

    pe, te, re, ge, ye = extend_vacuum(p, T, r, gam, Y)
    mdot = link_flows(net, par, pe, te, re, ge)
    a, b = net.link_a, net.link_b

    fwd = mdot >= 0.0
    up_y = np.where(fwd[..., None], ye[:, a], ye[:, b])  # [B, L, 4]
    dM = -(mdot @ net.incidence)[:, :n]
    dm_k = -np.swapaxes(np.swapaxes(mdot[..., None] * up_y, 1, 2) @ net.incidence, 1, 2)[:, :n]
    x_mol = ventilation_exchange(net, par, pe, te)
    if x_mol is not None:
        # equal moles each way (fans move equal volumes at equal p and T): composition
        # mixes; mass moves only as far as the two molar masses differ
        xe = gas.mass_to_mole_fractions(np.where(ye.sum(axis=2, keepdims=True) > 0, ye, 1.0))
        to_b_k = x_mol[..., None] * xe[:, a] * gas.MOLAR_MASS  # [B, L, 4] kg/s a → b
        to_a_k = x_mol[..., None] * xe[:, b] * gas.MOLAR_MASS
        x_net = to_b_k - to_a_k  # net a → b per species
        dm_k -= np.swapaxes(np.swapaxes(x_net, 1, 2) @ net.incidence, 1, 2)[:, :n]
        dM -= (x_net.sum(axis=2) @ net.incidence)[:, :n]

    # supplies
    s_flow = np.zeros((batch, len(net.supply_module)))
    if s_flow.shape[1]:
        ps = p[:, net.supply_module]
        s_flow = supply_flows(net, par, ps)
        onehot = net.supply_onehot
        dM += s_flow @ onehot
        dm_k += onehot.T @ (s_flow[..., None] * net.supply_y)

    crew = np.zeros((1, n, 4))
    if net.has_crew:
        crew = crew_sources(net, p, Y)
        dM += crew.sum(axis=2)
        dm_k += crew
    dY = (dm_k - Y * dM[..., None]) / M[..., None]

    dT = np.zeros_like(T)
    if not net.all_isothermal:
        h_k = gas.species_enthalpy(te)  # [B, n+1, 4]
        u_k = h_k - gas.R_SPECIES * te[..., None]
        up_t_idx = np.where(fwd, a, b)
        rcv = np.where(fwd, b, a)
        bidx = np.arange(batch)[:, None]
        h_up = np.einsum("blk,blk->bl", up_y, h_k[bidx, up_t_idx])
        u_rcv = np.einsum("blk,blk->bl", up_y, u_k[bidx, rcv])
        amd = np.abs(mdot)
        gain = amd * (h_up - u_rcv)
        e_in = (gain * fwd) @ net.onehot_b + (gain * ~fwd) @ net.onehot_a
        out = (amd * fwd) @ net.onehot_a + (amd * ~fwd) @ net.onehot_b
        if x_mol is not None:
            # ventilation as two opposite flows
            bidx2 = np.arange(batch)[:, None]
            to_b = np.einsum("blk,blk->bl", to_b_k, h_k[bidx2, a] - u_k[bidx2, b])
            to_a = np.einsum("blk,blk->bl", to_a_k, h_k[bidx2, b] - u_k[bidx2, a])
            e_in += to_b @ net.onehot_b + to_a @ net.onehot_a
            out += to_b_k.sum(axis=2) @ net.onehot_a + to_a_k.sum(axis=2) @ net.onehot_b
        e_in = e_in[:, :n]
        out = out[:, :n]
        if s_flow.shape[1]:
            hs = np.sum(net.supply_y * gas.species_enthalpy(net.supply_temperature_K), axis=1)
            us = np.einsum("sk,bsk->bs", net.supply_y, u_k[:, net.supply_module])
            e_in += (s_flow * (hs - us)) @ onehot
        e_in += np.sum(crew * gas.R_SPECIES, axis=2) * T
        q = wall_heat_flow(net.wall_conductance_W_per_K, net.wall_temperature_K, T)
        dT = temperature_rate(M, cv, e_in, out, r, T, q)
        dT = np.where(net.isothermal, 0.0, dT)
    return Rates(dM, dT, dY, mdot, s_flow, x_mol, dm_k)


#: ppO2 [Pa] that sets how the crew's metabolism fades as the oxygen runs out: the
#: uptake (and the CO2 it makes) is scaled by 1 − exp(−ppO2/CREW_FADE_PPO2_PA), full
#: down to a few kPa, where the air is already lethal (see ``result.LETHAL_PPO2_PA``),
#: and zero at none. A numerical device, not physiology: it keeps the right-hand side
#: smooth and its time scale at zero O2 (V/(R·T·uptake)·1 kPa, hours for a crew of
#: three in 10 m³) slow enough for the explicit source terms of the step.
CREW_FADE_PPO2_PA = 1000.0


def crew_sources(net: Network, p: F, Y: F) -> F:
    """Species sources of the crew [B, n, 4] [kg/s] at pressures ``p`` [Pa], [B, n].

    O2 used and CO2 made (BVAD rates, :mod:`cabinleak.station.model`) both fade with
    the oxygen, f = 1 − exp(−ppO2/CREW_FADE_PPO2_PA): the crew can only turn the O2
    there is into CO2, never go on breathing in a module without oxygen.
    """
    o2 = gas.SPECIES.index("O2")
    x_o2 = gas.mass_to_mole_fractions(Y)[..., o2]
    fade = -np.expm1(-np.maximum(p * x_o2, 0.0) / CREW_FADE_PPO2_PA)
    return np.asarray(net.crew_source_kg_per_s * fade[..., None])


def added_mass_rate(net: Network, par: Params, p: F, Y: F) -> F:
    """Mass added to each scenario by its supplies and crew [B] [kg/s] (the crew's net
    source: CO2 made less O2 used), at module pressures ``p`` [Pa]."""
    out = np.zeros(p.shape[0])
    if len(net.supply_module):
        out += supply_flows(net, par, p[:, net.supply_module]).sum(axis=1)
    if net.has_crew:
        out += crew_sources(net, p, Y).sum(axis=(1, 2))
    return out


def ventilation_exchange(net: Network, par: Params, pe: F, te: F) -> F | None:
    """Moles each way through every ventilated open hatch [B, L] [mol/s], or None if none.

    The fans' volume flow at the mean molar density of the two sides, p/(R_u·T).
    """
    if not net.has_ventilation or net.ventilation_idle:
        return None
    a, b = net.link_a, net.link_b
    conc = 0.5 * (pe[:, a] / te[:, a] + pe[:, b] / te[:, b]) / gas.R_UNIVERSAL
    return np.asarray(net.link_ventilation_m3_per_s * conc * par.link_enabled)


def supply_flows(net: Network, par: Params, p_supplied: F) -> F:
    """Supply flows [B, S] at the pressures of the supplied modules [Pa]."""
    frac = np.where(net.supply_regulated,
                    np.clip((net.supply_set_Pa - p_supplied) / net.supply_band_Pa, 0.0, 1.0), 1.0)
    return np.asarray(frac * net.supply_flow_kg_per_s * par.supply_enabled)


def params_at(par0: Params, times: F) -> Params:
    """The parameters in force at each of ``times``, flattened to [B·K, ...] (scenario-major).

    ``par0`` holds the state before any event. An event at t_e is in force at t when
    t_e < t, or t_e <= 0 (events at the start apply before the first output), which
    matches the integrator: it records an output at t, then applies events at t.
    """
    batch, k = par0.link_cda.shape[0], len(times)
    link_on = np.repeat(par0.link_enabled[:, None, :], k, axis=1)
    supply_on = np.repeat(par0.supply_enabled[:, None, :], k, axis=1)
    for e in range(par0.ev_time.shape[1]):
        te = par0.ev_time[:, e]
        in_force = (times[None, :] > te[:, None]) | (te[:, None] <= 0.0)
        bb, kk = np.nonzero(in_force & np.isfinite(te)[:, None])
        kind, slot, value = par0.ev_kind[bb, e], par0.ev_slot[bb, e], par0.ev_value[bb, e]
        link = kind == SET_LINK
        link_on[bb[link], kk[link], slot[link]] = value[link]
        supply_on[bb[~link], kk[~link], slot[~link]] = value[~link]
    flat = np.repeat(np.arange(batch), k)
    taken = par0.take(flat)
    return replace(taken, link_enabled=link_on.reshape(batch * k, -1),
                   supply_enabled=supply_on.reshape(batch * k, -1))


def supply_may_run(par: Params, ptr: I | None = None) -> NDArray[np.bool_]:
    """[B]: a supply is on, or an event still to come turns one on (events from index
    ``ptr`` [B] on; all of them by default)."""
    on = par.supply_enabled.any(axis=1) if par.supply_enabled.shape[1] else np.zeros(
        par.supply_enabled.shape[0], dtype=bool)
    pending = np.ones(par.ev_time.shape, dtype=bool) if ptr is None else (
        np.arange(par.ev_time.shape[1])[None, :] >= ptr[:, None])
    turns_on = ((par.ev_kind == SET_SUPPLY) & (par.ev_value > 0) & np.isfinite(par.ev_time)
                & pending).any(axis=1)
    return np.asarray(on | turns_on)


def between_events(net: Network, par: Params, ok: NDArray[np.bool_], t_end: float
                   ) -> Iterator[tuple[I, F, F]]:
    """The stretches between events of every scenario, for models that step from event to
    event: yields the rows still running (``ok``, read afresh each time: the caller may
    drop rows) with their start and end times [s], then applies each row's events at its
    end (``par`` in place). Events at t = 0 apply before the first stretch."""
    batch = par.link_cda.shape[0]
    ptr = np.zeros(batch, dtype=np.intp)
    t = np.zeros(batch)
    apply_events(net, par, ptr, t, np.arange(batch))
    while True:
        live = np.flatnonzero(ok & (t < t_end))
        if live.size == 0:
            return
        t_next = np.minimum(par.ev_time[live, ptr[live]], t_end)
        yield live, t[live].copy(), t_next
        t[live] = t_next
        apply_events(net, par, ptr, t, live)


def apply_events(net: Network, par: Params, ptr: I, t: F, rows: I) -> None:
    """Apply every pending event at or before ``t`` for the given rows (in place)."""
    while True:
        pending = par.ev_time[rows, ptr[rows]] <= t[rows]
        if not pending.any():
            return
        r = rows[pending]
        k = ptr[r]
        kind, slot, value = par.ev_kind[r, k], par.ev_slot[r, k], par.ev_value[r, k]
        link = kind == SET_LINK
        par.link_enabled[r[link], slot[link]] = value[link]
        par.supply_enabled[r[~link], slot[~link]] = value[~link]
        ptr[r] += 1
