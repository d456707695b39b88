"""Accounts: sign-up, log-in, sessions, e-mail verification, password resets, API tokens, the patient's profile."""
from app.services.accounts import (  # noqa: F401  (modules of the public face)
    housekeeping,
    policy,
    profile,
    sessions,
    throttle,
    tokens,
    users,
)
from app.services.accounts.users import (
    AccountError,
    LoginOutcome,
    Registration,
    SignUp,
    change_password,
    create_user,
    find_user,
    log_in,
    log_out,
    log_out_everywhere,
    normalise_email,
    register_patient,
    reset_token,
    set_password,
    user_for_reset,
    verification_token,
    verify_email,
)

__all__ = [
    "AccountError", "LoginOutcome", "Registration", "SignUp", "change_password", "create_user", "find_user",
    "housekeeping", "log_in", "log_out", "log_out_everywhere", "normalise_email", "policy", "profile",
    "register_patient", "reset_token", "sessions", "set_password", "throttle", "tokens", "user_for_reset", "users",
    "verification_token", "verify_email",
]
