"""Time moves leads: the sweep flips time-based segments at their due instants, on the simulated
clock, through the whole local runtime."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from leadwire.local.runtime import LocalRuntime

from .local_api import WRITE_KEY, LocalApi

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def at(delta):
    return (T0 + delta).isoformat().replace("+00:00", "Z")


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "tests"}, clock_start=T0)
    yield LocalApi(runtime)
    runtime.close()


def track(user, name, when=timedelta(0), **properties):
    return {"type": "track", "userId": user, "event": name, "timestamp": at(when), "properties": properties}


def advance(api, duration):
    status, body = api.post("/_local/clock", {"advance": duration})
    assert status == 200, body
    return body


def intervals(api, lead, segment):
    _, body = api.get(f"/leads/{lead}/history")
    return [(h["enteredAt"], h["exitedAt"]) for h in body["history"] if h["segmentId"] == segment]


def test_a_stalled_trial_enters_at_exactly_14_days_of_inactivity(api):
    # Given a trial signup and nothing else
    api.send(track("trial-1", "trial_signup"))
    api.drain()
    # When the clock runs through three weeks with no event from the lead
    advance(api, "P21D")
    # Then the lead entered stalled-trials at the instant it became 14 days inactive
    assert intervals(api, "trial-1", "stalled-trials") == [
        (at(timedelta(days=14)).replace("Z", ".000Z"), None)
    ]
    # and left recent-activity at 7 days
    assert intervals(api, "trial-1", "recent-activity")[0][1] == at(timedelta(days=7)).replace("Z", ".000Z")


def test_an_api_call_takes_the_lead_out_of_stalled_trials(api):
    api.send(track("trial-2", "trial_signup"))
    api.drain()
    advance(api, "P15D")
    api.send(track("trial-2", "api_call", timedelta(days=15)))
    api.drain()
    assert intervals(api, "trial-2", "stalled-trials") == [
        (at(timedelta(days=14)).replace("Z", ".000Z"), at(timedelta(days=15)).replace("Z", ".000Z"))
    ]


@pytest.mark.parametrize(
    ("segment", "event", "expires"),
    [("email-engaged", "email_opened", timedelta(days=7)), ("new-leads", "page_viewed", timedelta(days=30))],
)
def test_windowed_segments_expire_at_their_instant(api, segment, event, expires):
    message = (
        {
            "type": "page",
            "userId": "w-1",
            "name": "Home",
            "properties": {"path": "/"},
            "timestamp": at(timedelta(0)),
        }
        if event == "page_viewed"
        else track("w-1", event)
    )
    api.send(message)
    api.drain()
    advance(api, "P40D")
    assert intervals(api, "w-1", segment) == [
        (at(timedelta(0)).replace("Z", ".000Z"), at(expires).replace("Z", ".000Z"))
    ]


def test_dormant_after_90_days(api):
    api.send(track("d-1", "page_viewed_custom"))
    api.drain()
    advance(api, "P100D")
    assert intervals(api, "d-1", "dormant-leads") == [(at(timedelta(days=90)).replace("Z", ".000Z"), None)]


def test_a_hot_lead_cools_by_decay_and_becomes_previously_hot_now_cold(api):
    # Given a lead that scored over 50 in one day
    api.send(track("hot-1", "demo_requested"), track("hot-1", "trial_signup"))
    api.drain()
    _, lead = api.get("/leads/hot-1")
    assert "hot-leads" in lead["segments"]
    # When it goes quiet for 70 days (score halves every 14 days)
    advance(api, "P70D")
    # Then it left hot-leads when decay took it under 45, and is now previously hot, now cold
    _, lead = api.get("/leads/hot-1")
    assert "hot-leads" not in lead["segments"]
    assert "previously-hot-now-cold" in lead["segments"]
    (hot,) = intervals(api, "hot-1", "hot-leads")
    assert hot[1] is not None
    # 55 points * 2^(-t / 14 days) drops under 45 at t = 14 days * log2(55 / 45), to the second
    expected = T0 + timedelta(days=14) * math.log2(55 / 45)
    assert abs((datetime.fromisoformat(hot[1]) - expected).total_seconds()) <= 1


def test_the_sweep_catches_up_after_a_gap(api):
    # Given several leads that go quiet, and a sweep that did not run for 30 days
    advance(api, "PT3H")
    for n in range(3):
        api.send(track(f"gap-{n}", "trial_signup", timedelta(hours=n)))
    api.drain()
    api.runtime.clock.move_to(T0 + timedelta(days=30))  # time passes with nothing running
    # When the sweep runs again
    api.drain()
    # Then every flip is recorded at its own instant, not when it was noticed
    for n in range(3):
        assert intervals(api, f"gap-{n}", "stalled-trials") == [
            (at(timedelta(days=14, hours=n)).replace("Z", ".000Z"), None)
        ]
