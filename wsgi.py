"""Entry point: `flask --app wsgi ...`, gunicorn `wsgi:app`, or `python wsgi.py` for Socket.IO's server."""
from app import create_app
from app.extensions import socketio

app = create_app()

if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=5000, allow_unsafe_werkzeug=True)
