"""Development-only pages: the mail folder viewer at /dev/mail (registered only in development with
DEV_MAIL_VIEWER, and answering only loopback clients: docs/security.md)."""
from flask import Blueprint

bp = Blueprint("dev", __name__)

from app.dev import routes  # noqa: E402,F401
