"""Error pages and JSON errors; no stack trace ever reaches a user."""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from app.extensions import db

TITLES = {
    400: "Bad request", 401: "Please log in", 403: "Not allowed", 404: "Not found",
    405: "Not allowed", 409: "Conflict", 413: "Too large", 422: "Invalid input", 429: "Too many requests",
    500: "Something went wrong", 503: "Busy",
}

# Database errors that pass with time: lock wait timeout, deadlock, server gone or unreachable, too many
# connections, statement time limit (MariaDB 1969, MySQL 3024). They answer 503 with Retry-After
# (docs/security.md, "Faults").
TRANSIENT_MYSQL_CODES = {1040, 1205, 1213, 1969, 2002, 2003, 2006, 2013, 3024}
TRANSIENT_SQLITE_WORDS = ("database is locked", "database table is locked", "unable to open database")
RETRY_AFTER_SECONDS = 5


def is_transient(err: DBAPIError) -> bool:
    if err.connection_invalidated:
        return True
    args = getattr(err.orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in TRANSIENT_MYSQL_CODES
    return any(words in str(err.orig).lower() for words in TRANSIENT_SQLITE_WORDS)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str, code: str | None = None, fields: dict | None = None,
                   headers: dict | None = None):
    if wants_json():
        body = {"error": code or TITLES.get(status, "error").lower().replace(" ", "_"), "message": message,
                "fields": fields or {}}
        return jsonify(body), status, headers or {}
    page = render_template("errors/error.html", status=status, title=TITLES.get(status, "Error"),
                           message=message)
    return page, status, headers or {}


def flatten_messages(messages, prefix: str = "") -> dict[str, str]:
    """webargs' {"json": {"rules": {"0": {"end": ["..."]}}}} as {"rules.0.end": "..."}."""
    out: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if prefix or key not in ("json", "query", "form", "view_args") else ""
            out.update(flatten_messages(value, f"{prefix}.{name}".strip(".") if name else prefix))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_"] = " ".join(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            out.update(flatten_messages(value, f"{prefix}.{i}".strip(".")))
    else:
        out[prefix or "_"] = str(messages)
    return out


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return error_response(400, "The form has expired or was not sent from this site. Please try again.",
                              "csrf")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        headers = {}
        if err.code == 429:
            retry = getattr(err, "retry_after", None)
            if retry is None and err.response is not None:
                retry = err.response.headers.get("Retry-After")
            headers["Retry-After"] = str(retry or 60)
        data = getattr(err, "data", None) or {}  # flask-smorest / webargs put details here
        message = data.get("message") or (err.description if err.code not in (404, 500) else {
            404: "We could not find that page or record.",
            500: "Something went wrong on our side.",
        }[err.code])
        fields = data.get("fields") or flatten_messages(data.get("messages") or {})
        if err.code == 422 and not data.get("message") and fields:
            message = "Some fields are invalid."
        return error_response(err.code or 500, message, data.get("error"), fields, headers=headers)

    @app.errorhandler(DBAPIError)
    def database_error(err: DBAPIError):
        if not is_transient(err):
            return unexpected(err)
        db.session.rollback()
        app.logger.warning("Database busy on %s: %s", request.path, err.orig)
        return error_response(503, "The system is busy right now. Nothing was changed; please try again in a few "
                              "seconds.", "busy", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.errorhandler(Exception)
    def unexpected(err: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return error_response(500, "Something went wrong on our side. Nothing was changed; please try again.")
