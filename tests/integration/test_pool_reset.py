"""A connection back in the pool never carries an open transaction into the next request (app/__init__.py: on
MariaDB the pool rolls back only when the server reports a transaction still open)."""
from sqlalchemy import select

from app.extensions import db
from app.models import CacheVersion


def test_a_transaction_left_open_on_a_pooled_connection_is_rolled_back(app):
    raw = db.engine.raw_connection()  # past the Connection, so nothing but the pool's reset ends the transaction
    cursor = raw.cursor()
    cursor.execute("INSERT INTO cache_versions (name, version, changed_at) VALUES ('left-open', 1, '2026-01-01')")
    raw.close()
    for _ in range(3):  # whichever pooled connection comes next
        with db.engine.connect() as connection:
            assert connection.scalar(select(CacheVersion.version).where(CacheVersion.name == "left-open")) is None
