"""Birthday triggers fire at 09:00 in the lead's time zone, on the simulated clock, every year."""

from datetime import UTC, datetime

import pytest

from leadwire.local.runtime import LocalRuntime

from .local_api import WRITE_KEY, LocalApi

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "tests"}, clock_start=T0)
    yield LocalApi(runtime)
    runtime.close()


def birthdays(api):
    _, body = api.get("/_local/outbox")
    return [(m["leadId"], m["at"]) for m in body["messages"] if m.get("event") == "birthday_reached"]


def identify(user, birthday, timezone):
    return {
        "type": "identify",
        "userId": user,
        "timestamp": T0.isoformat(),
        "traits": {"birthday": birthday, "timezone": timezone},
    }


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        ("Asia/Tokyo", "2026-10-15T00:00:00.000Z"),  # 09:00 JST is midnight UTC, same date
        ("America/Los_Angeles", "2026-10-15T16:00:00.000Z"),  # PDT, UTC-7
        ("Europe/Berlin", "2026-10-15T07:00:00.000Z"),  # CEST, UTC+2
    ],
)
def test_a_birthday_fires_at_nine_local_time(api, timezone, expected):
    api.send(identify("b-1", "1990-10-15", timezone))
    api.drain()
    api.post("/_local/clock", {"to": "2026-10-20T00:00:00Z"})
    assert birthdays(api) == [("b-1", expected)]


def test_the_next_year_is_armed_when_a_birthday_fires(api):
    api.send(identify("b-2", "1985-09-10", "UTC"))
    api.drain()
    api.post("/_local/clock", {"to": "2027-09-11T00:00:00Z"})
    assert birthdays(api) == [("b-2", "2026-09-10T09:00:00.000Z"), ("b-2", "2027-09-10T09:00:00.000Z")]


def test_a_february_29_birthday_fires_on_february_28_in_a_common_year(api):
    api.send(identify("b-3", "1992-02-29", "UTC"))
    api.drain()
    api.post("/_local/clock", {"to": "2027-03-01T00:00:00Z"})
    assert birthdays(api) == [("b-3", "2027-02-28T09:00:00.000Z")]
