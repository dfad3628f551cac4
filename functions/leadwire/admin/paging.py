"""Opaque cursors for the admin API: base64url JSON, validated on the way back in."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from leadwire.core.errors import InvalidRequest


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidRequest("cursor is not one this API issued", {"field": "cursor"}) from None
    if not isinstance(position, dict):
        raise InvalidRequest("cursor is not one this API issued", {"field": "cursor"})
    return position
