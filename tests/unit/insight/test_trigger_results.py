"""A/B results per arm, against numbers worked out by hand."""

from datetime import UTC, datetime, timedelta

from leadwire.core.insight.trigger_results import trigger_results
from leadwire.core.tracking import StoredEvent

T0 = datetime(2026, 9, 1, 12, tzinfo=UTC)


def at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def delivery(lead, fire, hours, status="sent", variant="a", channel="email", delivery_id=None):
    return {
        "leadId": lead,
        "fireId": fire,
        "firedAt": at(hours),
        "status": status,
        "channel": channel,
        "variant": variant,
        "deliveryId": delivery_id or f"d-{fire}-{channel}",
    }


def event(lead, name, hours, **properties):
    when = T0 + timedelta(hours=hours)
    return StoredEvent(
        message_id=f"{lead}-{name}-{hours}",
        type="track",
        lead_id=lead,
        event=name,
        timestamp=when,
        received_at=when,
        source="t",
        properties=properties,
    )


DELIVERIES = [
    # variant a: ann (fired twice: counted once, from her first fire at 0 h) and bo
    delivery("ann", "f1", 0),
    delivery("ann", "f1", 0, channel="webhook", status="failed"),
    delivery("ann", "f2", 30),
    delivery("bo", "f3", 1),
    # variant b: cy sent, dee capped
    delivery("cy", "f4", 2, variant="b"),
    delivery("dee", "f5", 2, variant="b", status="capped"),
    # the holdout: eve and fay, nothing sent
    delivery("eve", "f6", 3, status="held_out", variant=None, channel="email"),
    delivery("fay", "f7", 3, status="held_out", variant=None, channel="email"),
]
EVENTS = {
    "ann": [event("ann", "email_opened", 0.5, delivery_id="d-f1-email"), event("ann", "purchase", 20)],
    "bo": [event("bo", "purchase", 2 + 7 * 24)],  # an hour after his 7-day window
    "cy": [
        event("cy", "email_opened", 3, delivery_id="d-f4-email"),
        event("cy", "email_clicked", 3.1, delivery_id="d-f4-email"),
        event("cy", "purchase", 4),
    ],
    "dee": [event("dee", "purchase", 1)],  # before her fire: does not count
    "eve": [event("eve", "purchase", 5)],
    "fay": [],
}


def test_results_per_arm_with_conversions_and_lift():
    arms = trigger_results(DELIVERIES, EVENTS, "purchase", timedelta(days=7))
    rows = [
        (
            a.name,
            a.fires,
            a.leads,
            a.sends,
            a.not_sent,
            a.opens,
            a.clicks,
            a.conversions,
            a.conversion_rate,
            a.lift,
        )
        for a in arms
    ]
    assert rows == [
        # a: ann converts (20 h after her first fire), bo after the window: 1 of 2 = 0.5; holdout 0.5
        ("a", 3, 2, {"email": 3}, {"failed": 1}, 1, 0, 1, 0.5, 0.0),
        # b: cy converts, dee bought before her fire: 1 of 2; cy opened and clicked
        ("b", 2, 2, {"email": 1}, {"capped": 1}, 1, 1, 1, 0.5, 0.0),
        # holdout: eve converts, fay does not
        ("holdout", 2, 2, {}, {}, 0, 0, 1, 0.5, None),
    ]


def test_a_shorter_window_and_no_holdout():
    arms = trigger_results(DELIVERIES[:6], EVENTS, "purchase", timedelta(hours=10))
    assert [(a.name, a.conversions, a.conversion_rate, a.lift) for a in arms] == [
        ("a", 0, 0.0, None),  # ann bought 20 h after: outside 10 h
        ("b", 1, 0.5, None),
    ]
