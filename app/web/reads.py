"""Cheap anonymous API reads and conditional JSON answers (docs/operations.md, "Caching").

An anonymous read is a GET or HEAD under /api/ that carries no Authorization header and neither the session nor
the remember-me cookie. Nothing it could be answered with depends on a login, so it skips what only logins need:
no session is opened or saved (no cookie is ever set, nothing is signed), no identity is loaded (Flask-Principal),
the rate limiter is not consulted (no API read has a limit of its own; floods are the proxy's to stop:
docs/operations.md), the locale comes from Accept-Language alone, and the security headers are built once per
process. A request with a token or a cookie takes the full path, so every check of a logged-in caller still runs.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface

from app.extensions import limiter
from app.services.availability import answers, stamps

API_PREFIX = "/api/"
SAFE = frozenset({"GET", "HEAD"})


def is_anonymous_read(req, config) -> bool:
    return (req.method in SAFE and req.path.startswith(API_PREFIX) and "Authorization" not in req.headers
            and config["SESSION_COOKIE_NAME"] not in req.cookies
            and config.get("REMEMBER_COOKIE_NAME", "remember_token") not in req.cookies)


def anonymous_read() -> bool:
    """Is this request an anonymous API read? Decided when the session would open, before any other hook runs."""
    return bool(g.get("anonymous_read"))


class ReadSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that an anonymous read gets an empty one that is never signed nor
    saved: no Set-Cookie and no `Vary: Cookie` on a public answer."""

    def open_session(self, app, request):
        g.anonymous_read = is_anonymous_read(request, app.config)
        if g.anonymous_read:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if g.get("anonymous_read"):
            return
        super().save_session(app, session, response)


def init_reads(app: Flask) -> None:
    app.session_interface = ReadSessionInterface()
    answers.configure(app.config["SLOT_ANSWER_CACHE_SIZE"])
    stamps.configure(app.config["SLOT_STAMP_CHECK_SECONDS"])


# Registered once, when this module loads: the limiter is one module-level extension every app in a process shares.
limiter.request_filter(anonymous_read)


# --- conditional JSON


def json_bytes(payload) -> bytes:
    """Compact JSON as the API sends it, rendered straight from plain dicts and lists."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def etag_of(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def conditional_json(body: bytes, *, etag: str | None = None, last_modified: datetime | None = None) -> Response:
    """A 200 with `body`, its ETag and Last-Modified, or a bodiless 304 when the caller's If-None-Match (or
    If-Modified-Since) says it has this version already. Clients revalidate every time (no-cache): an answer is
    never older than the server's own data."""
    response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag or etag_of(body))
    if last_modified is not None:
        response.last_modified = last_modified
    response.cache_control.no_cache = True
    if "If-None-Match" not in request.headers and "If-Modified-Since" not in request.headers:
        return response  # nothing to compare: a plain 200 (the server adds the Date header)
    return response.make_conditional(request)
