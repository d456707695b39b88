"""Passwords, sessions, bearer tokens, roles (Flask-Principal) and hospital scoping."""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, abort, g, redirect, request, url_for
from flask_login import current_user
from flask_principal import Identity, Permission, RoleNeed, UserNeed, identity_loaded
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, login_manager, principal
from app.models import Role, User
from app.models.base import utcnow
from app.replica import on_primary
from app.services.access import visible_hospital_ids
from app.services.accounts import sessions, tokens
from app.transaction import run

log = logging.getLogger(__name__)


def hospital_need(hospital_id: int) -> tuple[str, int]:
    return ("hospital", hospital_id)


def init_security(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    @on_primary()  # a login ended a moment ago must not live on in a replica's copy (app/replica.py)
    def load_user(session_token: str) -> User | None:
        """The id in the session and the remember-me cookie is the login's own token (docs/security.md,
        "Sessions"): an ended, expired or forged one, or an inactive user's, loads nobody."""
        row = sessions.find(session_token)
        if row is None:
            return None
        if sessions.needs_touch(row):
            g.login_touch = (sessions.touch, row.id)
        return row.user

    @login_manager.request_loader
    @on_primary()
    def load_bearer(req) -> User | None:
        header = req.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        token = tokens.find_bearer(header[7:].strip())
        if token is None or not token.user.active:
            return None
        if not token.usable(utcnow()):
            g.bearer_refused = "revoked" if token.revoked_at is not None else "expired"
            return None
        if tokens.needs_touch(token):
            g.login_touch = (tokens.touch, token.id)
        g.bearer_auth = True
        return token.user

    @app.after_request
    def touch_login(response):
        """Write last_seen_at / last_used_at after the view, in a transaction of its own: never in the middle of
        the view's own transaction, which the loader may run inside (docs/security.md, "Sessions")."""
        pending = g.pop("login_touch", None)
        if pending is not None:
            touch, ident = pending
            try:
                run(touch, ident)
            except SQLAlchemyError:  # a hint for the user, never worth failing a request over; run() rolled back
                log.warning("could not record the use of a session or token", exc_info=True)
        return response

    @principal.identity_loader
    def identity_from_login() -> Identity | None:
        if current_user.is_authenticated:
            return Identity(current_user.id)
        return None

    @identity_loaded.connect_via(app)
    def add_needs(_sender, identity: Identity) -> None:
        if not current_user.is_authenticated:
            return
        identity.user = current_user
        identity.provides.add(UserNeed(current_user.id))
        identity.provides.add(RoleNeed(current_user.role))
        for membership in current_user.memberships:
            identity.provides.add(hospital_need(membership.hospital_id))


def role_guard(*roles: Role) -> Callable[[], object]:
    """A blueprint's before_request: the one role check per blueprint."""
    permission = Permission(*(RoleNeed(str(role)) for role in roles))

    def guard():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        if not permission.can():
            abort(403)
        return None

    return guard


def ensure_hospital(hospital_id: int | None) -> None:
    """404, not 403: a record of another hospital must look like one that does not exist."""
    scope = visible_hospital_ids(current_user)
    if scope is not None and hospital_id not in scope:
        abort(404)


def get_scoped_or_404(model, ident: int, hospital_of: Callable[[object], int | None] | None = None):
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    ensure_hospital(hospital_of(obj) if hospital_of else obj.hospital_id)
    return obj
