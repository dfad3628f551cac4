"""Size guidance and analytics derived from flips, checked against hand-worked numbers."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.errors import InvalidRequest
from leadwire.core.insight import analytics
from leadwire.core.insight.analytics import FlipRecord
from leadwire.core.insight.size import share_of, size_warning
from tests.unit.rules.builders import one_segment, track

T0 = datetime(2026, 9, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.mark.parametrize(
    ("members", "leads", "warning"),
    [
        (51, 100, "too_large"),
        (50, 100, None),
        (5, 100, None),
        (1, 100, None),
        (1, 101, "too_small"),
        (0, 0, None),
    ],
)
def test_size_warning_over_half_or_under_one_percent(members, leads, warning):
    assert size_warning(share_of(members, leads), leads) == warning


def test_members_at_undoes_later_flips():
    flips = [
        FlipRecord("a", "entered", day(1)),
        FlipRecord("b", "exited", day(2)),
        FlipRecord("c", "entered", day(3)),
    ]
    current = {"a", "c"}
    assert analytics.members_at(current, flips, day(3)) == {"a", "c"}
    assert analytics.members_at(current, flips, day(2.5)) == {"a"}
    assert analytics.members_at(current, flips, day(1.5)) == {"a", "b"}
    assert analytics.members_at(current, flips, day(0)) == {"b"}


def test_series_counts_flips_inside_each_interval_and_scores_at_its_end():
    flips = [FlipRecord("a", "entered", day(0.5)), FlipRecord("b", "entered", day(1.5))]
    cuts = analytics.intervals(day(0), day(2), timedelta(days=1))
    scores = {"a": {day(1): 10.0, day(2): 6.0}, "b": {day(2): 20.0}}
    points = analytics.series(cuts, {"a", "b"}, flips, scores)
    assert [(p.at, p.members, p.entered, p.exited, p.average_score) for p in points] == [
        (day(1), 1, 1, 0, 10.0),
        (day(2), 2, 1, 0, 13.0),
    ]


def test_intervals_refuse_too_many_points_naming_the_field():
    with pytest.raises(InvalidRequest) as error:
        analytics.intervals(day(0), day(30), timedelta(minutes=1))
    assert error.value.details == {"field": "interval"}


def test_scores_at_replays_points_and_decay():
    definitions = one_segment(
        {"score": {"gte": 1}},
        scoring={"rules": [{"event": "visit", "points": 8}], "decay": {"half_life": "P1D"}},
    )
    events = [track("visit", day(0), "m1"), track("visit", day(1), "m2")]
    # day 1: 8 decayed one half-life (4) + 8 = 12; day 2: 6
    assert analytics.scores_at(events, definitions, [day(0.5), day(1), day(2)], "a") == pytest.approx(
        [8 * 0.5**0.5, 12.0, 6.0]
    )


def test_top_events_and_conversion():
    events = {
        "a": [track("visit", day(1), "m1"), track("visit", day(2), "m2"), track("buy", day(3), "m3")],
        "b": [track("visit", day(1), "m4"), track("buy", day(9), "m5")],
    }
    top = analytics.top_events(events, day(0), day(5))
    assert [(t.event, t.count, t.leads) for t in top] == [("visit", 3, 2), ("buy", 1, 1)]
    entries = analytics.first_entries(
        [
            FlipRecord("a", "entered", day(1)),
            FlipRecord("b", "entered", day(1)),
            FlipRecord("a", "entered", day(4)),
        ],
        day(0),
        day(5),
    )
    result = analytics.conversion(entries, events, "buy", timedelta(days=7))
    assert (result.entered, result.converted, result.rate) == (2, 1, 0.5)
