"""``visits``: runs of activity with gaps under the configured gap, their number and duration."""

from typing import Any

import pytest

from leadwire.core.rules import (
    DefinitionError,
    LeadState,
    evaluate,
    merge_states,
    parse_definitions,
    untracked_aggregates,
)
from leadwire.core.rules.explain import explain
from leadwire.core.rules.visits import MAX_KEPT_VISITS

from .builders import LEAD_ID, at, identify, is_member, lead, one_segment, page, segment, track

RETURNING = {"visits": {"count": {"gte": 2}}}
TEN_SECONDS = {"visits": {"min_duration": "PT10S"}}


def pages(*minutes: float) -> list:
    return [page("/", at(minutes=m)) for m in minutes]


def with_gap(condition: dict[str, Any], gap: str) -> Any:
    return parse_definitions({"segments": [segment(condition)], "visits": {"gap": gap}})


@pytest.mark.parametrize(("second_at", "visits"), [(29, 1), (29.99, 1), (30, 2), (45, 2)])
def test_a_gap_of_30_minutes_or_more_starts_a_new_visit(second_at: float, visits: int) -> None:
    defs = one_segment(RETURNING)
    state = lead(pages(0, second_at), defs)
    assert state.visits is not None
    assert len(state.visits.runs) == visits
    assert ("seg" in evaluate(state, defs, at(hours=2)).segments) is (visits == 2)


def test_the_lead_returns_at_the_first_event_of_its_second_visit() -> None:
    # Given a visit from minute 0 to 20, then activity chained every 25 minutes
    defs = one_segment(RETURNING)
    state = lead(pages(0, 10, 20, 45, 70), defs)
    assert evaluate(state, defs, at(minutes=70)).segments == frozenset()  # one long visit
    state = lead(pages(101), defs, state)  # 31 minutes after the last
    assert evaluate(state, defs, at(minutes=101)).segments == {"seg"}


def test_only_activity_makes_visits() -> None:
    defs = one_segment(RETURNING)
    state = lead([page("/", at()), identify(at(hours=2), email="a@example.com")], defs)
    assert evaluate(state, defs, at(hours=3)).segments == frozenset()
    state = lead([track("webinar_registered", at(hours=2))], defs, state)
    assert evaluate(state, defs, at(hours=3)).segments == {"seg"}


def test_ten_seconds_on_site_holds_from_the_event_that_reaches_it() -> None:
    defs = one_segment(TEN_SECONDS)
    state = lead([page("/", at()), page("/pricing", at(seconds=9))], defs)
    assert evaluate(state, defs, at(seconds=9)).segments == frozenset()
    state = lead([page("/docs", at(seconds=10))], defs, state)
    assert evaluate(state, defs, at(seconds=10)).segments == {"seg"}


def test_windowed_visit_count_flips_when_a_visit_leaves_the_window() -> None:
    # Given visits ending at minutes 5 and 65 and "2 visits within 7 days"
    defs = one_segment({"visits": {"within": "P7D", "count": {"gte": 2}}})
    state = lead(pages(0, 5, 65), defs)
    evaluation = evaluate(state, defs, at(hours=2))
    # Then the lead is in until the first visit's last activity is 7 days old
    assert evaluation.segments == {"seg"}
    assert evaluation.next_flip_at == at(days=7, minutes=5)
    assert evaluate(state, defs, at(days=7, minutes=5)).segments == frozenset()


def test_long_visits_in_a_window_ignore_short_ones() -> None:
    defs = one_segment({"visits": {"within": "P1D", "min_duration": "PT1M", "count": {"gte": 2}}})
    events = [*pages(0, 2), *pages(60), *pages(120), *pages(180, 181)]  # long, short, short, long
    state = lead(events, defs)
    assert evaluate(state, defs, at(hours=4)).segments == {"seg"}
    assert evaluate(state, defs, at(hours=4)).next_flip_at == at(days=1, minutes=2)


def test_a_late_event_that_bridges_two_visits_joins_them() -> None:
    defs = one_segment(RETURNING)
    state = lead(pages(0, 40), defs)
    assert evaluate(state, defs, at(minutes=40)).segments == {"seg"}
    state = lead(pages(20), defs, state)  # arrives late, 20 minutes from both
    assert state.visits is not None
    assert state.visits.runs == [[int(at().timestamp()), int(at(minutes=40).timestamp())]]
    assert evaluate(state, defs, at(minutes=41)).segments == frozenset()


def test_the_gap_is_configurable() -> None:
    defs = with_gap(RETURNING, "PT10M")
    state = lead(pages(0, 11), defs)
    assert evaluate(state, defs, at(minutes=11)).segments == {"seg"}


def test_a_changed_gap_needs_a_rebuild() -> None:
    state = lead(pages(0, 11), one_segment(RETURNING))
    assert untracked_aggregates(state, with_gap(RETURNING, "PT10M")) == {"visits"}
    assert not untracked_aggregates(state, one_segment(RETURNING))


def test_a_new_min_duration_or_a_longer_window_needs_a_rebuild() -> None:
    state = lead(pages(0, 11), one_segment({"visits": {"within": "P1D", "count": {"gte": 2}}}))
    assert untracked_aggregates(state, one_segment({"visits": {"within": "P2D", "count": {"gte": 2}}}))
    assert untracked_aggregates(state, one_segment({"visits": {"within": "P1D", "min_duration": "PT5S"}}))


def test_a_bot_keeps_a_bounded_state_and_an_exact_ever_count() -> None:
    # Given 200 visits an hour apart, and "returning" plus "3 visits in the last 2 hours"
    defs = parse_definitions(
        {
            "segments": [
                segment({"visits": {"count": {"gte": 15}}}, "many"),
                segment({"visits": {"within": "PT2H", "count": {"gte": 3}}}, "busy"),
                segment({"visits": {"count": {"gte": 15}, "min_duration": "PT1S"}}, "many-long"),
            ]
        }
    )
    events = [page("/", at(hours=h, seconds=s)) for h in range(200) for s in (0, 1 if h < 20 else 0)]
    state = lead(events, defs)
    # Then only the visits a window can still count are kept, and "ever" counts the rest
    assert state.visits is not None
    assert len(state.visits.runs) <= MAX_KEPT_VISITS
    evaluation = evaluate(state, defs, at(hours=199))
    assert evaluation.segments == {"many", "many-long"}  # 200 visits, 20 of them a second long
    assert state.visits.retired[0] + len(state.visits.runs) == 200
    assert state.visits.retired[1] == 20


def test_order_of_arrival_does_not_matter_while_all_visits_are_kept() -> None:
    defs = one_segment({"visits": {"within": "P1D", "count": {"gte": 3}}})
    events = pages(0, 10, 50, 200, 210, 260)
    forward = lead(events, defs)
    backward = LeadState.new(LEAD_ID)
    for event in reversed(events):
        backward = lead([event], defs, backward)
    assert forward.visits == backward.visits


def test_merge_joins_the_visits_of_both_leads() -> None:
    defs = one_segment(RETURNING)
    anonymous = lead([page("/", at(), message_id="anon-1")], defs, LeadState.new("anon"))
    known = lead([page("/", at(hours=1), message_id="known-1")], defs)
    assert evaluate(merge_states(known, anonymous, defs), defs, at(hours=1)).segments == {"seg"}
    # and one visit across both devices stays one visit
    same_visit = lead([page("/", at(minutes=10), message_id="known-2")], defs)
    merged = merge_states(same_visit, anonymous, defs)
    assert evaluate(merged, defs, at(hours=1)).segments == frozenset()
    assert not untracked_aggregates(merged, defs)


def test_explain_shows_the_visit_count() -> None:
    defs = one_segment(RETURNING)
    tree = explain(lead(pages(0), defs), defs, "seg", at(minutes=1)).tree
    assert tree == {"node": "visits", "holds": False, "value": 1, "expected": {"count": {"gte": 2}}}


def test_no_visits_node_keeps_no_visit_state() -> None:
    defs = one_segment({"performed": {"event": "page_viewed"}})
    assert lead(pages(0, 40), defs).visits is None
    assert is_member(RETURNING, pages(0, 40), at(hours=1))


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (
            {"segments": [segment({"visits": {"count": {"gte": 20}}})]},
            "segments[0].condition.visits.count",
            "count can test at most 15 visits",
        ),
        (
            {"segments": [segment({"visits": {"min_duration": "ten seconds"}})]},
            "segments[0].condition.visits.min_duration",
            "is not an ISO 8601 duration",
        ),
        (
            {"segments": [segment({"visits": {"within": "P7D", "where": {}}})]},
            "segments[0].condition.visits.where",
            "unknown field",
        ),
        ({"visits": {"gap": "PT10S"}}, "visits.gap", "between PT1M and P1D"),
        ({"visits": {"gap": "P1M"}}, "visits.gap", "months or years"),
        ({"visits": {"timeout": "PT30M"}}, "visits.timeout", "unknown field"),
    ],
)
def test_bad_visits_are_refused_naming_the_field(raw: dict, path: str, message: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        parse_definitions(raw)
    (problem,) = refused.value.problems
    assert problem["path"] == path
    assert message in problem["message"]
