"""Stand-ins for the systems leads are handed to, for tests and ``leadwire local``: a Slack
incoming webhook and HubSpot's contacts (and companies) batch upsert. Each records what it was
sent and can answer 429 to the first requests (``fail_first``), as a rate-limited API does, to
show retries repeat nothing: HubSpot keeps one contact per email however often it is upserted.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HUBSPOT_UPSERT_PATH = "/crm/v3/objects/contacts/batch/upsert"
HUBSPOT_COMPANY_UPSERT_PATH = "/crm/v3/objects/companies/batch/upsert"
HUBSPOT_ACCOUNT_ID = "leadwire_account_id"  # the unique company property accounts are upserted by


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]
    status: int
    body: Any


class _JsonReceiver:
    """A loopback HTTP server that answers POSTs through ``answer(path, headers, body)``."""

    def __init__(self, *, fail_first: int = 0) -> None:
        self._fail_first = fail_first
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply = receiver._receive(self.path, headers, raw)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _receive(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            body = None
        with self._lock:
            if self._fail_first > 0:
                self._fail_first -= 1
                status, reply = 429, {"status": "error", "message": "You have reached your secondly limit."}
            else:
                status, reply = self.answer(path, headers, body)
            self.requests.append(Request(path, headers, status, body))
        return status, reply

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        raise NotImplementedError

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class SlackWebhook(_JsonReceiver):
    """Slack's incoming webhook: ``{"text": ...}`` in, ``ok`` out; ``messages`` lists the texts."""

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
            return 400, "no_text"
        return 200, "ok"

    @property
    def messages(self) -> list[str]:
        return [r.body["text"] for r in self.requests if r.status == 200]


class HubspotApi(_JsonReceiver):
    """HubSpot's batch upserts with a private app's bearer token: contacts by email (``contacts``
    maps each email to its properties) and companies by ``leadwire_account_id`` (``companies``);
    an upsert replaces the given properties."""

    def __init__(self, token: str, *, fail_first: int = 0) -> None:
        super().__init__(fail_first=fail_first)
        self._token = token
        self.contacts: dict[str, dict[str, str]] = {}
        self.companies: dict[str, dict[str, str]] = {}

    def answer(self, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        if headers.get("authorization") != f"Bearer {self._token}":
            return 401, {"status": "error", "category": "INVALID_AUTHENTICATION"}
        objects = {
            HUBSPOT_UPSERT_PATH: ("email", self.contacts),
            HUBSPOT_COMPANY_UPSERT_PATH: (HUBSPOT_ACCOUNT_ID, self.companies),
        }
        if path not in objects:
            return 404, {"status": "error", "category": "OBJECT_NOT_FOUND"}
        id_property, records = objects[path]
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            return 400, {"status": "error", "category": "VALIDATION_ERROR", "message": "inputs required"}
        results = []
        for item in inputs:
            if not isinstance(item, dict) or item.get("idProperty") != id_property or not _valid_id(item):
                return 400, {"status": "error", "category": "VALIDATION_ERROR", "message": "bad input"}
            properties = {str(k): str(v) for k, v in (item.get("properties") or {}).items()}
            record = records.setdefault(str(item["id"]), {})
            record.update(properties)
            results.append({"id": str(abs(hash(item["id"])) % 10**9), "properties": record, "new": False})
        return 200, {"status": "COMPLETE", "results": results}


def _valid_id(item: dict[str, Any]) -> bool:
    value = str(item.get("id") or "")
    return "@" in value if item.get("idProperty") == "email" else bool(value)
