"""Stream records as Lambda hands them to a function: their shape, and the event source mapping's
filter patterns evaluated the way Lambda evaluates them. Shared by ``leadwire local``'s pump and
``leadwire replay`` (which ships to Lambda without ``local/``).

Supports what Leadwire's mappings use and a little more: literal values (a list is an OR),
``prefix``, ``exists``, ``anything-but`` and ``equals-ignore-case``, nested objects ANDed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

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
    return json.loads(json.dumps(body, default=str))
