"""Real client libraries and a browser-style beacon against leadwire local."""

import json
import uuid

import rudderstack.analytics as rudder_analytics
from segment.analytics import Client as SegmentClient

from .conftest import WRITE_KEY


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_segment_analytics_python_posts_to_the_batch_endpoint(local):
    # Given the official Segment client pointed at leadwire local
    errors = []
    client = SegmentClient(WRITE_KEY, host=local.url, sync_mode=True, on_error=lambda e, _: errors.append(e))
    user = unique("seg")
    # When it sends an identify, a track and a page
    client.identify(user, {"email": "ada@example.com", "company_size": 1200})
    client.track(user, "trial_signup", {"plan": "pro"})
    client.page(user, "Docs", "Pricing", {"path": "/pricing"})
    client.flush()
    # Then all three are stored for the lead, in the engine's vocabulary
    assert errors == []
    sent = [e for e in local.events(user) if e["source"] == "default"]  # not the welcome email's feedback
    names = sorted((e["type"], e["event"]) for e in sent)
    assert names == [("identify", None), ("page", "page_viewed"), ("track", "trial_signup")]


def test_rudder_sdk_python_gzips_to_the_data_plane_url(local):
    # Given the RudderStack client with its default gzip on
    errors = []
    rudder_analytics.write_key = WRITE_KEY
    rudder_analytics.dataPlaneUrl = local.url
    rudder_analytics.sync_mode = True
    rudder_analytics.on_error = lambda e, _: errors.append(e)
    rudder_analytics.default_client = None
    assert rudder_analytics.gzip is True
    user = unique("rud")
    try:
        # When it sends an identify (traits in context.traits) and a track
        rudder_analytics.identify(user, {"email": "grace@example.org", "industry": "Technology"})
        rudder_analytics.track(user, "api_call", {"endpoint": "/v1/leads"})
        rudder_analytics.flush()
    finally:
        rudder_analytics.default_client = None
    # Then both are stored and the identify kept its traits
    assert errors == []
    events = {e["type"]: e for e in local.events(user) if e["source"] == "default"}
    assert events["track"]["event"] == "api_call"
    assert events["identify"]["traits"] == {"email": "grace@example.org", "industry": "Technology"}


def test_browser_beacon_after_cors_preflight(local):
    # Given a browser on another origin
    origin = {"Origin": "https://www.example.com"}
    status, headers, _ = local.request(
        "OPTIONS",
        "/v1/t",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert status in (200, 204)
    assert headers["Access-Control-Allow-Origin"] == "*"
    # When navigator.sendBeacon posts text/plain with the write key in the body
    anon = unique("ajs")
    body = {
        "type": "track",
        "event": "pricing_viewed",
        "anonymousId": anon,
        "writeKey": WRITE_KEY,
        "timestamp": "2026-11-20T10:00:00.000Z",
        "sentAt": "2026-11-20T10:00:00.100Z",
        "context": {"page": {"path": "/pricing"}},
    }
    status, _, reply = local.request(
        "POST", "/v1/t", json.dumps(body).encode(), {**origin, "Content-Type": "text/plain;charset=UTF-8"}
    )
    # Then it is accepted and stored
    assert (status, reply["success"]) == (200, True)
    assert [e["event"] for e in local.events(anon)] == ["pricing_viewed"]


def test_the_same_batch_twice_is_stored_once(local):
    user = unique("dup")
    batch = {
        "writeKey": WRITE_KEY,
        "batch": [
            {
                "type": "track",
                "userId": user,
                "event": "cart_added",
                "messageId": f"{user}-{i}",
                "timestamp": f"2026-11-20T10:0{i}:00Z",
            }
            for i in range(3)
        ],
    }
    for _ in range(2):
        assert local.request("POST", "/v1/batch", batch)[0] == 200
    # (the cart-abandonment trigger may add its derived cart_abandoned once the hour has passed)
    assert len([e for e in local.events(user) if e["event"] == "cart_added"]) == 3
