"""Headers and limits (docs/security.md): CSP without inline script or style, no framing, nosniff, a strict
referrer policy, HSTS in production, a body size limit and no control or bidi characters in single-line fields."""
import re
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.models import Role

ROOT = Path(__file__).resolve().parents[2]


def csp_of(res) -> dict[str, str]:
    header = res.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/auth/login", "/search", "/api/v1/specialties"])
def test_every_response_sends_the_security_headers(client, path):
    res = client.get(path)
    assert res.status_code == 200
    csp = csp_of(res)
    assert csp["script-src"] == "script-src 'self'" and "unsafe-inline" not in res.headers["Content-Security-Policy"]
    assert csp["style-src"] == "style-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'" and csp["object-src"] == "object-src 'none'"
    assert res.headers["X-Frame-Options"] == "DENY"
    assert res.headers["X-Content-Type-Options"] == "nosniff"
    assert res.headers["Referrer-Policy"] == "same-origin"


def test_hsts_in_production_over_https_only(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    prod = create_app("production", SQLALCHEMY_DATABASE_URI="sqlite://")
    secure = prod.test_client().get("/auth/login", base_url="https://waitless.example")
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]
    plain = prod.test_client().get("/auth/login", base_url="http://waitless.example")
    assert "Strict-Transport-Security" not in plain.headers


def test_templates_carry_no_inline_script_style_or_handlers():
    """The policy forbids them, so a page that used one would silently break in the browser."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if path.parts[-2] == "email":  # e-mail bodies are not served under the CSP
            continue
        text = path.read_text()
        if (re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=\"", text)
                or re.search(r"<style\b", text) or re.search(r"\son[a-z]+=\"", text)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_oversized_body_is_refused_before_parsing(client, app, make, runner):
    patient = make.user(Role.PATIENT)
    token = runner.invoke(args=["users", "token", "--email", patient.email]).output.strip().splitlines()[-1]
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"reason": "' + b"x" * (limit + 1) + b'"}'
    res = client.post("/api/v1/appointments", data=body, content_type="application/json",
                      headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 413
    assert res.get_json()["error"] == "too_large" and "x" * 100 not in res.get_data(as_text=True)


@pytest.mark.parametrize("name", ["Eve\r\nBcc: all@example.org", "Eve\x00", "Eve \u202egpj.exe"])
def test_single_line_fields_refuse_line_breaks_nul_and_bidi(client, make, name):
    from tests.conftest import PASSWORD

    clerk = make.user(Role.STAFF, hospital=make.hospital(), name="Clerk Kent")
    client.post("/auth/login", data={"email": clerk.email, "password": PASSWORD})
    res = client.post("/auth/profile", data={"name": name, "language": "en"})
    assert res.status_code in (200, 422) and "Remove line breaks" in res.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(clerk), clerk.id).name == "Clerk Kent"


def test_api_refuses_bidi_overrides_and_keeps_line_breaks_in_multiline_fields(client, make, runner):
    patient = make.user(Role.PATIENT)
    token = runner.invoke(args=["users", "token", "--email", patient.email]).output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    res = client.post("/api/v1/appointments", headers=headers,
                      json={"doctor_id": 1, "start": "2030-01-07T09:00:00+00:00", "reason": "pain \u202eright"})
    assert res.status_code == 422 and "text-direction" in res.get_json()["fields"]["reason"]
    res = client.post("/api/v1/appointments", headers=headers,
                      json={"doctor_id": 1, "start": "2030-01-07T09:00:00+00:00", "reason": "pain\r\nleft side"})
    assert res.status_code != 422 or "reason" not in res.get_json()["fields"]


def test_every_form_is_a_safe_form(app):
    """A form that skipped SafeForm would accept line breaks in names again."""
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm

    import app as package
    from app.forms import SafeForm

    for module in pkgutil.walk_packages(package.__path__, "app."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    unsafe = [f"{c.__module__}.{c.__name__}" for c in subclasses(FlaskForm)
              if c is not SafeForm and not issubclass(c, SafeForm) and c.__module__.startswith("app.")]
    assert unsafe == []
