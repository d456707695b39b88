"""E-mail through Flask-Mail. Without MAIL_SERVER, messages become .eml files in MAIL_FOLDER."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import current_app, render_template
from flask_mail import Message

from app.extensions import mail
from app.models.base import utcnow


def render_message(to: str, subject: str, template: str, **context) -> Message:
    msg = Message(subject=subject, recipients=[to])
    msg.body = render_template(f"email/{template}.txt", **context)
    msg.html = render_template(f"email/{template}.html", **context)
    return msg


def deliver(msg: Message) -> None:
    """Send now. Call only after the commit that made the message true."""
    if current_app.config.get("MAIL_SERVER"):
        mail.send(msg)
        return
    folder = Path(current_app.config["MAIL_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    if msg.sender is None:
        msg.sender = current_app.config["MAIL_DEFAULT_SENDER"]
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    (folder / name).write_bytes(msg.as_bytes())


def send_email(to: str, subject: str, template: str, **context) -> None:
    deliver(render_message(to, subject, template, **context))
