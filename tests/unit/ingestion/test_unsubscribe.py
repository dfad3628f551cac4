"""The unsubscribe use case with an in-memory sink: checking writes nothing, unsubscribing writes
one deduplicable ``email_unsubscribed`` event, bad links are 400s."""

import base64
from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.email.unsubscribe import make_token
from leadwire.core.errors import InvalidRequest
from leadwire.ingestion.unsubscribe import UnsubscribeService, confirm_page, is_one_click

SECRET = b"s" * 32
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
    return UnsubscribeService(sink, lambda: SECRET)


def test_check_reads_the_token_and_writes_nothing(service, sink):
    request = service.check(make_token(SECRET, "u-1", "fire-0"))
    assert (request.lead_id, request.delivery_id) == ("u-1", "fire-0")
    assert sink.events == []


def test_unsubscribe_stores_one_withdrawing_event(service, sink):
    service.unsubscribe(make_token(SECRET, "ana@example.com", "fire-2"), NOW)
    [event] = sink.events
    assert (event.type, event.event, event.lead_id, event.source) == (
        "track",
        "email_unsubscribed",
        "ana@example.com",
        "unsubscribe",
    )
    assert event.properties == {"channel": "email", "delivery_id": "fire-2"}
    assert event.timestamp == NOW
    assert event.message_id.startswith("lw-unsubscribe-")


def test_a_repeated_click_is_the_same_event(service, sink):
    token = make_token(SECRET, "u-1", "fire-0")
    service.unsubscribe(token, NOW)
    service.unsubscribe(token, NOW + timedelta(minutes=3))
    assert len({e.message_id for e in sink.events}) == 1


@pytest.mark.parametrize("token", [None, "", "v1.abc.def", make_token(b"another secret", "u-1", "fire-0")])
def test_bad_link_is_a_400_and_writes_nothing(service, sink, token):
    with pytest.raises(InvalidRequest) as raised:
        service.unsubscribe(token, NOW)
    assert raised.value.status == 400
    assert raised.value.details == {"field": "token"}
    assert sink.events == []


def test_secret_is_not_read_until_a_link_is_used(sink):
    calls = []
    service = UnsubscribeService(sink, lambda: calls.append(1) or SECRET)
    assert calls == []
    service.check(make_token(SECRET, "u-1", "fire-0"))
    assert calls == [1]


@pytest.mark.parametrize(
    ("body", "is_base64", "expected"),
    [
        ("List-Unsubscribe=One-Click", False, True),
        (base64.b64encode(b"List-Unsubscribe=One-Click").decode(), True, True),
        ("", False, False),
        ("confirm=yes", False, False),
        ("not base64!", True, False),
    ],
)
def test_one_click_body(body, is_base64, expected):
    assert is_one_click(body, is_base64=is_base64) is expected


def test_confirm_page_posts_back_with_the_token():
    page = confirm_page("v1.abc.def")
    assert '<form method="post" action="?token=v1.abc.def">' in page
