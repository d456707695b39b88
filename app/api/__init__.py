"""REST API v1 (docs/api.md), documented at /api/v1/openapi.json by flask-smorest."""
from flask import Flask, g, request
from flask_login import current_user
from flask_smorest import abort as api_abort

from app.extensions import api, csrf

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def init_api(app: Flask) -> None:
    from app.api import appointments, directory, emergencies, health, reminders, schedules, slots
    from app.api import locations as locations_api
    from app.api import messages as messages_api
    from app.api import queue as queue_api
    from app.api import ratings as ratings_api
    from app.api import series as series_api
    from app.api import teams as teams_api
    from app.api import waitlist as waitlist_api
    from app.api.common import IdConverter
    from app.api.schemas import ApiError

    app.url_map.converters["id"] = IdConverter
    api.ERROR_SCHEMA = ApiError  # document the errors app/errors.py really sends, not flask-smorest's own shape
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for module in (health, directory, schedules, slots, appointments, reminders, queue_api, waitlist_api, series_api,
                   locations_api, ratings_api, teams_api, messages_api, emergencies):
        csrf.exempt(module.blp)  # checked below: session requests need it, bearer requests do not
        # the hooks are added once per process: a second app (tests, tools) shares the module-level blueprints
        if _csrf_for_sessions not in module.blp.before_request_funcs.get(None, ()):
            module.blp.before_request(_csrf_for_sessions)
            if module in (schedules, appointments, reminders, queue_api, waitlist_api, series_api, locations_api,
                          teams_api, messages_api, emergencies):
                module.blp.before_request(_login_required)
        api.register_blueprint(module.blp, url_prefix="/api/v1")


def _login_required():
    if not current_user.is_authenticated:
        if g.get("bearer_refused"):  # set by the bearer loader (app/security.py)
            api_abort(401, message=f"This API token is {g.bearer_refused}.", error=f"token_{g.bearer_refused}")
        api_abort(401, message="Log in or send an API token.", error="unauthorized")


def _csrf_for_sessions():
    if request.method in UNSAFE and current_user.is_authenticated and not g.get("bearer_auth"):
        csrf.protect()
