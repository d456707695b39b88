"""Statements compiled once per dialect, for those SQLAlchemy's own cache leaves out."""
from __future__ import annotations

import weakref
from collections.abc import Callable

from sqlalchemy.engine import Connection
from sqlalchemy.sql.compiler import Compiled

# compiled statements by dialect object (its flags shape the SQL: MariaDB or MySQL) and by the caller's key
_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def compiled_once(connection: Connection, key: tuple, build: Callable,
                  column_keys: list[str] | None = None) -> Compiled:
    """`build()`'s statement compiled once for the connection's dialect, for statements SQLAlchemy does not cache:
    its MySQL insert (ON DUPLICATE KEY UPDATE) is compiled again on every execution, which cost a booking more than
    its round trips (docs/benchmarks.md, "Built once"). Execute it with `connection.execute(compiled, params)`:
    the binds' types still convert the values."""
    cache = _COMPILED.setdefault(connection.dialect, {})
    found = cache.get(key)
    if found is None:
        found = cache[key] = build().compile(dialect=connection.dialect, column_keys=column_keys)
    return found
