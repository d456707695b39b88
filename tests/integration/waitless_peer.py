"""A second Waitless portal in its own process: `python -m tests.integration.waitless_peer DATABASE_URL PORT`.

The federation test (test_federation_region.py) starts it as "hospital system A", stops it and starts it again on
the same port; it prints "ready" once it listens.
"""
from __future__ import annotations

import os
import sys

from werkzeug.serving import make_server


def main() -> None:
    database, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("WAITLESS_ENV", "development")
    from app import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, app, threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
