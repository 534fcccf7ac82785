"""The local server's gate: a token, the Host header, the Origin, a body cap.

A page on any web site can make the browser send requests to 127.0.0.1, and a
DNS name rebound to 127.0.0.1 can read the answers. So every request, WebSocket
included, must carry the session token (once in the URL, then as an HttpOnly,
SameSite=Strict cookie), name this server in its Host header, and come from no
foreign Origin; request bodies are capped. Pure ASGI: it wraps any app.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "mockint_token"
# the largest request body (bytes): a bank file (bank.MAX_FILE_BYTES) and a little room
MAX_BODY = 8 * 1024 * 1024 + 64 * 1024


@dataclass(frozen=True)
class GuardOptions:
    token: str
    # the Host header values this server answers to ("127.0.0.1:8765", "localhost:8765")
    hosts: frozenset[str]
    max_body: int = MAX_BODY


def local_hosts(port: int, extra: Iterable[str] = ()) -> frozenset[str]:
    """The Host headers a loopback server on ``port`` accepts (and ``extra`` hosts)."""
    names = {"127.0.0.1", "localhost", *extra}
    return frozenset(f"{n}:{port}" for n in names)


class TooLarge(Exception):
    """The request body passed the cap."""


class Guard:
    """ASGI middleware refusing what a local app must not answer."""

    def __init__(self, app: App, options: GuardOptions):
        self.app, self.o = app, options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        refusal = self.refusal(scope, headers)
        if refusal is not None:
            await _refuse(scope, receive, send, *refusal)
            return
        if scope["type"] == "http" and self._token_in_query(scope):
            await self._set_cookie(scope, send)
            return
        if scope["type"] == "http":
            await self._capped(scope, receive, send, headers)
            return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        """Why a request is refused (status, reason), or None."""
        if headers.get("host", "") not in self.o.hosts:
            return 403, "unknown Host: open the URL mockint serve printed"
        origin = headers.get("origin")
        if origin is not None and origin not in {f"http://{h}" for h in self.o.hosts}:
            return 403, "foreign Origin"
        if self._token_in_query(scope):
            return None
        if not _same(_cookie(headers), self.o.token):
            return 401, "no session token: open the URL mockint serve printed"
        return None

    def _token_in_query(self, scope: Scope) -> bool:
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        return "token" in query and _same(query["token"], self.o.token)

    async def _set_cookie(self, scope: Scope, send: Send) -> None:
        """Trade the token in the URL for a cookie, and take it out of the address bar."""
        query = [
            (k, v)
            for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
            if k != "token"
        ]
        where = scope.get("path", "/") + (f"?{urlencode(query)}" if query else "")
        cookie = f"{COOKIE}={self.o.token}; HttpOnly; SameSite=Strict; Path=/"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [
                    (b"location", where.encode("latin-1")),
                    (b"set-cookie", cookie.encode("latin-1")),
                    (b"cache-control", b"no-store"),
                    (b"referrer-policy", b"no-referrer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _capped(self, scope: Scope, receive: Receive, send: Send, headers: dict) -> None:
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.o.max_body:
            await _refuse(scope, receive, send, 413, f"over {self.o.max_body:,} bytes")
            return
        seen = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal seen, refused
            msg = await receive()
            seen += len(msg.get("body", b""))
            if seen > self.o.max_body:
                if not started and not refused:
                    refused = True
                    await _refuse(scope, receive, send, 413, f"over {self.o.max_body:,} bytes")
                raise TooLarge
            return msg

        async def tracked(msg: Message) -> None:
            nonlocal started
            if refused:  # the 413 went out: the app's own answer (an error) is dropped
                return
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        with contextlib.suppress(TooLarge):
            await self.app(scope, counted, tracked)


def _same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _cookie(headers: dict[str, str]) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header is no token
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, reason: str) -> None:
    if scope["type"] == "websocket":
        await receive()  # the connect message
        await send({"type": "websocket.close", "code": 1008, "reason": reason})
        return
    body = f"{status}: {reason}\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
