"""Versions of cached data: a row per cache, bumped in the same transaction as the write that changes its data."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class CacheVersion(db.Model):
    """Every process keeps its own copy of a cached list tagged with the version it was read at; when the row says
    otherwise the copy is read again (docs/operations.md, "Caching")."""

    __tablename__ = "cache_versions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    changed_at: Mapped[datetime]
