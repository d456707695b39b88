"""Create a known row if it is missing, without a check-then-insert race (docs/architecture.md, "Integrity").

MySQL's INSERT ... ON DUPLICATE KEY UPDATE takes the row's exclusive lock at once; a plain insert that fails on a
duplicate would take a shared lock first, and two such writers upgrading to exclusive deadlock.
"""
from sqlalchemy.dialects import mysql, postgresql, sqlite

from app.extensions import db

_INSERTS = {"mysql": mysql.insert, "sqlite": sqlite.insert, "postgresql": postgresql.insert}


def ensure_row(model, keys: dict, defaults: dict) -> None:
    dialect = db.session.get_bind().dialect.name
    statement = _INSERTS[dialect](model).values(**keys, **defaults)
    if dialect == "mysql":
        first_key = next(iter(keys))
        statement = statement.on_duplicate_key_update({first_key: statement.inserted[first_key]})
    else:
        statement = statement.on_conflict_do_nothing()
    db.session.execute(statement)


def count_up(model, keys: list[dict], column: str, *, also: dict | None = None, connection=None) -> None:
    """Add one to `column` of each row named by `keys` (its primary key values), creating it with 1 when missing;
    `also` is set on both. One statement, on `connection` when given (Core: no ORM events run), else the session.
    Rows in the given order, so writers that keep one order cannot deadlock on them."""
    executor = connection if connection is not None else db.session
    dialect = (connection.dialect if connection is not None else db.session.get_bind().dialect).name
    statement = _INSERTS[dialect](model).values([{**k, column: 1, **(also or {})} for k in keys])
    grown = {column: getattr(model, column) + 1, **(also or {})}
    if dialect == "mysql":
        statement = statement.on_duplicate_key_update(grown)
    else:
        statement = statement.on_conflict_do_update(index_elements=list(keys[0]), set_=grown)
    executor.execute(statement)


# --- LIKE with a user's words: their % and _ are letters, not wildcards (docs/security.md, "Search") ---

LIKE_ESCAPE = "\\"


def like_escaped(term: str) -> str:
    """`term` with LIKE's wildcards (%, _) and the escape character itself escaped; use with escape=LIKE_ESCAPE."""
    return (term.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%")
            .replace("_", LIKE_ESCAPE + "_"))


def contains(column, term: str):
    """`column LIKE '%term%'` where the term matches only itself."""
    return column.like(f"%{like_escaped(term)}%", escape=LIKE_ESCAPE)
