"""Issue #11 part 3: API tokens that expire and can be revoked (docs/security.md, "API tokens")."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, AuditEvent, Role
from app.models.base import utcnow
from app.services.accounts.tokens import token_digest
from tests.conftest import PASSWORD
from tests.security.conftest import login

API = "/api/v1/appointments"


def _issue(runner, email: str, *extra: str) -> str:
    res = runner.invoke(args=["users", "token", "--email", email, *extra])
    assert res.exit_code == 0, res.output
    return res.output.strip().splitlines()[-1]


def _row(token: str) -> ApiToken:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    db.session.refresh(row)
    return row


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_token_expires_after_the_setting_and_records_its_use(app, client, runner, make):
    user = make.user(Role.PATIENT)
    token = _issue(runner, user.email)
    row = _row(token)
    assert row.expires_at - row.created_at == timedelta(days=app.config["API_TOKEN_DAYS"]) == timedelta(days=90)
    assert row.last_used_at is None
    assert client.get(API, headers=_bearer(token)).status_code == 200
    assert _row(token).last_used_at is not None


def test_expired_and_revoked_tokens_answer_401_json(client, runner, make):
    user = make.user(Role.PATIENT)
    expired, revoked = _issue(runner, user.email), _issue(runner, user.email)
    _row(expired).expires_at = utcnow() - timedelta(seconds=1)
    _row(revoked).revoked_at = utcnow()
    db.session.commit()
    for token, code in ((expired, "token_expired"), (revoked, "token_revoked")):
        res = client.get(API, headers=_bearer(token))
        assert res.status_code == 401 and res.is_json
        assert res.get_json()["error"] == code


def test_token_page_lists_creates_and_revokes(client, make, new_client):
    user = make.user(Role.PATIENT)
    login(client, user.email, PASSWORD)
    page = client.get("/auth/tokens")
    assert page.status_code == 200 and "No API tokens." in page.get_data(as_text=True)
    assert client.post("/auth/tokens", data={"name": ""}).status_code == 422  # a name is required

    res = client.post("/auth/tokens", data={"name": "my script"})
    assert res.status_code == 200 and res.headers["Cache-Control"] == "no-store"
    html = res.get_data(as_text=True)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    clear = html.split('id="new-token">')[1].split("<")[0]
    assert token_digest(clear) == row.token_hash  # shown once, in clear
    assert "my script" in html and row.expires_at.strftime("%Y-%m-%d") in html
    assert clear not in client.get("/auth/tokens").get_data(as_text=True)  # and never again
    program = new_client()  # the program that uses the token has no login session
    assert program.get(API, headers=_bearer(clear)).status_code == 200

    assert client.post(f"/auth/tokens/{row.id}/revoke").status_code == 302
    assert program.get(API, headers=_bearer(clear)).status_code == 401
    assert "revoked" in client.get("/auth/tokens").get_data(as_text=True)
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.target_type == "api_token"))]
    assert actions == ["token.create", "token.revoke"]


def test_someone_elses_token_cannot_be_revoked(client, runner, make):
    owner, other = make.user(Role.PATIENT), make.user(Role.PATIENT)
    token = _issue(runner, owner.email)
    login(client, other.email, PASSWORD)
    assert client.post(f"/auth/tokens/{_row(token).id}/revoke").status_code == 404
    assert _row(token).revoked_at is None


def test_admin_revokes_a_users_tokens(client, runner, make):
    hospital, elsewhere = make.hospital(), make.hospital()
    staff = make.user(Role.STAFF, hospital)
    stranger = make.user(Role.STAFF, elsewhere)
    admin = make.user(Role.ADMIN, hospital)
    tokens = [_issue(runner, staff.email), _issue(runner, staff.email)]
    kept = _issue(runner, stranger.email)
    login(client, admin.email, PASSWORD)
    page = client.get(f"/admin/users/{staff.id}").get_data(as_text=True)
    assert "Revoke all API tokens" in page and "command line" in page
    assert client.post(f"/admin/users/{staff.id}/tokens/revoke").status_code == 302
    assert all(_row(t).revoked_at is not None for t in tokens)
    # an admin of another hospital cannot reach this account at all
    assert client.post(f"/admin/users/{stranger.id}/tokens/revoke").status_code == 404
    assert _row(kept).revoked_at is None
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoke")).all()
    assert len(events) == 2 and {e.actor_id for e in events} == {admin.id}


def test_cli_revoke_tokens(client, runner, make):
    user = make.user(Role.PATIENT)
    tokens = [_issue(runner, user.email, "--name", "ci"), _issue(runner, user.email, "--days", "1")]
    res = runner.invoke(args=["users", "revoke-tokens", "--email", user.email])
    assert res.exit_code == 0 and f"revoked 2 tokens of {user.email}" in res.output
    assert all(client.get(API, headers=_bearer(t)).status_code == 401 for t in tokens)
    assert "revoked 0 tokens" in runner.invoke(args=["users", "revoke-tokens", "--email", user.email]).output
    assert runner.invoke(args=["users", "revoke-tokens", "--email", "nobody@example.org"]).exit_code != 0
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoke")).all()
    assert len(events) == 2 and all(e.actor_id is None and "command line" in e.comment for e in events)


def test_a_token_works_beside_an_anonymous_session_cookie(client, runner, make):
    """A program that also keeps cookies (a browser-based tool, requests.Session) visited a page first: its
    anonymous session must not hide the token (Flask-Login's strong protection used to answer 401)."""
    user = make.user(Role.PATIENT)
    token = _issue(runner, user.email)
    client.get("/auth/login")  # the form's CSRF token opens an anonymous session
    assert client.get_cookie("session") is not None
    assert client.get(API, headers=_bearer(token)).status_code == 200
