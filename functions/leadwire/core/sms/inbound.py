"""End User Messaging's two-way SMS: an inbound message (the SNS notification's JSON), and STOP.

An opt-out keyword (STOP, UNSUBSCRIBE, CANCEL, END, QUIT; any case, surrounding spaces ignored)
becomes an ``sms_unsubscribed`` event of the lead the number was sent to; the lead state then
suppresses the ``sms`` channel (``core.rules.consent``). Any other reply is ignored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadwire.core.rules.consent import SMS_CHANNEL, SMS_UNSUBSCRIBED
from leadwire.core.sms.phones import e164
from leadwire.core.tracking import StoredEvent

STOP_KEYWORDS = frozenset({"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
SOURCE = "sms"


class InboundSmsError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class InboundSms:
    message_id: str
    origination: str  # the lead's number, E.164
    destination: str  # our number
    body: str

    @property
    def is_stop(self) -> bool:
        return self.body.strip().upper() in STOP_KEYWORDS


def parse_inbound(message: Mapping[str, Any]) -> InboundSms:
    """The fields of an inbound message; raises ``InboundSmsError`` naming a missing or bad one."""
    origination = e164(message.get("originationNumber"))
    if origination is None:
        raise InboundSmsError("originationNumber", "an E.164 phone number is required")
    body = message.get("messageBody")
    if not isinstance(body, str):
        raise InboundSmsError("messageBody", "text is required")
    message_id = message.get("inboundMessageId")
    if not isinstance(message_id, str) or not message_id:
        raise InboundSmsError("inboundMessageId", "required")
    destination = message.get("destinationNumber")
    return InboundSms(message_id, origination, str(destination or ""), body)


def unsubscribe_event(inbound: InboundSms, lead_id: str, at: datetime) -> StoredEvent:
    """The lead event an inbound STOP becomes; its message id comes from the inbound message's,
    so a redelivered notification writes the same event item."""
    digest = hashlib.sha256(inbound.message_id.encode("utf-8")).hexdigest()[:32]
    return StoredEvent(
        message_id=f"lw-sms-{digest}",
        type="track",
        lead_id=lead_id,
        event=SMS_UNSUBSCRIBED,
        timestamp=at,
        received_at=at,
        source=SOURCE,
        user_id=lead_id,
        properties={"channel": SMS_CHANNEL, "keyword": inbound.body.strip().upper()},
    )
