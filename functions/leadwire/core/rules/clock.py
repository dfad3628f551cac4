"""Instants as compact integers (lead state stores epoch seconds, sequences epoch milliseconds)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

SECONDS_PER_DAY = 86_400


def require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instants must be timezone-aware")
    return instant


def epoch_seconds(instant: datetime) -> int:
    return math.floor(require_aware(instant).timestamp())


def epoch_millis(instant: datetime) -> int:
    return math.floor(require_aware(instant).timestamp() * 1000)


def from_epoch_seconds(seconds: float) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def from_epoch_millis(millis: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)


def utc_day(seconds: int) -> int:
    """Days since 1970-01-01 (UTC): the bucket that ``max_per_day`` caps."""
    return seconds // SECONDS_PER_DAY
