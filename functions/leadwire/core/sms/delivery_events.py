"""End User Messaging's delivery events for texts sent through the stack's configuration set.

The configuration set publishes each text's final outcome to the same SNS topic as inbound replies
(``eventType``, ``messageId``, ``messageStatus`` and the ``context`` the action sent). A final
outcome becomes a lead event of the lead in ``context``: ``sms_delivered`` or ``sms_failed``
(blocked, unreachable, spam, expired...), so a segment or a score can use it. Interim events
(``TEXT_SENT``, ``TEXT_QUEUED``) and events of texts Leadwire did not send are ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from leadwire.core.sms.inbound import SOURCE, InboundSmsError
from leadwire.core.tracking import StoredEvent

SMS_DELIVERED: Final = "sms_delivered"
SMS_FAILED: Final = "sms_failed"
DELIVERED_TYPES: Final = frozenset({"TEXT_DELIVERED", "TEXT_SUCCESSFUL"})
FAILED_TYPES: Final = frozenset(
    {
        "TEXT_BLOCKED",
        "TEXT_CARRIER_BLOCKED",
        "TEXT_CARRIER_UNREACHABLE",
        "TEXT_INVALID",
        "TEXT_INVALID_MESSAGE",
        "TEXT_SPAM",
        "TEXT_TTL_EXPIRED",
        "TEXT_UNREACHABLE",
        "TEXT_UNKNOWN",
    }
)
PUBLISHED_TYPES: Final = tuple(sorted(DELIVERED_TYPES | FAILED_TYPES))
"""What the configuration set's event destination matches (interim events are not published)."""


def is_delivery_event(message: Mapping[str, Any]) -> bool:
    """A delivery event carries ``eventType``; an inbound reply never does."""
    return "eventType" in message


def _event_time(message: Mapping[str, Any], fallback: datetime) -> datetime:
    stamp = message.get("eventTimestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and stamp > 0:
        return datetime.fromtimestamp(stamp / 1000, tz=UTC)
    return fallback


def delivery_event(message: Mapping[str, Any], at: datetime) -> StoredEvent | None:
    """The lead event of one delivery event, or ``None`` for an interim event or a text of no
    Leadwire lead; raises ``InboundSmsError`` naming a missing field."""
    event_type = message.get("eventType")
    if not isinstance(event_type, str) or not event_type:
        raise InboundSmsError("eventType", "required")
    if event_type in DELIVERED_TYPES:
        name = SMS_DELIVERED
    elif event_type in FAILED_TYPES:
        name = SMS_FAILED
    else:
        return None
    context = message.get("context")
    if not isinstance(context, Mapping):
        return None
    lead_id = context.get("leadwire-lead")
    if not isinstance(lead_id, str) or not lead_id:
        return None
    message_id = message.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise InboundSmsError("messageId", "required")
    digest = hashlib.sha256(f"{message_id}#{event_type}".encode()).hexdigest()[:32]
    timestamp = _event_time(message, at)
    properties = {
        "status": event_type,
        "trigger_id": context.get("leadwire-trigger"),
        "delivery_id": context.get("leadwire-delivery"),
        "sms_message_id": message_id,
    }
    return StoredEvent(
        message_id=f"lw-sms-{digest}",
        type="track",
        lead_id=lead_id,
        event=name,
        timestamp=timestamp,
        received_at=at,
        source=SOURCE,
        user_id=lead_id,
        properties={k: v for k, v in properties.items() if v is not None},
    )
