"""The local runtime's HTTP surface, called in process: ingestion, admin API and ``/_local``."""

import base64
import json
from datetime import UTC, datetime

from leadwire.local.runtime import LocalRuntime

WRITE_KEY = "admin-tests-write-key"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class LocalApi:
    def __init__(self, runtime: LocalRuntime):
        self.runtime = runtime
        self._auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
        self._sent = 0

    def request(self, method, path, body=None, query=""):
        data = b"" if body is None else json.dumps(body).encode()
        headers = [("content-type", "application/json"), ("authorization", self._auth)]
        response = self.runtime.handle(method, path, query, headers, data, "127.0.0.1")
        return response.status, json.loads(response.body) if response.body else None, response.headers

    def get(self, path, query=""):
        status, body, _ = self.request("GET", path, query=query)
        return status, body

    def post(self, path, body):
        status, body, _ = self.request("POST", path, body)
        return status, body

    def put(self, path, body):
        status, body, _ = self.request("PUT", path, body)
        return status, body

    def delete(self, path):
        return self.request("DELETE", path)

    def send(self, *messages):
        """Post messages in one batch, each with a unique messageId and a timestamp (default NOW)."""
        batch = []
        for message in messages:
            self._sent += 1
            batch.append({"messageId": f"msg-{self._sent:04d}", "timestamp": NOW.isoformat(), **message})
        status, body = self.post("/v1/batch", {"batch": batch})
        assert status == 200, body
        return [m["messageId"] for m in batch]

    def drain(self):
        status, body = self.post("/_local/drain", {})
        assert status == 200, body
        return body

    def all_members(self, segment_id, limit=100):
        members, cursor = [], None
        while True:
            status, page = self.get(
                f"/segments/{segment_id}/members", f"limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            )
            assert status == 200, page
            members += page["members"]
            cursor = page["cursor"]
            if cursor is None:
                return members


def track(lead, event, **fields):
    return {"type": "track", "userId": lead, "event": event, **fields}


def page(lead, path, *, anonymous=False, **fields):
    who = {"anonymousId": lead} if anonymous else {"userId": lead}
    return {"type": "page", **who, "properties": {"path": path}, **fields}
