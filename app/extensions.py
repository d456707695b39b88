"""Extensions, created unbound; create_app binds them (cookiecutter-flask style)."""
import hashlib

from flask import current_app, g, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_principal import AnonymousIdentity
from flask_principal import Principal as _Principal
from flask_smorest import Api
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.replica import RoutingSession

# Named constraints keep Alembic migrations identical on SQLite and MariaDB.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})  # app/replica.py
migrate = Migrate()


class TokenFirstLoginManager(LoginManager):
    """Flask-Login, except that a request carrying a bearer token is the token's alone (docs/security.md, "API
    tokens"): its cookies are ignored. Flask-Login looks at the session first, and its strong session protection
    answers an anonymous session cookie (a CSRF token from a page visited earlier) by refusing the request's token
    too; a program that keeps cookies got 401 with a valid token."""

    def _load_user(self):
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return self._update_request_context_with_user(self._load_user_from_request(request))
        return super()._load_user()

    def _session_protection_failed(self):
        """Flask-Login's session protection, for sessions that hold a login: it compares the client's identifier
        with the one stored at login. A session without a login (a CSRF token, a flash, the chosen language) has
        nothing to compare, and Flask-Login's strong mode "failed" it on every request, rewriting the cookie on
        every response, /favicon.ico and static files included. A browser fetches those beside the page, each
        response put back the cookie its request was sent with, and a flash the page had just set (an e-mail
        confirmed, a booking cancelled) could be lost. Such a session is now left alone, as an empty one is."""
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


login_manager = TokenFirstLoginManager()


class Principal(_Principal):
    """Flask-Principal, except that an anonymous API read (app/web/reads.py marks it) gets the anonymous identity
    without asking the identity loaders, which would load the login only to find none."""

    def _on_before_request(self):
        if g.get("anonymous_read"):
            g.identity = AnonymousIdentity()
            return
        super()._on_before_request()


principal = Principal(use_sessions=False)
csrf = CSRFProtect()
mail = Mail()
socketio = SocketIO()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()


class WaitlessApi(Api):
    """flask-smorest, but errors go through app/errors.py so every error has one shape."""

    def _register_error_handlers(self):
        pass

    def _openapi_json(self):
        """The OpenAPI document, rendered once per process (it changes only with the code) and answered with 304
        when the caller's ETag matches."""
        spec = self.spec
        cached = getattr(self, "_rendered_spec", None)
        if cached is None or cached[0] is not spec:
            body = super()._openapi_json().get_data()
            cached = self._rendered_spec = (spec, body, hashlib.blake2b(body, digest_size=16).hexdigest())
        response = current_app.response_class(cached[1], mimetype="application/json")
        response.set_etag(cached[2])
        response.cache_control.no_cache = True
        return response.make_conditional(request)


api = WaitlessApi()
