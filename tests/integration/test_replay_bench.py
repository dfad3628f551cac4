"""A month of a small shop, a day at a time on the simulated clock: every abandoned cart's timer
fires at its deadline (not when the day's advance noticed it), and no other."""

from datetime import UTC, datetime

from leadwire.local.replay_bench import expected_cart_deadlines, run_replay


def test_every_cart_abandonment_timer_fires_at_its_deadline():
    report = run_replay(1, events_per_month=300, visitors_per_month=15)
    assert report["events"] == 300
    assert report["cart_timers_expected"] > 0
    assert report["cart_timers_fired"] == report["cart_timers_expected"]
    assert report["all_cart_timers_at_deadline"] is True


def cart(event, at, cart_id="c1"):
    return {"event": event, "timestamp": at, "properties": {"cart_id": cart_id}}


def test_expected_deadlines_follow_the_trigger_rules():
    workload = [
        cart("cart_added", "2026-09-01T10:00:00Z"),
        cart("cart_added", "2026-09-01T10:30:00Z"),  # the first wait is open: starts nothing
        cart("cart_added", "2026-09-01T12:00:00Z"),
        cart("purchase", "2026-09-01T12:20:00Z"),  # bought within the hour: no fire
        cart("cart_added", "2026-09-02T09:00:00Z", "c2"),
    ]
    deadlines = expected_cart_deadlines(workload)
    assert sorted(deadlines) == [
        datetime(2026, 9, 1, 11, 0, tzinfo=UTC),
        datetime(2026, 9, 2, 10, 0, tzinfo=UTC),
    ]
