"""Signed one-click unsubscribe tokens (RFC 8058): who unsubscribes, from which email.

A token is the credential of ``/v1/unsubscribe``: whoever holds the link may withdraw that lead's
email consent, and nobody can make a link for another lead without the secret. Format::

    v1.<payload>.<mac>

``payload`` is unpadded urlsafe base64 of ``len(lead id) (2 bytes, big-endian) || lead id ||
delivery id`` (UTF-8): a length prefix, not a separator, because lead ids are whatever the
customer's system uses. ``mac`` is HMAC-SHA256 over ``"v1." + payload`` (the version is signed
too) with the secret, truncated to 16 bytes (128 bits, plenty against forgery; it keeps the link
short), in the same base64. Checked with a constant-time compare.

No expiry: an unsubscribe link must keep working for as long as the mail sits in an inbox. The
version prefix is what lets the scheme change (a new format or key gets ``v2``; ``v1`` can still
be read while old mail is around).

Pure: no boto3, no clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Final

VERSION: Final = "v1"
CHANNEL: Final = "email"  # the channel these tokens withdraw (RFC 8058 is about email)
PATH: Final = "/v1/unsubscribe"  # the ingestion route the links point at
ONE_CLICK_BODY: Final = "List-Unsubscribe=One-Click"  # what mail clients POST (RFC 8058)
MAC_BYTES: Final = 16
MAX_LEAD_BYTES: Final = 0xFFFF
_ALPHABET: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class InvalidToken(ValueError):
    """A token that is malformed, of an unknown version, or not signed with our secret."""


@dataclass(frozen=True)
class UnsubscribeRequest:
    """What a valid token says: this lead asked to stop email, from this delivery."""

    lead_id: str
    delivery_id: str
    channel: str = CHANNEL


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if len(text) % 4 == 1 or any(c not in _ALPHABET for c in text):
        raise InvalidToken("the unsubscribe token is malformed")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken("the unsubscribe token is malformed") from None


def _mac(secret: bytes, signed: str) -> bytes:
    return hmac.new(secret, signed.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]


def make_token(secret: bytes, lead_id: str, delivery_id: str) -> str:
    """The token for a link in the email of ``delivery_id`` to ``lead_id``."""
    if not secret:
        raise ValueError("the unsubscribe secret must not be empty")
    lead = lead_id.encode("utf-8")
    if not lead or len(lead) > MAX_LEAD_BYTES:
        raise ValueError("the lead id must be 1 to 65535 UTF-8 bytes")
    if not delivery_id:
        raise ValueError("the delivery id must not be empty")
    payload = _b64(len(lead).to_bytes(2, "big") + lead + delivery_id.encode("utf-8"))
    signed = f"{VERSION}.{payload}"
    return f"{signed}.{_b64(_mac(secret, signed))}"


def read_token(secret: bytes, token: str) -> UnsubscribeRequest:
    """The request a token carries. Raises ``InvalidToken`` for anything we did not sign."""
    if not secret:
        raise ValueError("the unsubscribe secret must not be empty")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise InvalidToken("the unsubscribe token is malformed")
    version, payload, mac = parts
    if version != VERSION:
        raise InvalidToken(f"unknown unsubscribe token version {version[:8]!r}")
    raw = _unb64(payload)  # checks the alphabet too: what is signed below is ASCII
    if not hmac.compare_digest(_unb64(mac), _mac(secret, f"{version}.{payload}")):
        raise InvalidToken("the unsubscribe token's signature does not match")
    # Signed by us from here on, but decoded defensively all the same.
    if len(raw) < 3:
        raise InvalidToken("the unsubscribe token is malformed")
    lead_length = int.from_bytes(raw[:2], "big")
    lead, delivery = raw[2 : 2 + lead_length], raw[2 + lead_length :]
    if len(lead) != lead_length or not lead or not delivery:
        raise InvalidToken("the unsubscribe token is malformed")
    try:
        return UnsubscribeRequest(lead.decode("utf-8"), delivery.decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidToken("the unsubscribe token is malformed") from None


@dataclass(frozen=True)
class UnsubscribeLinks:
    """What the actions need to put a working unsubscribe link in a marketing email: the public
    base URL of the ingestion API and the signing secret."""

    base_url: str
    secret: bytes = field(repr=False)

    def url(self, lead_id: str, delivery_id: str) -> str:
        return f"{self.base_url.rstrip('/')}{PATH}?token={make_token(self.secret, lead_id, delivery_id)}"

    def headers(self, url: str) -> dict[str, str]:
        """RFC 2369 ``List-Unsubscribe`` and RFC 8058 ``List-Unsubscribe-Post`` (one-click)."""
        return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK_BODY}


def unsubscribe_message_id(request: UnsubscribeRequest) -> str:
    """The ``messageId`` of the event an unsubscribe stores: the same for every click on one link
    (and for every token version of it), so repeated clicks and one-click retries are one event."""
    digest = hashlib.sha256(f"{request.lead_id}\n{request.delivery_id}".encode()).hexdigest()
    return f"lw-unsubscribe-{digest[:32]}"


__all__ = [
    "CHANNEL",
    "ONE_CLICK_BODY",
    "PATH",
    "VERSION",
    "InvalidToken",
    "UnsubscribeLinks",
    "UnsubscribeRequest",
    "make_token",
    "read_token",
    "unsubscribe_message_id",
]
