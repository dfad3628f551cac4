"""Inbound SMS: the STOP parser, the lead event it becomes, and the state that suppresses ``sms``."""

from datetime import UTC, datetime

import pytest

from leadwire.core.rules.consent import is_subscribed, suppressed_channel
from leadwire.core.rules.events import LeadEvent
from leadwire.core.sms.inbound import InboundSmsError, parse_inbound, unsubscribe_event
from leadwire.core.sms.phones import e164
from leadwire.feedback.sms_inbound import IGNORED, STOPPED, UNKNOWN_NUMBER, SmsInboundService

AT = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def _message(body: str, number: str = "+14155550100") -> dict:
    return {
        "originationNumber": number,
        "destinationNumber": "+18005550100",
        "messageKeyword": "KEYWORD_123456789012",
        "messageBody": body,
        "inboundMessageId": "in-1",
        "previousPublishedMessageId": "out-1",
    }


@pytest.mark.parametrize("body", ["STOP", "stop", "  Stop \n", "UNSUBSCRIBE", "cancel", "End", "quit"])
def test_opt_out_keywords_are_recognised(body):
    assert parse_inbound(_message(body)).is_stop


@pytest.mark.parametrize("body", ["yes", "stop please", "STOPP", ""])
def test_other_replies_are_not_stop(body):
    assert not parse_inbound(_message(body)).is_stop


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({**_message("STOP"), "originationNumber": "4155550100"}, "originationNumber"),
        ({**_message("STOP"), "messageBody": None}, "messageBody"),
        ({k: v for k, v in _message("STOP").items() if k != "inboundMessageId"}, "inboundMessageId"),
    ],
)
def test_a_malformed_message_names_the_field(message, field):
    with pytest.raises(InboundSmsError) as error:
        parse_inbound(message)
    assert error.value.field == field


def test_e164_normalises_separators_and_refuses_guesses():
    assert e164("+1 (415) 555-0100") == "+14155550100"
    assert e164("004915112345678") is None
    assert e164("+0123456789") is None
    assert e164(4155550100) is None


def test_stop_becomes_an_event_that_suppresses_sms_only():
    event = unsubscribe_event(parse_inbound(_message(" stop ")), "ann", AT)
    assert (event.event, event.lead_id, event.timestamp) == ("sms_unsubscribed", "ann", AT)
    assert event.properties == {"channel": "sms", "keyword": "STOP"}
    # the same inbound message (a redelivery) is the same event item
    assert unsubscribe_event(parse_inbound(_message("STOP")), "ann", AT).message_id == event.message_id
    lead_event = LeadEvent(
        message_id=event.message_id,
        type="track",
        event=event.event,
        timestamp=AT,
        properties=event.properties,
    )
    assert suppressed_channel(lead_event) == "sms"
    assert not is_subscribed({"sms": (True, 1)}, ["sms"], "sms")


class _Phones:
    def __init__(self, book: dict[str, str]) -> None:
        self.book = book

    def remember(self, phone: str, lead_id: str, at: datetime) -> None:
        self.book[phone] = lead_id

    def lead_for(self, phone: str) -> str | None:
        return self.book.get(phone)


class _Events:
    def __init__(self) -> None:
        self.put: list = []

    def put_events(self, events: list) -> None:
        self.put.extend(events)


def test_the_service_writes_an_event_only_for_a_stop_from_a_known_number():
    events = _Events()
    service = SmsInboundService(_Phones({"+14155550100": "ann"}), events, lambda: AT)
    assert service.handle(_message("hello")) == IGNORED
    assert service.handle(_message("STOP", "+14155550199")) == UNKNOWN_NUMBER
    assert events.put == []
    assert service.handle(_message("STOP")) == STOPPED
    assert [(e.lead_id, e.event) for e in events.put] == [("ann", "sms_unsubscribed")]
