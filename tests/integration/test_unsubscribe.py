"""One-click unsubscribe end to end on the local runtime: a marketing email carries the link,
a GET of it changes nothing, a POST withdraws the lead's email consent (once, however often it is
clicked), and the next marketing email is not sent."""

import json
import shutil
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from leadwire.local.runtime import DEFAULT_CONFIG, LocalRuntime
from leadwire.local.server import LocalServer

from .local_api import NOW, WRITE_KEY, LocalApi, track

CONFIG = """
triggers:
  - id: newsletter
    on: {event: newsletter_due}
    actions:
      - {type: email, template: we-miss-you}
  - id: receipt
    on: {event: purchase}
    actions:
      - {type: email, template: we-miss-you, channel: transactional}
"""
ONE_CLICK = [("content-type", "application/x-www-form-urlencoded")]


@pytest.fixture
def local(tmp_path, monkeypatch):
    config = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG, config)
    (config / "unsubscribe.yaml").write_text(CONFIG)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    server = LocalServer(runtime, 0)  # bound, not serving: the runtime learns its URL from it
    sent = []
    send = runtime.ses.send
    monkeypatch.setattr(runtime.ses, "send", lambda message: sent.append(message) or send(message))
    yield LocalApi(runtime), sent, f"http://127.0.0.1:{server.server_address[1]}"
    server.server_close()
    runtime.close()


def mails(sent, trigger_id):
    """The EmailMessages the actions handed to SES for one trigger (moto drops extra headers)."""
    return [m for m in sent if m.tags["leadwire-trigger"] == trigger_id]


def call(api, method, url, body=b"", headers=()):
    parts = urlsplit(url)
    return api.runtime.handle(method, parts.path, parts.query, list(headers), body, "127.0.0.1")


def deliveries(api, trigger_id):
    _, outbox = api.get("/_local/outbox")
    return [m for m in outbox["messages"] if m["triggerId"] == trigger_id]


def unsubscribe_events(api):
    status, body = api.get("/leads/ann/events")
    assert status == 200, body
    return [e for e in body["events"] if e["event"] == "email_unsubscribed"]


def test_one_click_unsubscribe_withdraws_email_consent(local):
    api, sent, base_url = local
    # Given a consenting lead who gets a marketing email
    api.send(
        {
            "type": "identify",
            "userId": "ann",
            "traits": {"email": "ann@example.com", "subscriptions": {"email": True}},
        },
        track("ann", "newsletter_due"),
    )
    api.drain()
    [delivery] = deliveries(api, "newsletter")
    assert delivery["status"] == "sent"
    # Then it has the one-click headers, and the same link in its body
    [message] = mails(sent, "newsletter")
    link = message.headers["List-Unsubscribe"]
    assert link.startswith(f"<{base_url}/v1/unsubscribe?token=v1.")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = link[1:-1]
    assert url in message.text
    # When a mail scanner fetches the link, a page with a button answers and nothing changes
    page = call(api, "GET", url)
    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert b'<form method="post"' in page.body
    api.drain()
    assert unsubscribe_events(api) == []
    # When the mail client posts the one-click unsubscribe (twice: clients retry), without a write key
    for _ in range(2):
        response = call(api, "POST", url, b"List-Unsubscribe=One-Click", ONE_CLICK)
        assert (response.status, response.body) == (200, b"")
    api.drain()
    # Then one email_unsubscribed event is stored for the lead
    [event] = unsubscribe_events(api)
    assert event["properties"] == {"channel": "email", "delivery_id": delivery["deliveryId"]}
    # And the next marketing email is not sent for want of consent; transactional email still is
    api.send(track("ann", "newsletter_due"), track("ann", "purchase"))
    api.drain()
    statuses = {d["deliveryId"]: d["status"] for d in deliveries(api, "newsletter")}
    assert statuses.pop(delivery["deliveryId"]) == "sent"
    assert list(statuses.values()) == ["no_consent"]
    assert [d["status"] for d in deliveries(api, "receipt")] == ["sent"]
    [receipt] = mails(sent, "receipt")
    assert receipt.headers == {}  # transactional: no unsubscribe link


def test_the_confirm_button_answers_a_page(local):
    api, sent, _ = local
    api.send(
        {"type": "identify", "userId": "ann", "traits": {"email": "ann@example.com", "unsubscribed": False}},
        track("ann", "newsletter_due"),
    )
    api.drain()
    url = mails(sent, "newsletter")[0].headers["List-Unsubscribe"][1:-1]
    response = call(api, "POST", url, b"", ONE_CLICK)
    assert response.status == 200
    assert b"You are unsubscribed" in response.body
    api.drain()
    assert len(unsubscribe_events(api)) == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("query", ["", "token=v1.bm9wZQ.AAAAAAAAAAAAAAAAAAAAAA", "token=garbage"])
def test_a_bad_link_is_a_400_with_the_error_body(local, method, query):
    api, _, _ = local
    response = api.runtime.handle(method, "/v1/unsubscribe", query, ONE_CLICK, b"", "127.0.0.1")
    assert response.status == 400
    body = json.loads(response.body)
    assert body["error"]["code"] == "invalid_request"
    assert body["error"]["details"] == {"field": "token"}
