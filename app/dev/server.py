"""`python wsgi.py` (`make run`): the development server, on HOST:PORT (default 127.0.0.1:5000); Ctrl-C stops it.

Production serves `wsgi:app` with gunicorn (docs/operations.md); this server refuses to start there.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from flask import Flask

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


class NotForProduction(SystemExit):
    """`python wsgi.py` with the production configuration: exits with the reason."""


def address(environ: Mapping[str, str] = os.environ) -> tuple[str, int]:
    """Where the development server listens: HOST and PORT from the environment (docs/settings.md)."""
    return environ.get("HOST") or DEFAULT_HOST, int(environ.get("PORT") or DEFAULT_PORT)


def serve(app: Flask, environ: Mapping[str, str] = os.environ) -> None:
    if app.config.get("WAITLESS_ENV") == "production":
        raise NotForProduction("python wsgi.py is the development server; in production serve wsgi:app with "
                               "gunicorn (docs/operations.md), or set WAITLESS_ENV=development to try Waitless")
    host, port = address(environ)
    # Socket.IO runs in threading mode (docs/architecture.md): its middleware is already in app.wsgi_app and
    # Werkzeug's threaded server is all socketio.run would start. Calling it directly skips socketio.run's
    # "Werkzeug appears to be used in a production deployment" warning, which it logs whenever stdin is not a
    # terminal (make, an IDE, nohup), though this is the development server.
    app.logger.info("Waitless (%s) on http://%s:%d/ - press Ctrl-C to stop", app.config["WAITLESS_ENV"], host, port)
    app.run(host=host, port=port, threaded=True, use_reloader=False)
