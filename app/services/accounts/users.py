"""Accounts: registration, verification, login (throttled, not locked), password reset and change."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.extensions import db
from app.models import Patient, Role, User
from app.models.base import utcnow
from app.services import audit
from app.services.accounts import sessions, throttle
from app.services.accounts.passwords import hash_password, verify_dummy, verify_password

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


@dataclass
class SignUp:
    """A registration's result. `existing`: the address already had an account, which is left untouched; the
    caller answers exactly as for a new one and tells the owner by e-mail instead (docs/security.md, "Logins")."""

    user: User
    existing: bool = False


def register_patient(data: Registration, address: str | None = None) -> SignUp:
    existing = find_user(data.email)
    if existing is not None:
        hash_password(data.password)  # the same work as a new account: the time taken tells nothing either
        audit.record(None, "user.register_existing", "user", existing.id, address=address)
        return SignUp(existing, existing=True)
    user = create_user(data.email, data.password, Role.PATIENT, data.name, language=data.language)
    db.session.add(Patient(user_id=user.id, name=data.name, phone=data.phone, birth_date=data.birth_date))
    audit.record(user.id, "user.register", "user", user.id, after={"email": user.email, "role": user.role},
                 address=address)
    return SignUp(user)


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


WRONG_LOGIN = "Wrong e-mail address or password."
THROTTLED = "Too many attempts: try again in a moment."


@dataclass
class LoginOutcome:
    """What a log-in came to: a user and their new session token, or the refusal to show."""

    user: User | None = None
    token: str | None = None
    error: AccountError | None = None


def log_in(email: str, password: str, *, address: str | None = None, user_agent: str | None = None,
           now: datetime | None = None) -> LoginOutcome:
    """Check a login and start a session (docs/security.md, "Logins").

    Known and unknown addresses get the same work (a dummy argon2 check) and the same answer; failures are counted
    per (address typed, client address) pair, whose tries then wait growing delays. Nothing raises for a wrong
    password: the failure, its count and its audit row must commit with the refusal.
    """
    now = now or utcnow()
    user = find_user(email)
    target = user.id if user is not None else None
    wait = throttle.wait_seconds(email, address, now)
    if wait:
        audit.record(target, "user.login_failed", "user", target, address=address, comment="throttled")
        return LoginOutcome(error=AccountError(WRONG_LOGIN, retry_after=wait))
    ok = verify_password(user, password) if user is not None else verify_dummy(password)
    if not ok:
        throttle.record_failure(email, address, now)
        audit.record(target, "user.login_failed", "user", target, address=address)
        return LoginOutcome(error=AccountError(WRONG_LOGIN, "password"))
    # only the right password reaches these: they tell nothing to someone who does not have it
    if not user.active:
        audit.record(target, "user.login_failed", "user", target, address=address, comment="deactivated")
        return LoginOutcome(error=AccountError("This account has been deactivated. Please contact the hospital."))
    if user.email_verified_at is None:
        return LoginOutcome(error=AccountError("Please confirm your e-mail address first: we sent you a link.",
                                               "email"))
    throttle.clear(email, address)
    token = sessions.start(user, user_agent=user_agent, address=address, now=now)
    audit.record(user.id, "user.login", "user", user.id, address=address)
    return LoginOutcome(user=user, token=token)


def log_out(user: User, address: str | None = None) -> None:
    """End the session this request runs in; the user's other sessions stay."""
    sessions.end(user.session_token)
    audit.record(user.id, "user.logout", "user", user.id, address=address)


def log_out_everywhere(user: User, address: str | None = None) -> None:
    """End every session of the user, this one included, and every reset link issued so far."""
    sessions.end_all(user)
    audit.record(user.id, "user.logout_everywhere", "user", user.id, address=address)


def _reset_serializer(user: User) -> URLSafeTimedSerializer:
    # salted with the security stamp: a reset, a password change or log-out-everywhere rotates the stamp and every
    # link issued before dies, without putting anything of the password hash into the link
    return _serializer(f"reset-password:{user.security_stamp}")


def reset_token(user: User) -> str:
    return _reset_serializer(user).dumps({"uid": user.id})


def user_for_reset(token: str) -> User:
    ok, data = URLSafeTimedSerializer(current_app.config["SECRET_KEY"]).loads_unsafe(token)
    user = db.session.get(User, data["uid"]) if isinstance(data, dict) and isinstance(data.get("uid"), int) else None
    if user is None:
        raise AccountError("This reset link is not valid.")
    try:
        _reset_serializer(user).loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired:
        raise AccountError("This reset link has expired. Please ask for a new one.") from None
    except BadSignature:
        # signed by us for this user once, but the stamp has rotated since: used, or replaced by a newer one
        raise AccountError("This reset link has already been used. Please ask for a new one.") from None
    if not user.active:
        raise AccountError("This account has been deactivated. Please contact the hospital.")
    return user


def set_password(user: User, password: str, actor_id: int | None, action: str, address: str | None = None) -> None:
    """A new password ends every session of the user (docs/security.md, "Sessions")."""
    user.password_hash = hash_password(password)
    sessions.end_all(user)
    audit.record(actor_id, action, "user", user.id, address=address)


def change_password(user: User, current: str, new: str, *, address: str | None = None,
                    user_agent: str | None = None) -> str:
    """Change the password, end the user's other sessions and return the token of a fresh one for this browser."""
    if not verify_password(user, current):
        raise AccountError("Your current password is not correct.", "current_password")
    set_password(user, new, user.id, "user.change_password", address)
    return sessions.start(user, user_agent=user_agent, address=address)
