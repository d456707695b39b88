"""A real localstripe (a Stripe-compatible server from PyPI) for the payment tests (docs/payments.md, "Testing").

`localstripe` starts one server process per test session on a free port, waits for its "Running on" line and
kills it at the end; it fails the run, never skips, when the server cannot start. `stripe_app` points the app's
settings at it. `webhooks` is a small HTTP receiver registered with localstripe: every event localstripe sends
(signed with the test secret, as Stripe would) lands in a queue, and `next_event` hands the test the raw body and
signature header to post to the app's webhook, exactly as delivered.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import queue
import select
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

SECRET = "whsec_waitless_tests"
API_KEY = "sk_test_waitless"
PUBLISHABLE_KEY = "pk_test_waitless"
START_SECONDS = 30
EVENT_SECONDS = 20  # localstripe sends an event about a second after the change that caused it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe():
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[str] = []
    deadline = time.monotonic() + START_SECONDS
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or process.poll() is not None:
                pytest.fail("localstripe did not start:\n" + "".join(seen))
            ready, _, _ = select.select([process.stdout], [], [], left)
            if ready:
                line = process.stdout.readline()
                seen.append(line)
                if "Running on" in line:
                    break
        # keep reading its log, or a full pipe would block the server
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()


class Receiver:
    """Collects what localstripe posts to its registered webhook URL."""

    def __init__(self):
        self.events: queue.Queue = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.events.put((body, self.headers.get("Stripe-Signature")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next_event(self, event_type: str, object_id: str) -> tuple[bytes, str]:
        """The next delivery of `event_type` about `object_id` (others, from earlier tests, are passed over)."""
        while True:
            body, signature = self.events.get(timeout=EVENT_SECONDS)
            event = json.loads(body)
            if event["type"] == event_type and event["data"]["object"]["id"] == object_id:
                return body, signature


@pytest.fixture(scope="session")
def webhooks(localstripe):
    receiver = Receiver()
    requests.post(f"{localstripe}/_config/webhooks/waitless-tests", timeout=5,
                  data={"url": receiver.url, "secret": SECRET}).raise_for_status()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def stripe_app(app, localstripe, monkeypatch):
    for name, value in (("STRIPE_API_KEY", API_KEY), ("STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY),
                        ("STRIPE_WEBHOOK_SECRET", SECRET), ("STRIPE_API_BASE", localstripe)):
        monkeypatch.setitem(app.config, name, value)
    return app


def card_token(base: str, number: str = "4242424242424242") -> str:
    """What Stripe.js does in the browser: the card becomes a token; its card id is what our server sees."""
    response = requests.post(f"{base}/v1/tokens", timeout=5, data={
        "card[number]": number, "card[exp_month]": "12", "card[exp_year]": "2040", "card[cvc]": "123",
        "key": PUBLISHABLE_KEY})
    response.raise_for_status()
    return response.json()["card"]["id"]


def sign(payload: bytes, timestamp: int, secret: str = SECRET) -> str:
    """A Stripe-Signature header, computed as Stripe documents it (HMAC-SHA256 of "t.payload")."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
