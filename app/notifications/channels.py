"""Delivery channels. Each `send_*` either hands the message to its provider or raises:
PermanentError (the message can never go out as it is: a dead letter at once) or TransientError (try again later).

E-mail goes through Flask-Mail (SMTP when MAIL_SERVER is set, else the development folder); SMS through the
official twilio client when TWILIO_ACCOUNT_SID is set, else to the development folder when the development viewer
is on (app/notifications/dev_sms.py), else to the log (docs/operations.md).
"""
from __future__ import annotations

import logging
import re
import smtplib

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_mail import Message

from app.notifications import dev_sms
from app.notifications.email import deliver
from app.phones import e164

log = logging.getLogger(__name__)
MESSAGE_ID_UNSAFE = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]")


class DeliveryError(Exception):
    permanent = False


class PermanentError(DeliveryError):
    permanent = True


class TransientError(DeliveryError):
    permanent = False


def message_id(dedupe_key: str) -> str:
    """A stable Message-ID from the dedupe key, so a duplicate after a crash is recognisably the same message."""
    return f"<{MESSAGE_ID_UNSAFE.sub('.', dedupe_key)}@waitless>"


def check_email_address(address: str) -> str:
    try:
        # no DNS lookup (delivery decides that), and local test domains are fine
        return validate_email(address, check_deliverability=False, globally_deliverable=False).normalized
    except EmailNotValidError as err:
        raise PermanentError(f"malformed e-mail address {address!r}: {err}") from None


def check_phone(number: str) -> str:
    try:
        normalised = e164(number)
    except ValueError as err:
        raise PermanentError(f"malformed phone number {number!r}: {err}") from None
    if normalised is None or normalised != number:
        raise PermanentError(f"phone number {number!r} is not in E.164 form")
    return normalised


def send_email(msg: Message, dedupe_key: str) -> None:
    for address in msg.recipients:
        check_email_address(address)
    msg.msgId = message_id(dedupe_key)
    try:
        deliver(msg)
    except smtplib.SMTPRecipientsRefused as err:
        codes = [code for code, _text in err.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentError(f"recipient refused: {err.recipients}") from None
        raise TransientError(f"recipient deferred: {err.recipients}") from None
    except smtplib.SMTPResponseException as err:
        if 500 <= err.smtp_code < 600 and err.smtp_code not in (530, 535):  # auth failures are ours to fix
            raise PermanentError(f"SMTP {err.smtp_code}: {err.smtp_error!r}") from None
        raise TransientError(f"SMTP {err.smtp_code}: {err.smtp_error!r}") from None
    except (smtplib.SMTPException, OSError) as err:  # refused, unreachable, timed out
        raise TransientError(f"mail server unreachable: {err.__class__.__name__}: {err}") from None


def send_sms(to: str, body: str, dedupe_key: str) -> str | None:
    """Send a text; returns the provider's message id (the file name in development, None when only logged)."""
    to = check_phone(to)
    config = current_app.config
    if not config.get("TWILIO_ACCOUNT_SID"):
        if dev_sms.dev_outbox_on(config):
            # a person trying the portal sees the text at /dev/sms, beside the e-mail (docs/operations.md)
            return dev_sms.write(config["MAIL_FOLDER"], to, body, dedupe_key)
        log.info("SMS to %s (%s): %s", to, dedupe_key, body)
        return None
    from twilio.base.exceptions import TwilioException, TwilioRestException
    from twilio.rest import Client

    client = Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                    http_client=_http_client(config.get("TWILIO_API_BASE"), dedupe_key,
                                             config.get("TWILIO_TIMEOUT_SECONDS", 10)))
    try:
        message = client.messages.create(to=to, from_=config["TWILIO_FROM"], body=body)
    except TwilioRestException as err:
        # 4xx: the request itself is wrong (e.g. 21211 invalid 'To'); 401/403/429 and 5xx may pass later
        if 400 <= err.status < 500 and err.status not in (401, 403, 408, 429):
            raise PermanentError(f"Twilio {err.status} (code {err.code}): {err.msg}") from None
        raise TransientError(f"Twilio {err.status} (code {err.code}): {err.msg}") from None
    except (TwilioException, OSError) as err:  # requests' connection errors and timeouts are OSErrors
        raise TransientError(f"Twilio unreachable: {err.__class__.__name__}: {err}") from None
    return message.sid


def _http_client(api_base: str | None, dedupe_key: str, timeout: float):
    """Twilio's own HTTP client, pointed at TWILIO_API_BASE when set (tests use a local server), and carrying the
    dedupe key as an idempotency hint (Twilio has no idempotency for Messages; a proxy or stand-in may use it)."""
    from twilio.http.http_client import TwilioHttpClient

    class Client(TwilioHttpClient):
        def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                    allow_redirects=False):
            if api_base:
                url = re.sub(r"^https://[^/]+", api_base.rstrip("/"), url)
            headers = {**(headers or {}), "I-Twilio-Idempotency-Token": dedupe_key[:64],
                       "Idempotency-Key": dedupe_key}
            return super().request(method, url, params=params, data=data, headers=headers, auth=auth,
                                   timeout=timeout, allow_redirects=allow_redirects)

    return Client(timeout=timeout)
