"""``leadwire demo --serve``: after the replay, leadwire local keeps running with the console and
says where."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from leadwire.local.demo.data import DEMO_START, MIN_DAYS, generate_demo_events
from tests.e2e.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
LEADWIRE = Path(sys.executable).with_name("leadwire")


def test_demo_serve_prints_the_console_address_and_keeps_serving(tmp_path):
    data = tmp_path / "sessions.jsonl"
    messages = generate_demo_events(DEMO_START, days=MIN_DAYS)[:60]
    data.write_text("".join(json.dumps(message) + "\n" for message in messages))
    port = free_port()
    process = subprocess.Popen(
        [str(LEADWIRE), "demo", "--data", str(data), "--serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 480
        address = None
        assert process.stdout is not None
        while address is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail("leadwire demo --serve exited instead of serving")
            found = re.search(r"Console: (http://127\.0\.0\.1:\d+/console/)", line)
            address = found.group(1) if found else None
        assert address == f"http://127.0.0.1:{port}/console/"
        with urllib.request.urlopen(address, timeout=30) as page:
            assert b"Find a lead by id or email" in page.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/segments", timeout=30) as listed:
            assert json.loads(listed.read())["segments"]
        assert process.poll() is None, "it keeps serving"
    finally:
        process.terminate()
        process.wait(timeout=30)
