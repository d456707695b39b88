"""Entry point: `flask --app wsgi ...`, gunicorn `wsgi:app`, or `python wsgi.py` for the development server
(`make run`; HOST and PORT choose where it listens, Ctrl-C stops it: app/dev/server.py)."""
from app import create_app

app = create_app()

if __name__ == "__main__":
    from app.dev.server import serve

    serve(app)
