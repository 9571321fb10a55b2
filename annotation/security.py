"""Web security: signed session cookies, the signed-in principal, CSRF checks and response headers.

- Sessions: the cookie holds a random token signed with itsdangerous (``HttpOnly``, ``SameSite=Lax``,
  ``Secure`` when configured); the server keeps the session (see :mod:`annotation.auth`).
- CSRF: every request that is not GET/HEAD/OPTIONS must carry the session's token in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field, and must not come from another origin. The
  sign-in form, made before any session exists, uses a signed double-submit cookie instead.
- Headers: a Content-Security-Policy with no inline script or style at all (``script-src 'self'``),
  ``frame-ancestors 'none'``, ``nosniff``, ``Referrer-Policy: same-origin``, and ``no-store`` on pages.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from annotation.auth import Principal, check_csrf_token, resolve_session

__all__ = [
    "CSP",
    "LOGIN_COOKIE",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "LoginRequired",
    "SecurityHeaders",
    "cookie_signer",
    "csrf_guard",
    "new_login_nonce",
    "principal",
    "require_principal",
]

SESSION_COOKIE = "stigmascope_session"
LOGIN_COOKIE = "stigmascope_login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"), (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]


class LoginRequired(Exception):
    """No valid session: pages redirect to the sign-in form, the API answers 401."""


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response and refusing oversized bodies."""

    def __init__(self, app: Any, *, max_body: int) -> None:
        self.app, self.max_body = app, max_body

    async def __call__(self, scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]
                       ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await send({"type": "http.response.start", "status": 413,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"), *_HEADERS]})
            await send({"type": "http.response.body", "body": b"request body too large"})
            return
        is_static = scope["path"].startswith("/static/")

        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in {k for k, _ in _HEADERS}]
                headers.extend(_HEADERS)
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_signer(secret: str, salt: str) -> Any:
    """An itsdangerous serializer for one cookie."""
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt=salt)


def principal(request: Request) -> Principal | None:
    """The signed-in user of this request, or None (cached on the request)."""
    if hasattr(request.state, "principal"):
        return request.state.principal
    from itsdangerous import BadSignature

    app = request.app.state
    who: Principal | None = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        try:
            token = cookie_signer(app.secret, "session").loads(raw, max_age=int(app.config.session_hours * 3600))
            who = resolve_session(app.db, str(token))
        except BadSignature:
            who = None
    request.state.principal = who
    return who


def require_principal(request: Request) -> Principal:
    """The signed-in user (raises :class:`LoginRequired` when there is none)."""
    who = principal(request)
    if who is None:
        raise LoginRequired()
    return who


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


def _same_origin(request: Request) -> bool:
    """Browsers say where a request comes from (``Sec-Fetch-Site``, else ``Origin``); clients that send
    neither (scripts, the load test) still need the CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


async def csrf_guard(request: Request) -> None:
    """App-wide dependency: refuse state-changing requests without the right CSRF token (403)."""
    if request.method in SAFE_METHODS:
        return
    if not _same_origin(request):
        raise HTTPException(403, "cross-origin request refused")
    given = request.headers.get("x-csrf-token")
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get("csrf_token")
        given = given if isinstance(given, str) else None
    if request.url.path == "/login":
        from itsdangerous import BadSignature

        raw = request.cookies.get(LOGIN_COOKIE)
        try:
            nonce = cookie_signer(request.app.state.secret, "login").loads(raw, max_age=3600) if raw else None
        except BadSignature:
            nonce = None
        if not check_csrf_token(nonce, given):
            raise HTTPException(403, "the sign-in form has expired; reload the page and try again")
        return
    from starlette.concurrency import run_in_threadpool

    who = await run_in_threadpool(principal, request)  # a database read: keep it off the event loop
    if who is None:
        raise LoginRequired()
    if not check_csrf_token(who.csrf, given):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page")
