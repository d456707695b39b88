"""Helpers the security tests share (fixtures come from tests/conftest.py)."""
from __future__ import annotations

import pytest

REMEMBER = "remember_token"


def login(client, email: str, password: str, *, remember: bool = False, address: str = "127.0.0.1"):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/auth/login", data=data, environ_base={"REMOTE_ADDR": address})


def logged_in(client, address: str = "127.0.0.1") -> bool:
    """Whether the client's cookies still open a page that needs a login (from the address it logged in from:
    session protection is "strong")."""
    return client.get("/auth/profile", environ_base={"REMOTE_ADDR": address}).status_code == 200


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None


@pytest.fixture
def new_client(app):
    """Another browser: a client with a cookie jar of its own."""
    return lambda: app.test_client()
