"""Passwords: argon2id hashing, and strength (length, variety, not one of the passwords attackers try first)."""
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from app.models import User

MIN_LENGTH = 10


@cache
def _common() -> frozenset[str]:
    text = (Path(__file__).parent / "common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why this password is too weak, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common() or lowered.rstrip("0123456789!.") in _common():
        return "This password is too common; choose one that is harder to guess."
    if len(set(password)) < 5:
        return "Use more different characters."
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        return "Do not use your e-mail address in your password."
    if name and len(name) >= 4 and name.lower().replace(" ", "") in lowered.replace(" ", ""):
        return "Do not use your name in your password."
    return None


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(time_cost=cfg["ARGON2_TIME_COST"], memory_cost=cfg["ARGON2_MEMORY_COST"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@cache
def _dummy_hash(time_cost: int, memory_cost: int) -> str:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost).hash("no account has this password")


def verify_dummy(password: str) -> bool:
    """The same argon2 work as verify_password, for an address without an account: a login then takes as long for
    an unknown address as for a known one, so its timing tells nobody who has an account (docs/security.md)."""
    cfg = current_app.config
    hasher = _hasher()
    try:
        hasher.verify(_dummy_hash(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"]), password)
    except (VerificationError, InvalidHashError):
        pass
    hasher.check_needs_rehash(_dummy_hash(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"]))
    return False


def verify_password(user: User, password: str) -> bool:
    """Check a password; rehash transparently when the argon2 parameters changed."""
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True
