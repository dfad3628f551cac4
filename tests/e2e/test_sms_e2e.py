"""SMS end to end: a real ``leadwire local`` process on the default config (its callback-text
trigger), events over HTTP, the End User Messaging simulator's texts and an inbound STOP."""

import pytest

from .conftest import WRITE_KEY, run_local

pytestmark = pytest.mark.e2e

PHONE = "+14155550177"
CLOCK = "2026-11-20T15:00:00Z"  # 10:00 in New York: outside the default quiet hours


def _post(local, kind, body):
    status, _, reply = local.request("POST", f"/v1/{kind}", {**body, "writeKey": WRITE_KEY})
    assert status == 200, reply


def _callback_deliveries(local, lead):
    _, _, outbox = local.request("GET", "/_local/outbox")
    return [
        (m["status"], m.get("reason"))
        for m in outbox["messages"]
        if m["leadId"] == lead and m["triggerId"] == "callback-text"
    ]


@pytest.fixture(scope="module")
def local():
    with run_local("--clock", CLOCK) as server:
        yield server


def test_a_callback_request_is_texted_once_then_a_stop_reply_ends_texts(local):
    # Given a lead in New York with a phone number and SMS consent, and one without consent
    traits = {"phone": "+1 415 555 0177", "first_name": "Dee", "timezone": "America/New_York"}
    _post(local, "identify", {"userId": "sms-dee", "traits": {**traits, "subscriptions": {"sms": True}}})
    _post(local, "identify", {"userId": "sms-eve", "traits": {"phone": "+14155550178"}})
    # When both ask for a callback (and a retried request carries the same messageId)
    for lead in ("sms-dee", "sms-eve"):
        for _ in range(2):
            _post(local, "track", {"userId": lead, "event": "callback_requested", "messageId": f"cb-{lead}"})
    local.drain()

    # Then one text went out, to the consenting lead, and its delivery came back as a lead event
    _, _, sent = local.request("GET", "/_local/sms")
    (text,) = [t for t in sent["messages"] if t["Context"]["leadwire-lead"] in ("sms-dee", "sms-eve")]
    assert text["DestinationPhoneNumber"] == PHONE
    assert text["MessageBody"].startswith("Hi Dee, thanks for asking us to call.")
    assert text["Context"]["leadwire-trigger"] == "callback-text"
    assert _callback_deliveries(local, "sms-dee") == [("sent", None)]
    assert _callback_deliveries(local, "sms-eve") == [
        ("no_consent", "the lead has not consented to SMS (subscriptions.sms)")
    ]
    assert "sms_delivered" in [e["event"] for e in local.events("sms-dee")]

    # When the number replies STOP and the lead asks again the next day
    status, _, reply = local.request("POST", "/_local/sms-inbound", {"from": PHONE, "body": "stop"})
    assert (status, reply) == (200, {"stopped": 1})
    status, _, _ = local.request("POST", "/_local/clock", {"advance": "P1D"})
    assert status == 200
    _post(local, "track", {"userId": "sms-dee", "event": "callback_requested", "messageId": "cb-sms-dee-2"})
    local.drain()

    # Then no second text: the delivery is logged suppressed, and the lead is no longer subscribed
    _, _, sent = local.request("GET", "/_local/sms")
    assert [t["messageId"] for t in sent["messages"]] == [text["messageId"]]
    assert _callback_deliveries(local, "sms-dee")[-1] == ("suppressed", "the number replied STOP")
    assert "sms_unsubscribed" in [e["event"] for e in local.events("sms-dee")]
