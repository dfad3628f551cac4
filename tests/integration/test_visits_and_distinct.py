"""Multi-Touch Leads (distinct channels) and Returning Visitors (a second visit) on the default
config, through the local runtime on a simulated clock: each event arrives when it happened, and
the lead enters each segment at the event that makes it true, with that event as the cause."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.local.runtime import LocalRuntime

from .local_api import WRITE_KEY, LocalApi

START = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "tests"}, clock_start=START)
    yield LocalApi(runtime)
    runtime.close()


def arrive(api, lead, after, message):
    """Move the clock to ``START + after``, send ``message`` stamped then; its messageId."""
    when = START + after
    api.post("/_local/clock", {"to": when.isoformat()})
    (message_id,) = api.send({"userId": lead, "timestamp": when.isoformat(), **message})
    api.drain()
    return message_id


def entries(api, lead, segment_id):
    status, body = api.get(f"/leads/{lead}/history")
    assert status == 200, body
    return [h for h in body["history"] if h["segmentId"] == segment_id]


def segments(api, lead):
    status, view = api.get(f"/leads/{lead}")
    assert status == 200, view
    return set(view["segments"])


def touch(channel):
    return {"type": "track", "event": "touch", "properties": {"channel": channel}}


def test_a_lead_enters_multi_touch_at_its_third_distinct_channel(api):
    # Given touches through email, email again, then the web
    arrive(api, "mt", timedelta(0), touch("email"))
    arrive(api, "mt", timedelta(days=1), touch("email"))
    arrive(api, "mt", timedelta(days=2), touch("web"))
    # Then two distinct channels are not enough
    assert "multi-touch-leads" not in segments(api, "mt")
    # When a webinar touch arrives
    third = arrive(api, "mt", timedelta(days=3, hours=2), touch("webinar"))
    # Then the lead entered at that event, caused by it
    (interval,) = entries(api, "mt", "multi-touch-leads")
    assert interval["enteredAt"] == "2026-09-17T11:00:00.000Z"
    assert interval["cause"]["entered"] == third
    assert interval["exitedAt"] is None
    # And explain shows the count of distinct channels against the test
    status, why = api.get("/segments/multi-touch-leads/explain/mt")
    assert status == 200, why
    assert (why["member"], why["tree"]["value"], why["tree"]["expected"]["distinct"]) == (True, 3, "channel")


def test_a_lead_enters_returning_visitors_at_the_first_event_of_its_second_visit(api):
    # Given a first visit: three pages, 20 minutes apart (one visit: gaps under 30 minutes)
    for minutes in (0, 20, 40):
        arrive(api, "rv", timedelta(minutes=minutes), {"type": "page", "properties": {"path": "/"}})
    assert "returning-visitors" not in segments(api, "rv")
    # When the lead comes back 45 minutes after its last page
    back = arrive(api, "rv", timedelta(minutes=85), {"type": "page", "properties": {"path": "/pricing"}})
    # Then it entered Returning Visitors at that page, caused by it
    (interval,) = entries(api, "rv", "returning-visitors")
    assert (interval["enteredAt"], interval["cause"]["entered"]) == ("2026-09-14T10:25:00.000Z", back)
    status, why = api.get("/segments/returning-visitors/explain/rv")
    assert (status, why["tree"]["value"]) == (200, 2)


def test_preview_replays_visits_and_distinct_channels(api):
    # Given a lead with two visits and one with three channels, stored in the past
    for minutes in (0, 50):
        arrive(api, "p-rv", timedelta(minutes=minutes), {"type": "page", "properties": {"path": "/"}})
    for hours, channel in enumerate(("email", "web", "webinar")):
        arrive(api, "p-mt", timedelta(hours=2 + hours), touch(channel))
    # When previewing a segment that needs both
    candidate = {
        "id": "returning-multi-touch",
        "name": "Returning multi-touch",
        "condition": {
            "any": [
                {"visits": {"count": {"gte": 2}, "within": "P7D"}},
                {"performed": {"event": "touch", "distinct": "channel", "count": {"gte": 3}}},
            ]
        },
    }
    status, body = api.post("/segments/preview", {"segment": candidate, "since": "P30D"})
    # Then both leads are members
    assert status == 200, body
    assert (body["memberCount"], sorted(body["sample"])) == (2, ["p-mt", "p-rv"])
