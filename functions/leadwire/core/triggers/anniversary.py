"""When a date trait's anniversary next falls, at a local wall-clock time in the lead's time zone.

Choices, each tested in ``tests/unit/triggers/test_anniversary.py``:

* The trait is ``YYYY-MM-DD`` or ``--MM-DD`` (ISO 8601 without a year). Anything else, datetimes
  included, is refused rather than guessed at: ``1990-05-17T00:00:00Z`` may be a date written in
  another zone, and reading it as May 17 can be a day off.
* With a year, the first occurrence is the first anniversary (the year after): a signup date
  does not fire on the day itself. Birth years are in the past, so birthdays are unaffected.
* February 29 falls on February 28 in non-leap years: the same month, and never a day late.
* The time zone is the lead's (``tz_name``) or else ``default_tz``; an unknown one is refused
  rather than silently replaced, so a typo shows in ``explain`` instead of sending at 4 a.m.
* DST: a local time that does not exist that day (clocks jump from 02:00 to 03:00 and ``at`` is
  02:30) moves forward to the first valid minute, 03:00; a local time that happens twice (clocks
  fall back) takes its first occurrence.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadwire.core.rules.clock import require_aware

_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEARLESS_DATE = re.compile(r"^--(\d{2})-(\d{2})$")
_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_A_LEAP_YEAR = 2000
_LAST_YEAR = 9999


class AnniversaryUnavailable(ValueError):
    """This lead has no next anniversary: its trait or its time zone cannot be used. ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _month_day(trait_value: object) -> tuple[int | None, int, int]:
    """``(year or None, month, day)`` of a ``YYYY-MM-DD`` or ``--MM-DD`` trait."""
    if not isinstance(trait_value, str):
        raise AnniversaryUnavailable(f"the date trait is {type(trait_value).__name__}, not YYYY-MM-DD text")
    full = _FULL_DATE.match(trait_value)
    yearless = _YEARLESS_DATE.match(trait_value)
    if full is not None:
        year, month, day = int(full[1]), int(full[2]), int(full[3])
    elif yearless is not None:
        year, month, day = None, int(yearless[1]), int(yearless[2])
    else:
        raise AnniversaryUnavailable(f"{trait_value!r} is not a date written YYYY-MM-DD or --MM-DD")
    try:
        date(year or _A_LEAP_YEAR, month, day)
    except ValueError:
        raise AnniversaryUnavailable(f"{trait_value!r} is not a calendar date") from None
    return year, month, day


def _clock_time(at: str | time) -> time:
    if isinstance(at, time):
        return at.replace(second=0, microsecond=0, tzinfo=None)
    match = _CLOCK_TIME.match(at)
    if match is None:
        raise ValueError(f"{at!r} is not a 24-hour time HH:MM")
    return time(int(match[1]), int(match[2]))


def _zone(tz_name: str | None, default_tz: str) -> ZoneInfo:
    given = tz_name.strip() if isinstance(tz_name, str) else tz_name
    name = given or default_tz
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        which = "the lead's time zone" if given else "the default time zone"
        raise AnniversaryUnavailable(f"{which} {name!r} is not an IANA time zone") from None


def _on_year(year: int, month: int, day: int) -> date:
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def first_valid_instant(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of local ``naive``; the first occurrence if it happens twice, and the end
    of the gap (the first valid minute) if it does not happen at all."""
    earlier = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if earlier.astimezone(zone).replace(tzinfo=None) == naive:
        return earlier
    # In a gap, fold=0 reads ``naive`` with the offset before the jump (an instant after the
    # transition) and fold=1 with the offset after it (an instant before): the transition lies
    # between, where the offset changes.
    low = int(naive.replace(tzinfo=zone, fold=1).timestamp())
    high = int(earlier.timestamp())
    after_offset = earlier.astimezone(zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == after_offset:
            high = middle
        else:
            low = middle
    transition = datetime.fromtimestamp(high, UTC)
    return transition + timedelta(seconds=(60 - transition.second) % 60)


def _next(
    trait_value: object, at: str | time, tz_name: str | None, default_tz: str, after: datetime
) -> datetime:
    clock = _clock_time(at)
    require_aware(after)
    birth_year, month, day = _month_day(trait_value)
    zone = _zone(tz_name, default_tz)
    local_year = after.astimezone(zone).year
    first_year = max(local_year, birth_year + 1) if birth_year is not None else local_year
    for year in (first_year, first_year + 1):
        if year > _LAST_YEAR:
            break
        instant = first_valid_instant(datetime.combine(_on_year(year, month, day), clock), zone)
        if instant > after:
            return instant
    raise AnniversaryUnavailable(f"no anniversary of {trait_value!r} before the year {_LAST_YEAR + 1}")


def next_anniversary(
    trait_value: str, at: str | time, tz_name: str | None, default_tz: str, after: datetime
) -> datetime | None:
    """The first instant strictly after ``after`` that is ``at`` local time on the trait's anniversary.

    Aware UTC. ``None`` when the trait or the time zone cannot be used (``explain`` says why).
    Raises ``ValueError`` for a bad ``at`` or a naive ``after``: those are the caller's bugs, not
    the lead's data.
    """
    try:
        return _next(trait_value, at, tz_name, default_tz, after)
    except AnniversaryUnavailable:
        return None


def explain(
    trait_value: str, at: str | time, tz_name: str | None, default_tz: str, after: datetime
) -> str | None:
    """Why ``next_anniversary`` gives ``None`` for these arguments; ``None`` when it gives an instant."""
    try:
        _next(trait_value, at, tz_name, default_tz, after)
    except AnniversaryUnavailable as unavailable:
        return unavailable.reason
    return None
