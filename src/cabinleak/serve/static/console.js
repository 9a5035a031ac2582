// cabinleak console: the UTC clock, live updates by server-sent events, plots (uPlot).
"use strict";
const body = document.body;
const page = body.dataset.page;
const plotsOn = body.dataset.plots === "1" && typeof uPlot !== "undefined";
const floorMmHg = parseFloat(body.dataset.floor);
const yellowMmHg = parseFloat(body.dataset.yellow);

function pad(n) { return String(n).padStart(2, "0"); }
function tick() {
  const d = new Date();
  document.getElementById("utc-clock").textContent =
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
tick(); setInterval(tick, 1000);

function num(x, digits = 3) {
  if (x === null || x === undefined || !isFinite(x)) return "—";
  return Math.abs(x) >= 10 ** digits ? Number(x).toFixed(0) : String(Number(Number(x).toPrecision(digits)));
}
function interval(i, unit, digits = 3) {
  if (!i) return "—";
  return `${num(i.value, digits)} ${unit} (95 %: ${num(i.low, 2)} to ${num(i.high, 2)})`;
}

// ------------------------------------------------------------------ plots
const series = { t: [], start: null, channels: {} };
let rangeS = "all";
let realTime = true;
const plots = [];

function epoch(t) { return (series.start ? Date.parse(series.start) / 1000 : 0) + t; }

function channelsOf(modules, quantity) {
  return Object.entries(series.channels)
    .filter(([, c]) => c.quantity === quantity && modules.includes(c.source)).map(([n]) => n);
}

function makePlots() {
  document.querySelectorAll(".panel .plot:not(.rate)").forEach((el) => {
    const modules = el.dataset.modules.split(",");
    const p = channelsOf(modules, "pressure"), tc = channelsOf(modules, "temperature");
    const opts = {
      width: Math.min(el.clientWidth || 900, 1100), height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
      scales: { x: { time: !!series.start }, p: {}, T: {} },
      series: [{}, { label: "pressure (mean, mmHg)", stroke: "#4a90e2", scale: "p" },
        { label: "yellow", stroke: "#ffd23f", dash: [4, 4], scale: "p", points: { show: false } },
        { label: "red (floor)", stroke: "#ff5050", dash: [4, 4], scale: "p", points: { show: false } },
        { label: "temperature (mean, °C)", stroke: "#e2904a", scale: "T" }],
      axes: [{ stroke: "#aab" }, { scale: "p", stroke: "#aab", label: "mmHg" },
        { scale: "T", side: 1, stroke: "#aab", label: "°C", grid: { show: false } }],
      hooks: { setSelect: [() => { realTime = false; showMode(); }] },
    };
    const u = new uPlot(opts, [[], [], [], [], []], el);
    plots.push({ u, kind: "p", p, tc });
  });
  document.querySelectorAll(".panel .plot.rate").forEach((el, i) => {
    const opts = {
      width: Math.min(el.clientWidth || 900, 1100), height: 150,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
      scales: { x: { time: !!series.start } },
      series: [{}, { label: "leak rate (kg/day)", stroke: "#7fd17f" },
        { label: "95 % low", stroke: "#3c6b3c" }, { label: "95 % high", stroke: "#3c6b3c" }],
      axes: [{ stroke: "#aab" }, { stroke: "#aab", label: "kg/day" }],
    };
    plots.push({ u: new uPlot(opts, [[], [], [], []], el), kind: "rate", index: i });
  });
}

function mean(names, i) {
  let s = 0, n = 0;
  for (const name of names) {
    const v = series.channels[name].values[i];
    if (v !== null && v !== undefined) { s += v; n += 1; }
  }
  return n ? s / n : null;
}

let lastStatus = null;
function redraw() {
  if (!plotsOn) return;
  if (!plots.length && series.t.length) makePlots();
  const t = series.t;
  let i0 = 0;
  if (rangeS !== "all" && t.length) {
    const from = t[t.length - 1] - rangeS;
    while (i0 < t.length && t[i0] < from) i0++;
  }
  for (const pl of plots) {
    if (pl.kind === "p") {
      const x = [], p = [], y = [], r = [], tt = [];
      for (let i = i0; i < t.length; i++) {
        x.push(epoch(t[i])); p.push(mean(pl.p, i)); tt.push(mean(pl.tc, i));
      }
      // the limit lines are drawn once the pressure comes within 30 mmHg of the yellow
      // one: before, they would squash the trace to a flat line
      let low = Infinity;
      for (const v of p) if (v !== null && v < low) low = v;
      const near = low < yellowMmHg + 30;
      for (let i = 0; i < x.length; i++) { y.push(near ? yellowMmHg : null); r.push(near ? floorMmHg : null); }
      if (realTime) pl.u.setData([x, p, y, r, tt]);
    } else if (lastStatus && lastStatus.estimate && lastStatus.estimate.volumes) {
      const v = lastStatus.estimate.volumes[pl.index];
      if (!v) continue;
      const tr = v.rate_track;
      pl.u.setData([tr.time_s.map(epoch), tr.kg_per_day[0], tr.kg_per_day[1], tr.kg_per_day[2]]);
    }
  }
}

async function fetchSeries() {
  const since = series.t.length ? series.t[series.t.length - 1] + 1e-6 : -1e300;
  const first = !series.t.length;
  const r = await fetch(`/api/series?points=${first ? 4000 : 100000}` + (first ? "" : `&since=${since}`));
  if (!r.ok) return;
  const d = await r.json();
  series.start = d.start_utc;
  const n = series.t.length;
  for (const [name, c] of Object.entries(d.channels)) {
    if (!series.channels[name]) {
      series.channels[name] = { ...c, values: new Array(n).fill(null) };
    } else {
      series.channels[name].values.push(...c.values);
    }
    if (first) series.channels[name].values = c.values;
  }
  series.t.push(...d.time_s);
  for (const c of Object.values(series.channels)) {
    while (c.values.length < series.t.length) c.values.push(null);
  }
  redraw();
}

function showMode() {
  const el = document.getElementById("live-mode");
  if (!el) return;
  el.textContent = realTime ? "real time" : "paused (zoomed): click to resume real time";
  el.className = realTime ? "" : "paused";
}

document.querySelectorAll(".conductor button").forEach((b) => b.addEventListener("click", () => {
  rangeS = b.dataset.range === "all" ? "all" : parseFloat(b.dataset.range);
  document.querySelectorAll(".conductor button").forEach((x) => x.classList.toggle("on", x === b));
  realTime = true; showMode(); redraw();
}));
const mode = document.getElementById("live-mode");
if (mode) mode.addEventListener("click", () => { realTime = true; showMode(); redraw(); });

// ------------------------------------------------------------------ live status
function update(s) {
  lastStatus = s;
  const count = document.getElementById("alarm-count");
  count.textContent = s.alarms_pending;
  count.classList.toggle("on", s.alarms_pending > 0);
  document.getElementById("record-time").textContent = s.utc || (s.time_s === null ? "—" : `${num(s.time_s, 6)} s`);
  const pending = s.alarms.filter((a) => !a.acknowledged && !a.shelved);
  const banner = document.getElementById("alarm-banner");
  banner.classList.toggle("on", pending.length > 0);
  if (pending.length) {
    const a = pending[0];
    banner.innerHTML = "";
    const b = document.createElement("b"); b.textContent = a.severity; banner.append(b);
    banner.append(` leak alarm, ${a.volume}, at ${a.utc || a.time_s}: about ${num(a.rate_kg_per_s * 86400)} kg/day. `);
    const link = document.createElement("a"); link.href = "/alarms"; link.textContent = "Acknowledge";
    banner.append(link);
  }
  if (page === "/") updateOverview(s);
  if (page === "/alarms" && s.alarms.length !== document.querySelectorAll("#alarm-table tr[data-alarm]").length) {
    location.reload();
  }
}

function updateOverview(s) {
  const panels = document.querySelectorAll(".panel[data-volume]");
  if (panels.length !== s.volumes.length) { location.reload(); return; }
  s.volumes.forEach((v, i) => {
    const el = panels[i];
    const state = el.querySelector(".test-state");
    if (v.alarm) {
      state.innerHTML = `<span class="red">ALARM</span> at ${v.alarm.utc || v.alarm.time_s}, about ${num(v.alarm.rate_kg_per_day)} kg/day`;
    } else {
      state.textContent = v.armed ? `watching (statistic ${num(v.statistic, 2)} of 1)` : "learning the noise";
    }
    const e = (s.estimate.volumes || []).find((x) => x.label === v.label);
    if (e) {
      el.querySelector(".est-rate").textContent = interval(e.rate_kg_per_day, "kg/day");
      el.querySelector(".est-cda").textContent = interval(e.cda_mm2, "mm²") + ` (${e.law} law)`;
      el.querySelector(".est-onset").textContent = e.onset_utc || (e.onset_s === null ? "none found" : `${num(e.onset_s, 5)} s`);
      el.querySelector(".est-floor").textContent = e.time_to_floor_h && e.time_to_floor_h.value !== null
        ? interval(e.time_to_floor_h, "h") : "not reached";
      el.querySelector(".est-gas").textContent = Object.entries(e.gas_kg_per_day)
        .map(([k, g]) => `${k} ${interval(g, "kg/day", 2)}`).join("; ") || "—";
    }
  });
  const note = document.getElementById("estimate-note");
  if (s.estimate.error) note.textContent = s.estimate.error;
  else if (s.estimate.for_time_s !== undefined) note.textContent = `estimate for ${s.estimate.for_utc || s.estimate.for_time_s + " s"} (took ${s.estimate.seconds} s)`;
  const lad = document.getElementById("lad");
  lad.querySelectorAll("tr.row").forEach((r) => r.remove());
  lad.querySelectorAll("tr:not(:first-child)").forEach((r) => r.remove());
  for (const r of s.lad) {
    const tr = document.createElement("tr"); tr.className = `row ${r.limit}`;
    for (const x of [r.channel, r.source, num(r.value, 6), r.unit, r.utc || r.time_s]) {
      const td = document.createElement("td"); td.textContent = x; tr.append(td);
    }
    lad.append(tr);
  }
  const h = document.getElementById("hatches");
  h.innerHTML = "";
  for (const [id, open] of Object.entries(s.hatches)) {
    const span = document.createElement("span"); span.className = `hatch ${open ? "open" : "closed"}`;
    span.textContent = id; h.append(span, " ");
  }
  fetchSeries();
}

const events = new EventSource("/api/events");
events.onmessage = (m) => update(JSON.parse(m.data));
