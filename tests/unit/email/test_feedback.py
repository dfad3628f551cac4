"""SES event-publishing records -> lead events and delivery confirmations (pure core)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from leadwire.core.email.feedback import (
    DeliveryConfirmation,
    MalformedFeedback,
    parse_record,
    unwrap,
)
from leadwire.core.rules.consent import suppressed_channel
from leadwire.segmentation.engine import to_lead_event

RECEIVED = datetime(2026, 11, 2, 9, 5, tzinfo=UTC)
SES_ID = "0100019a-example-000000"
LEAD = "lead-ü@example.com"


def lead_tag(lead: str) -> str:
    return base64.urlsafe_b64encode(lead.encode()).decode().rstrip("=")


def record(
    event_type: str, detail: dict[str, Any] | None = None, *, tags: dict[str, Any] | None = None
) -> dict:
    mail_tags = (
        {
            "ses:configuration-set": ["leadwire"],
            "leadwire-lead": [lead_tag(LEAD)],
            "leadwire-trigger": ["welcome"],
            "leadwire-delivery": ["3f9a2c-0"],
        }
        if tags is None
        else tags
    )
    document: dict[str, Any] = {
        "eventType": event_type,
        "mail": {
            "timestamp": "2026-11-02T09:00:00.000Z",
            "messageId": SES_ID,
            "destination": ["ada@example.com"],
            "tags": mail_tags,
        },
    }
    document.update(detail or {})
    return document


def parse(document: dict) -> Any:
    return parse_record(document, received_at=RECEIVED)


CASES = [
    (
        "Delivery",
        {"delivery": {"timestamp": "2026-11-02T09:00:02.000Z", "processingTimeMillis": 2000}},
        "email_delivered",
        {"processing_time_ms": 2000},
    ),
    (
        "Open",
        {"open": {"timestamp": "2026-11-02T10:00:00.000Z", "userAgent": "Mail", "ipAddress": "192.0.2.1"}},
        "email_opened",
        {"user_agent": "Mail", "ip_address": "192.0.2.1"},
    ),
    (
        "Click",
        {
            "click": {
                "timestamp": "2026-11-02T10:01:00.000Z",
                "link": "https://example.com/pricing",
                "linkTags": {"cta": ["pricing"]},
            }
        },
        "email_clicked",
        {"link": "https://example.com/pricing", "link_tags": {"cta": "pricing"}},
    ),
    (
        "Bounce",
        {
            "bounce": {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "ada@example.com"}],
                "timestamp": "2026-11-02T09:00:03.000Z",
            }
        },
        "email_bounced",
        {"bounce_type": "Permanent", "bounce_sub_type": "General"},
    ),
    (
        "Complaint",
        {"complaint": {"complaintFeedbackType": "abuse", "timestamp": "2026-11-02T11:00:00.000Z"}},
        "email_complained",
        {"feedback_type": "abuse"},
    ),
    (
        "Subscription",
        {
            "subscription": {
                "contactList": "news",
                "timestamp": "2026-11-02T12:00:00.000Z",
                "source": "UnsubscribeHeader",
                "newTopicPreferences": {"unsubscribeAll": True},
            }
        },
        "email_unsubscribed",
        {"channel": "email", "contact_list": "news", "via": "UnsubscribeHeader"},
    ),
    (
        "Reject",
        {"reject": {"reason": "Bad content"}},
        "email_failed",
        {"failure": "reject", "reason": "Bad content"},
    ),
    (
        "Rendering Failure",
        {"failure": {"errorMessage": "Attribute 'name' is missing", "templateName": "welcome"}},
        "email_failed",
        {"failure": "rendering", "reason": "Attribute 'name' is missing", "template": "welcome"},
    ),
    (
        "DeliveryDelay",
        {"deliveryDelay": {"timestamp": "2026-11-02T09:10:00.000Z", "delayType": "MailboxFull"}},
        "email_delayed",
        {"delay_type": "MailboxFull"},
    ),
]


@pytest.mark.parametrize(("event_type", "detail", "name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_event_type_becomes_one_lead_event(event_type, detail, name, expected) -> None:
    # Given an SES record of this type for a message Leadwire tagged
    # When it is parsed
    feedback = parse(record(event_type, detail))
    # Then it is one track event on the tagged lead, from source ses, with the type's properties
    # and the three ids, at the event's own time (the mail's time when the type has none)
    (event,) = feedback.events
    assert (event.type, event.event, event.lead_id, event.source) == ("track", name, LEAD, "ses")
    assert event.properties == {
        **expected,
        "trigger_id": "welcome",
        "delivery_id": "3f9a2c-0",
        "ses_message_id": SES_ID,
    }
    detail_object = next(iter(detail.values()))
    expected_at = detail_object.get("timestamp", "2026-11-02T09:00:00.000Z")
    assert event.timestamp == datetime.fromisoformat(expected_at.replace("Z", "+00:00"))
    assert event.received_at == RECEIVED
    # and SES's first word on the message (Delivery, Bounce) confirms the delivery with the SES
    # message id and the time SES accepted the mail; later ones (opens, clicks, ...) do not
    if event_type in {"Delivery", "Bounce"}:
        assert feedback.confirmation == DeliveryConfirmation(
            LEAD, "3f9a2c-0", SES_ID, datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        )
    else:
        assert feedback.confirmation is None


def test_send_confirms_the_delivery_and_writes_no_event() -> None:
    feedback = parse(record("Send", {"send": {}}))
    assert feedback.events == ()
    assert feedback.confirmation == DeliveryConfirmation(
        LEAD, "3f9a2c-0", SES_ID, datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    )


def test_a_record_without_leadwire_tags_is_ignored() -> None:
    # Given mail someone else sent through the same configuration set
    # When it is parsed
    # Then it is not Leadwire's: no events, no error
    assert parse(record("Delivery", CASES[0][1], tags={"ses:configuration-set": ["leadwire"]})) is None
    untagged = record("Open", CASES[1][1])
    del untagged["mail"]["tags"]
    assert parse(untagged) is None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda r: r.pop("eventType"), "eventType"),
        (lambda r: r.update(eventType="Teleport"), "eventType"),
        (lambda r: r.pop("mail"), "mail"),
        (lambda r: r["mail"].pop("messageId"), "mail.messageId"),
        (lambda r: r["mail"].update(timestamp="yesterday"), "mail.timestamp"),
        (lambda r: r["mail"]["tags"].update({"leadwire-lead": "not-a-list"}), "mail.tags.leadwire-lead"),
        (lambda r: r["mail"]["tags"].update({"leadwire-lead": ["%%%"]}), "mail.tags.leadwire-lead"),
        (lambda r: r.pop("bounce"), "bounce"),
        (lambda r: r["bounce"].pop("bounceType"), "bounce.bounceType"),
        (lambda r: r["bounce"].pop("timestamp"), "bounce.timestamp"),
    ],
)
def test_a_malformed_record_names_the_field(mutate, field: str) -> None:
    document = record("Bounce", json.loads(json.dumps(CASES[3][1])))
    mutate(document)
    with pytest.raises(MalformedFeedback) as raised:
        parse(document)
    assert raised.value.field == field
    assert field in str(raised.value)


def test_click_without_link_names_the_field() -> None:
    with pytest.raises(MalformedFeedback, match=r"click\.link"):
        parse(record("Click", {"click": {"timestamp": "2026-11-02T10:01:00.000Z"}}))


def test_message_ids_are_deterministic() -> None:
    # Given the same record delivered twice (SNS and SQS are at-least-once)
    # When both are parsed
    # Then the events have the same messageId: the event store keeps one item
    for _, detail, _, _ in CASES:
        first = parse(record("X", detail) | {"eventType": record_type(detail)})
        second = parse(record("X", detail) | {"eventType": record_type(detail)})
        assert first.events[0].message_id == second.events[0].message_id
        assert first.events[0].message_id.startswith(f"ses-{SES_ID}-")
    assert parse(record("Bounce", CASES[3][1])).events[0].message_id == f"ses-{SES_ID}-bounce"


def record_type(detail: dict) -> str:
    return next(c[0] for c in CASES if c[1] is detail)


def test_two_opens_are_two_events() -> None:
    # Given the recipient opens the mail twice
    first = parse(record("Open", {"open": {"timestamp": "2026-11-02T10:00:00.000Z"}}))
    second = parse(record("Open", {"open": {"timestamp": "2026-11-02T18:30:00.000Z"}}))
    # Then each open is its own event (their ids differ by the instant)
    assert first.events[0].message_id != second.events[0].message_id
    # and two clicks at the same instant on different links are two events too
    click = {"timestamp": "2026-11-02T10:01:00.000Z"}
    a = parse(record("Click", {"click": {**click, "link": "https://example.com/a"}}))
    b = parse(record("Click", {"click": {**click, "link": "https://example.com/b"}}))
    assert a.events[0].message_id != b.events[0].message_id


def test_topic_opt_out_is_not_an_unsubscribe() -> None:
    feedback = parse(
        record(
            "Subscription",
            {
                "subscription": {
                    "timestamp": "2026-11-02T12:00:00.000Z",
                    "newTopicPreferences": {
                        "unsubscribeAll": False,
                        "topicSubscriptionStatus": [{"topicName": "offers", "subscriptionStatus": "OptOut"}],
                    },
                }
            },
        )
    )
    (event,) = feedback.events
    assert event.event == "email_subscription_changed"
    assert event.properties["opted_out"] == ["offers"]


def test_permanent_bounce_and_complaint_suppress_email_in_the_rule_core() -> None:
    # The events' properties are the ones the consent rules read.
    for index in (3, 4):
        event = parse(record(CASES[index][0], CASES[index][1])).events[0]
        assert suppressed_channel(to_lead_event(event)) == "email"


def test_unwrap_reads_sns_notifications_and_raw_records() -> None:
    ses = record("Send", {"send": {}})
    sns = {"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:t", "Message": json.dumps(ses)}
    assert unwrap(json.dumps(sns)) == ses
    assert unwrap(json.dumps(ses)) == ses
    with pytest.raises(MalformedFeedback, match="body"):
        unwrap("not json")
    with pytest.raises(MalformedFeedback, match="Message"):
        unwrap(json.dumps({"Type": "Notification", "Message": {"eventType": "Send"}}))
    with pytest.raises(MalformedFeedback, match="Type"):
        unwrap(json.dumps({"Type": "SubscriptionConfirmation", "Message": "{}"}))
