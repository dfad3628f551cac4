"""The web console's browser tests: demo-like data in a real ``leadwire local`` on a simulated
clock, and headless Chromium (Debian's) driven through puppeteer-core by ``console_browser.cjs``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

from leadwire.local.demo.data import DEMO_START, MIN_DAYS, generate_demo_events

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("console_browser.cjs")
SCREENSHOTS = REPO / "build" / "console-screenshots"
CHROMIUM = "/usr/bin/chromium"
CLOCK_START = DEMO_START
SEEDED_DAYS = 16  # the first 16 of the demo's stories' days: trials, carts, hot leads, a stall
SEEDED_UNTIL = DEMO_START + timedelta(days=SEEDED_DAYS)
BATCH = 250
EARLY_TRIALS = 12
JSON = {"content-type": "application/json"}
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844, "isMobile": True, "hasTouch": True, "deviceScaleFactor": 2}

# Painted pixels of every canvas under a selector (Chart.js draws at once: animation is off).
CANVASES_JS = """(selector) => [...document.querySelectorAll(selector + ' canvas')].map((c) => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i]) painted += 1;
  return {label: c.getAttribute('aria-label'), width: c.width, height: c.height, painted};
})"""


def canvases(selector: str) -> str:
    return f"({CANVASES_JS})({json.dumps(selector)})"


def seed_demo_like_data(local: Any, write_key: str) -> int:
    """The demo's generated sessions for their first days, sent as live traffic: the clock runs to
    each batch's newest event (sweeps and timers fire on the way), then the batch arrives."""
    cutoff = SEEDED_UNTIL.isoformat().replace("+00:00", "Z")
    demo = [
        message
        for message in generate_demo_events(DEMO_START, days=MIN_DAYS)
        if message["timestamp"] < cutoff
    ]
    messages = sorted(demo + early_trials(), key=lambda message: (message["timestamp"], message["messageId"]))
    for start in range(0, len(messages), BATCH):
        batch = messages[start : start + BATCH]
        _post(local, "/_local/clock", {"to": batch[-1]["timestamp"]})
        body = _post(local, "/v1/batch", {"batch": batch, "writeKey": write_key})
        assert not body.get("rejected"), body
    _post(local, "/_local/clock", {"to": SEEDED_UNTIL.isoformat()})
    return len(messages)


def early_trials(count: int = EARLY_TRIALS) -> list[dict[str, Any]]:
    """Trials that sign up on the first morning and go quiet: the demo's own stalled trials sign
    up later, so these make the A/B trigger (stalled-trial-tips) fire within the seeded days."""
    messages: list[dict[str, Any]] = []
    for index in range(count):
        at = DEMO_START + timedelta(hours=9, minutes=7 * index)
        user = f"early-trial-{index:02d}"
        traits = {"email": f"{user}@trials.example.com", "name": f"Early Trial {index}", "company_size": 40}
        for offset, (kind, body) in enumerate(
            (
                ("identify", {"traits": traits}),
                ("track", {"event": "trial_signup", "properties": {"plan": "growth"}}),
            )
        ):
            stamp = (at + timedelta(seconds=offset)).isoformat().replace("+00:00", "Z")
            messages.append(
                {"type": kind, "userId": user, "messageId": f"{user}-{kind}", "timestamp": stamp, **body}
            )
    return messages


def _post(local: Any, path: str, body: Any) -> Any:
    """A POST with room for a long drain (moto's queries read the whole table)."""
    request = urllib.request.Request(
        local.url + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        assert response.status == 200
        return json.loads(response.read())


def browse(plan: list[dict[str, Any]]) -> dict[str, Any]:
    """Run the plan in headless Chromium; page errors fail the test."""
    node = shutil.which("node")
    assert node, "node is needed for the browser tests"
    completed = subprocess.run(
        [node, str(DRIVER)],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "LEADWIRE_TOOLS": str(REPO / "tools"), "CHROMIUM": CHROMIUM},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    outcome = json.loads(completed.stdout)
    assert outcome["errors"] == [], outcome["errors"]
    results: dict[str, Any] = outcome["results"]
    return results


def screenshot(name: str) -> dict[str, str]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return {"screenshot": str(SCREENSHOTS / f"{name}.png")}


def ready(timeout: int = 120_000) -> dict[str, Any]:
    return {"waitFor": "main[data-state=ready]", "timeout": timeout}


def all_members(local: Any, segment_id: str) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"?limit=1000&cursor={cursor}" if cursor else "?limit=1000"
        status, _, body = local.request("GET", f"/segments/{segment_id}/members{query}")
        assert status == 200, body
        members.extend(body["members"])
        cursor = body["cursor"]
        if not cursor:
            return members


def has_endpoint(local: Any, method: str, path: str, body: Any = None) -> bool:
    """Whether the server has an insight endpoint yet (an unknown route is a "no route" 404)."""
    request = urllib.request.Request(
        local.url + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers=JSON,
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # analytics reads are heavy on moto
            return bool(response.status)
    except urllib.error.HTTPError as error:
        message = ((json.loads(error.read() or b"{}").get("error")) or {}).get("message", "")
        return not (error.code == 404 and message.startswith("no route for"))
