"""``next_flip_at``: the earliest instant time alone could change a membership."""

import math
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadwire.core.rules import Definitions, LeadEvent, LeadState, evaluate

from .builders import at, definitions, identify, lead, one_segment, page, segment, settle, track


def _flip(condition: dict[str, Any], events: list[LeadEvent], now: datetime, scoring: Any = None) -> Any:
    defs = one_segment(condition, scoring)
    return evaluate(lead(events, defs), defs, now).next_flip_at


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"last_activity": {"older_than": "P14D"}}, at(days=14)),
        ({"last_activity": {"within": "P7D"}}, at(days=7)),
        ({"first_seen": {"within": "P30D"}}, at(days=30)),
        ({"first_seen": {"older_than": "PT1H"}}, at(hours=1)),
        ({"performed": {"event": "visit", "within": "PT30M"}}, at(minutes=30)),
    ],
)
def test_recency_and_window_flip_when_their_duration_has_passed(
    condition: dict[str, Any], expected: datetime
) -> None:
    assert _flip(condition, [track("visit", at())], at(minutes=1)) == expected


def test_count_flips_when_enough_events_have_left_the_window() -> None:
    # Given 3 visits on days 0, 1, 2 and "at least 2 within P7D"
    events = [track("visit", at(days=d)) for d in (0, 1, 2)]
    condition = {"performed": {"event": "visit", "within": "P7D", "count": {"gte": 2}}}
    # Then it flips when the second visit leaves (day 8), not when the first does
    assert _flip(condition, events, at(days=3)) == at(days=8)


@pytest.mark.parametrize(
    "condition",
    [
        {"performed": {"event": "visit"}},
        {"trait": {"name": "plan", "eq": "pro"}},
        {"subscribed": "email"},
        {"max_score": {"gte": 1}},
        {"score": {"gte": 1}},
    ],
)
def test_nothing_time_based_means_no_flip(condition: dict[str, Any]) -> None:
    events = [track("visit", at()), identify(plan="pro", subscriptions={"email": True})]
    assert _flip(condition, events, at(hours=1), {"rules": [{"event": "visit", "points": 5}]}) is None


def test_time_leaf_behind_a_false_timeless_leaf_cannot_flip_an_all() -> None:
    condition = {"all": [{"performed": {"event": "trial_signup"}}, {"last_activity": {"older_than": "P14D"}}]}
    assert _flip(condition, [track("visit", at())], at(hours=1)) is None


def test_any_that_holds_by_a_timeless_leaf_cannot_flip() -> None:
    condition = {"any": [{"performed": {"event": "visit"}}, {"last_activity": {"within": "P1D"}}]}
    assert _flip(condition, [track("visit", at())], at(hours=1)) is None


def test_false_all_flips_no_earlier_than_its_last_time_leaf() -> None:
    condition = {"all": [{"first_seen": {"older_than": "P1D"}}, {"last_activity": {"older_than": "P3D"}}]}
    assert _flip(condition, [track("visit", at())], at(hours=1)) == at(days=3)


def test_earliest_segment_flip_wins() -> None:
    defs = definitions(
        segment({"last_activity": {"older_than": "P14D"}}, "dormant"),
        segment({"last_activity": {"within": "P1D"}}, "active"),
    )
    assert evaluate(lead([page("/", at())], defs), defs, at(hours=1)).next_flip_at == at(days=1)


def test_sequence_flips_when_its_first_step_leaves_the_window() -> None:
    condition = {"sequence": {"steps": [{"event": "a"}, {"event": "b"}], "within": "PT2H"}}
    events = [track("a", at(milliseconds=250)), track("b", at(minutes=30))]
    assert _flip(condition, events, at(hours=1)) == at(hours=2, milliseconds=250)


def _decay_case(condition: dict[str, Any]) -> tuple[Definitions, LeadState]:
    scoring = {"rules": [{"event": "demo", "points": 80}], "decay": {"half_life": "P7D"}}
    defs = one_segment(condition, scoring)
    return defs, lead([track("demo", at())], defs)


@pytest.mark.parametrize(
    ("condition", "threshold"),
    [({"score": {"gte": 40}}, 40), ({"score": {"gt": 20}}, 20), ({"score": {"lt": 10}}, 10)],
)
def test_decay_flips_a_score_comparison_just_after_crossing_its_threshold(
    condition: dict[str, Any], threshold: float
) -> None:
    # Given 80 points decaying with a 7 day half-life
    defs, state = _decay_case(condition)
    before = evaluate(state, defs, at(hours=1))
    # Then the flip is the first whole second after 80 * 2^(-t/7d) crosses the threshold
    crossing = at().timestamp() + 7 * 86_400 * math.log2(80 / threshold)
    assert before.next_flip_at is not None
    assert before.next_flip_at.timestamp() == math.floor(crossing) + 1
    # And evaluating at that instant gives the other answer
    assert evaluate(state, defs, before.next_flip_at).segments != before.segments


def test_member_with_exit_when_waits_for_the_exit_threshold() -> None:
    # Given a hot member (enter >= 50, leave < 45) at 80 decaying by half every 7 days
    scoring = {"rules": [{"event": "demo", "points": 80}], "decay": {"half_life": "P7D"}}
    defs = definitions(
        segment({"score": {"gte": 50}}, "hot", exit_when={"score": {"lt": 45}}), scoring=scoring
    )
    state = settle(lead([track("demo", at())], defs), defs, at())
    # Then the flip is when the score crosses 45, not 50
    flip = evaluate(state, defs, at(hours=1)).next_flip_at
    assert flip is not None
    assert flip.timestamp() == math.floor(at().timestamp() + 7 * 86_400 * math.log2(80 / 45)) + 1


def test_decay_with_trait_points_flips_against_the_points_above_them() -> None:
    scoring = {
        "rules": [{"event": "demo", "points": 40}],
        "traits": [{"name": "vip", "eq": True, "points": 20}],
        "decay": {"half_life": "P1D"},
    }
    defs = one_segment({"score": {"gte": 40}}, scoring)
    state = lead([identify(vip=True), track("demo", at())], defs)
    flip = evaluate(state, defs, at(minutes=1)).next_flip_at
    assert flip == at(days=1, seconds=1)


def test_sweeping_from_flip_to_flip_changes_membership_at_each_due_instant() -> None:
    # Given segments whose memberships change over time on their own
    scoring = {"rules": [{"event": "demo", "points": 60}], "decay": {"half_life": "P3D"}}
    defs = definitions(
        segment({"score": {"gte": 50}}, "hot", exit_when={"score": {"lt": 30}}),
        segment({"last_activity": {"older_than": "P7D"}}, "dormant"),
        segment({"performed": {"event": "demo", "within": "P2D"}}, "recent-demo"),
        scoring=scoring,
    )
    state = settle(lead([track("demo", at())], defs), defs, at())
    # When a sweep follows next_flip_at until nothing is due
    seen: list[tuple[datetime, frozenset[str]]] = []
    now = at()
    for _ in range(10):
        evaluation = evaluate(state, defs, now)
        seen.append((now, evaluation.segments))
        state = state.with_memberships(evaluation.memberships)
        if evaluation.next_flip_at is None:
            break
        assert evaluation.next_flip_at > now
        now = evaluation.next_flip_at
    # Then each change happened at its exact instant and the sweep ended
    hot_exit = datetime.fromtimestamp(
        math.floor(at().timestamp() + 3 * 86_400 * math.log2(2)) + 1, tz=at().tzinfo
    )
    assert seen == [
        (at(), frozenset({"hot", "recent-demo"})),
        (at(days=2), frozenset({"hot"})),
        (hot_exit, frozenset()),
        (at(days=7), frozenset({"dormant"})),
    ]
    assert hot_exit - at() > timedelta(days=3)
