"""leadwire.js in headless Chromium against a real ``leadwire local``: a cart abandoner's pop-up
shows on a page of another origin, as an accessible dialog, and its click comes back as the
lead's ``onsite_clicked`` event. The screenshot lands in build/screenshots/ (gitignored)."""

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from leadwire.local.runtime import DEFAULT_CONFIG

from .conftest import WRITE_KEY, run_local

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCRIPT = Path(__file__).parent / "browser" / "onsite_popup.mjs"
SCREENSHOT = Path(__file__).resolve().parents[2] / "build" / "screenshots" / "onsite_popup.png"
CHROMIUM = Path("/usr/bin/chromium")
CLOCK = "2026-11-20T10:00:00Z"
TRIGGERS = """
triggers:
  - id: come-back
    on: {event: cart_abandoned}
    actions:
      - type: onsite
        message:
          title: "Still thinking it over?"
          body: "Your cart is saved. Come back today and take 10% off."
          cta: {label: "Back to my cart", url: "/cart"}
        ttl: P7D
  - id: pricing-help
    on: {event: pricing_viewed}
    actions:
      - type: onsite
        message: {title: "Questions about pricing?", body: "Talk to us: we answer within the hour."}
"""


def run_browser(port, user_id):
    options = {
        "apiPort": port,
        "writeKey": WRITE_KEY,
        "userId": user_id,
        "screenshot": str(SCREENSHOT),
        "timeoutMs": 60_000,
    }
    node = shutil.which("node") or "node"
    result = subprocess.run(
        [node, str(SCRIPT), json.dumps(options)], capture_output=True, text=True, timeout=120, check=False
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.returncode, lines, result.stderr


@pytest.mark.skipif(not CHROMIUM.exists() or not shutil.which("node"), reason="needs chromium and node")
def test_the_popup_shows_and_its_click_is_recorded(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "onsite.yaml").write_text(TRIGGERS)
    auth = {"authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
    with run_local("--config", str(config), "--clock", CLOCK) as local:
        # Given a shopper who abandoned a cart, then (a minute later) viewed pricing
        for event in ("cart_abandoned", "pricing_viewed"):
            track = {"type": "track", "userId": "shopper-1", "event": event}
            assert local.request("POST", "/v1/track", track, auth)[0] == 200
            local.drain()
            local.request("POST", "/_local/clock", {"advance": "PT1M"})
        _, _, pending = local.request("GET", f"/v1/messages?userId=shopper-1&writeKey={WRITE_KEY}")
        pricing, message = pending["messages"]
        # When she opens a page of the shop that loads leadwire.js
        code, lines, stderr = run_browser(local.url.rsplit(":", 1)[1], "shopper-1")
        local.drain()
        events = local.events("shopper-1")
        _, _, after = local.request("GET", f"/v1/messages?userId=shopper-1&writeKey={WRITE_KEY}")
    assert code == 0, (lines, stderr)
    kinds = {line["kind"]: line for line in lines}
    # Then the newest message shows first, without a CTA, and Escape dismisses it
    assert kinds["first"]["title"] == pricing["title"] == "Questions about pricing?"
    assert kinds["first"]["buttons"] == ["Close"]
    assert kinds["escaped"]["dialogs"] == 0
    # And the next page's pop-up is the cart's: a modal dialog named by its title, with its body,
    # a close and a CTA button
    assert kinds["dialog"] == {
        "kind": "dialog",
        "modal": "true",
        "title": "Still thinking it over?",
        "body": "Your cart is saved. Come back today and take 10% off.",
        "buttons": ["Close", "Back to my cart"],
    }
    # And focus starts on the CTA and Tab / Shift+Tab cycle inside the dialog
    assert kinds["focus"]["sequence"] == ["Back to my cart", "Close", "Back to my cart", "Close"]
    # And the CTA click followed its link
    assert kinds["navigated"]["path"] == "/cart"
    # And the impression and the click were posted as simple text/plain track calls and accepted
    posted = [(line["event"], line["messageId"], line["status"]) for line in lines if line["kind"] == "track"]
    assert ("onsite_shown", message["id"], 200) in posted
    assert all(line["contentType"] == "text/plain" for line in lines if line["kind"] == "track")
    # And both are the lead's events, carrying the message id
    recorded = [(e["event"], e["properties"].get("message_id")) for e in events if e["type"] == "track"]
    assert ("onsite_shown", message["id"]) in recorded
    assert ("onsite_clicked", message["id"]) in recorded
    assert ("onsite_dismissed", pricing["id"]) in recorded
    # And the dismissed and the clicked messages are shown no more, on the next page nor to the API
    assert kinds["again"]["dialogs"] == 0
    assert after == {"messages": []}
    assert not [line for line in lines if line["kind"] == "error"], lines
    assert SCREENSHOT.stat().st_size > 10_000
