"""On-site messages end to end on the local runtime: a trigger's ``onsite`` action leaves a pop-up
that ``GET /v1/messages`` returns to the visitor until it expires or is clicked, under the
delivery policy's caps and the lead's consent."""

import base64
import json
import shutil
from datetime import timedelta

import pytest

from leadwire.local.runtime import DEFAULT_CONFIG, LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track

DELIVERY = """
delivery:
  frequency_caps:
    - {channel: onsite, max: 1, per: P1D}
"""
TRIGGERS = """
triggers:
  - id: come-back
    on: {event: cart_abandoned}
    actions:
      - type: onsite
        message:
          title: "Come back!"
          body: "Your cart is waiting: 10% off today."
          cta: {label: "Back to my cart", url: "/cart"}
        ttl: P1D
"""
COME_BACK = {
    "title": "Come back!",
    "body": "Your cart is waiting: 10% off today.",
    "cta": {"label": "Back to my cart", "url": "/cart"},
}


@pytest.fixture
def api(tmp_path):
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "delivery.yaml").write_text(DELIVERY)
    (config / "onsite.yaml").write_text(TRIGGERS)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def messages(api, query):
    """GET /v1/messages the way leadwire.js calls it: write key in the query, no Authorization."""
    response = api.runtime.handle(
        "GET",
        "/v1/messages",
        f"writeKey={WRITE_KEY}&{query}",
        [("origin", "https://shop.example")],
        b"",
        "1.2.3.4",
    )
    assert response.status == 200, response.body
    assert response.headers.get("Access-Control-Allow-Origin") == "*"
    return json.loads(response.body)["messages"]


def outbox(api, trigger_id="come-back"):
    _, body = api.get("/_local/outbox")
    return [m for m in body["messages"] if m["triggerId"] == trigger_id]


def test_a_cart_abandoner_is_shown_the_message_until_it_expires(api):
    # Given a lead who abandoned a cart
    api.send(track("ann", "cart_abandoned"))
    api.drain()
    # When her browser asks for messages
    [message] = messages(api, "userId=ann")
    # Then it is the trigger's pop-up, with the delivery id as its id
    assert {k: message[k] for k in ("title", "body", "cta")} == COME_BACK
    [delivery] = outbox(api)
    assert delivery["channel"] == "onsite"
    assert delivery["status"] == "sent"
    assert message["id"] == delivery["deliveryId"]
    # And nobody else sees it
    assert messages(api, "userId=bob") == []
    # And once its ttl (P1D) has passed, it is gone
    api.post("/_local/clock", {"advance": "PT23H58M"})
    assert len(messages(api, "userId=ann")) == 1
    api.post("/_local/clock", {"advance": "PT2M"})
    assert messages(api, "userId=ann") == []


def test_a_clicked_message_is_not_shown_again(api):
    api.send(track("ann", "cart_abandoned"))
    api.drain()
    [message] = messages(api, "userId=ann")
    # When the script reports an impression, the message is still pending
    api.send(track("ann", "onsite_shown", properties={"message_id": message["id"]}))
    assert len(messages(api, "userId=ann")) == 1
    # When the visitor clicks the CTA (a simple text/plain POST with writeKey in the body)
    click = {
        "type": "track",
        "userId": "ann",
        "event": "onsite_clicked",
        "writeKey": WRITE_KEY,
        "properties": {"message_id": message["id"]},
    }
    response = api.runtime.handle(
        "POST", "/v1/track", "", [("content-type", "text/plain")], json.dumps(click).encode(), "1.2.3.4"
    )
    assert response.status == 200, response.body
    # Then the next page view shows nothing, before any stream consumer has run
    assert messages(api, "userId=ann") == []
    # And the impression and the click are the lead's events like any other
    api.drain()
    status, events = api.get("/leads/ann/events")
    assert status == 200, events
    names = [event["event"] for event in events["events"]]
    assert {"onsite_shown", "onsite_clicked"} <= set(names)


def test_a_click_naming_another_id_closes_nothing(api):
    api.send(track("ann", "cart_abandoned"))
    api.drain()
    api.send(track("ann", "onsite_dismissed", properties={"message_id": "not-a-delivery-id"}))
    assert len(messages(api, "userId=ann")) == 1


def test_an_anonymous_visitor_merged_into_a_lead_gets_the_leads_messages(api):
    # Given an anonymous visitor who later identified as carl
    api.send(
        {"type": "page", "anonymousId": "anon-9", "properties": {"path": "/pricing"}},
        {"type": "identify", "userId": "carl", "anonymousId": "anon-9", "traits": {}},
    )
    api.drain()
    # When carl abandons a cart
    api.send(track("carl", "cart_abandoned"))
    api.drain()
    # Then the browser that only knows the anonymous id gets carl's message
    [message] = messages(api, "anonymousId=anon-9")
    assert message["title"] == "Come back!"
    # And dismissing it there closes it
    api.send(
        {
            "type": "track",
            "anonymousId": "anon-9",
            "event": "onsite_dismissed",
            "properties": {"message_id": message["id"]},
        }
    )
    assert messages(api, "anonymousId=anon-9") == []


def test_the_channels_cap_applies(api):
    # Given the cap of one on-site message a day
    api.send(track("dan", "cart_abandoned"))
    api.drain()
    api.send(track("dan", "cart_abandoned", timestamp=(NOW + timedelta(seconds=30)).isoformat()))
    api.drain()
    # Then the second fire waits for the next slot and the visitor sees one message
    assert sorted(d["status"] for d in outbox(api)) == ["deferred_cap", "sent"]
    [first] = messages(api, "userId=dan")
    # When the day has passed, the waiting one is stored (the trigger's default expiry is P3D) and
    # shown for its own ttl from then, while the first one's day is over
    assert api.post("/_local/clock", {"advance": "P1DT1M"})[0] == 200
    api.drain()
    assert sorted(d["status"] for d in outbox(api)) == ["sent", "sent"]
    [second] = messages(api, "userId=dan")
    assert second["id"] != first["id"]


def test_a_lead_who_opted_out_of_onsite_gets_none(api):
    api.send(
        {"type": "identify", "userId": "eve", "traits": {"subscriptions": {"onsite": False}}},
        track("eve", "cart_abandoned"),
    )
    api.drain()
    [delivery] = outbox(api)
    assert delivery["status"] == "no_consent"
    assert messages(api, "userId=eve") == []


@pytest.mark.parametrize(
    ("query", "headers", "status", "field"),
    [
        ("userId=ann", [], 401, "writeKey"),
        ("userId=ann&writeKey=wrong", [], 401, "writeKey"),
        (f"writeKey={WRITE_KEY}", [], 400, "userId"),
        (f"writeKey={WRITE_KEY}&userId=" + "x" * 300, [], 400, "userId"),
    ],
)
def test_bad_requests_name_the_field(api, query, headers, status, field):
    response = api.runtime.handle("GET", "/v1/messages", query, headers, b"", "1.2.3.4")
    assert response.status == status
    assert json.loads(response.body)["error"]["details"]["field"] == field


def test_the_write_key_may_come_as_basic_auth(api):
    auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    response = api.runtime.handle(
        "GET", "/v1/messages", "userId=ann", [("authorization", auth)], b"", "1.2.3.4"
    )
    assert (response.status, json.loads(response.body)) == (200, {"messages": []})


def test_the_script_is_served_as_javascript(api):
    response = api.runtime.handle("GET", "/v1/leadwire.js", "", [], b"", "1.2.3.4")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/javascript")
    assert b"onsite_clicked" in response.body
    assert len(response.body) < 8 * 1024
