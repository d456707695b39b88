"""Talking to a source over HTTP, defensively (docs/federation.md, "Faults").

Every request has a connect and read timeout, reads at most FEDERATION_MAX_BYTES, follows redirects only on the
same host (scheme, host and port), and is retried with exponential backoff (tenacity) when the fault may pass: a
timeout, a refused connection, a 5xx. What the source got wrong for good (a 4xx, a body too large, a redirect
elsewhere) is not retried. Every failure is a SourceError whose message goes to the source's health.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from flask import current_app
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

MAX_REDIRECTS = 3
FHIR_JSON = "application/fhir+json"


class SourceError(Exception):
    """The source failed or refused; `status` is its HTTP status when it answered, `retry` whether trying again
    may help."""

    def __init__(self, message: str, status: int | None = None, retry: bool = False, code: str | None = None):
        super().__init__(message)
        self.message, self.status, self.retry, self.code = message, status, retry, code


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict

    def json(self):
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise SourceError("The answer is not valid JSON.") from None


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def same_origin(first: str, second: str) -> bool:
    return origin(first) == origin(second)


def check_url(url: str) -> str:
    scheme, host, _ = origin(url)
    if scheme not in ("http", "https") or not host:
        raise SourceError(f"Not an http(s) address: {url[:200]}")
    return url


def _retryable(err: BaseException) -> bool:
    return isinstance(err, SourceError) and err.retry


def request(method: str, url: str, *, headers: dict | None = None, body: dict | None = None,
            attempts: int | None = None) -> Answer:
    """One request with retries (`attempts`: FEDERATION_RETRIES unless given); SourceError when every attempt
    failed."""
    settings = current_app.config
    attempt = retry(retry=retry_if_exception(_retryable), reraise=True,
                    stop=stop_after_attempt(max(1, attempts or settings["FEDERATION_RETRIES"])),
                    wait=wait_exponential(multiplier=settings["FEDERATION_RETRY_WAIT_SECONDS"], max=30))
    return attempt(_once)(method, url, headers or {}, body)


def _once(method: str, url: str, headers: dict, body: dict | None) -> Answer:
    settings = current_app.config
    first = check_url(url)
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = requests.request(
                method, url, headers={"Accept": f"{FHIR_JSON}, application/json"}
                | ({"Content-Type": FHIR_JSON} if body is not None else {}) | headers,
                data=json.dumps(body) if body is not None else None, allow_redirects=False, stream=True,
                timeout=(min(5.0, settings["FEDERATION_TIMEOUT_SECONDS"]), settings["FEDERATION_TIMEOUT_SECONDS"]))
        except requests.Timeout:
            raise SourceError(f"No answer within {settings['FEDERATION_TIMEOUT_SECONDS']:g} s.", retry=True) from None
        except requests.RequestException as err:
            raise SourceError(f"Could not reach the source ({type(err).__name__}).", retry=True) from None
        with response:
            if response.is_redirect:
                target = urljoin(url, response.headers.get("Location", ""))
                if not same_origin(first, target):
                    raise SourceError(f"Redirected to another host ({origin(target)[1]}): refused.",
                                      response.status_code)
                url = target
                continue
            data = _read(response, settings["FEDERATION_MAX_BYTES"])
            if response.status_code >= 500:
                raise SourceError(f"The source answered {response.status_code}.", response.status_code, retry=True)
            return Answer(response.status_code, data, dict(response.headers))
    raise SourceError("Too many redirects.")


def _read(response: requests.Response, limit: int) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise SourceError(f"The answer is larger than {limit} bytes: refused.", response.status_code)
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise SourceError(f"The answer is larger than {limit} bytes: refused.", response.status_code)
            chunks.append(chunk)
    except requests.RequestException as err:  # a read timeout in the middle of the body
        raise SourceError(f"The answer broke off ({type(err).__name__}).", retry=True) from None
    return b"".join(chunks)
