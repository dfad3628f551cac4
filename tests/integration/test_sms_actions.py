"""SMS on the local runtime: a trigger texts a consenting lead once, nobody without consent,
waits out quiet hours in the lead's zone, and stops for good after the number replies STOP."""

from datetime import timedelta

import pytest

from leadwire.dal.phone_book import phone_key
from leadwire.local.runtime import TABLE_NAME, LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, track

CONFIG = """
segments:
  - {id: demo-requesters, name: Demo Requesters, condition: {performed: {event: demo_requested}}}
  - {id: sms-subscribers, name: SMS Subscribers, condition: {subscribed: sms}}
triggers:
  - id: text-demo
    on: {event: demo_requested}
    actions: [{type: sms, template: demo-booked}]
sms_templates:
  demo-booked:
    text: "Hi {{ traits.first_name | default('there') }}, your demo is booked. Reply STOP to opt out."
delivery:
  sms: {origination_identity: "+18005550100"}
  quiet_hours: {start: "21:00", end: "08:00", timezone_trait: timezone}
"""
ANN = "+14155550100"


@pytest.fixture
def api(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "leadwire.yaml").write_text(CONFIG)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    yield LocalApi(runtime)
    runtime.close()


def identify(lead, **traits):
    return {"type": "identify", "userId": lead, "traits": traits}


def _texts(api):
    status, body = api.get("/_local/sms")
    assert status == 200
    return body["messages"]


def _deliveries(api, lead):
    _, outbox = api.get("/_local/outbox")
    return [(m["channel"], m["status"], m.get("reason")) for m in outbox["messages"] if m["leadId"] == lead]


def test_a_consenting_lead_is_texted_once_and_a_lead_without_consent_never(api):
    api.send(
        identify("ann", phone="+1 (415) 555-0100", first_name="Ann", subscriptions={"sms": True}),
        identify("bob", phone="+14155550111", subscriptions={"email": True}),
        track("ann", "demo_requested"),
        track("bob", "demo_requested"),
    )
    api.drain()
    api.drain()  # nothing left to do: no second text

    (text,) = _texts(api)
    assert text["DestinationPhoneNumber"] == ANN
    assert text["MessageBody"] == "Hi Ann, your demo is booked. Reply STOP to opt out."
    assert text["OriginationIdentity"] == "+18005550100"
    assert text["MessageType"] == "PROMOTIONAL"
    assert text["Context"]["leadwire-lead"] == "ann"
    assert text["Context"]["leadwire-trigger"] == "text-demo"
    assert _deliveries(api, "ann") == [("sms", "sent", None)]
    # End User Messaging's delivery event came back through the feedback function as a lead event
    _, events = api.get("/leads/ann/events")
    (delivered,) = [e for e in events["events"] if e["event"] == "sms_delivered"]
    assert delivered["properties"]["trigger_id"] == "text-demo"
    assert delivered["properties"]["sms_message_id"] == text["messageId"]
    assert _deliveries(api, "bob") == [
        ("sms", "no_consent", "the lead has not consented to SMS (subscriptions.sms)")
    ]


def test_a_text_in_quiet_hours_waits_for_the_morning_in_the_lead_zone(api):
    # 09:01 UTC is 01:01 in Los Angeles: inside 21:00-08:00
    api.send(
        identify("cat", phone="+13105550100", timezone="America/Los_Angeles", subscriptions={"sms": True}),
        track("cat", "demo_requested"),
    )
    api.drain()
    assert _texts(api) == []
    assert [status for _, status, _ in _deliveries(api, "cat")] == ["deferred"]

    status, _ = api.post("/_local/clock", {"to": (NOW + timedelta(hours=8)).isoformat()})  # 09:00 LA
    assert status == 200
    (text,) = _texts(api)
    assert text["DestinationPhoneNumber"] == "+13105550100"
    assert text["at"] == "2026-11-02T16:00:00.000Z"  # 08:00 in Los Angeles (PST)
    assert [status for _, status, _ in _deliveries(api, "cat")] == ["sent"]


def test_after_an_inbound_stop_the_number_gets_no_more_texts(api):
    api.send(
        identify("ann", phone=ANN, subscriptions={"sms": True}),
        track("ann", "demo_requested"),
    )
    api.drain()
    assert len(_texts(api)) == 1
    assert [m["leadId"] for m in api.all_members("sms-subscribers")] == ["ann"]

    status, body = api.post("/_local/sms-inbound", {"from": ANN, "body": " Stop "})
    assert (status, body) == (200, {"stopped": 1})
    status, body = api.post("/_local/sms-inbound", {"from": "+19995550100", "body": "STOP"})
    assert (status, body) == (200, {"unknown_number": 1})
    api.drain()
    assert api.all_members("sms-subscribers") == []  # the lead state suppresses sms

    api.send(track("ann", "demo_requested"))
    api.drain()
    assert len(_texts(api)) == 1
    assert sorted(_deliveries(api, "ann"), key=lambda d: d[1]) == [
        ("sms", "sent", None),
        ("sms", "suppressed", "the number replied STOP"),
    ]


def test_a_bad_inbound_request_names_the_field(api):
    status, body = api.post("/_local/sms-inbound", {"from": "4155550100", "body": "STOP"})
    assert status == 400
    assert body["error"]["details"] == {"field": "from"}


def test_the_stack_configuration_set_overrides_the_config_one(tmp_path, monkeypatch):
    # Given the stack's configuration set in the actions' environment (the SmsConstruct sets it)
    monkeypatch.setenv("SMS_CONFIGURATION_SET", "leadwire-stack-set")
    config = tmp_path / "config"
    config.mkdir()
    (config / "leadwire.yaml").write_text(CONFIG)
    runtime = LocalRuntime({WRITE_KEY: "tests"}, config_dir=config, clock_start=NOW + timedelta(minutes=1))
    try:
        api = LocalApi(runtime)
        api.send(identify("ann", phone=ANN, subscriptions={"sms": True}), track("ann", "demo_requested"))
        api.drain()
        # Then the text goes through it, so its delivery events reach the feedback topic
        (text,) = _texts(api)
        assert text["ConfigurationSetName"] == "leadwire-stack-set"
    finally:
        runtime.close()


def test_erasing_a_lead_forgets_the_numbers_it_was_texted_at(api):
    api.send(identify("ann", phone=ANN, subscriptions={"sms": True}), track("ann", "demo_requested"))
    api.drain()
    assert len(_texts(api)) == 1
    phone_item = phone_key(ANN)
    assert "Item" in api.runtime.dynamodb.get_item(TableName=TABLE_NAME, Key=phone_item)

    status, erased, _ = api.delete("/leads/ann")
    assert status in (200, 202)
    assert erased["erased"]["phoneNumbers"] == 1
    # The number -> lead item is gone, so a later STOP from it finds nobody
    assert "Item" not in api.runtime.dynamodb.get_item(TableName=TABLE_NAME, Key=phone_item)
    status, body = api.post("/_local/sms-inbound", {"from": ANN, "body": "STOP"})
    assert (status, body) == (200, {"unknown_number": 1})
