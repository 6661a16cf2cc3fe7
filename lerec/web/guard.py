"""The web app's guard, in front of every route: the token, the Host header, cross-site writes, clean errors.

- Bound to a loopback address, requests must name it in their ``Host`` header (a DNS-rebinding page cannot).
- Given a token (always, when bound elsewhere), every request carries it: ``?token=`` (which also sets a cookie,
  so the page's own requests carry it), the cookie, or the ``X-Lerec-Token`` header.
- A request that writes (POST) carries the ``X-Lerec-Request`` header, which a cross-site form cannot send.
- A bad request gets a one-line 4xx; an unforeseen error a bare 500: never a traceback.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

TOKEN_COOKIE = "lerec_token"
TOKEN_HEADER = b"x-lerec-token"
WRITE_HEADER = b"x-lerec-request"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


class BadRequest(Exception):
    """A request the app refuses: ``status`` (4xx) and a one-line message for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this machine only."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _host_name(value: str) -> str:
    if value.startswith("["):
        return value[: value.find("]") + 1]
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware enforcing the rules of this module's docstring for the app it wraps."""

    def __init__(self, app: ASGIApp, *, token: str | None, loopback: bool):
        self.app = app
        self.token = token
        self.loopback = loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await PlainTextResponse(refusal[1], refusal[0])(scope, receive, send)
            return
        query_token = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [None])[0]
        started = False

        async def send_with_cookie(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if self.token and query_token:
                    cookie = f"{TOKEN_COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"set-cookie", cookie.encode("latin-1"))]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        except BadRequest as exc:
            if started:
                raise
            await PlainTextResponse(str(exc), exc.status)(scope, receive, send)
        except Exception:
            log.exception("lerec web: %s %s failed", scope.get("method"), scope.get("path"))
            if not started:
                await PlainTextResponse("internal error (see the server's log)", 500)(scope, receive, send)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        """(status, message) when the request is refused before any route sees it."""
        if self.loopback and not is_loopback(_host_name(headers.get("host", ""))):
            return 403, "this server answers requests for 127.0.0.1 or localhost only"
        if self.token is not None and not self._has_token(scope, headers):
            return 403, "a token is required: open the URL the server printed (it ends in ?token=...)"
        if scope.get("method") not in ("GET", "HEAD") and WRITE_HEADER.decode() not in headers:
            return 403, "a write needs the X-Lerec-Request header (sent by the app's own pages)"
        return None

    def _has_token(self, scope: Scope, headers: dict[str, str]) -> bool:
        given = [headers.get(TOKEN_HEADER.decode(), "")]
        given += parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [])
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is no token
            pass
        if TOKEN_COOKIE in cookie:
            given.append(cookie[TOKEN_COOKIE].value)
        return any(secrets.compare_digest(g.encode(), self.token.encode()) for g in given if g)
