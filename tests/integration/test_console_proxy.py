"""``leadwire console --stack``: the loopback proxy signs admin calls with SigV4 and forwards them
to the stack's API; here the "stack" is a fake upstream on loopback that records what it got."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from leadwire.console.proxy import CONSOLE_HEADER, ConsoleProxy, Upstream, region_of, upstream_of_stack

CREDENTIALS = Credentials("AKIDCONSOLETEST", "console-test-secret", "console-test-session-token")
REGION = "eu-west-1"


class FakeAdminApi(ThreadingHTTPServer):
    """Answers like the admin API and keeps every request it received."""

    daemon_threads = True

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        super().__init__(("127.0.0.1", 0), _Recorder)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Recorder(BaseHTTPRequestHandler):
    server: FakeAdminApi
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.received.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        if self.path.startswith("/segments/missing"):
            status, answer = 404, {"error": {"code": "not_found", "message": "no segment 'missing'"}}
        else:
            status, answer = 200, {"segments": [{"id": "hot-leads", "name": "Hot Leads"}]}
        raw = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


def _serve(server: ThreadingHTTPServer) -> Iterator[Any]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def upstream() -> Iterator[FakeAdminApi]:
    yield from _serve(FakeAdminApi())


@pytest.fixture
def proxy(upstream: FakeAdminApi) -> Iterator[ConsoleProxy]:
    yield from _serve(ConsoleProxy(Upstream(upstream.url.rstrip("/"), REGION), lambda: CREDENTIALS, 0))


def _call(
    proxy: ConsoleProxy, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
):
    connection = http.client.HTTPConnection("127.0.0.1", proxy.server_address[1], timeout=10)
    sent = {CONSOLE_HEADER: "1", **({"content-type": "application/json"} if body is not None else {})}
    sent.update(headers or {})
    connection.request(method, path, body=None if body is None else json.dumps(body), headers=sent)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def _verify_signature(received: dict[str, Any], upstream_url: str) -> dict[str, str]:
    """Recompute the SigV4 signature from what arrived on the wire: the signed headers, the path
    and query, the body. Returns the Authorization header's parts."""
    authorization = received["headers"]["Authorization"]
    algorithm, _, rest = authorization.partition(" ")
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    assert algorithm == "AWS4-HMAC-SHA256"
    headers = {
        name: received["headers"][name]
        for name in received["headers"]
        if name.lower() in parts["SignedHeaders"].split(";")
    }
    request = AWSRequest(
        method=received["method"],
        url=upstream_url.rstrip("/") + received["path"],
        data=received["body"] or None,
        headers=headers,
    )
    request.context["timestamp"] = received["headers"]["X-Amz-Date"]
    signer = SigV4Auth(CREDENTIALS, "execute-api", REGION)
    string_to_sign = signer.string_to_sign(request, signer.canonical_request(request))
    assert parts["Signature"] == signer.signature(string_to_sign, request)
    return parts


def test_an_admin_read_is_signed_for_execute_api_and_forwarded(proxy, upstream):
    status, _, body = _call(proxy, "GET", "/segments?limit=5")

    assert status == 200
    assert json.loads(body)["segments"][0]["id"] == "hot-leads"
    (received,) = upstream.received
    assert (received["method"], received["path"]) == ("GET", "/segments?limit=5")
    parts = _verify_signature(received, upstream.url)
    date = received["headers"]["X-Amz-Date"][:8]
    assert parts["Credential"] == f"AKIDCONSOLETEST/{date}/{REGION}/execute-api/aws4_request"
    assert "host" in parts["SignedHeaders"].split(";")
    assert received["headers"]["X-Amz-Security-Token"] == "console-test-session-token"
    assert CONSOLE_HEADER not in {name.lower() for name in received["headers"]}


def test_a_write_signs_its_body(proxy, upstream):
    definition = {"segment": {"id": "x", "condition": {"score": {"gte": 10}}}, "since": "P30D"}
    status, _, _ = _call(proxy, "POST", "/segments/preview", definition)

    assert status == 200
    (received,) = upstream.received
    assert json.loads(received["body"]) == definition
    _verify_signature(received, upstream.url)


def test_upstream_errors_pass_through(proxy, upstream):
    status, headers, body = _call(proxy, "GET", "/segments/missing")

    assert status == 404
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/segments", {CONSOLE_HEADER: ""}, 403),  # not from the console page: a cross-site request
        ("/segments", {"host": "attacker.example:80"}, 421),  # DNS rebinding
        ("/v1/track", {}, 404),  # only the admin API's paths are forwarded
        ("/_local/drain", {}, 404),
    ],
)
def test_requests_that_are_not_the_consoles_are_refused_unsigned(proxy, upstream, path, headers, status):
    assert _call(proxy, "POST", path, {}, headers)[0] == status
    assert upstream.received == []


def test_the_proxy_serves_the_console_files(proxy, upstream):
    status, headers, body = _call(proxy, "GET", "/console/")

    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"Find a lead by id or email" in body
    assert upstream.received == []


def test_an_unreachable_stack_is_a_clear_502(upstream):
    gone = Upstream("http://127.0.0.1:9", REGION)  # the discard port: nothing listens
    for server in _serve(ConsoleProxy(gone, lambda: CREDENTIALS, 0)):
        status, _, body = _call(server, "GET", "/segments")
    assert status == 502
    assert json.loads(body)["error"]["code"] == "upstream_unreachable"


class FakeCloudFormation:
    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs
        self.asked: list[str] = []

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        self.asked.append(StackName)
        outputs = [{"OutputKey": key, "OutputValue": value} for key, value in self.outputs.items()]
        return {"Stacks": [{"StackName": StackName, "Outputs": outputs}]}


def test_the_stack_output_names_the_api_and_its_region():
    cloudformation = FakeCloudFormation(
        {"ApiUrl": "https://abc123.execute-api.ap-southeast-2.amazonaws.com/", "TableName": "t"}
    )

    upstream = upstream_of_stack(cloudformation, "Leadwire", region="us-east-1")

    assert cloudformation.asked == ["Leadwire"]
    assert upstream == Upstream("https://abc123.execute-api.ap-southeast-2.amazonaws.com", "ap-southeast-2")


def test_a_stack_without_the_api_output_is_refused_by_name():
    with pytest.raises(LookupError, match="stack Other has no output ApiUrl"):
        upstream_of_stack(FakeCloudFormation({"TableName": "t"}), "Other", region="us-east-1")


def test_a_custom_domain_takes_the_configured_region():
    assert region_of("https://admin.example.com", "eu-central-1") == "eu-central-1"
    with pytest.raises(LookupError, match="--region"):
        region_of("https://admin.example.com", None)
