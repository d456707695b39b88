"""Accounts: registration, verification, login with lockout, password reset and change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.extensions import db
from app.models import Patient, Role, User
from app.models.base import utcnow
from app.services import audit
from app.services.accounts.passwords import hash_password, verify_password

VERIFY_MAX_AGE = 3 * 24 * 3600
RESET_MAX_AGE = 3600


class AccountError(Exception):
    """A refusal with a message for the form; `field` names the field it belongs to."""

    def __init__(self, message: str, field: str | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.retry_after = retry_after


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(email: str, password: str, role: str, name: str, *, verified: bool = False,
                language: str = "en", password_hash: str | None = None) -> User:
    """password_hash lets bulk seeding reuse one hash instead of paying argon2 for every account."""
    if find_user(email) is not None:
        raise AccountError("An account with this e-mail address already exists.", "email")
    user = User(email=normalise_email(email), password_hash=password_hash or hash_password(password), role=role,
                name=name, email_verified_at=utcnow() if verified else None, language=language)
    db.session.add(user)
    db.session.flush()
    return user


@dataclass
class Registration:
    name: str
    email: str
    password: str
    phone: str | None = None
    birth_date: object = None
    language: str = "en"


def register_patient(data: Registration) -> User:
    user = create_user(data.email, data.password, Role.PATIENT, data.name, language=data.language)
    db.session.add(Patient(user_id=user.id, name=data.name, phone=data.phone, birth_date=data.birth_date))
    audit.record(user.id, "user.register", "user", user.id, after={"email": user.email, "role": user.role})
    return user


def verification_token(user: User) -> str:
    return _serializer("verify-email").dumps({"uid": user.id, "email": user.email})


def verify_email(token: str) -> User:
    try:
        data = _serializer("verify-email").loads(token, max_age=VERIFY_MAX_AGE)
    except SignatureExpired:
        raise AccountError("This verification link has expired. Log in to get a new one.") from None
    except BadSignature:
        raise AccountError("This verification link is not valid.") from None
    user = db.session.get(User, data["uid"])
    if user is None or user.email != data["email"]:
        raise AccountError("This verification link is not valid.")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        audit.record(user.id, "user.verify_email", "user", user.id)
    return user


def authenticate(email: str, password: str) -> User:
    """Check a login; repeated failures lock the account for LOCKOUT_MINUTES."""
    cfg = current_app.config
    user = find_user(email)
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        raise AccountError(f"Too many failed attempts. Try again in {wait // 60 + 1} minutes.",
                           retry_after=wait)
    if user is None or not verify_password(user, password):
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= cfg["LOCKOUT_THRESHOLD"]:
                user.locked_until = now + timedelta(minutes=cfg["LOCKOUT_MINUTES"])
                user.failed_logins = 0
                audit.record(user.id, "user.locked", "user", user.id)
                db.session.commit()
                raise AccountError("Too many failed attempts. The account is locked for "
                                   f"{cfg['LOCKOUT_MINUTES']} minutes.", retry_after=cfg["LOCKOUT_MINUTES"] * 60)
            db.session.commit()
        raise AccountError("Wrong e-mail address or password.", "password")
    if not user.active:
        raise AccountError("This account has been deactivated. Please contact the hospital.")
    if user.email_verified_at is None:
        raise AccountError("Please confirm your e-mail address first: we sent you a link.", "email")
    user.failed_logins = 0
    user.locked_until = None
    return user


def reset_token(user: User) -> str:
    # The hash fragment makes the link single-use: it dies when the password changes.
    return _serializer("reset-password").dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def user_for_reset(token: str) -> User:
    try:
        data = _serializer("reset-password").loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise AccountError("This reset link has expired. Please ask for a new one.") from None
    except BadSignature:
        raise AccountError("This reset link is not valid.") from None
    user = db.session.get(User, data["uid"])
    if user is None or user.password_hash[-16:] != data["ph"]:
        raise AccountError("This reset link has already been used. Please ask for a new one.")
    if not user.active:
        raise AccountError("This account has been deactivated. Please contact the hospital.")
    return user


def set_password(user: User, password: str, actor_id: int | None, action: str) -> None:
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    audit.record(actor_id, action, "user", user.id)


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user, current):
        raise AccountError("Your current password is not correct.", "current_password")
    set_password(user, new, user.id, "user.change_password")
