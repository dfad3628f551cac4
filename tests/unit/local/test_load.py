"""The load client against a stand-in server that fails often: it resends the same batch on 5xx,
429 and dropped connections, and the stored-once check counts what the server really kept."""

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse

import pytest

from leadwire.local.load import percentile, run_load


class FlakyIngestion:
    """Stores every batch it is sent, but answers only every third attempt with 200 (the others
    503, 429, or a closed connection after storing): a client that resends must not double up."""

    def __init__(self, *, duplicate_on_store=False):
        self.stored: Counter[str] = Counter()
        self.by_lead: dict[str, list[str]] = {}
        self.attempts = 0
        self.lock = threading.Lock()
        self.duplicate_on_store = duplicate_on_store
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                batch = json.loads(self.rfile.read(int(self.headers["content-length"])))["batch"]
                with server.lock:
                    server.attempts += 1
                    turn = server.attempts % 3
                    for message in batch:
                        if server.stored[message["messageId"]] == 0 or server.duplicate_on_store:
                            server.by_lead.setdefault(message["userId"], []).append(message["messageId"])
                        server.stored[message["messageId"]] += 1
                if turn == 1:
                    self.close_connection = True  # stored, but the answer is lost
                    return
                status = 200 if turn == 0 else 429 if server.attempts % 2 == 0 else 503
                body = json.dumps({"success": status == 200, "accepted": len(batch)}).encode()
                self.send_response(status)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                lead = unquote(urlparse(self.path).path.split("/")[2])
                events = [{"messageId": m} for m in server.by_lead.get(lead, [])]
                body = json.dumps({"events": events, "cursor": None}).encode()
                self.send_response(200 if events else 404)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def flaky():
    server = FlakyIngestion()
    yield server
    server.close()


def test_resends_after_errors_and_lost_answers_and_every_acknowledged_event_is_stored_once(flaky):
    report = run_load(flaky.url, "key", clients=3, seconds=0.5, batch=4, leads_per_client=2)
    assert report.retries > 0
    assert report.accepted_events > 0
    assert report.stored_once
    assert (report.missing, report.duplicates) == (0, 0)
    assert set(report.statuses) >= {"0", "200", "503"}


def test_a_server_that_stores_a_resend_twice_is_caught():
    server = FlakyIngestion(duplicate_on_store=True)
    try:
        report = run_load(server.url, "key", clients=2, seconds=0.3, batch=2, leads_per_client=1)
    finally:
        server.close()
    assert report.duplicates > 0
    assert not report.stored_once


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], 0.99, 0.0),
        ([5.0], 0.99, 5.0),
        (list(map(float, range(1, 101))), 0.99, 99.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),
    ],
)
def test_percentile_is_nearest_rank(values, fraction, expected):
    assert percentile(values, fraction) == expected
