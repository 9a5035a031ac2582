"""The console's web application: pages rendered on the server, a JSON API, and live
updates by server-sent events (``/api/events``).

Pages: ``/`` overview, ``/alarms``, ``/locate`` (the localization assistant), ``/report``.
API: ``POST /api/samples`` (CSV or JSON lines; answered once committed), ``GET
/api/status``, ``GET /api/series``, ``GET /api/alarms``, ``POST /api/alarms/{id}/ack``,
``POST /api/alarms/{id}/shelve``, ``GET /api/locate``, ``POST /api/locate/step``.
Scripts and styles are served from the package (``static/``) and from ``node_modules/``
(uPlot, installed by ``npm ci``); no request leaves the machine. Without uPlot the
pages work and say that plots are off.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from jinja2 import Environment, PackageLoader, select_autoescape

from cabinleak.errors import CabinleakError
from cabinleak.serve.assistant import Assistant
from cabinleak.serve.auth import COOKIE, check, given_token
from cabinleak.serve.live import Live, display
from cabinleak.serve.store import Store, StoreError
from cabinleak.serve.worker import Worker
from cabinleak.station import Station

STATIC = Path(__file__).parent / "static"
#: The largest request body taken [bytes] (a flood is refused with 413).
MAX_BODY = 32 * 1024 * 1024


def find_uplot() -> Path | None:
    """uPlot's ``dist`` folder in ``node_modules`` (``CABINLEAK_NODE_MODULES``, the working
    folder's, or the source checkout's); None when ``npm ci`` has not been run."""
    here = Path(__file__).resolve()
    candidates = [Path(os.environ["CABINLEAK_NODE_MODULES"])] if os.environ.get(
        "CABINLEAK_NODE_MODULES") else []
    candidates += [Path.cwd() / "node_modules", here.parents[3] / "node_modules"]
    for c in candidates:
        dist = c / "uplot" / "dist"
        if (dist / "uPlot.iife.min.js").is_file():
            return dist
    return None


@dataclass
class Console:
    """What the routes share."""

    live: Live
    token: str
    assistant: Assistant
    worker: Worker | None = None
    uplot: Path | None = None
    background: list[Any] = field(default_factory=list)  # sources with start()/stop()
    attribution: Any = None  # the last attribution run, for its report
    # whether the server is shutting down: open event streams end then, so that a
    # browser left open does not hold the shutdown
    stopping: Callable[[], bool] = lambda: False


def make_console(station: Station, data: str | Path, token: str, *,
                 window_rows: int = 200_000, cadence_s: float = 5.0) -> Console:
    """A console on ``data`` (its record resumed), with its worker not yet started."""
    live = Live(station, Store(data), window_rows=window_rows)
    console = Console(live=live, token=token,
                      assistant=Assistant(station, Path(data) / "locate-session.json"),
                      uplot=find_uplot())
    console.worker = Worker(live, cadence_s=cadence_s)
    return console


def create_app(console: Console) -> FastAPI:
    """The FastAPI application of one console."""
    app = FastAPI(title="cabinleak console", docs_url=None, redoc_url=None,
                  openapi_url=None)
    env = Environment(loader=PackageLoader("cabinleak.serve", "templates"),
                      autoescape=select_autoescape(["html"]))
    env.filters["num"] = _num
    live = console.live
    app.state.console = console

    @app.middleware("http")
    async def token_gate(request: Request, call_next: Callable[[Request], Any]) -> Response:
        refused = check(request, console.token)
        if refused is not None:
            status, reason = refused
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": reason}, status_code=status)
            return PlainTextResponse(reason, status_code=status)
        response: Response = await call_next(request)
        given, from_query = given_token(request)
        if from_query:
            response.set_cookie(COOKIE, given or "", httponly=True, samesite="strict")
        return response

    @app.exception_handler(CabinleakError)
    async def user_error(request: Request, exc: CabinleakError) -> Response:
        if isinstance(exc, StoreError):
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse({"error": str(exc)}, status_code=400)

    def page(name: str, request: Request, **extra: Any) -> HTMLResponse:
        status = live.status()
        html = env.get_template(name).render(
            s=status, plots=console.uplot is not None, path=request.url.path,
            station=live.station, **extra)
        return HTMLResponse(html)

    # ---------------------------------------------------------------- pages

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        return page("overview.html", request)

    @app.get("/alarms", response_class=HTMLResponse)
    def alarms_page(request: Request) -> HTMLResponse:
        return page("alarms.html", request, actions=live.store.actions(),
                    now=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @app.get("/locate", response_class=HTMLResponse)
    def locate_page(request: Request, error: str = "") -> HTMLResponse:
        return page("locate.html", request, loc=console.assistant.view(), error=error)

    def attribution(request: Request) -> tuple[Any, str, dict[str, bool]]:
        """The attribution a query asks for (``module``, ``days``, ``hole``, ``obs-KEY`` =
        present or absent): the run, the module, the observations."""
        from cabinleak.serve.attribution import run_attribution

        q = request.query_params
        module = q.get("module") or _likeliest_module(console)
        observed = {k[4:]: q[k] == "present" for k in q
                    if k.startswith("obs-") and q[k] in ("present", "absent")}
        run = run_attribution(live.station, module, _float(q.get("days", "60"), "days"),
                              _float(q.get("hole", "2"), "hole"), observed)
        console.attribution = run
        return run, module, observed

    @app.get("/api/attribute")
    def api_attribute(request: Request) -> dict[str, Any]:
        run, _, _ = attribution(request)
        return {"module": run.module, "risk": run.risk.to_dict(),
                "attribution": run.result.to_dict(), "notes": list(run.notes)}

    @app.get("/attribute", response_class=HTMLResponse)
    def attribute_page(request: Request) -> HTMLResponse:
        from cabinleak.serve.attribution import catalogue

        q = request.query_params
        module = q.get("module") or _likeliest_module(console)
        observed: dict[str, bool] = {}
        error, run = "", None
        try:
            run, module, observed = attribution(request)
        except CabinleakError as exc:
            error = str(exc)
        return page("attribute.html", request, run=run, error=error, catalogue=catalogue(),
                    module=module, days=q.get("days", "60"), hole=q.get("hole", "2"),
                    observed=observed)

    @app.get("/attribute/report")
    def attribute_report() -> Response:
        run = console.attribution
        if run is None:
            return PlainTextResponse("no attribution yet: fill in the form first",
                                     status_code=409)
        from cabinleak.report.attribution_report import write_attribution_report

        path = live.store.folder / "attribution.html"
        write_attribution_report(path, module=run.module, risk=run.risk, result=run.result,
                                 notes=run.notes)
        return FileResponse(path, media_type="text/html",
                            filename=f"cabinleak-{run.module}-attribution.html")

    @app.get("/report", response_class=HTMLResponse)
    def report_page(request: Request) -> HTMLResponse:
        return page("report.html", request, ready=live.analysis is not None)

    @app.get("/report/download")
    def report_download(inline: bool = False) -> Response:
        if live.analysis is None:
            return PlainTextResponse("no estimate yet: the report needs at least "
                                     "a few minutes of samples", status_code=409)
        from cabinleak.report.leak_report import write_leak_report

        path = live.store.folder / "report.html"
        write_leak_report(live.analysis, path)
        name = f"cabinleak-{live.station.name}-report.html"
        return FileResponse(path, media_type="text/html",
                            filename=None if inline else name)

    # ---------------------------------------------------------------- forms

    async def form(request: Request) -> dict[str, str]:
        body = (await request.body()).decode("utf-8", errors="replace")
        return {k: v[0] for k, v in parse_qs(body).items()}

    @app.post("/alarms/{alarm_id}/ack")
    async def ack_form(alarm_id: int, request: Request) -> Response:
        f = await form(request)
        acknowledge(alarm_id, f.get("who", ""), f.get("comment", ""))
        return RedirectResponse("/alarms", status_code=303)

    @app.post("/alarms/{alarm_id}/shelve")
    async def shelve_form(alarm_id: int, request: Request) -> Response:
        f = await form(request)
        shelve(alarm_id, f.get("who", ""), f.get("hours", "1"))
        return RedirectResponse("/alarms", status_code=303)

    @app.post("/locate/rate")
    async def locate_rate_form(request: Request) -> Response:
        f = await form(request)
        try:
            set_rate(f.get("rate", ""), f.get("who", ""))
        except CabinleakError as exc:
            return locate_page(request, error=str(exc))
        return RedirectResponse("/locate", status_code=303)

    @app.post("/locate/step")
    async def locate_form(request: Request) -> Response:
        f = await form(request)
        groups = sorted((int(k[1:]), f[k]) for k in f if k.startswith("g") and k[1:].isdigit())
        typed = f.get("typed") or "; ".join(f"{g}: {v}" for g, v in groups if v.strip())
        try:
            step(typed, f.get("who", ""))
        except CabinleakError as exc:
            return locate_page(request, error=str(exc))
        return RedirectResponse("/locate", status_code=303)

    # ---------------------------------------------------------------- API

    @app.post("/api/samples")
    async def post_samples(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"error": f"request of {len(body)} bytes: at most {MAX_BODY}"},
                                status_code=413)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        fmt = "jsonl" if "json" in kind else "csv"
        text = body.decode("utf-8", errors="replace")
        # parse and commit off the event loop: the commit waits for the disk
        rows = await asyncio.to_thread(lambda: live.ingest(live.parse(text, fmt)))
        return JSONResponse({"rows": rows, "durable": True, "last_time_s":
                             live.window.last_time_s})

    @app.get("/api/status")
    def api_status() -> dict[str, Any]:
        return live.status()

    @app.get("/api/series")
    def api_series(since: float = -math.inf, points: int = 2000) -> dict[str, Any]:
        t, cols = live.window.snapshot(since, max(min(points, 20_000), 10))
        out: dict[str, Any] = {"time_s": _list(t), "start_utc": None if live.start_utc is None
                               else live.start_utc.isoformat(), "channels": {}}
        for name, v in cols.items():
            spec = live.specs[name]
            _, unit = display(spec, 0.0)
            shown = np.array([display(spec, x)[0] for x in v]) if v.size else v
            out["channels"][name] = {"quantity": spec.quantity, "unit": unit,
                                     "source": live.sources[name], "values": _list(shown)}
        return out

    @app.get("/api/events")
    async def events(request: Request, once: bool = False) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            seen = -1
            idle = 0.0
            while True:
                if live.version != seen:
                    seen = live.version
                    status = await asyncio.to_thread(live.status)
                    yield f"data: {json.dumps(status, allow_nan=False, default=str)}\n\n"
                    idle = 0.0
                    if once:
                        return
                elif idle > 15.0:
                    yield ": keep-alive\n\n"
                    idle = 0.0
                if console.stopping() or await request.is_disconnected():
                    return
                await asyncio.sleep(0.25)
                idle += 0.25

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    def acknowledge(alarm_id: int, who: str, comment: str) -> None:
        if live.store.alarm(alarm_id) is None:
            raise CabinleakError(f"no alarm {alarm_id}")
        if not who.strip():
            raise CabinleakError("acknowledge: say who you are (who)")
        live.store.acknowledge(alarm_id, who.strip(), comment.strip())
        live.touched()

    def shelve(alarm_id: int, who: str, hours: str) -> None:
        if live.store.alarm(alarm_id) is None:
            raise CabinleakError(f"no alarm {alarm_id}")
        if not who.strip():
            raise CabinleakError("shelve: say who you are (who)")
        try:
            h = float(hours)
        except ValueError:
            raise CabinleakError(f"shelve: hours {hours!r} is not a number") from None
        if not (math.isfinite(h) and 0 < h <= 24):
            raise CabinleakError(f"shelve: hours must be in (0, 24], got {hours}")
        until = (datetime.now(UTC) + timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ")
        live.store.shelve(alarm_id, who.strip(), until)
        live.touched()

    def step(typed: str, who: str) -> None:
        test = console.assistant.step(typed)
        live.store.log(who.strip() or "operator",
                       f"localization test: closed {', '.join(test.closed) or 'nothing'} "
                       f"for {test.hours:.2f} h, dp {list(test.dp_mmHg)} mmHg")
        live.touched()

    def set_rate(text: str, who: str) -> None:
        try:
            rate = float(text)
        except ValueError:
            raise CabinleakError(f"the rate {text!r} is not a number of kg/day") from None
        console.assistant.set_rate(rate)
        live.store.log(who.strip() or "operator",
                       f"localization prior centred on {rate:g} kg/day")
        live.touched()

    @app.post("/api/locate/rate")
    async def api_rate(request: Request) -> dict[str, Any]:
        data = await _json(request)
        set_rate(str(data.get("rate_kg_per_day", "")), str(data.get("who", "")))
        return console.assistant.view()

    @app.get("/api/alarms")
    def api_alarms() -> list[dict[str, Any]]:
        return [a.to_dict() for a in live.store.alarms()]

    @app.post("/api/alarms/{alarm_id}/ack")
    async def api_ack(alarm_id: int, request: Request) -> dict[str, Any]:
        data = await _json(request)
        acknowledge(alarm_id, str(data.get("who", "")), str(data.get("comment", "")))
        alarm = live.store.alarm(alarm_id)
        return alarm.to_dict() if alarm else {}

    @app.post("/api/alarms/{alarm_id}/shelve")
    async def api_shelve(alarm_id: int, request: Request) -> dict[str, Any]:
        data = await _json(request)
        shelve(alarm_id, str(data.get("who", "")), str(data.get("hours", "1")))
        alarm = live.store.alarm(alarm_id)
        return alarm.to_dict() if alarm else {}

    @app.get("/api/locate")
    def api_locate() -> dict[str, Any]:
        return console.assistant.view()

    @app.post("/api/locate/step")
    async def api_step(request: Request) -> dict[str, Any]:
        data = await _json(request)
        step(str(data.get("readings", "")), str(data.get("who", "")))
        return console.assistant.view()

    # ---------------------------------------------------------------- files

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        path = STATIC / name
        if "/" in name or not path.is_file():
            return PlainTextResponse(f"no file {name}", status_code=404)
        return FileResponse(path)

    @app.get("/vendor/uplot/{name}")
    def vendor(name: str) -> Response:
        if console.uplot is None or name not in ("uPlot.iife.min.js", "uPlot.min.css"):
            return PlainTextResponse("uPlot is not installed (run npm ci)", status_code=404)
        return FileResponse(console.uplot / name)

    return app


async def _json(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise CabinleakError(f"the request is not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise CabinleakError("expected a JSON object")
    return data


def _float(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise CabinleakError(f"{what} {text!r} is not a number") from None


def _likeliest_module(console: Console) -> str:
    """The module the form starts with: the first of the localization's likeliest volume."""
    view = console.assistant.view()
    cell = next((c for c in view["posterior"] if c["id"] == view["best"]), None)
    return cell["modules"][0] if cell and cell["modules"] else \
        console.live.station.module_ids[0]


def _list(a: np.ndarray) -> list[float | None]:
    return [float(x) if math.isfinite(x) else None for x in a]


def _num(x: Any, digits: int = 3) -> str:
    """A number for a page: ``—`` for none or not finite, else ``digits`` significant."""
    if x is None or not isinstance(x, int | float) or not math.isfinite(x):
        return "—"
    return f"{x:.{digits}g}"
