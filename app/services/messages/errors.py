"""A refused message: what the form shows on which field, and the API's status and code."""
from __future__ import annotations


class MessageError(Exception):
    def __init__(self, message: str, field: str | None = None, *, code: str = "invalid", status: int = 422,
                 values: dict | None = None):
        super().__init__(message)
        self.message, self.field, self.code, self.status = message, field, code, status
        self.values = values or {}

    @property
    def text(self) -> str:
        """The English sentence with its values (the API's message; pages translate `message` with `values`)."""
        return self.message % self.values if self.values else self.message
