"""What the delivery log says about one action of a fire (``DLV#<delivery id>``)."""

from __future__ import annotations

from typing import Final

SENT: Final = "sent"  # the provider accepted it (SES, the webhook receiver, EventBridge), or emitted
SENDING: Final = "sending"  # claimed, outcome not recorded yet: a crash between send and record
FAILED: Final = "failed"  # a transient failure: the fire is retried
DEFERRED: Final = "deferred"  # quiet hours: it fires again when they end
DEFERRED_CAP: Final = "deferred_cap"  # over a frequency cap: it fires again at its next open slot
CAPPED: Final = "capped"  # a frequency cap was reached and it cannot wait (the line is full): not sent
EXPIRED: Final = "expired"  # its trigger's ``expires`` passed before it could be sent
SUPPRESSED: Final = "suppressed"  # the address bounced hard or complained
NO_CONSENT: Final = "no_consent"  # marketing email without the lead's consent
SKIPPED: Final = "skipped"  # nothing to do: no address, only_if false, the trigger was removed
HELD_OUT: Final = "held_out"  # the A/B holdout group
REJECTED: Final = "rejected"  # refused for good (SES rejected it, a template cannot render, 4xx)

FINAL: Final = frozenset({SENT, CAPPED, EXPIRED, SUPPRESSED, NO_CONSENT, SKIPPED, HELD_OUT, REJECTED})
"""Statuses that a redelivered fire leaves alone."""
