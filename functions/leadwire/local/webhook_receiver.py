"""A webhook receiver for ``make demo`` and the tests: it checks each request's Standard Webhooks
signature with the reference verifier (the ``standardwebhooks`` library, not our own code: what it
accepts, any receiver built on the standard accepts) and counts distinct ``webhook-id``s, as a CRM
on the receiving end would.

It can answer 500 to the first requests (``fail_first``) to show that a retried delivery keeps
its id, so the receiver sees one message however often it is knocked on.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Received:
    webhook_id: str
    path: str
    status: int  # what the receiver answered
    verified: bool
    payload: dict[str, Any]


class WebhookReceiver:
    def __init__(self, secret: str, *, fail_first: int = 0) -> None:
        self._verifier = Webhook(secret)
        self._fail_first = fail_first
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                status = receiver._receive(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        verified = self.verify(headers, body)
        with self._lock:
            status = 401 if not verified else 500 if self._fail_first > 0 else 200
            if verified and self._fail_first > 0:
                self._fail_first -= 1
            payload = json.loads(body) if verified else {}
            self.requests.append(Received(headers.get("webhook-id", ""), path, status, verified, payload))
        return status

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        """The reference verifier accepts the signature, and the timestamp is within its five
        minutes of the wall clock (on which our sender signs too)."""
        try:
            self._verifier.verify(body, headers, json_parse=False)
        except WebhookVerificationError:
            return False
        return True

    @property
    def accepted(self) -> list[Received]:
        """One per webhook id that was answered 2xx (what the receiver acted on)."""
        seen: dict[str, Received] = {}
        for request in self.requests:
            if request.status == 200:
                seen.setdefault(request.webhook_id, request)
        return list(seen.values())

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
