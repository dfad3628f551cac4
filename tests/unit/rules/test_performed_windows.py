"""``performed`` with ``within``: sliding windows, counts, and their bounds."""

from datetime import datetime, timedelta

import pytest

from leadwire.core.rules import evaluate

from .builders import at, is_member, lead, one_segment, page, track


@pytest.mark.parametrize(
    ("within", "window"),
    [("PT1H", timedelta(hours=1)), ("P1D", timedelta(days=1)), ("P14D", timedelta(days=14))],
)
@pytest.mark.parametrize(("offset", "expected"), [(timedelta(seconds=-1), True), (timedelta(0), False)])
def test_event_counts_until_exactly_its_window_has_passed(
    within: str, window: timedelta, offset: timedelta, expected: bool
) -> None:
    # Given one event at T0
    # When evaluated one second before / exactly at T0 + within
    member = is_member(
        {"performed": {"event": "demo", "within": within}}, [track("demo", at())], at() + window + offset
    )
    # Then it counts inside the window only
    assert member is expected


def test_event_at_a_fraction_of_a_second_counts_from_its_whole_second() -> None:
    events = [track("demo", at(seconds=0.9))]
    assert is_member({"performed": {"event": "demo", "within": "PT1M"}}, events, at(seconds=59.5))
    assert not is_member({"performed": {"event": "demo", "within": "PT1M"}}, events, at(seconds=60))


@pytest.mark.parametrize(("now_days", "expected"), [(6.9, True), (7.5, True), (8.5, False)])
def test_count_in_window_slides_as_old_events_leave(now_days: float, expected: bool) -> None:
    # Given visits on days 0, 1 and 2 and "3 visits within 7 days"
    events = [track("visit", at(days=day)) for day in (0, 1, 2)]
    condition = {"performed": {"event": "visit", "within": "P7D", "count": {"gte": 2}}}
    # Then it holds while at least two of them are inside the trailing 7 days
    assert is_member(condition, events, at(days=now_days)) is expected


def test_count_below_threshold_becomes_true_as_events_leave_the_window() -> None:
    # Given "fewer than 2 api calls in the last day" and two calls an hour apart
    condition = {"performed": {"event": "api_call", "within": "P1D", "count": {"lt": 2}}}
    events = [track("api_call", at()), track("api_call", at(hours=1))]
    # Then it is false while both count, true once the first leaves
    assert not is_member(condition, events, at(hours=2))
    assert is_member(condition, events, at(days=1, seconds=1))


def test_same_filter_serves_windows_of_different_lengths() -> None:
    # Given one event and two segments on the same filter with 1 and 30 day windows
    defs = one_segment(
        {
            "all": [
                {"performed": {"event": "x", "within": "P30D"}},
                {"not": {"performed": {"event": "x", "within": "P1D"}}},
            ]
        }
    )
    state = lead([track("x", at())], defs)
    # Then at day 2 the event is in the 30-day window and out of the 1-day window
    assert evaluate(state, defs, at(days=2)).segments == {"seg"}


@pytest.mark.parametrize("count", [1, 3])
def test_exact_window_keeps_only_the_newest_timestamps_it_needs(count: int) -> None:
    # Given "count >= N within P30D" and 200 matching events
    defs = one_segment({"performed": {"event": "x", "within": "P30D", "count": {"gte": count}}})
    state = lead([track("x", at(minutes=m)) for m in range(200)], defs)
    # Then the counter holds N + 1 timestamps, the newest ones
    (counter,) = state.counters.values()
    assert counter.latest == [int(at(minutes=m).timestamp()) for m in range(200 - count - 1, 200)]


def test_events_older_than_the_longest_window_are_forgotten() -> None:
    defs = one_segment({"performed": {"event": "x", "within": "P7D", "count": {"gte": 5}}})
    state = lead([track("x", at()), track("x", at(days=10))], defs)
    (counter,) = state.counters.values()
    assert counter.latest == [int(at(days=10).timestamp())]


def test_count_without_within_is_a_running_total() -> None:
    defs = one_segment({"performed": {"event": "x", "count": {"gte": 1000}}})
    state = lead([track("x", at(minutes=m)) for m in range(1000)], defs)
    (counter,) = state.counters.values()
    assert (counter.total, counter.latest) == (1000, [])
    assert evaluate(state, defs, at(days=900)).segments == {"seg"}


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(days=30, hours=-1), True),
        (at(days=30, hours=11, minutes=59), True),
        (at(days=30, hours=12), False),
    ],
)
def test_count_above_the_exact_limit_uses_day_buckets_that_leave_with_their_day(
    now: datetime, expected: bool
) -> None:
    # Given "100 api calls within P30D" (beyond the exact limit) and 100 calls at noon on day 0
    condition = {"performed": {"event": "api_call", "within": "P30D", "count": {"gte": 100}}}
    events = [track("api_call", at(seconds=s)) for s in range(100)]
    # Then they count until the end of their UTC day + 30 days (at most one day late)
    assert is_member(condition, events, now) is expected


def test_count_above_the_exact_limit_in_a_short_window_uses_minute_buckets() -> None:
    # Given a bot-detection rule: 100 page views within PT1H
    defs = one_segment({"performed": {"event": "page_viewed", "within": "PT1H", "count": {"gte": 100}}})
    state = lead([page("/", at(seconds=s)) for s in range(120)], defs)
    # Then the state holds a couple of minute buckets, not 120 timestamps
    (counter,) = state.counters.values()
    assert set(counter.buckets) == {60}
    assert len(counter.buckets[60]) == 2
    assert evaluate(state, defs, at(minutes=59)).segments == {"seg"}
    assert evaluate(state, defs, at(minutes=62)).segments == set()
