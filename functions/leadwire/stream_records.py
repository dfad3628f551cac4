"""Stream records as Lambda hands them to a function: their shape, what a consumer reads of one
(``TableChange``), and the event source mapping's filter patterns evaluated the way Lambda
evaluates them. Shared by ``leadwire local``'s pump and
``leadwire replay`` (which ships to Lambda without ``local/``).

Supports what Leadwire's mappings use and a little more: literal values (a list is an OR),
``prefix``, ``exists``, ``anything-but`` and ``equals-ignore-case``, nested objects ANDed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadwire import schema

_MISSING = object()


def _matches_value(matcher: Any, value: Any) -> bool:
    if isinstance(matcher, dict):
        ((operator, operand),) = matcher.items()
        if operator == "exists":
            return (value is not _MISSING) == bool(operand)
        if value is _MISSING:
            return False
        if operator == "prefix":
            return isinstance(value, str) and value.startswith(operand)
        if operator == "anything-but":
            excluded = operand if isinstance(operand, list) else [operand]
            return value not in excluded
        if operator == "equals-ignore-case":
            return isinstance(value, str) and value.lower() == str(operand).lower()
        raise ValueError(f"unsupported filter operator {operator!r}")
    return value is not _MISSING and value == matcher


def matches(pattern: dict[str, Any], record: Any) -> bool:
    """True when every field of ``pattern`` matches ``record`` (lists of matchers are ORs)."""
    for key, expected in pattern.items():
        value = record.get(key, _MISSING) if isinstance(record, dict) else _MISSING
        if isinstance(expected, dict):
            if value is _MISSING or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not any(_matches_value(matcher, value) for matcher in expected):
                return False
        else:
            raise ValueError(f"filter field {key!r} must be an object or a list of matchers")
    return True


def matches_any(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    """Lambda passes a record when any of the mapping's filters matches (no filters: all pass)."""
    return not patterns or any(matches(pattern, record) for pattern in patterns)


def to_lambda_record(
    record: dict[str, Any], stream_arn: str, arrived: datetime | None = None
) -> dict[str, Any]:
    """A record as boto3 returns it, reshaped to what Lambda hands the function (JSON-safe).

    ``arrived`` replaces moto's ``ApproximateCreationDateTime``, which moto takes from the wall
    clock: ``leadwire local``'s pump stamps records with the runtime's clock, so a simulated clock
    holds for the stream too (failure messages and ``leadwire replay`` measure ages on it)."""
    body = dict(record)
    dynamodb = dict(body["dynamodb"])
    created = arrived or dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        aware = created if created.tzinfo else created.replace(tzinfo=UTC)  # moto's own records: naive UTC
        dynamodb["ApproximateCreationDateTime"] = int(aware.timestamp())
    body["dynamodb"] = dynamodb
    body["eventSourceARN"] = stream_arn
    body.setdefault("eventSource", "aws:dynamodb")
    return json.loads(json.dumps(body, default=_as_lambda_sends))


def _as_lambda_sends(value: Any) -> str:
    """A value JSON cannot hold as Lambda writes it: a binary attribute as base64 text, anything
    else (a datetime) as its string."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return str(value)


Image = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class TableChange:
    """One record of the table's stream, as the consumers read it: which item (its sort key names
    the kind), what happened to it, and its images (raw attribute values: the dal maps them)."""

    event_name: str  # INSERT | MODIFY | REMOVE
    sort_key: str
    sequence_number: str
    new_image: Image | None
    old_image: Image | None
    partition_key: str = ""

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> TableChange:
        """A Lambda stream record (``record.raw_event``); ``ValueError`` when it has no
        ``dynamodb`` object. The sort key is the record's ``Keys`` (else its image's)."""
        body = record.get("dynamodb")
        if not isinstance(body, Mapping):
            raise ValueError("a stream record has a dynamodb object")
        sequence = body.get("SequenceNumber") or ""  # Lambda's records carry one; a test's may not
        new_image, old_image = body.get("NewImage"), body.get("OldImage")
        keys = body.get("Keys") or new_image or old_image or {}
        sort_key = keys.get(schema.SK, {}).get("S", "") if isinstance(keys, Mapping) else ""
        partition_key = keys.get(schema.PK, {}).get("S", "") if isinstance(keys, Mapping) else ""
        return cls(
            event_name=str(record.get("eventName", "")),
            sort_key=str(sort_key),
            partition_key=str(partition_key),
            sequence_number=str(sequence),
            new_image=new_image,
            old_image=old_image,
        )

    def is_a(self, prefix: str) -> bool:
        """The item is of the kind whose sort keys start with ``prefix`` (``schema.FIRE_PREFIX``)."""
        return self.sort_key.startswith(prefix)

    def is_timer(self) -> bool:
        """A timer item (its partition is its trigger's: ``TIMER#<triggerId>``)."""
        return self.partition_key.startswith(schema.TIMER_PREFIX)
