"""E-mail through Flask-Mail. Without MAIL_SERVER, messages become .eml files in MAIL_FOLDER."""
from __future__ import annotations

import smtplib
import uuid
from pathlib import Path

from flask import current_app, render_template
from flask_mail import Connection, Message

from app.extensions import mail
from app.models.base import utcnow


def render_message(to: str, subject: str, template: str, **context) -> Message:
    msg = Message(subject=subject, recipients=[to])
    msg.body = render_template(f"email/{template}.txt", **context)
    msg.html = render_template(f"email/{template}.html", **context)
    return msg


class TimedConnection(Connection):
    """Flask-Mail's connection with a socket timeout: a mail server that hangs must not hang the sender."""

    def configure_host(self) -> smtplib.SMTP:
        timeout = current_app.config.get("MAIL_TIMEOUT_SECONDS", 10)
        state = self.mail
        cls = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = cls(state.server, state.port, timeout=timeout)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


def deliver(msg: Message) -> None:
    """Send now. Call only after the commit that made the message true."""
    if current_app.config.get("MAIL_SERVER"):
        state = current_app.extensions["mail"]
        if state.suppress:  # Flask-Mail's testing mode: record, do not connect
            mail.send(msg)
            return
        with TimedConnection(state) as connection:
            msg.send(connection)
        return
    folder = Path(current_app.config["MAIL_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    if msg.sender is None:
        msg.sender = current_app.config["MAIL_DEFAULT_SENDER"]
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    (folder / name).write_bytes(msg.as_bytes())


def send_email(to: str, subject: str, template: str, **context) -> None:
    deliver(render_message(to, subject, template, **context))
