"""Cart abandonment end to end on the simulated clock: the real timer state machine on moto."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.local.runtime import LocalRuntime

from .local_api import WRITE_KEY, LocalApi

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def at(delta):
    return (T0 + delta).isoformat().replace("+00:00", "Z")


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "tests"}, clock_start=T0 + timedelta(minutes=45))
    yield LocalApi(runtime)
    runtime.close()


def cart(user, name, cart_id, minutes):
    return {
        "type": "track",
        "userId": user,
        "event": name,
        "timestamp": at(timedelta(minutes=minutes)),
        "properties": {"cart_id": cart_id, "value": 49},
    }


def abandoned(api, user=None):
    _, body = api.get("/_local/outbox")
    return [
        (m["leadId"], m["properties"]["cart_id"], m["at"])
        for m in body["messages"]
        if m["channel"] == "event"
        and m["event"] == "cart_abandoned"
        and (user is None or m["leadId"] == user)
    ]


def run_two_hours(api):
    status, body = api.post("/_local/clock", {"advance": "PT2H"})
    assert status == 200, body


def test_an_abandoned_cart_fires_once_at_its_deadline(api):
    api.send(cart("ann", "cart_added", "c1", 0))
    api.drain()
    run_two_hours(api)
    assert abandoned(api) == [("ann", "c1", at(timedelta(hours=1)).replace("Z", ".000Z"))]
    _, lead = api.get("/leads/ann")
    assert "cart-abandoners" in lead["segments"]
    assert api.runtime.timers.transitions == 2  # Wait, and the mark that carries the fire


def test_a_cart_bought_in_time_fires_nothing(api):
    api.send(cart("bob", "cart_added", "c1", 0), cart("bob", "purchase", "c1", 30))
    api.drain()
    run_two_hours(api)
    assert abandoned(api) == []
    # The purchase stopped the wake-up: it never ran, billed only the Wait it had entered
    timers = api.runtime.timers
    assert (timers.executions, timers.transitions, timers.pending) == (0, 1, [])


def test_two_carts_one_bought_abandons_the_other(api):
    api.send(
        cart("cy", "cart_added", "c1", 0), cart("cy", "cart_added", "c2", 5), cart("cy", "purchase", "c1", 20)
    )
    api.drain()
    run_two_hours(api)
    assert [cart_id for _, cart_id, _ in abandoned(api)] == ["c2"]


def test_a_duplicate_cart_added_starts_nothing_new(api):
    api.send(cart("dee", "cart_added", "c1", 0), cart("dee", "cart_added", "c1", 10))
    api.drain()
    run_two_hours(api)
    assert len(abandoned(api)) == 1


def test_a_cart_added_again_after_its_deadline_waits_again_though_posted_ahead_of_the_clock(api):
    # A day's events posted while the clock stands before them (a replay, a backfill): the second
    # add (at +3h) comes after the first wait's deadline (+1h) in event time, but is processed
    # before that wait's wake-up has run. Each add still gets its own wait and its own fire.
    api.send(cart("gus", "cart_added", "c1", 0), cart("gus", "cart_added", "c1", 180))
    api.drain()
    api.post("/_local/clock", {"advance": "PT6H"})
    assert [when for _, _, when in abandoned(api)] == [
        at(timedelta(hours=1)).replace("Z", ".000Z"),
        at(timedelta(hours=4)).replace("Z", ".000Z"),
    ]


def test_a_chain_of_adds_posted_ahead_fires_each_wait_not_bought_in_time(api):
    # Three adds of one cart, each after the previous deadline; the purchase answers the second.
    api.send(
        cart("hal", "cart_added", "c1", 0),
        cart("hal", "cart_added", "c1", 120),
        cart("hal", "purchase", "c1", 150),
        cart("hal", "cart_added", "c1", 240),
    )
    api.drain()
    api.post("/_local/clock", {"advance": "PT6H"})
    assert [when for _, _, when in abandoned(api)] == [
        at(timedelta(hours=1)).replace("Z", ".000Z"),
        at(timedelta(hours=5)).replace("Z", ".000Z"),
    ]
    # Two fired (2 transitions each); the first add's own wake-up (overtaken: its instance waits
    # under a key of its own) and the second's (bought) were stopped after their Wait (1 each)
    assert (api.runtime.timers.executions, api.runtime.timers.transitions) == (2, 6)


def test_a_purchase_processed_before_its_cart_still_counts(api):
    # The purchase (later in event time) reaches the engine in an earlier batch than the cart.
    api.send(cart("eve", "purchase", "c1", 30))
    api.drain()
    api.send(cart("eve", "cart_added", "c1", 0))
    api.drain()
    run_two_hours(api)
    assert abandoned(api) == []


def test_a_historical_cart_beyond_the_horizon_sends_nothing(api):
    old = {**cart("fay", "cart_added", "c1", 0), "timestamp": at(timedelta(days=-10))}
    api.send(old)
    api.drain()
    run_two_hours(api)
    assert abandoned(api) == []
