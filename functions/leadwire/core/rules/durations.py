"""ISO 8601 durations with fixed lengths: weeks, days, hours, minutes, seconds.

Months and years are refused: their length depends on the calendar, so ``P1M`` would make
``within`` windows and flip instants ambiguous. Write ``P30D`` or ``P4W`` instead.

Why not pydantic's own ISO 8601 durations: its parser takes ``P1M`` as 30 days and ``P1Y`` as
365, and accepts ``P1.5D``, ``P1DT`` (a dangling T), ``-PT1H`` and ``PT0S``; every one of those
is refused here, with a message that says what to write instead. The grammar below is the
definition language's, and small enough to state in one expression.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_CALENDAR_UNIT = re.compile(r"^P[^T]*\d+[YM]")
_UNIT_SECONDS = {"weeks": 604_800, "days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}


class DurationError(ValueError):
    """The text is not a positive, fixed-length ISO 8601 duration."""


def parse_duration(text: str) -> timedelta:
    """``"P1DT2H"`` -> ``timedelta(days=1, hours=2)``; positive fixed-length durations only."""
    match = _DURATION.match(text)
    if match is None or text.endswith("T") or not any(match.groupdict().values()):
        if _CALENDAR_UNIT.match(text):
            raise DurationError(
                f"'{text}' uses months or years, which have no fixed length; use days (P30D) or weeks (P4W)"
            )
        raise DurationError(f"'{text}' is not an ISO 8601 duration such as PT30M, PT1H, P14D, P1W or P1DT2H")
    seconds = sum(int(value) * _UNIT_SECONDS[unit] for unit, value in match.groupdict().items() if value)
    if seconds <= 0:
        raise DurationError(f"'{text}' must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest ISO 8601 text for a whole-second duration: ``P1DT2H``, ``PT30M``, ``P14D``."""
    total = int(value.total_seconds())
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    clock = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    return "P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")


def _validate(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        if value <= timedelta(0) or value.microseconds:
            raise PydanticCustomError("duration", "a duration must be a positive whole number of seconds")
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("duration", "a duration is ISO 8601 text such as PT1H or P14D")
    try:
        return parse_duration(value)
    except DurationError as error:
        raise PydanticCustomError("duration", str(error)) from None


Duration = Annotated[
    timedelta,
    BeforeValidator(_validate),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "format": "duration"}),
]
"""A pydantic field type: validates ISO 8601 text, holds a ``timedelta``, serialises back to text."""
