"""The next anniversary of a date trait, at a local time, in the lead's time zone (DST-correct)."""

from datetime import UTC, datetime, time
from typing import Any

import pytest

from leadwire.core.triggers import AnniversaryOn, explain, next_anniversary

from .builders import trigger

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _next(trait: Any, at: str = "09:00", tz: str | None = "UTC", after: datetime = JAN_1) -> datetime | None:
    return next_anniversary(trait, at, tz, "UTC", after)


@pytest.mark.parametrize(
    ("tz", "trait", "expected"),
    [
        ("UTC", "1990-05-17", utc(2026, 5, 17, 9)),
        ("Asia/Tokyo", "1990-05-17", utc(2026, 5, 17, 0)),
        ("America/Los_Angeles", "1990-05-17", utc(2026, 5, 17, 16)),  # PDT, UTC-7
        ("America/Los_Angeles", "1990-12-17", utc(2026, 12, 17, 17)),  # PST, UTC-8
        ("Europe/Berlin", "1990-05-17", utc(2026, 5, 17, 7)),  # CEST
        ("Europe/Berlin", "1990-12-17", utc(2026, 12, 17, 8)),  # CET
        ("Pacific/Kiritimati", "1990-05-17", utc(2026, 5, 16, 19)),  # UTC+14: the day before in UTC
    ],
)
def test_nine_local_on_the_birthday_in_each_zone(tz: str, trait: str, expected: datetime) -> None:
    assert _next(trait, tz=tz) == expected


@pytest.mark.parametrize(
    ("tz", "just_before", "instant"),
    [
        ("Asia/Tokyo", utc(2026, 5, 16, 23, 59), utc(2026, 5, 17, 0)),
        ("America/Los_Angeles", utc(2026, 5, 17, 15, 59), utc(2026, 5, 17, 16)),
        ("Pacific/Kiritimati", utc(2026, 5, 16, 18, 59), utc(2026, 5, 16, 19)),
    ],
)
def test_a_minute_before_the_instant_gives_this_year(
    tz: str, just_before: datetime, instant: datetime
) -> None:
    assert _next("1990-05-17", tz=tz, after=just_before) == instant


@pytest.mark.parametrize(
    ("tz", "instant", "next_year"),
    [
        ("Asia/Tokyo", utc(2026, 5, 17, 0), utc(2027, 5, 17, 0)),
        ("America/Los_Angeles", utc(2026, 5, 17, 16), utc(2027, 5, 17, 16)),
        ("UTC", utc(2026, 5, 17, 9), utc(2027, 5, 17, 9)),
    ],
)
def test_after_exactly_at_the_instant_gives_next_year(
    tz: str, instant: datetime, next_year: datetime
) -> None:
    assert _next("1990-05-17", tz=tz, after=instant) == next_year


@pytest.mark.parametrize(
    ("at", "trait", "expected"),
    [
        ("02:30", "1990-03-29", utc(2026, 3, 29, 1, 0)),  # 02:30 does not exist: 03:00 CEST
        ("02:00", "1990-03-29", utc(2026, 3, 29, 1, 0)),  # the first minute of the gap, too
        ("02:59", "1990-03-29", utc(2026, 3, 29, 1, 0)),  # the last minute of the gap, too
        ("01:59", "1990-03-29", utc(2026, 3, 29, 0, 59)),  # just before the gap: CET
        ("03:00", "1990-03-29", utc(2026, 3, 29, 1, 0)),  # just after: CEST
        ("09:00", "1990-03-29", utc(2026, 3, 29, 7, 0)),  # later that day: CEST
        ("02:30", "1990-03-28", utc(2026, 3, 28, 1, 30)),  # the day before: CET
        ("02:30", "1990-10-25", utc(2026, 10, 25, 0, 30)),  # 02:30 happens twice: the first, CEST
        ("01:59", "1990-10-25", utc(2026, 10, 24, 23, 59)),  # before the fold: CEST
        ("03:00", "1990-10-25", utc(2026, 10, 25, 2, 0)),  # after the fold: CET
        ("09:00", "1990-10-25", utc(2026, 10, 25, 8, 0)),  # later that day: CET
    ],
)
def test_berlin_around_the_dst_switch_days(at: str, trait: str, expected: datetime) -> None:
    assert _next(trait, at=at, tz="Europe/Berlin") == expected


@pytest.mark.parametrize(
    ("at", "trait", "expected"),
    [
        ("02:30", "1990-03-08", utc(2026, 3, 8, 10, 0)),  # spring gap: 03:00 PDT
        ("01:30", "1990-11-01", utc(2026, 11, 1, 8, 30)),  # autumn fold: the first 01:30, PDT
    ],
)
def test_los_angeles_around_the_dst_switch_days(at: str, trait: str, expected: datetime) -> None:
    assert _next(trait, at=at, tz="America/Los_Angeles") == expected


def test_a_skipped_calendar_day_moves_to_the_first_minute_after_it() -> None:
    # Given Samoa, which skipped 2011-12-30 entirely (UTC-10 to UTC+14)
    found = next_anniversary("2000-12-30", "09:00", "Pacific/Apia", "UTC", utc(2011, 6, 1))
    # Then the anniversary falls at the first valid minute: 2011-12-31 00:00 local
    assert found == utc(2011, 12, 30, 10, 0)


@pytest.mark.parametrize(
    ("trait", "after", "expected"),
    [
        ("1992-02-29", utc(2026, 1, 1), utc(2026, 2, 28, 9)),  # non-leap year: Feb 28
        ("--02-29", utc(2026, 1, 1), utc(2026, 2, 28, 9)),
        ("1992-02-29", utc(2027, 6, 1), utc(2028, 2, 29, 9)),  # leap year: Feb 29 itself
        ("1992-02-29", utc(2028, 2, 28, 9), utc(2028, 2, 29, 9)),  # not Feb 28 in a leap year
        ("1992-02-29", utc(2026, 2, 28, 9), utc(2027, 2, 28, 9)),  # exactly at it: next year
        ("1992-02-28", utc(2028, 1, 1), utc(2028, 2, 28, 9)),  # Feb 28 birthdays stay Feb 28
    ],
)
def test_february_29_falls_on_february_28_in_non_leap_years(
    trait: str, after: datetime, expected: datetime
) -> None:
    assert _next(trait, after=after) == expected


@pytest.mark.parametrize(
    ("trait", "tz", "after", "expected"),
    [
        ("1990-12-31", "UTC", utc(2026, 12, 31, 9), utc(2027, 12, 31, 9)),
        ("1990-12-31", "UTC", utc(2026, 12, 31, 9, 1), utc(2027, 12, 31, 9)),
        ("1990-12-31", "UTC", utc(2026, 12, 31, 8, 59), utc(2026, 12, 31, 9)),
        ("1990-12-31", "Asia/Tokyo", utc(2026, 12, 31, 0), utc(2027, 12, 31, 0)),
        ("1990-12-31", "America/Los_Angeles", utc(2026, 12, 31, 18), utc(2027, 12, 31, 17)),
        ("1990-01-01", "Pacific/Kiritimati", utc(2026, 12, 31, 12), utc(2026, 12, 31, 19)),
        ("1990-01-01", "America/Los_Angeles", utc(2026, 12, 31, 20), utc(2027, 1, 1, 17)),
        ("1990-01-01", "UTC", utc(2026, 12, 31, 23, 59), utc(2027, 1, 1, 9)),
    ],
)
def test_year_ends(trait: str, tz: str, after: datetime, expected: datetime) -> None:
    assert _next(trait, tz=tz, after=after) == expected


def test_evening_in_los_angeles_on_december_31_is_january_1_in_utc() -> None:
    found = _next("1990-12-31", at="20:00", tz="America/Los_Angeles", after=utc(2026, 6, 1))
    assert found == utc(2027, 1, 1, 4)


@pytest.mark.parametrize(
    ("trait", "expected"),
    [
        ("2026-03-15", utc(2027, 3, 15, 9)),  # a date this year: its first anniversary is next year
        ("2030-01-01", utc(2031, 1, 1, 9)),  # a date in the future: its first anniversary
        ("2025-03-15", utc(2026, 3, 15, 9)),
        ("--03-15", utc(2026, 3, 15, 9)),
    ],
)
def test_the_first_occurrence_is_the_first_anniversary(trait: str, expected: datetime) -> None:
    assert _next(trait) == expected


@pytest.mark.parametrize("tz", [None, "", "   "])
def test_missing_time_zone_uses_the_default(tz: str | None) -> None:
    assert next_anniversary("1990-05-17", "09:00", tz, "Asia/Tokyo", JAN_1) == utc(2026, 5, 17, 0)


def test_time_zone_name_is_trimmed() -> None:
    assert _next("1990-05-17", tz=" Asia/Tokyo ") == utc(2026, 5, 17, 0)


@pytest.mark.parametrize(
    ("trait", "reason"),
    [
        ("", "is not a date written YYYY-MM-DD or --MM-DD"),
        ("17/05/1990", "is not a date written YYYY-MM-DD or --MM-DD"),
        ("1990-5-17", "is not a date written YYYY-MM-DD or --MM-DD"),
        ("1990-05-17T00:00:00Z", "is not a date written YYYY-MM-DD or --MM-DD"),
        ("05-17", "is not a date written YYYY-MM-DD or --MM-DD"),
        ("1990-02-30", "'1990-02-30' is not a calendar date"),
        ("2023-02-29", "'2023-02-29' is not a calendar date"),
        ("--13-01", "is not a calendar date"),
        ("--02-30", "is not a calendar date"),
        ("--00-10", "is not a calendar date"),
        (19900517, "the date trait is int, not YYYY-MM-DD text"),
        (None, "the date trait is NoneType"),
    ],
)
def test_invalid_trait_has_no_anniversary_and_says_why(trait: Any, reason: str) -> None:
    assert _next(trait) is None
    assert reason in (explain(trait, "09:00", "UTC", "UTC", JAN_1) or "")


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus_Mons", "America", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "UTC+2"]
)
def test_unknown_time_zone_has_no_anniversary_and_says_why(tz: str) -> None:
    assert _next("1990-05-17", tz=tz) is None
    assert (
        explain("1990-05-17", "09:00", tz, "UTC", JAN_1)
        == f"the lead's time zone {tz!r} is not an IANA time zone"
    )


def test_unknown_default_time_zone_is_named_as_the_default() -> None:
    assert next_anniversary("1990-05-17", "09:00", None, "Nowhere/Land", JAN_1) is None
    reason = explain("1990-05-17", "09:00", None, "Nowhere/Land", JAN_1)
    assert reason == "the default time zone 'Nowhere/Land' is not an IANA time zone"


def test_explain_is_none_when_there_is_an_anniversary() -> None:
    assert explain("1990-05-17", "09:00", "Asia/Tokyo", "UTC", JAN_1) is None


@pytest.mark.parametrize("at", ["9:00", "24:00", "noon"])
def test_bad_at_is_the_callers_bug(at: str) -> None:
    with pytest.raises(ValueError, match="is not a 24-hour time"):
        next_anniversary("1990-05-17", at, "UTC", "UTC", JAN_1)


def test_naive_after_is_the_callers_bug() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_anniversary("1990-05-17", "09:00", "UTC", "UTC", datetime(2026, 1, 1))


def test_result_is_aware_utc_on_the_minute() -> None:
    found = _next("1990-05-17", at="17:45", tz="Asia/Kolkata")  # UTC+05:30
    assert found == utc(2026, 5, 17, 12, 15)
    assert found is not None
    assert found.tzinfo is UTC


def test_trigger_anniversary_time_feeds_next_anniversary() -> None:
    # Given an anniversary trigger at 08:30
    on = trigger(on={"anniversary": {"trait": "birthday", "at": "08:30"}}).on
    assert isinstance(on, AnniversaryOn)
    assert on.anniversary.at == time(8, 30)
    # When its parsed time is passed as is
    found = next_anniversary("1990-05-17", on.anniversary.at, "Europe/Berlin", "UTC", JAN_1)
    # Then it is 08:30 Berlin time
    assert found == utc(2026, 5, 17, 6, 30)
