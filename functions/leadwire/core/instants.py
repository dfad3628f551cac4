"""Instants as text that sorts: item keys, stored attributes and API answers write them this way."""

from __future__ import annotations

import re
from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """UTC, millisecond precision, ``Z`` suffix, four-digit year: sorts lexicographically in time
    order. (``strftime("%Y")`` writes year 1 as ``1``, which neither sorts nor parses back.)"""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="milliseconds") + "Z"


_UNPADDED_YEAR = re.compile(r"^(\d{1,3})-")


def parse_iso(text: str) -> datetime:
    """An instant as ``iso`` writes it, or as it was written before years were zero-padded
    (``1-01-01T00:00:00.000Z``): an item stored then must still read."""
    padded = _UNPADDED_YEAR.sub(lambda match: f"{int(match.group(1)):04d}-", text, count=1)
    moment = datetime.fromisoformat(padded)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
