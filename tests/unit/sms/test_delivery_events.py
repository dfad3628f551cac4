"""SMS delivery events: a final outcome of a Leadwire text becomes sms_delivered or sms_failed."""

from datetime import UTC, datetime

import pytest

from leadwire.core.sms.delivery_events import delivery_event, is_delivery_event
from leadwire.core.sms.inbound import InboundSmsError
from leadwire.feedback.sms_inbound import IGNORED, RECORDED, SmsInboundService

from .test_inbound import _Events, _message, _Phones

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SENT_AT_MS = 1795507200000  # 2026-11-24T08:00:00Z


def _event(event_type: str = "TEXT_DELIVERED", **overrides) -> dict:
    return {
        "eventType": event_type,
        "eventVersion": "1.0",
        "eventTimestamp": SENT_AT_MS,
        "isFinal": True,
        "originationPhoneNumber": "+18005550100",
        "destinationPhoneNumber": "+14155550100",
        "messageId": "sms-1",
        "messageStatus": event_type.removeprefix("TEXT_"),
        "context": {"leadwire-lead": "ann", "leadwire-trigger": "text-demo", "leadwire-delivery": "d-1"},
        **overrides,
    }


def test_a_delivered_text_becomes_sms_delivered_at_the_event_instant():
    event = delivery_event(_event(), AT)
    assert event is not None
    assert (event.lead_id, event.event, event.source) == ("ann", "sms_delivered", "sms")
    assert event.timestamp == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert event.received_at == AT
    assert event.properties == {
        "status": "TEXT_DELIVERED",
        "trigger_id": "text-demo",
        "delivery_id": "d-1",
        "sms_message_id": "sms-1",
    }
    # a redelivered notification is the same event item
    assert delivery_event(_event(), AT).message_id == event.message_id  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "event_type", ["TEXT_BLOCKED", "TEXT_CARRIER_UNREACHABLE", "TEXT_SPAM", "TEXT_TTL_EXPIRED"]
)
def test_a_failed_text_becomes_sms_failed(event_type):
    event = delivery_event(_event(event_type), AT)
    assert event is not None
    assert (event.event, event.properties["status"]) == ("sms_failed", event_type)
    assert event.message_id != delivery_event(_event(), AT).message_id  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "message",
    [
        _event("TEXT_SENT"),
        _event("TEXT_QUEUED"),
        _event(context={}),
        _event(context={"campaign": "not ours"}),
        {k: v for k, v in _event().items() if k != "context"},
    ],
)
def test_interim_events_and_texts_of_no_lead_are_ignored(message):
    assert delivery_event(message, AT) is None


def test_a_delivery_event_without_its_message_id_names_the_field():
    with pytest.raises(InboundSmsError) as error:
        delivery_event({k: v for k, v in _event().items() if k != "messageId"}, AT)
    assert error.value.field == "messageId"


def test_without_an_event_timestamp_the_arrival_is_the_event_instant():
    event = delivery_event({k: v for k, v in _event().items() if k != "eventTimestamp"}, AT)
    assert event is not None
    assert event.timestamp == AT


def test_inbound_replies_and_delivery_events_are_told_apart():
    assert is_delivery_event(_event())
    assert not is_delivery_event(_message("STOP"))


def test_the_service_records_final_outcomes_and_ignores_interim_ones():
    events = _Events()
    service = SmsInboundService(_Phones({}), events, lambda: AT)
    assert service.handle(_event("TEXT_SENT")) == IGNORED
    assert service.handle(_event()) == RECORDED
    assert service.handle(_event("TEXT_UNREACHABLE", messageId="sms-2")) == RECORDED
    assert [(e.lead_id, e.event) for e in events.put] == [("ann", "sms_delivered"), ("ann", "sms_failed")]
