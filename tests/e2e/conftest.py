"""End-to-end: start the real ``leadwire local`` command and talk to it over HTTP."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from leadwire.local.load import stop

WRITE_KEY = "e2e-write-key"
CLOCK_START = "2026-11-20T12:00:00Z"
"""The simulated clock every ``leadwire local`` here starts at (unless a test gives its own
``--clock``): results never depend on the day the suite runs."""
LEADWIRE = Path(sys.executable).with_name("leadwire")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Local:
    def __init__(self, url):
        self.url = url

    def request(self, method, path, body=None, headers=None):
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, dict(response.headers), json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, dict(error.headers), json.loads(raw) if raw else None

    def drain(self):
        return self.request("POST", "/_local/drain")

    def events(self, lead_id):
        status, _, body = self.request("GET", f"/leads/{lead_id}/events?limit=1000")
        return body["events"] if status == 200 else []


@contextlib.contextmanager
def run_local(*args, env=None, log_path=None, local_class=Local, port=None):
    """Start ``leadwire local`` with ``args`` (port, free unless given, write key and, unless given,
    ``--clock CLOCK_START`` added), wait for /health, and stop it with SIGTERM (as a process
    manager would) when the block ends."""
    port = port or free_port()
    clock = () if "--clock" in args else ("--clock", CLOCK_START)
    command = [str(LEADWIRE), "local", "--port", str(port), "--write-key", WRITE_KEY, *clock, *args]
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with contextlib.ExitStack() as stack:
        output = stack.enter_context(log_path.open("w")) if log_path else subprocess.PIPE
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        server = local_class(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                text = log_path.read_text() if log_path else process.stdout.read()
                pytest.fail(f"leadwire local exited early:\n{text}")
            try:
                if server.request("GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail("leadwire local did not answer /health within 60 s")
        try:
            yield server
        finally:
            if not stop(process, timeout=10):
                pytest.fail("leadwire local did not stop within 10 s of SIGTERM")


@pytest.fixture(scope="session")
def local():
    with run_local() as server:
        yield server
