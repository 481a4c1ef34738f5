"""The lab's door: who may talk to it, checked before any page, API call or websocket is served.

The rules are Jupyter's (a lab, like a notebook server, runs code for whoever reaches it):

* the server listens on 127.0.0.1 only (:mod:`.server`);
* the ``Host`` header must name this lab's own address (``127.0.0.1:PORT`` or ``localhost:PORT``):
  a page of another site that a DNS trick points at 127.0.0.1 sends its own host name, and is
  refused (a *DNS-rebinding* guard);
* an ``Origin`` header, which browsers send with every script's request and every websocket,
  must be this lab's own origin: another site's page cannot drive the lab;
* every request carries the random token of the lab's address, as ``?token=`` (the query, which
  the server sees, never the ``#fragment``) or as the header ``Authorization: token ...``.

A refusal is ``403`` with a one-line reason, for websockets too (as the handshake's HTTP
answer). This is pure policy on the ASGI request: the HTTP parsing is uvicorn's.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

__all__ = ["Guard", "SECURITY_HEADERS", "content_security_policy"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def content_security_policy() -> str:
    """Scripts, styles and connections from this lab only; framed only by pages on this machine
    (Jupyter's notebook shows the lab in a frame)."""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'self' http://127.0.0.1:* http://localhost:*"
    )


SECURITY_HEADERS = [
    (b"content-security-policy", content_security_policy().encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class Guard:
    """ASGI middleware enforcing the rules of the module docstring, then calling ``app``."""

    def __init__(self, app: ASGIApp, token: str, port: int) -> None:
        self.app = app
        self.token = token
        self.port = port
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{h}" for h in self.hosts}

    def reason(self, scope: Scope) -> str | None:
        """Why the request is refused, or None to let it through."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if host.lower() not in self.hosts:
            shown = host[:60] if host else "(none)"
            return (
                f"the Host header {shown!r} is not this lab's address (127.0.0.1:{self.port}); "
                "refused as a guard against DNS rebinding"
            )
        origin = headers.get("origin")
        if origin is not None and origin.lower() not in self.origins:
            return f"requests from another site ({origin[:60]!r}) are refused; open the lab's own address"
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[-1]
        auth = headers.get("authorization", "")
        if not given and auth.lower().startswith("token "):
            given = auth[6:].strip()
        if not given:
            return "this lab needs the token of its address: open the link that 'tinygrad-lr lab' printed"
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode()):
            return "wrong token: open the link that 'tinygrad-lr lab' printed (each start makes a new one)"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        why = self.reason(scope)
        if why is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": why}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 403, "headers": headers + SECURITY_HEADERS})
            await send({"type": "http.response.body", "body": body})
            return
        await receive()  # websocket.connect
        if "websocket.http.response" in scope.get("extensions", {}):
            await send({"type": "websocket.http.response.start", "status": 403, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:  # the server answers the handshake with 403 by itself
            await send({"type": "websocket.close", "code": 1008})
