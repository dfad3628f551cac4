"""One text message, as the SMS action sends it (the adapter is ``actions.sms``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MESSAGE_TYPE = "PROMOTIONAL"  # marketing texts; End User Messaging's TRANSACTIONAL is for OTPs and alerts


class SmsRejected(Exception):
    """End User Messaging refused this message for good (bad number, opted out, no identity)."""


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    body: str
    context: Mapping[str, str] = field(default_factory=dict)  # leadwire-lead, -trigger, -delivery
    origination_identity: str | None = None
    configuration_set: str | None = None


def message_context(lead_id: str, trigger_id: str, delivery_id: str) -> dict[str, str]:
    """``Context`` of ``SendTextMessage``: End User Messaging repeats it in its delivery events,
    which map them back to the lead, the trigger and the delivery."""
    return {"leadwire-lead": lead_id, "leadwire-trigger": trigger_id, "leadwire-delivery": delivery_id}
