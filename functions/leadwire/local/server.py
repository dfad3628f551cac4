"""The loopback HTTP server of ``leadwire local``: requests in, ``LocalRuntime.handle`` out."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from leadwire.local.runtime import LocalRuntime

log = logging.getLogger("leadwire.local")

# API Gateway's own payload limit; the handler enforces the Segment limits below it.
MAX_REQUEST_BYTES = 10 * 1024 * 1024


class LocalServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default listen backlog is 5: with 50 clients connecting at once the kernel
    # resets the rest, and every SDK has to resend (``leadwire load`` showed it).
    request_queue_size = 128

    def __init__(self, runtime: LocalRuntime, port: int, host: str = "127.0.0.1") -> None:
        self.runtime = runtime
        super().__init__((host, port), _RequestHandler)
        # Only now is the port known (port 0 picks one): the unsubscribe links in emails point here.
        runtime.serve_at(f"http://{host}:{self.server_address[1]}")


class _RequestHandler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._reply(413, {"content-type": "application/json"}, b'{"error":{"code":"payload_too_large"}}')
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        try:
            response = self.server.runtime.handle(
                self.command, path, query, self.headers.items(), body, self.client_address[0]
            )
        except Exception:  # a handler crash is Lambda's 500 in AWS too
            log.exception("handler failed for %s %s", self.command, path)
            self._reply(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
            return
        self._reply(response.status, response.headers, response.body)

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_HEAD = _serve  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) goes to the handlers too, as API Gateway passes it
        # on, instead of http.server's HTML 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: object) -> None:
        log.debug(format, *args)


def start_background_pump(runtime: LocalRuntime, interval: float = 0.2) -> threading.Event:
    """Deliver stream records continuously, as Lambda's pollers do; returns the stop flag."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            try:
                runtime.drain()
            except Exception:
                log.exception("background drain failed")

    threading.Thread(target=loop, name="leadwire-stream-pump", daemon=True).start()
    return stop
