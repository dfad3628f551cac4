"""One email ready to hand to SES, the tags that map SES's feedback back to the lead, and the two
ways a send can fail.

Message tags carry the lead, trigger and delivery through SES: every engagement record (open,
click, bounce, complaint) arrives with them, and ``leadwire.core.email.feedback`` reads them back.
SES tag values may hold only ASCII letters, digits, ``_`` and ``-`` (at most 256 characters), while
lead ids are anything a customer's system uses (``ana@example.com``), so the lead id travels as
unpadded urlsafe base64 of its UTF-8, which round-trips exactly. Trigger and delivery ids are
Leadwire's own and almost always fit already; they are made to fit (other characters become
``_``), since they are only read back to label events.

Pure: no boto3.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Final

LEAD_TAG: Final = "leadwire-lead"
TRIGGER_TAG: Final = "leadwire-trigger"
DELIVERY_TAG: Final = "leadwire-delivery"
MAX_TAG_VALUE: Final = 256

_TAG_VALUE: Final = re.compile(r"^[A-Za-z0-9_-]*$")
_NOT_TAG_CHARACTER: Final = re.compile(r"[^A-Za-z0-9_-]")
_HEADER_NAME: Final = re.compile(r"^[!-9;-~]{1,126}$")  # RFC 5322 field name: printable, no colon


@dataclass(frozen=True)
class EmailMessage:
    """A rendered email for one recipient. ``tags`` become SES message tags; ``headers`` are extra
    header fields (e.g. ``List-Unsubscribe``), each name and value on one line."""

    to: str
    from_address: str
    subject: str
    text: str
    html: str
    tags: dict[str, str]
    configuration_set: str | None
    reply_to: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A header value with a line break would start a header of the recipient's choosing.
        for name, value in self.headers.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"header name {name!r} is not a valid header field name")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name!r} must be one line")
        if "\r" in self.subject or "\n" in self.subject:
            raise ValueError("the subject must be one line")


class EmailError(Exception):
    """A send that did not happen. ``code`` is the provider's error code when there is one."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class EmailRejected(EmailError):
    """The provider refused this message for good (content, addresses, an unverified sender, a
    paused or suspended account): sending it again as it is would be refused again. Logged as
    ``rejected``; never retried."""

    retryable = False


class EmailSendFailed(EmailError):
    """The send failed for a reason that may pass (throttling, a 5xx, the network): retry it."""

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, code=code)
        self.retryable = retryable


def lead_tag(lead_id: str) -> str:
    """The ``leadwire-lead`` tag value of a lead id: unpadded urlsafe base64 of its UTF-8.

    Raises ``ValueError`` when the encoding would exceed SES's 256 characters (a lead id of more
    than 192 UTF-8 bytes): such a message could not be mapped back to its lead.
    """
    encoded = base64.urlsafe_b64encode(lead_id.encode("utf-8")).decode("ascii").rstrip("=")
    if len(encoded) > MAX_TAG_VALUE:
        raise ValueError(
            f"lead id of {len(lead_id.encode('utf-8'))} bytes is too long for an SES message tag "
            f"(at most {MAX_TAG_VALUE * 3 // 4} bytes)"
        )
    return encoded


def lead_from_tag(tag: str) -> str:
    """The lead id a ``lead_tag`` value encodes. Raises ``ValueError`` for anything else."""
    if not _TAG_VALUE.match(tag) or len(tag) % 4 == 1:
        raise ValueError(f"{tag!r} is not a lead id in unpadded urlsafe base64")
    try:
        padded = (tag + "=" * (-len(tag) % 4)).encode("ascii")
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(f"{tag!r} is not a lead id in unpadded urlsafe base64") from None


def tag_value(value: str) -> str:
    """``value`` in the SES tag alphabet: every other character becomes ``_``; at most 256 long."""
    return _NOT_TAG_CHARACTER.sub("_", value)[:MAX_TAG_VALUE]


def message_tags(lead_id: str, trigger_id: str, delivery_id: str) -> dict[str, str]:
    """The SES message tags that tie a message, and all of SES's feedback on it, to Leadwire."""
    return {
        LEAD_TAG: lead_tag(lead_id),
        TRIGGER_TAG: tag_value(trigger_id),
        DELIVERY_TAG: tag_value(delivery_id),
    }


__all__ = [
    "DELIVERY_TAG",
    "LEAD_TAG",
    "TRIGGER_TAG",
    "EmailError",
    "EmailMessage",
    "EmailRejected",
    "EmailSendFailed",
    "lead_from_tag",
    "lead_tag",
    "message_tags",
    "tag_value",
]
