"""Secure messages (docs/messages.md): the patient's conversations, the desk's and the doctor's inboxes.

One blueprint for the three roles: each sees the threads the policy gives them (app.services.messages.policy). The
unread count reaches every page's navbar through a context processor (templates/messages/_badge.html).
"""
from flask import Blueprint, current_app, request
from flask_login import current_user

from app.models import Role
from app.security import role_guard

WRITERS = (Role.PATIENT, Role.STAFF, Role.DOCTOR)
UPLOAD_ENDPOINTS = ("messages.new", "messages.thread")

bp = Blueprint("messages", __name__)
bp.before_request(role_guard(*WRITERS))


@bp.url_value_preprocessor
def allow_attachment_bodies(endpoint, _values) -> None:
    """The message forms take an attachment of up to MESSAGE_ATTACHMENT_MAX_BYTES, more than the site-wide
    MAX_CONTENT_LENGTH. This hook runs before every before_request (the CSRF check reads the form first), so the
    larger limit holds for these two forms only; a bigger body is a 413 shown on the form (routes.too_large)."""
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        config = current_app.config
        request.max_content_length = config["MESSAGE_ATTACHMENT_MAX_BYTES"] + config["MESSAGE_FORM_OVERHEAD_BYTES"]


@bp.app_context_processor
def _message_badge() -> dict:
    if not current_user.is_authenticated or current_user.role not in WRITERS:
        return {}
    from app.services import messages

    return {"message_unread": messages.unread_count(current_user)}


from app.messages import routes  # noqa: E402,F401
