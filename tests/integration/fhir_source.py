"""A small real HTTP server playing another hospital system, for the federation fault tests.

Each path answers what the test set in `routes`: (status, headers, body), or HANG (the answer never comes until the
server stops: a slow source, without a sleep on our side). Every request is recorded with its headers.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG = object()


class Source:
    def __init__(self):
        self.routes: dict[str, object] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.released = threading.Event()
        source = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, *args):  # quiet
                pass

            def _answer(self):
                source.requests.append((self.command, self.path, dict(self.headers)))
                route = source.routes.get(self.path.split("?")[0], (404, {}, b"{}"))
                if route is HANG:
                    source.released.wait(30)
                    return
                if callable(route):
                    route = route(self)
                status, headers, body = route
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                self.wfile.write(body.encode() if isinstance(body, str) else body)

            do_GET = do_POST = _answer  # noqa: N815 (http.server's names)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p.split("?")[0] == path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def ndjson(*resources) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in resources)


def manifest(base: str, host_base: str | None = None) -> dict:
    where = host_base or base
    return {"transactionTime": "2030-01-01T00:00:00Z", "request": f"{base}/manifest.json", "error": [],
            "output": [{"type": "Location", "url": f"{where}/locations.ndjson"},
                       {"type": "Schedule", "url": f"{where}/schedules.ndjson"},
                       {"type": "Slot", "url": f"{where}/slots.ndjson"}]}


LOCATION = {"resourceType": "Location", "id": "L1", "name": "Partner Clinic"}
SCHEDULE = {"resourceType": "Schedule", "id": "S1", "actor": [{"reference": "Location/L1"}],
            "specialty": [{"coding": [{"system": "urn:waitless:specialty", "code": "CAR", "display": "Cardiology"}]}]}


def slot(ident: str, start: str, end: str, link: str | None = "https://partner.example/book?slot=1") -> dict:
    resource = {"resourceType": "Slot", "id": ident, "schedule": {"reference": "Schedule/S1"}, "status": "free",
                "start": start, "end": end}
    if link:
        resource["extension"] = [{"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/"
                                         "booking-deep-link", "valueUrl": link}]
    return resource
