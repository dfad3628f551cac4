"""The real analytics.js in headless Chromium through an outage: the event it sent while the API
was unreachable arrives once, by its retries (which carry ``X-Retry-Count`` and so need the CORS
preflight to allow that header)."""

import json
import queue
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

from .conftest import WRITE_KEY, free_port, run_local

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCRIPT = Path(__file__).parent / "browser" / "analytics_outage.mjs"
CHROMIUM = Path("/usr/bin/chromium")
CLOCK = "2026-11-20T10:00:00Z"


def start_browser(api_port, anonymous_id):
    command = [
        shutil.which("node") or "node",
        str(SCRIPT),
        json.dumps(
            {
                "apiPort": api_port,
                "writeKey": WRITE_KEY,
                "anonymousId": anonymous_id,
                "event": "outage_test",
                "settleMs": 4000,  # after the first 200: room for a duplicate to show up
                "timeoutMs": 120_000,
            }
        ),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()

    def read():
        for line in process.stdout:
            lines.put(json.loads(line) if line.startswith("{") else {"kind": "output", "text": line})
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return process, lines


def wait_for(lines, seen, predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            return None
        seen.append(line)
        if predicate(line):
            return line
    return None


@pytest.mark.skipif(not CHROMIUM.exists() or not shutil.which("node"), reason="needs chromium and node")
def test_an_event_sent_while_the_api_is_unreachable_arrives_once_by_retries():
    # Given analytics.js on a page, its API down: the track call's first attempt fails
    port, anonymous_id = free_port(), f"ajs-outage-{uuid.uuid4().hex[:8]}"
    browser, lines = start_browser(port, anonymous_id)
    seen: list[dict] = []
    try:
        first_failure = wait_for(lines, seen, lambda line: line["kind"] == "failed", timeout=60)
        assert first_failure is not None, seen
        # When leadwire local comes up on that port
        with run_local("--clock", CLOCK, port=port) as local:
            done = wait_for(lines, seen, lambda line: line["kind"] == "done", timeout=150)
            browser.wait(timeout=30)
            local.drain()
            events = local.events(anonymous_id)
    finally:
        if browser.poll() is None:
            browser.kill()
    # Then the browser's retry got through, with the headers the real client sends
    assert done == {"kind": "done", "accepted": True}, seen
    posts = [line for line in seen if line["kind"] == "request" and line["method"] == "POST"]
    assert posts[0]["retryCount"] is None
    assert all(post["authorization"] for post in posts)
    assert any(post["retryCount"] for post in posts), posts
    assert [line["status"] for line in seen if line["kind"] == "response"] == [200]
    # And the event is stored exactly once
    assert [(e["type"], e["event"]) for e in events] == [("track", "outage_test")]
