"""``make demo``'s triggers-and-actions report and its nothing-twice check, on hand-made outboxes."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadwire import schema
from leadwire.core.instants import parse_iso
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import LeadState
from leadwire.core.tracking import StoredEvent
from leadwire.local.demo.checks import format_checks, nothing_twice
from leadwire.local.demo.report import (
    crm_lines,
    delivery_counts,
    example_emails,
    feedback_counts,
    status_label,
    suppressed_lines,
    trigger_costs,
    variant_lines,
)
from leadwire.local.demo.world import BusTap, DeliveryTrail
from leadwire.local.webhook_receiver import Received


def delivery(delivery_id: str, channel: str, status: str = "sent", **details: Any) -> dict[str, Any]:
    return {
        "deliveryId": delivery_id,
        "channel": channel,
        "status": status,
        "triggerId": details.pop("triggerId", "hot-lead-handoff"),
        "leadId": details.pop("leadId", "ann"),
        "fireId": details.pop("fireId", f"fire-{delivery_id}"),
        "at": details.pop("at", "2026-09-03T08:00:00.000Z"),
        "firedAt": details.pop("firedAt", "2026-09-02T22:10:00.000Z"),
        **details,
    }


OUTBOX = [
    delivery("e1", "email", triggerId="welcome", to="ann@example.com", subject="Welcome aboard, Ann"),
    delivery("e2", "email", triggerId="cart-abandonment", to="bob@example.com", subject="Your cart"),
    delivery("e3", "email", "no_consent", triggerId="cart-abandonment"),
    delivery("w1", "webhook", webhookId="w1", attempts=2, statusCode=200),
    delivery("b1", "eventbridge", detailType="leadwire.lead.hot"),
    delivery("x1", "event", triggerId="cart-abandonment", event="cart_abandoned"),
]


def bus_event(delivery_id: str, detail_type: str = "leadwire.lead.hot") -> dict[str, Any]:
    return {"source": "leadwire", "detail-type": detail_type, "detail": {"deliveryId": delivery_id}}


def test_nothing_twice_passes_when_every_receiver_got_what_the_log_says_was_sent():
    checks = nothing_twice(2, OUTBOX, ["w1"], [bus_event("b1")])

    assert all(check.ok for check in checks)
    lines = format_checks(checks)
    assert " ".join(lines[1].split()) == "SES accepted 2 messages = 2 email deliveries sent OK"
    assert lines[-1].strip() == "OK: every email, webhook and bus event went out once"


def test_nothing_twice_flags_an_email_ses_accepted_that_the_log_does_not_say_was_sent():
    checks = nothing_twice(3, OUTBOX, ["w1"], [bus_event("b1")])

    assert [check.ok for check in checks] == [False, True, True]
    assert checks[0].problem == "SES accepted 3, the log says 2 sent"
    assert "MISMATCH: SES accepted 3, the log says 2 sent" in format_checks(checks)[1]
    assert format_checks(checks)[-1].strip().startswith("FAILED")


def test_nothing_twice_flags_a_webhook_id_accepted_twice_and_one_never_logged():
    checks = nothing_twice(2, OUTBOX, ["w1", "w1", "w9"], [bus_event("b1")])

    assert [check.ok for check in checks] == [True, False, True]
    assert checks[1].problem == ("webhook id received twice: w1; webhook id received but not logged sent: w9")


def test_nothing_twice_flags_a_bus_event_delivered_twice_or_missing():
    twice = nothing_twice(2, OUTBOX, ["w1"], [bus_event("b1"), bus_event("b1")])
    missing = nothing_twice(2, OUTBOX, ["w1"], [])

    assert twice[2].problem == "bus event of delivery received twice: b1"
    assert twice[2].received == "bus delivered 2 events"
    assert missing[2].problem == "bus event of delivery logged sent but not received: b1"


def test_a_deferred_delivery_is_counted_as_deferred_then_sent():
    trails = {"e2": ["deferred", "sending", "sent"], "e1": ["sending", "sent"]}

    assert status_label("sent", trails["e2"]) == "deferred then sent"
    assert status_label("sent", trails["e1"]) == "sent"
    assert status_label("capped", ["deferred", "capped"]) == "deferred then capped"
    counts = delivery_counts(OUTBOX, trails)
    assert counts[("cart-abandonment", "email")] == Counter({"deferred then sent": 1, "no_consent": 1})
    assert counts[("welcome", "email")] == Counter({"sent": 1})
    assert next(iter(counts)) == ("cart-abandonment", "email")  # sorted by trigger, then channel


AT = "2026-09-03T08:00:00.000Z"


def delivery_image(sk: str, status: str) -> dict[str, Any]:
    """A delivery log entry as the stream's new image carries it (``DeliveryStore`` writes these)."""
    fields = {"channel": "email", "triggerId": "welcome", "leadId": "ann", "fireId": "f1", "at": AT}
    return {
        schema.SK: {"S": sk},
        "deliveryId": {"S": sk.removeprefix("DLV#")},
        "status": {"S": status},
        "details": {"S": "{}"},
        **{name: {"S": value} for name, value in fields.items()},
    }


def test_the_delivery_trail_keeps_every_status_a_delivery_went_through_from_the_stream():
    trail = DeliveryTrail()

    def record(sk: str, status: str) -> dict[str, Any]:
        return {"dynamodb": {"NewImage": delivery_image(sk, status)}}

    for sk, status in [("DLV#d1", "deferred"), ("DLV#d1", "sending"), ("DLV#d1", "sent"), ("STATE", "x")]:
        trail.observe(record(sk, status))
    trail.observe({"dynamodb": {"Keys": {}}})  # a delete: no new image

    assert trail.statuses == {"d1": ["deferred", "sending", "sent"]}


def test_variant_lines_count_fires_per_arm_and_their_emails():
    outbox = [
        delivery("a", "email", triggerId="stalled-trial-tips", fireId="f1", variant="tips"),
        delivery("b", "email", "no_consent", triggerId="stalled-trial-tips", fireId="f2", variant="tips"),
        delivery("c", "email", triggerId="stalled-trial-tips", fireId="f3", variant="tips-and-call"),
        delivery("d", "eventbridge", triggerId="stalled-trial-tips", fireId="f3", variant="tips-and-call"),
        delivery("e", "none", "held_out", triggerId="stalled-trial-tips", fireId="f4"),
        delivery("f", "email", triggerId="welcome", fireId="f5", variant="tips"),
    ]

    assert variant_lines(outbox, "stalled-trial-tips") == [
        "holdout 1 fires",
        "tips 2 fires (emails: 1 sent, 1 no_consent)",
        "tips-and-call 1 fires (emails: 1 sent)",
    ]


def test_example_emails_show_one_that_waited_for_quiet_hours_first():
    lines = example_emails(OUTBOX, {"e2": ["deferred", "sent"]})

    assert lines == [
        '2026-09-03T08:00 to bob@example.com: "Your cart" (cart-abandonment, fired 2026-09-02T22:10, '
        "held for quiet hours)",
        '2026-09-03T08:00 to ann@example.com: "Welcome aboard, Ann" (welcome, fired 2026-09-02T22:10)',
    ]


def test_crm_lines_tell_the_retried_delivery_kept_its_id():
    payload = {"data": {"leadId": "ann"}}
    requests = [
        Received("msg-1", "/crm/leads", 500, True, payload),
        Received("msg-1", "/crm/leads", 200, True, payload),
        Received("msg-2", "/crm/leads", 200, True, payload),
        Received("", "/crm/leads", 401, False, {}),
    ]

    assert crm_lines(requests) == [
        "4 requests (2 answered 200, 1 answered 401, 1 answered 500), 3 with a valid signature; "
        "2 distinct webhook ids accepted",
        "msg-1: answered 500, then 200, the same id each time (lead ann)",
    ]


def stored_event(lead: str, name: str, source: str = "ses", at: str = "2026-09-05T10:00:00.000Z"):
    return StoredEvent(
        message_id=f"{lead}-{name}",
        type="track",
        lead_id=lead,
        event=name,
        timestamp=parse_iso(at),
        received_at=parse_iso(at),
        source=source,
    )


def test_feedback_counts_and_suppressed_addresses_come_from_the_stored_events_and_lead_state():
    events = [
        stored_event("bob", "email_delivered"),
        stored_event("bob", "email_bounced"),
        stored_event("ann", "email_delivered"),
        stored_event("ann", "email_opened", source="demo"),  # a client's own event, not SES feedback
    ]
    bob = LeadState(lead_id="bob", traits={"email": "bob+bounce@example.com"}, suppressed=["email"])
    states = [
        LeadRecord(lead_id="bob", state=bob),
        LeadRecord(lead_id="ann", state=LeadState(lead_id="ann")),
    ]

    assert feedback_counts(events) == Counter({"email_delivered": 2, "email_bounced": 1})
    assert suppressed_lines(states, events) == [
        "bob <bob+bounce@example.com>: email (email_bounced 2026-09-05T10:00)"
    ]


def test_trigger_costs_are_per_fire_and_leave_a_deferred_re_fire_out_of_the_count():
    lines = trigger_costs(
        {"fire": 3.0, "delivery": 9.0, "send_log": 2.0, "membership": 100.0},
        derived_units=2.0,
        fire_causes=["enter:hot-leads@1", "event:m-2", "defer:fire-2@2026-09-03T08:00:00+00:00|event:m-2"],
        invocations={"actions": 2, "feedback": 1, "triggers": 40},
    )

    assert lines[0] == "Cost of triggers (2 fires, 1 deferred re-fires):"
    assert lines[1].strip().startswith("write units: fire 3, delivery 9, send_log 2, derived")
    assert lines[1].endswith("= 16, 8.0 per fire")
    assert "actions 2, SES feedback 1 = 3, 1.50 per fire" in lines[2]


def test_the_bus_tap_receives_what_is_put_on_the_bus():
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        events.create_event_bus(Name="leadwire-test")
        tap = BusTap("leadwire-test")
        for delivery_id in ("b1", "b2"):
            events.put_events(
                Entries=[
                    {
                        "Source": "leadwire",
                        "DetailType": "leadwire.lead.hot",
                        "Detail": json.dumps({"deliveryId": delivery_id}),
                        "EventBusName": "leadwire-test",
                    }
                ]
            )

        received = tap.collect()

    assert sorted(event["detail"]["deliveryId"] for event in received) == ["b1", "b2"]
    assert {event["detail-type"] for event in received} == {"leadwire.lead.hot"}


@pytest.mark.parametrize("trail", [[], ["sending", "sent"], ["sent"]])
def test_a_plain_send_is_just_sent(trail):
    assert status_label("sent", trail) == "sent"
