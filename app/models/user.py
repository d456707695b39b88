"""Accounts, hospital memberships and API tokens."""
from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class Role(StrEnum):
    PATIENT = "patient"
    DOCTOR = "doctor"
    NURSE = "nurse"
    STAFF = "staff"
    ADMIN = "admin"


HOSPITAL_ROLES = (Role.DOCTOR, Role.NURSE, Role.STAFF, Role.ADMIN)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None]
    # rotates on log-out-everywhere, password change or reset, role change and deactivation: every session ends
    # and every reset link dies with it (docs/security.md, "Sessions")
    security_stamp: Mapped[str] = mapped_column(String(64), default=lambda: new_stamp(), server_default="")
    language: Mapped[str] = mapped_column(String(5), default="en")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # the clear token of the session this request runs in (set by the session loader, never stored)
    session_token = None

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str | None:
        """Flask-Login's alternative id: the session and the remember-me cookie carry the login's own token, not
        the user id, so each login has its own cookie and ending the session row ends the cookie too."""
        return self.session_token

    def __eq__(self, other: object) -> bool:
        # the same account, as UserMixin meant: its own __eq__ compares get_id(), which is now a session token
        # (None outside a request), and would make every two users loaded elsewhere equal
        if not isinstance(other, User):
            return NotImplemented
        return self is other if self.id is None else self.id == other.id

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = object.__hash__  # as UserMixin keeps it (defining __eq__ would otherwise drop it)

    @property
    def hospital_ids(self) -> set[int]:
        return {m.hospital_id for m in self.memberships}

    @property
    def is_region_admin(self) -> bool:
        """An admin without a hospital membership administers the whole region."""
        return self.role == Role.ADMIN and not self.memberships

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class Membership(db.Model):
    """A user's role at one hospital (staff, nurse, doctor, or a hospital's admin)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "hospital_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="memberships")
    hospital: Mapped[Hospital] = relationship()  # noqa: F821


def new_stamp() -> str:
    return secrets.token_hex(16)


class UserSession(db.Model):
    """One login: the browser holds the clear token (in the session and the remember-me cookie), we keep its
    SHA-256. Deleting the row logs that browser out, whatever cookie it replays."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    user_agent: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(45))

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed logins per (account, client address) pair: a stranger's failures slow down only that stranger
    (docs/security.md, "Logins")."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("email_hash", "address"), Index("ix_login_throttle_window", "window_start"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64))  # SHA-256 of the normalised address: no e-mail kept here
    address: Mapped[str] = mapped_column(String(45))
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored, the clear token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # None only for rows written without the service (benchmarks)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
