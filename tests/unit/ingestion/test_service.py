"""The ingestion use case with an in-memory sink: auth, batches, partial rejection, dedupe."""

from datetime import UTC, datetime

import pytest

from leadwire.core.errors import InvalidEvent, InvalidRequest, PayloadTooLarge, Unauthorized
from leadwire.core.tracking import MAX_BATCH_EVENTS
from leadwire.ingestion.service import IngestionService
from leadwire.settings import hash_write_key

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


class MemorySink:
    def __init__(self):
        self.events = []

    def put_events(self, events):
        self.events.extend(events)


@pytest.fixture
def sink():
    return MemorySink()


@pytest.fixture
def service(sink):
    return IngestionService(sink, {hash_write_key("web-key"): "website", hash_write_key("app-key"): "app"})


def track(i, **extra):
    return {"type": "track", "userId": f"u{i}", "event": "clicked", "messageId": f"m{i}", **extra}


@pytest.mark.parametrize(
    ("header", "body", "source"), [("web-key", {}, "website"), (None, {"writeKey": "app-key"}, "app")]
)
def test_write_key_from_header_or_body_selects_the_source(service, header, body, source):
    assert service.authenticate(header, body) == source


@pytest.mark.parametrize(("header", "body", "fragment"), [(None, {}, "missing"), ("nope", {}, "unknown")])
def test_missing_or_wrong_write_key_is_unauthorized(service, header, body, fragment):
    with pytest.raises(Unauthorized, match=fragment):
        service.authenticate(header, body)


def test_batch_keeps_valid_neighbours_of_invalid_events(service, sink):
    body = {"batch": [track(0), {"type": "track", "event": "x"}, track(2), "junk", track(4)]}
    result = service.ingest("batch", body, "website", NOW)
    assert result.accepted == 3
    assert [r.index for r in result.rejected] == [1, 3]
    assert [r.field for r in result.rejected] == ["batch[1].userId", "batch[3]"]
    assert [e.message_id for e in sink.events] == ["m0", "m2", "m4"]


def test_same_message_id_twice_in_one_batch_is_stored_once(service, sink):
    result = service.ingest("batch", {"batch": [track(1), track(1)]}, "website", NOW)
    assert (result.accepted, result.duplicates_in_request, len(sink.events)) == (1, 1, 1)


def test_batch_over_2500_events_is_too_large(service):
    with pytest.raises(PayloadTooLarge):
        service.ingest("batch", {"batch": [track(i) for i in range(MAX_BATCH_EVENTS + 1)]}, "website", NOW)


@pytest.mark.parametrize("body", [{}, {"batch": {"a": 1}}])
def test_batch_without_a_list_is_refused(service, body):
    with pytest.raises(InvalidRequest, match="batch"):
        service.ingest("batch", body, "website", NOW)


def test_invalid_single_event_is_a_400_naming_the_field(service, sink):
    with pytest.raises(InvalidEvent) as caught:
        service.ingest("track", {"userId": "u"}, "website", NOW)
    assert caught.value.details == {"field": "body.event"}
    assert sink.events == []


def test_batch_level_sent_at_corrects_each_message(service, sink):
    body = {"sentAt": "2026-11-01T12:00:10Z", "batch": [track(1, timestamp="2026-11-01T12:00:00Z")]}
    service.ingest("batch", body, "website", NOW)
    assert sink.events[0].timestamp == datetime(2026, 11, 1, 11, 59, 50, tzinfo=UTC)


def test_bad_batch_sent_at_names_the_field(service):
    with pytest.raises(InvalidRequest) as caught:
        service.ingest("batch", {"sentAt": "soon", "batch": []}, "website", NOW)
    assert caught.value.details == {"field": "sentAt"}
