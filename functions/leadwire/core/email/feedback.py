"""SES engagement feedback: one event-publishing record in, lead events and a delivery confirmation out.

SES publishes a JSON record per sending event through the configuration set's event destination
(SNS here): ``eventType`` (Send, Delivery, Open, Click, Bounce, Complaint, Reject, "Rendering
Failure", DeliveryDelay, Subscription), the ``mail`` object (``messageId``, ``timestamp``,
``destination``, ``tags`` as ``{name: [values]}``) and one object per type (``bounce``,
``complaint``, ``delivery``, ``open``, ``click``, ``reject``, ``failure``, ``deliveryDelay``,
``subscription``). The actions tag every message with the lead, trigger and delivery it belongs
to; a record without the lead tag is someone else's mail and is ignored.

Lead events (``track``, source ``ses``, at the event's own time):

===============  ==========================  =========================================
eventType        event                       properties (besides the three ids below)
===============  ==========================  =========================================
Delivery         ``email_delivered``         processing_time_ms
Open             ``email_opened``            user_agent, ip_address
Click            ``email_clicked``           link, link_tags, user_agent, ip_address
Bounce           ``email_bounced``           bounce_type, bounce_sub_type
Complaint        ``email_complained``        feedback_type
Subscription     ``email_unsubscribed``      channel (email), contact_list, via
                 (unsubscribe all)
Subscription     ``email_subscription_changed``  contact_list, via, opted_out, opted_in
                 (topic preferences)
Reject           ``email_failed``            reason, failure (reject)
Rendering Fail.  ``email_failed``            reason, failure (rendering), template
DeliveryDelay    ``email_delayed``           delay_type
Send             (none: a confirmation only)
===============  ==========================  =========================================

Every event carries ``trigger_id``, ``delivery_id`` and ``ses_message_id``. Its ``messageId`` is
derived from the SES message id and the type (plus the instant for opens and clicks, which repeat),
so SNS or SQS redelivering a record writes the same item again and nothing reaches the engine twice.

Pure: no boto3, no clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from leadwire.core.email import ses_records as ses
from leadwire.core.email.message import DELIVERY_TAG, LEAD_TAG, TRIGGER_TAG, lead_from_tag
from leadwire.core.email.ses_records import MalformedFeedback, parse_part
from leadwire.core.tracking import StoredEvent

__all__ = ["MalformedFeedback", "parse_record", "unwrap"]

SOURCE: Final = "ses"

EMAIL_DELIVERED: Final = "email_delivered"
EMAIL_OPENED: Final = "email_opened"
EMAIL_CLICKED: Final = "email_clicked"
EMAIL_BOUNCED: Final = "email_bounced"
EMAIL_COMPLAINED: Final = "email_complained"
EMAIL_UNSUBSCRIBED: Final = "email_unsubscribed"
EMAIL_SUBSCRIPTION_CHANGED: Final = "email_subscription_changed"
EMAIL_FAILED: Final = "email_failed"
EMAIL_DELAYED: Final = "email_delayed"

# SES spells the rendering failure "Rendering Failure" in records and "RenderingFailure" in the API.
EVENT_TYPES: Final = {
    "Send": "Send",
    "Delivery": "Delivery",
    "Open": "Open",
    "Click": "Click",
    "Bounce": "Bounce",
    "Complaint": "Complaint",
    "Reject": "Reject",
    "Rendering Failure": "RenderingFailure",
    "RenderingFailure": "RenderingFailure",
    "DeliveryDelay": "DeliveryDelay",
    "Subscription": "Subscription",
}


@dataclass(frozen=True, slots=True)
class DeliveryConfirmation:
    """SES accepted the message of delivery ``delivery_id`` at ``at`` as ``ses_message_id``."""

    lead_id: str
    delivery_id: str
    ses_message_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Feedback:
    """What one tagged record means for Leadwire."""

    event_type: str  # normalised SES eventType ("RenderingFailure", not "Rendering Failure")
    lead_id: str
    ses_message_id: str
    events: tuple[StoredEvent, ...]
    confirmation: DeliveryConfirmation | None


def _lead_id(tag: str) -> str:
    try:
        return lead_from_tag(tag)
    except ValueError:
        raise MalformedFeedback(
            f"mail.tags.{LEAD_TAG}", "is not a lead id in unpadded urlsafe base64"
        ) from None


# -- envelope ---------------------------------------------------------------------------------
def unwrap(body: str) -> dict[str, Any]:
    """The SES record in an SQS message body: an SNS notification, or the record itself (raw
    message delivery)."""
    document = _json_object(body, "body")
    if "Type" in document:
        if document["Type"] != "Notification":
            raise MalformedFeedback("Type", f"SNS message of type {document['Type']!r} is not a notification")
        message = document.get("Message")
        if not isinstance(message, str):
            raise MalformedFeedback("Message", "must be the SES record as a JSON string")
        return _json_object(message, "Message")
    return document


def _json_object(text: Any, field: str) -> dict[str, Any]:
    if not isinstance(text, str | bytes):
        raise MalformedFeedback(field, "must be a JSON string")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        raise MalformedFeedback(field, "is not valid JSON") from None
    if not isinstance(document, dict):
        raise MalformedFeedback(field, "must be a JSON object")
    return document


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# -- per type (each reads its part of the record, parsed by core/email/ses_records.py) ---------
def _delivery(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    delivery = parse_part(ses.Delivery, record, "delivery")
    properties = {"processing_time_ms": delivery.processing_time_ms}
    return EMAIL_DELIVERED, delivery.timestamp, properties


def _open(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    opened = parse_part(ses.Open, record, "open")
    return EMAIL_OPENED, opened.timestamp, {"user_agent": opened.user_agent, "ip_address": opened.ip_address}


def _click(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    click = parse_part(ses.Click, record, "click")
    properties = {
        "link": click.link,
        "link_tags": {
            str(k): v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in click.link_tags.items()
        },
        "user_agent": click.user_agent,
        "ip_address": click.ip_address,
    }
    return EMAIL_CLICKED, click.timestamp, properties


def _bounce(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    bounce = parse_part(ses.Bounce, record, "bounce")
    properties = {"bounce_type": bounce.bounce_type, "bounce_sub_type": bounce.bounce_sub_type}
    return EMAIL_BOUNCED, bounce.timestamp, properties


def _complaint(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    complaint = parse_part(ses.Complaint, record, "complaint")
    return EMAIL_COMPLAINED, complaint.timestamp, {"feedback_type": complaint.feedback_type}


def _subscription(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    subscription = parse_part(ses.Subscription, record, "subscription")
    common = {"contact_list": subscription.contact_list, "via": subscription.source}
    if subscription.preferences.unsubscribe_all is True:
        return EMAIL_UNSUBSCRIBED, subscription.timestamp, {"channel": "email", **common}
    by_status: dict[str, list[str]] = {"OptOut": [], "OptIn": []}
    for topic in subscription.preferences.topics:
        by_status.setdefault(topic.subscription_status, []).append(topic.topic_name)
    return (
        EMAIL_SUBSCRIPTION_CHANGED,
        subscription.timestamp,
        {**common, "opted_out": by_status["OptOut"], "opted_in": by_status["OptIn"]},
    )


def _reject(record: Mapping[str, Any], mail_at: datetime) -> tuple[str, datetime, dict[str, Any]]:
    reject = parse_part(ses.Reject, record, "reject")
    return EMAIL_FAILED, mail_at, {"failure": "reject", "reason": reject.reason}


def _rendering_failure(record: Mapping[str, Any], mail_at: datetime) -> tuple[str, datetime, dict[str, Any]]:
    failure = parse_part(ses.RenderingFailure, record, "failure")
    properties = {"failure": "rendering", "reason": failure.error_message, "template": failure.template_name}
    return EMAIL_FAILED, mail_at, properties


def _delivery_delay(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    delay = parse_part(ses.DeliveryDelay, record, "deliveryDelay")
    return EMAIL_DELAYED, delay.timestamp, {"delay_type": delay.delay_type}


_READERS: Final = {
    "Delivery": _delivery,
    "Open": _open,
    "Click": _click,
    "Bounce": _bounce,
    "Complaint": _complaint,
    "Subscription": _subscription,
    "DeliveryDelay": _delivery_delay,
}
# Engagement repeats (a message is opened and clicked many times): the instant is part of the id.
_REPEATING: Final = frozenset({"Open", "Click"})


def event_message_id(ses_message_id: str, event_type: str, at: datetime, link: str | None = None) -> str:
    """The deterministic ``messageId`` of the lead event for one SES record."""
    base = f"ses-{ses_message_id}-{event_type.lower()}"
    if event_type not in _REPEATING:
        return base
    if link is None:
        return f"{base}-{_millis(at)}"
    return f"{base}-{_millis(at)}-{hashlib.sha256(link.encode()).hexdigest()[:8]}"


def event_type_of(record: Mapping[str, Any]) -> str:
    """The normalised ``eventType`` (legacy identity notifications call it ``notificationType``)."""
    raw = record.get("eventType", record.get("notificationType"))
    if not isinstance(raw, str):
        raise MalformedFeedback("eventType", "is required and must be a string")
    event_type = EVENT_TYPES.get(raw)
    if event_type is None:
        raise MalformedFeedback("eventType", f"unknown SES event type {raw!r}")
    return event_type


CONFIRMING_TYPES = frozenset({"Send", "Delivery", "Bounce"})


def parse_record(record: Mapping[str, Any], *, received_at: datetime) -> Feedback | None:
    """Read one SES record. ``None`` when it carries no ``leadwire-lead`` tag (not Leadwire's mail).

    Raises ``MalformedFeedback`` naming the first field that is missing or of the wrong shape.
    """
    event_type = event_type_of(record)
    tags = parse_part(ses.TaggedMail, record, "mail")
    lead_tag = tags.first(LEAD_TAG)
    if lead_tag is None:
        return None  # someone else's mail: nothing more of it is read
    lead_id = _lead_id(lead_tag)
    mail = parse_part(ses.Mail, record, "mail")
    ses_message_id, mail_at = mail.message_id, mail.timestamp
    trigger_id = tags.first(TRIGGER_TAG)
    delivery_id = tags.first(DELIVERY_TAG)
    # SES's first word on an accepted message (Send; Delivery or Bounce if Send was missed) settles
    # a delivery left "sending" by a crash. Opens and clicks come later and confirm nothing new:
    # skipping them saves a write per engagement.
    confirmation = (
        DeliveryConfirmation(lead_id, delivery_id, ses_message_id, mail_at)
        if delivery_id is not None and event_type in CONFIRMING_TYPES
        else None
    )

    if event_type == "Send":
        return Feedback(event_type, lead_id, ses_message_id, (), confirmation)
    if event_type == "Reject":
        name, at, properties = _reject(record, mail_at)
    elif event_type == "RenderingFailure":
        name, at, properties = _rendering_failure(record, mail_at)
    else:
        name, at, properties = _READERS[event_type](record)
    properties = {
        key: value
        for key, value in {
            **properties,
            "trigger_id": trigger_id,
            "delivery_id": delivery_id,
            "ses_message_id": ses_message_id,
        }.items()
        if value is not None
    }
    event = StoredEvent(
        message_id=event_message_id(ses_message_id, event_type, at, properties.get("link")),
        type="track",
        lead_id=lead_id,
        event=name,
        timestamp=at,
        received_at=received_at,
        source=SOURCE,
        user_id=lead_id,
        properties=properties,
    )
    return Feedback(event_type, lead_id, ses_message_id, (event,), confirmation)
