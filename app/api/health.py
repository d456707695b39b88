"""Liveness: the process answers. It touches no database, so it is also the benchmarks' floor (docs/benchmarks.md)."""
from flask_smorest import Blueprint

from app.api.schemas import Health

blp = Blueprint("api_health", __name__, description="Liveness")


@blp.route("/health")
@blp.response(200, Health)
def health():
    return {"status": "ok"}
