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
from datetime import UTC, datetime
from typing import Any, Final

from leadwire.core.email.message import DELIVERY_TAG, LEAD_TAG, TRIGGER_TAG, lead_from_tag
from leadwire.core.tracking import FieldError, StoredEvent

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


class MalformedFeedback(FieldError):
    """A record (or its envelope) that is not what SES or SNS publishes; names the field."""


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


# -- field readers ----------------------------------------------------------------------------
def _object(parent: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if not isinstance(value, Mapping):
        raise MalformedFeedback(path, "is required and must be an object")
    return value


def _text(parent: Mapping[str, Any], key: str, path: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedFeedback(path, "is required and must be a non-empty string")
    return value


def _optional_text(parent: Mapping[str, Any], key: str, path: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedFeedback(path, "must be a string")
    return value


def _instant(parent: Mapping[str, Any], key: str, path: str) -> datetime:
    text = _text(parent, key, path)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedFeedback(path, "must be an ISO 8601 date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _tags(mail: Mapping[str, Any]) -> dict[str, str]:
    """``mail.tags`` as name -> first value."""
    raw = mail.get("tags")
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise MalformedFeedback("mail.tags", "must be an object of tag name -> list of values")
    tags: dict[str, str] = {}
    for name, values in raw.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise MalformedFeedback(f"mail.tags.{name}", "must be a list of strings")
        if values:
            tags[str(name)] = values[0]
    return tags


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# -- per type ---------------------------------------------------------------------------------
def _delivery(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    delivery = _object(record, "delivery", "delivery")
    properties: dict[str, Any] = {}
    if isinstance(delivery.get("processingTimeMillis"), int):
        properties["processing_time_ms"] = delivery["processingTimeMillis"]
    return EMAIL_DELIVERED, _instant(delivery, "timestamp", "delivery.timestamp"), properties


def _open(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    opened = _object(record, "open", "open")
    properties = {
        "user_agent": _optional_text(opened, "userAgent", "open.userAgent"),
        "ip_address": _optional_text(opened, "ipAddress", "open.ipAddress"),
    }
    return EMAIL_OPENED, _instant(opened, "timestamp", "open.timestamp"), properties


def _click(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    click = _object(record, "click", "click")
    link_tags = click.get("linkTags") or {}
    if not isinstance(link_tags, Mapping):
        raise MalformedFeedback("click.linkTags", "must be an object of tag name -> list of values")
    properties = {
        "link": _text(click, "link", "click.link"),
        "link_tags": {
            str(k): v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in link_tags.items()
        },
        "user_agent": _optional_text(click, "userAgent", "click.userAgent"),
        "ip_address": _optional_text(click, "ipAddress", "click.ipAddress"),
    }
    return EMAIL_CLICKED, _instant(click, "timestamp", "click.timestamp"), properties


def _bounce(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    bounce = _object(record, "bounce", "bounce")
    properties = {
        "bounce_type": _text(bounce, "bounceType", "bounce.bounceType"),
        "bounce_sub_type": _optional_text(bounce, "bounceSubType", "bounce.bounceSubType"),
    }
    return EMAIL_BOUNCED, _instant(bounce, "timestamp", "bounce.timestamp"), properties


def _complaint(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    complaint = _object(record, "complaint", "complaint")
    properties = {
        "feedback_type": _optional_text(complaint, "complaintFeedbackType", "complaint.complaintFeedbackType")
    }
    return EMAIL_COMPLAINED, _instant(complaint, "timestamp", "complaint.timestamp"), properties


def _subscription(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    subscription = _object(record, "subscription", "subscription")
    at = _instant(subscription, "timestamp", "subscription.timestamp")
    preferences = subscription.get("newTopicPreferences") or {}
    if not isinstance(preferences, Mapping):
        raise MalformedFeedback("subscription.newTopicPreferences", "must be an object")
    common = {
        "contact_list": _optional_text(subscription, "contactList", "subscription.contactList"),
        "via": _optional_text(subscription, "source", "subscription.source"),
    }
    if preferences.get("unsubscribeAll") is True:
        return EMAIL_UNSUBSCRIBED, at, {"channel": "email", **common}
    topics = preferences.get("topicSubscriptionStatus") or []
    if not isinstance(topics, list):
        raise MalformedFeedback("subscription.newTopicPreferences.topicSubscriptionStatus", "must be a list")
    by_status: dict[str, list[str]] = {"OptOut": [], "OptIn": []}
    for index, topic in enumerate(topics):
        path = f"subscription.newTopicPreferences.topicSubscriptionStatus[{index}]"
        if not isinstance(topic, Mapping):
            raise MalformedFeedback(path, "must be an object")
        status = _text(topic, "subscriptionStatus", f"{path}.subscriptionStatus")
        by_status.setdefault(status, []).append(_text(topic, "topicName", f"{path}.topicName"))
    return (
        EMAIL_SUBSCRIPTION_CHANGED,
        at,
        {**common, "opted_out": by_status["OptOut"], "opted_in": by_status["OptIn"]},
    )


def _reject(record: Mapping[str, Any], mail_at: datetime) -> tuple[str, datetime, dict[str, Any]]:
    reject = _object(record, "reject", "reject")
    return (
        EMAIL_FAILED,
        mail_at,
        {"failure": "reject", "reason": _optional_text(reject, "reason", "reject.reason")},
    )


def _rendering_failure(record: Mapping[str, Any], mail_at: datetime) -> tuple[str, datetime, dict[str, Any]]:
    failure = _object(record, "failure", "failure")
    return (
        EMAIL_FAILED,
        mail_at,
        {
            "failure": "rendering",
            "reason": _optional_text(failure, "errorMessage", "failure.errorMessage"),
            "template": _optional_text(failure, "templateName", "failure.templateName"),
        },
    )


def _delivery_delay(record: Mapping[str, Any]) -> tuple[str, datetime, dict[str, Any]]:
    delay = _object(record, "deliveryDelay", "deliveryDelay")
    properties = {"delay_type": _optional_text(delay, "delayType", "deliveryDelay.delayType")}
    return EMAIL_DELAYED, _instant(delay, "timestamp", "deliveryDelay.timestamp"), properties


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
    mail = _object(record, "mail", "mail")
    tags = _tags(mail)
    lead_tag = tags.get(LEAD_TAG)
    if lead_tag is None:
        return None
    lead_id = _lead_id(lead_tag)
    ses_message_id = _text(mail, "messageId", "mail.messageId")
    mail_at = _instant(mail, "timestamp", "mail.timestamp")
    trigger_id = tags.get(TRIGGER_TAG)
    delivery_id = tags.get(DELIVERY_TAG)
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
