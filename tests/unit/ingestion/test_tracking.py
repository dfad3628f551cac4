"""Validation, clock-skew correction and the stored shape of Segment messages."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.tracking import (
    MAX_EVENT_BYTES,
    FieldError,
    TrackingMessage,
    corrected_timestamp,
    derive_message_id,
    parse_message,
)

RECEIVED = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC)


def parse(raw, **kwargs):
    options = {"field": "body", "received_at": RECEIVED, "batch_sent_at": None, "source": "website"}
    options.update(kwargs)
    return parse_message(raw, **options)


def test_skew_correction_uses_the_interval_between_event_and_send():
    # Given a device clock 3 hours fast: event at device 15:00, sent at device 15:00:05
    message = TrackingMessage.model_validate(
        {
            "type": "track",
            "event": "x",
            "userId": "u",
            "timestamp": "2026-11-01T15:00:00Z",
            "sentAt": "2026-11-01T15:00:05Z",
        }
    )
    # When the server receives it at 12:00:00 real time
    corrected = corrected_timestamp(message, RECEIVED, None)
    # Then the event happened 5 seconds before arrival
    assert corrected == RECEIVED - timedelta(seconds=5)


def test_skew_correction_prefers_original_timestamp_and_batch_sent_at():
    message = TrackingMessage.model_validate(
        {
            "type": "track",
            "event": "x",
            "userId": "u",
            "originalTimestamp": "2026-11-01T09:00:00Z",
            "timestamp": "2026-01-01T00:00:00Z",
        }
    )
    batch_sent_at = datetime(2026, 11, 1, 9, 1, tzinfo=UTC)
    assert corrected_timestamp(message, RECEIVED, batch_sent_at) == RECEIVED - timedelta(minutes=1)


def test_timestamp_without_sent_at_is_trusted_as_is_for_historical_imports():
    event = parse({"type": "track", "event": "x", "userId": "u", "timestamp": "2025-03-01T08:00:00+02:00"})
    assert event.timestamp == datetime(2025, 3, 1, 6, 0, tzinfo=UTC)


def test_message_without_any_timestamp_happened_when_received():
    event = parse({"type": "track", "event": "x", "userId": "u"})
    assert event.timestamp == RECEIVED


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        ({"type": "track", "event": "x"}, "body.userId", "userId or anonymousId is required"),
        ({"type": "track", "userId": "u"}, "body.event", "event is required"),
        ({"type": "track", "userId": "u", "event": ""}, "body.event", "at least 1 character"),
        ({"type": "track", "userId": "u", "event": 5}, "body.event", "valid string"),
        ({"type": "group", "userId": "u"}, "body.groupId", "groupId is required"),
        ({"type": "alias", "userId": "u"}, "body.previousId", "previousId is required"),
        ({"type": "track", "userId": "u" * 257, "event": "x"}, "body.userId", "at most 256"),
        (
            {"type": "track", "userId": "u", "event": "x", "messageId": "m" * 129},
            "body.messageId",
            "at most 128",
        ),
        (
            {"type": "track", "userId": "u", "event": "x", "timestamp": "yesterday"},
            "body.timestamp",
            "datetime",
        ),
        ({"type": "track", "userId": "u", "event": "x", "properties": []}, "body.properties", "dictionary"),
        ({"type": "launch", "userId": "u"}, "body.type", "identify"),
        ([1, 2], "body", "JSON object"),
    ],
)
def test_invalid_message_names_the_field_and_the_problem(raw, field, fragment):
    with pytest.raises(FieldError) as caught:
        parse(raw)
    assert caught.value.field == field
    assert fragment in caught.value.message


def test_event_over_32_kb_is_refused():
    raw = {"type": "track", "userId": "u", "event": "x", "properties": {"blob": "a" * MAX_EVENT_BYTES}}
    with pytest.raises(FieldError, match="larger than 32 KB"):
        parse(raw)


def test_endpoint_type_is_applied_and_a_conflicting_type_refused():
    assert parse({"userId": "u", "event": "x"}, default_type="track").type == "track"
    with pytest.raises(FieldError) as caught:
        parse({"type": "page", "userId": "u"}, default_type="track")
    assert caught.value.field == "body.type"


def test_numeric_user_id_is_the_same_lead_as_its_string():
    assert parse({"type": "identify", "userId": 42}).lead_id == "42"


def test_known_user_owns_the_event_even_with_an_anonymous_id():
    event = parse({"type": "track", "event": "x", "userId": "u-1", "anonymousId": "anon-1"})
    assert (event.lead_id, event.anonymous_id) == ("u-1", "anon-1")


def test_page_call_becomes_page_viewed_with_page_context():
    event = parse(
        {
            "type": "page",
            "anonymousId": "a",
            "name": "Pricing",
            "context": {
                "page": {"path": "/pricing", "url": "https://x.example/pricing", "title": "Pricing"},
                "userAgent": "Mozilla/5.0",
                "ip": "203.0.113.9",
            },
        }
    )
    assert event.event == "page_viewed"
    assert event.properties == {
        "path": "/pricing",
        "url": "https://x.example/pricing",
        "title": "Pricing",
        "name": "Pricing",
    }
    assert "userAgent" not in event.context
    assert "ip" not in event.context


def test_screen_call_becomes_screen_viewed():
    assert parse({"type": "screen", "userId": "u", "name": "Home"}).event == "screen_viewed"


def test_identify_keeps_traits_and_track_does_not():
    assert parse({"type": "identify", "userId": "u", "traits": {"plan": "pro"}}).traits == {"plan": "pro"}
    assert parse({"type": "track", "userId": "u", "event": "x", "traits": {"plan": "pro"}}).traits == {}


def test_derived_message_id_is_stable_for_a_resent_event_with_a_timestamp():
    raw = {"type": "track", "userId": "u", "event": "x", "timestamp": "2026-11-01T10:00:00Z"}
    assert derive_message_id({**raw, "sentAt": "a"}) == derive_message_id({**raw, "sentAt": "b"})


def test_derived_message_id_is_fresh_without_a_timestamp():
    raw = {"type": "track", "userId": "u", "event": "x"}
    assert derive_message_id(raw) != derive_message_id(raw)
