"""Create a known row if it is missing, without a check-then-insert race (docs/architecture.md, "Integrity").

MySQL's INSERT ... ON DUPLICATE KEY UPDATE takes the row's exclusive lock at once; a plain insert that fails on a
duplicate would take a shared lock first, and two such writers upgrading to exclusive deadlock.
"""
from sqlalchemy import bindparam
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Connection

from app.extensions import db
from app.models.statements import compiled_once

_INSERTS = {"mysql": mysql.insert, "sqlite": sqlite.insert, "postgresql": postgresql.insert}
def _typed(model, name: str, bind_name: str):
    return bindparam(bind_name, type_=model.__table__.c[name].type)


def ensure_row(model, keys: dict, defaults: dict, *, connection: Connection | None = None) -> None:
    """Insert the row named by `keys` with `defaults` unless it exists. One statement on the session's connection
    (or `connection`): Core, so it runs no ORM events and does not flush."""
    connection = connection if connection is not None else db.session.connection()
    dialect = connection.dialect.name
    names = [*keys, *defaults]

    def build():
        statement = _INSERTS[dialect](model).values({n: _typed(model, n, n) for n in names})
        if dialect == "mysql":
            first_key = next(iter(keys))
            return statement.on_duplicate_key_update({first_key: statement.inserted[first_key]})
        return statement.on_conflict_do_nothing()

    connection.execute(compiled_once(connection, ("ensure_row", model, tuple(names), len(keys)), build),
                       {**keys, **defaults})


def count_up(model, keys: list[dict], column: str, *, also: dict | None = None,
             connection: Connection | None = None) -> None:
    """Add one to `column` of each row named by `keys` (its primary key values), creating it with 1 when missing;
    `also` is set on both. One statement on the session's connection (or `connection`): Core, so it runs no ORM
    events and does not flush. Rows in the given order, so writers that keep one order cannot deadlock on them."""
    connection = connection if connection is not None else db.session.connection()
    dialect = connection.dialect.name
    names, extra = list(keys[0]), sorted(also or {})

    def build():
        rows = [{**{k: _typed(model, k, f"{k}_{i}") for k in names}, column: 1,
                 **{a: _typed(model, a, f"also_{a}") for a in extra}} for i in range(len(keys))]
        statement = _INSERTS[dialect](model).values(rows)
        grown = {column: getattr(model, column) + 1, **{a: _typed(model, a, f"also_{a}") for a in extra}}
        if dialect == "mysql":
            return statement.on_duplicate_key_update(grown)
        return statement.on_conflict_do_update(index_elements=names, set_=grown)

    params = {f"{k}_{i}": row[k] for i, row in enumerate(keys) for k in names}
    params.update({f"also_{a}": (also or {})[a] for a in extra})
    connection.execute(compiled_once(connection, ("count_up", model, column, tuple(names), len(keys), tuple(extra)),
                                     build), params)


# --- LIKE with a user's words: their % and _ are letters, not wildcards (docs/security.md, "Search") ---

LIKE_ESCAPE = "\\"


def like_escaped(term: str) -> str:
    """`term` with LIKE's wildcards (%, _) and the escape character itself escaped; use with escape=LIKE_ESCAPE."""
    return (term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
            .replace("_", LIKE_ESCAPE + "_"))


def contains(column, term: str):
    """`column LIKE '%term%'` where the term matches only itself."""
    return column.like(f"%{like_escaped(term)}%", escape=LIKE_ESCAPE)
