"""The lab's small web server: Starlette (routes, websockets) on uvicorn (HTTP), behind the guard.

Routes, every one behind the guard (token, Host, Origin):

* ``GET /`` -- the page (``page.html``; its script and style at ``GET /assets/...``, shipped
  in this package: nothing comes from the internet);
* ``POST /api/sessions`` -- a new session for one page (a browser tab), from a state's link
  text or the lab's first state; answers ``{"session": id, "view": ...}``;
* ``POST /api/sessions/{id}`` -- one action (:mod:`.session`); answers ``{"view": ...}``;
* ``WS /ws/{id}`` -- the same actions over a websocket, one JSON message each way.

A request body over :data:`MAX_BODY` bytes is refused with 413, one that is not a JSON object
with 400, an action the lab refuses with 400 and its reason: nothing changes then. The engine's
work runs in a worker thread, so one slow update never stalls another tab.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from .code import decode
from .guard import SECURITY_HEADERS, Guard
from .menu import menu_json
from .session import Session
from .state import MAX_POINTS, MAX_UPDATES, LabInputError, LabState

__all__ = ["MAX_BODY", "MAX_SESSIONS", "LabApp", "make_app"]

MAX_BODY = 2_000_000  # bytes of one request: a CSV upload (1 MB) or a state's link text
MAX_SESSIONS = 64  # open pages kept; the one unused the longest goes first
_ASSETS = {
    "page.css": "text/css",
    "plots.js": "text/javascript",
    "graph.js": "text/javascript",
    "page.js": "text/javascript",
}


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=dict(_HEADERS))


_HEADERS = [(k.decode(), v.decode()) for k, v in SECURITY_HEADERS]


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BodyError(400, f"the request body is not valid JSON: {str(exc)[:100]}") from None
    if not isinstance(doc, dict):
        raise BodyError(400, "the request body must be a JSON object")
    return doc


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number the lab takes (every number must be finite)")


async def _read_json(request: Request) -> dict[str, Any]:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise BodyError(413, f"the request body is larger than {MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise BodyError(413, f"the request body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    return _parse(b"".join(chunks))


class LabApp:
    """The sessions of one lab server and the routes that reach them."""

    def __init__(self, first: Callable[[], LabState]) -> None:
        self.first = first
        self.sessions: OrderedDict[str, Session] = OrderedDict()
        self.lock = threading.Lock()

    def add(self, session: Session) -> str:
        sid = secrets.token_urlsafe(16)
        with self.lock:
            self.sessions[sid] = session
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)
        return sid

    def get(self, sid: str) -> Session | None:
        with self.lock:
            session = self.sessions.get(sid)
            if session is not None:
                self.sessions.move_to_end(sid)
            return session

    async def page(self, request: Request) -> Response:
        html = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
        token = request.query_params.get("token", "")
        limits = json.dumps({"points": MAX_POINTS, "updates": MAX_UPDATES})
        html = html.replace("{{TOKEN}}", token).replace("{{LIMITS}}", limits.replace('"', "&quot;"))
        html = html.replace("{{MENU}}", json.dumps(menu_json()).replace("&", "&amp;").replace('"', "&quot;"))
        return Response(html, media_type="text/html; charset=utf-8", headers=dict(_HEADERS))

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in _ASSETS:
            return _refuse(404, f"no asset {name!r:.60}")
        text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
        return Response(text, media_type=_ASSETS[name] + "; charset=utf-8", headers=dict(_HEADERS))

    async def create(self, request: Request) -> Response:
        try:
            doc = await _read_json(request)
            code = doc.get("code")
            session = await run_in_threadpool(self._new_session, code)
            shown = await run_in_threadpool(session.apply, {"op": "view"})
        except BodyError as exc:
            return _refuse(exc.status, str(exc))
        except LabInputError as exc:
            return _refuse(400, str(exc))
        sid = self.add(session)
        return JSONResponse({"session": sid, "view": shown}, headers=dict(_HEADERS))

    def _new_session(self, code: Any) -> Session:
        return Session(self.first() if code in (None, "") else decode(code))

    async def act(self, request: Request) -> Response:
        session = self.get(request.path_params["sid"])
        if session is None:
            return _refuse(
                404, "this page's session has ended (the lab was restarted, or it was idle too long): reload"
            )
        try:
            action = await _read_json(request)
            shown = await run_in_threadpool(session.apply, action)
        except BodyError as exc:
            return _refuse(exc.status, str(exc))
        except LabInputError as exc:
            return _refuse(400, str(exc))
        return JSONResponse({"view": shown}, headers=dict(_HEADERS))

    async def socket(self, ws: WebSocket) -> None:
        session = self.get(ws.path_params["sid"])
        if session is None:
            await ws.close(code=4404, reason="no such session: reload the page")
            return
        await ws.accept()
        try:
            while True:
                text = await ws.receive_text()
                await ws.send_text(await self._answer(session, text))
        except WebSocketDisconnect:
            return

    async def _answer(self, session: Session, text: str) -> str:
        tag = None
        try:
            if len(text.encode("utf-8")) > MAX_BODY:
                raise BodyError(413, f"the message is larger than {MAX_BODY} bytes")
            action = _parse(text.encode("utf-8"))
            tag = action.pop("tag", None)
            shown = await run_in_threadpool(session.apply, action)
            return json.dumps({"tag": tag, "view": shown})
        except BodyError as exc:
            return json.dumps({"tag": tag, "status": exc.status, "error": str(exc)})
        except LabInputError as exc:
            return json.dumps({"tag": tag, "status": 400, "error": str(exc)})


def make_app(token: str, port: int, first: Callable[[], LabState]) -> tuple[Guard, LabApp]:
    """The guarded ASGI application of a lab on ``127.0.0.1:port`` with ``token``."""
    lab = LabApp(first)
    app = Starlette(
        routes=[
            Route("/", lab.page, methods=["GET"]),
            Route("/assets/{name}", lab.asset, methods=["GET"]),
            Route("/api/sessions", lab.create, methods=["POST"]),
            Route("/api/sessions/{sid}", lab.act, methods=["POST"]),
            WebSocketRoute("/ws/{sid}", lab.socket),
        ]
    )
    return Guard(app, token, port), lab
