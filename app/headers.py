"""Security headers and request limits for every response (docs/security.md, "Headers and limits").

Flask-Talisman sends the Content-Security-Policy and friends. The policy allows no inline script and no inline
style: pages load their behaviour from static/js and their looks from static/css, so an injected <script> or
style="" attribute does nothing even if it slipped past escaping.
"""
from __future__ import annotations

from flask import Flask, g, request
from flask_talisman import Talisman

# 'self' also covers the same-origin ws:/wss: connection of the live pages (CSP level 3).
# data: images are the SVG icons Bootstrap's stylesheet draws form controls with; blob: is the kiosk's camera frame.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "media-src": ["'self'", "blob:"],
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}



class Headers(Talisman):
    """Talisman, except that a page may tighten its referrer policy: the manage and offer links carry their token
    in the URL and send `no-referrer` themselves (Flask-Talisman 1.1 would overwrite it)."""

    def init_app(self, app, **kwargs):
        self._read_headers: dict[bool, list[tuple[str, str]]] = {}  # another app, other settings: built anew
        super().init_app(app, **kwargs)

    def _set_referrer_policy_headers(self, headers):
        headers.setdefault("Referrer-Policy", self.referrer_policy)

    def _set_response_headers(self, response):
        """Anonymous API reads (app/web/reads.py) all get the same headers, so they are built once per process
        (per scheme: HSTS goes on HTTPS answers only) and copied; every other answer builds its own."""
        if not g.get("anonymous_read"):
            return super()._set_response_headers(response)
        built = self._read_headers.get(request.is_secure)
        if built is None:
            before = set(response.headers.keys())
            super()._set_response_headers(response)
            self._read_headers[request.is_secure] = [(k, v) for k, v in response.headers.items() if k not in before]
            return response
        for name, value in built:
            response.headers.setdefault(name, value)
        return response


talisman = Headers()


def init_headers(app: Flask) -> None:
    talisman.init_app(
        app,
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=None,
        frame_options="DENY",
        referrer_policy="same-origin",
        # TLS ends at the proxy in front of gunicorn (docs/operations.md); HSTS is sent on HTTPS requests in production
        force_https=False,
        strict_transport_security=app.config["HSTS"],
        strict_transport_security_max_age=365 * 24 * 3600,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        permissions_policy={"camera": "(self)", "geolocation": "()", "microphone": "()"},
    )


def stripe_policy(config) -> dict:
    """The pay page's policy: ours, plus Stripe.js, the API it calls and its card frames (docs/payments.md). With
    STRIPE_API_BASE set (localstripe), Stripe.js is that server's mock and it answers the calls itself."""
    base = (config.get("STRIPE_API_BASE") or "").rstrip("/")
    script = stripe_js_url(config)
    api = base or "https://api.stripe.com"
    return CONTENT_SECURITY_POLICY | {
        "script-src": ["'self'", script],
        "connect-src": ["'self'", api],
        "frame-src": ["https://js.stripe.com", "https://hooks.stripe.com"],
    }


def stripe_js_url(config) -> str:
    base = (config.get("STRIPE_API_BASE") or "").rstrip("/")
    return config.get("STRIPE_JS_URL") or (f"{base}/js.stripe.com/v3/" if base else "https://js.stripe.com/v3/")
