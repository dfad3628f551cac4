"""Turning an HTTP request into Segment messages: body decoding, size limits, write keys.

Pure: works on bytes and header dicts, so unit tests need no Lambda event.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Mapping
from typing import Any

from leadwire.core.errors import InvalidJson, InvalidRequest, PayloadTooLarge
from leadwire.core.tracking import MAX_BATCH_BYTES, Unrepresentable

# analytics.js short paths and its batch path; /v1/m is analytics-next's own telemetry.
SHORT_PATHS = {
    "t": "track",
    "i": "identify",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
    "b": "batch",
}
ENDPOINTS = frozenset({"identify", "track", "page", "screen", "group", "alias", "batch", "import"})


def endpoint_kind(segment: str) -> str:
    kind = SHORT_PATHS.get(segment, segment)
    if kind == "import":
        return "batch"
    if kind not in ENDPOINTS:
        raise InvalidRequest(
            f"unknown endpoint /v1/{segment}",
            {"field": "path", "allowed": sorted(ENDPOINTS | set(SHORT_PATHS))},
        )
    return kind


def _inflate_bounded(data: bytes, limit: int) -> bytes:
    """gzip/deflate with a hard output bound: a decompression bomb stops at ``limit`` bytes."""
    inflater = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, auto-detected
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise InvalidRequest("body is not valid gzip", {"field": "body", "reason": str(exc)}) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise PayloadTooLarge(
            f"decompressed body is larger than {limit // 1024} KB", {"field": "body", "limit": limit}
        )
    return out


def decode_body(
    body: str | None, *, is_base64: bool, content_encoding: str | None, limit: int = MAX_BATCH_BYTES
) -> bytes:
    if not body:
        raise InvalidJson("request body is empty", {"field": "body"})
    if is_base64:
        try:
            raw = base64.b64decode(body, validate=False)
        except (binascii.Error, ValueError):
            raise InvalidRequest("body is not valid base64", {"field": "body"}) from None
    else:
        raw = body.encode("utf-8")
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("gzip", "deflate", "x-gzip") or raw[:2] == b"\x1f\x8b":
        return _inflate_bounded(raw, limit)
    if encoding not in ("", "identity"):
        raise InvalidRequest(f"unsupported content-encoding {encoding!r}", {"field": "content-encoding"})
    if len(raw) > limit:
        raise PayloadTooLarge(f"body is larger than {limit // 1024} KB", {"field": "body", "limit": limit})
    return raw


def _integer(text: str) -> int | Unrepresentable:
    """Python refuses to parse integers of more than 4,300 digits (a denial-of-service guard):
    keep such a number in place so that only the event holding it is refused."""
    try:
        return int(text)
    except ValueError:
        return Unrepresentable(text)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """JSON whatever the content type: sendBeacon and analytics.js post it as ``text/plain``.

    ``NaN``, ``Infinity`` and numbers like ``1e400`` parse (as non-finite floats) and are refused
    per event by the message checks, so they cost no neighbour in a batch."""
    try:
        parsed = json.loads(raw, parse_int=_integer)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        details = {
            "field": "body",
            "line": getattr(exc, "lineno", None),
            "column": getattr(exc, "colno", None),
        }
        raise InvalidJson(f"body is not valid JSON: {exc}", details) from None
    except RecursionError:
        raise InvalidJson("body nests too deeply to parse", {"field": "body"}) from None
    if not isinstance(parsed, dict):
        raise InvalidJson("body must be a JSON object", {"field": "body"})
    return parsed


def basic_auth_user(headers: Mapping[str, str]) -> str | None:
    """The write key is the Basic-auth username (password empty)."""
    value = headers.get("authorization") or headers.get("Authorization")
    if not value or value[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, _, _ = decoded.partition(":")
    return user or None
