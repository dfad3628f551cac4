"""``leadwire console --stack NAME``: the console on 127.0.0.1, its admin calls signed and forwarded.

The browser talks only to this loopback server: it serves the console's files and forwards the
admin API paths to the deployed stack's API (the ``ApiUrl`` output), signed with SigV4 and the
caller's AWS credentials, so the stack gains no public surface and no user directory.

A signing proxy on loopback is a target for other web pages open in the same browser (cross-site
requests, DNS rebinding). It forwards only requests whose ``Host`` is its own loopback address and
that carry the console's ``X-Leadwire-Console`` header, which a cross-origin page cannot send
without a CORS preflight that this server never grants; and only the admin API's paths.
"""

from __future__ import annotations

import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from leadwire.console.static_files import console_response, is_console_path

log = logging.getLogger("leadwire.console")

CONSOLE_HEADER = "x-leadwire-console"
ADMIN_PREFIXES = ("/segments", "/triggers", "/leads", "/jobs", "/accounts", "/openapi.json")
FORWARDED_HEADERS = ("content-type", "accept")
MAX_BODY_BYTES = 1024 * 1024
UPSTREAM_TIMEOUT_SECONDS = 60
_EXECUTE_API_HOST = re.compile(r"^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


@dataclass(frozen=True)
class Upstream:
    """The deployed admin API: its base URL and the region its SigV4 scope names."""

    url: str
    region: str


@dataclass(frozen=True)
class Forwarded:
    status: int
    headers: dict[str, str]
    body: bytes


Credentials = Callable[[], Any]  # returns botocore (frozen) credentials, refreshed by the session


def region_of(api_url: str, default: str | None) -> str:
    """The region in an ``execute-api`` host name, else the configured one."""
    host = urllib.parse.urlsplit(api_url).hostname or ""
    match = _EXECUTE_API_HOST.match(host)
    if match:
        return match.group(1)
    if not default:
        raise LookupError(f"cannot tell the region of {api_url}: pass --region")
    return default


def upstream_of_stack(cloudformation: Any, stack_name: str, region: str | None) -> Upstream:
    """The admin API of a deployed stack, from its ``ApiUrl`` output."""
    from leadwire.ops.aws import stack_outputs

    outputs = stack_outputs(cloudformation, stack_name)
    if "ApiUrl" not in outputs:
        raise LookupError(f"stack {stack_name} has no output ApiUrl: is it a Leadwire stack?")
    url = outputs["ApiUrl"].rstrip("/")
    return Upstream(url=url, region=region_of(url, region))


def signed_headers(
    credentials: Any, region: str, method: str, url: str, body: bytes, headers: Mapping[str, str]
) -> dict[str, str]:
    """The headers of ``method url`` signed with SigV4 for API Gateway (``execute-api``)."""
    request = AWSRequest(method=method, url=url, data=body or None, headers=dict(headers))
    SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return dict(request.headers.items())


def forward(
    upstream: Upstream,
    credentials: Credentials,
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Forwarded:
    """Sign and send one admin call; upstream errors pass through as they came."""
    url = upstream.url + path_and_query
    kept = {name: value for name, value in headers.items() if name.lower() in FORWARDED_HEADERS}
    signed = signed_headers(credentials(), upstream.region, method, url, body, kept)
    request = urllib.request.Request(url, data=body or None, method=method, headers=signed)
    try:
        with urllib.request.urlopen(request, timeout=UPSTREAM_TIMEOUT_SECONDS) as response:
            return Forwarded(response.status, _answer_headers(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Forwarded(error.code, _answer_headers(error.headers), error.read())
    except (urllib.error.URLError, TimeoutError) as error:
        reason = getattr(error, "reason", error)
        log.warning("admin API unreachable", extra={"reason": str(reason)})
        return _error(502, "upstream_unreachable", f"the stack's admin API did not answer: {reason}")


def _answer_headers(headers: Any) -> dict[str, str]:
    content_type = headers.get("content-type") if headers else None
    return {"content-type": content_type or "application/json"}


def _error(status: int, code: str, message: str) -> Forwarded:
    import json

    body = json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()
    return Forwarded(status, {"content-type": "application/json"}, body)


def is_admin_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in ADMIN_PREFIXES)


class ConsoleProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, upstream: Upstream, credentials: Credentials, port: int, host: str = "127.0.0.1"
    ) -> None:
        self.upstream = upstream
        self.credentials = credentials
        super().__init__((host, port), _ProxyHandler)
        self.allowed_hosts = {f"{host}:{self.server_address[1]}", f"localhost:{self.server_address[1]}"}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _ProxyHandler(BaseHTTPRequestHandler):
    server: ConsoleProxy
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(_error(413, "payload_too_large", f"bodies are at most {MAX_BODY_BYTES} bytes"))
            return
        body = self.rfile.read(length) if length else b""
        path = self.path.partition("?")[0]
        if self.headers.get("host") not in self.server.allowed_hosts:
            self._reply(_error(421, "wrong_host", "this console answers only on its loopback address"))
        elif path == "/":
            self._reply(Forwarded(302, {"location": "/console/"}, b""))
        elif is_console_path(path):
            page = console_response(self.command, path)
            self._reply(Forwarded(page.status, page.headers, page.body))
        elif not is_admin_path(path):
            self._reply(_error(404, "not_found", f"no route for {self.command} {path}"))
        elif self.headers.get(CONSOLE_HEADER) != "1":
            self._reply(_error(403, "forbidden", "admin calls come from the console page only"))
        else:
            self._reply(
                forward(
                    self.server.upstream,
                    self.server.credentials,
                    self.command,
                    self.path,
                    dict(self.headers.items()),
                    body,
                )
            )

    def _reply(self, answer: Forwarded) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        log.debug(format, *args)
