"""Accounts: sign-up, log-in, e-mail verification, password resets, and the patient's own profile."""
from app.services.accounts import housekeeping, profile, tokens, users  # noqa: F401  (modules of the public face)
from app.services.accounts.users import (
    AccountError,
    Registration,
    authenticate,
    change_password,
    create_user,
    find_user,
    register_patient,
    reset_token,
    set_password,
    user_for_reset,
    verification_token,
    verify_email,
)

__all__ = [
    "AccountError", "Registration", "authenticate", "change_password", "create_user", "find_user", "housekeeping",
    "profile", "register_patient", "reset_token", "set_password", "tokens", "user_for_reset", "users",
    "verification_token", "verify_email"
]
