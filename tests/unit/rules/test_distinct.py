"""``performed`` with ``distinct``: counting distinct property values, bounded, in windows."""

from typing import Any

import pytest

from leadwire.core.rules import DefinitionError, LeadState, evaluate, merge_states, untracked_aggregates
from leadwire.core.rules.distinct import value_hash
from leadwire.core.rules.explain import explain

from .builders import LEAD_ID, at, definitions, is_member, lead, one_segment, page, segment, track

MULTI_TOUCH = {"performed": {"event": "touch", "distinct": "channel", "count": {"gte": 3}}}


def touches(*channels: Any, hours_apart: float = 1) -> list:
    return [track("touch", at(hours=i * hours_apart), channel=c) for i, c in enumerate(channels)]


def test_third_distinct_channel_makes_the_lead_a_member() -> None:
    # Given touches through email, email, web (two distinct channels) then webinar
    # Then the lead is in only once the third distinct channel arrives
    assert not is_member(MULTI_TOUCH, touches("email", "email", "web"), at(hours=3))
    assert is_member(MULTI_TOUCH, touches("email", "email", "web", "webinar"), at(hours=4))


def test_events_without_the_property_count_for_nothing() -> None:
    events = [
        *touches("email", "web"),
        track("touch", at(hours=5)),
        track("touch", at(hours=6), channel=None),
    ]
    assert not is_member(MULTI_TOUCH, events, at(hours=7))


def test_values_are_compared_by_their_json_so_numbers_and_text_differ() -> None:
    # Given the article ids 1, "1" and 1.5
    events = [track("article_read", at(minutes=i), article=a) for i, a in enumerate([1, "1", 1.5])]
    condition = {"performed": {"event": "article_read", "distinct": "article", "count": {"gte": 3}}}
    # Then they are three different values
    assert is_member(condition, events, at(hours=1))


def test_dotted_property_paths_and_where_filters_apply() -> None:
    condition = {
        "performed": {
            "event": "article_read",
            "where": {"section": {"eq": "blog"}},
            "distinct": "article.slug",
            "count": {"gte": 2},
        }
    }
    events = [
        track("article_read", at(), section="blog", article={"slug": "a"}),
        track("article_read", at(minutes=1), section="docs", article={"slug": "b"}),
        track("article_read", at(minutes=2), section="blog", article={"slug": "a"}),
    ]
    assert not is_member(condition, events, at(hours=1))
    more = [*events, track("article_read", at(minutes=3), section="blog", article={"slug": "c"})]
    assert is_member(condition, more, at(hours=1))


def test_window_counts_values_seen_inside_it_and_flips_when_one_leaves() -> None:
    # Given three channels at hours 0, 1 and 2, one seen again at hour 3, and "3 channels in a day"
    condition = {"performed": {"event": "touch", "distinct": "channel", "within": "P1D", "count": {"gte": 3}}}
    defs = one_segment(condition)
    state = lead([*touches("email", "web", "webinar"), track("touch", at(hours=3), channel="email")], defs)
    # When evaluated at hour 4
    evaluation = evaluate(state, defs, at(hours=4))
    # Then the lead is in, until the oldest last-seen value (web, hour 1) leaves the window
    assert evaluation.segments == {"seg"}
    assert evaluation.next_flip_at == at(days=1, hours=1)
    assert evaluate(state, defs, at(days=1, hours=1)).segments == frozenset()


def test_state_keeps_at_most_cap_values_and_stays_exact() -> None:
    # Given a hundred distinct channels, an hour apart, and "3 channels within 2 hours"
    condition = {
        "performed": {"event": "touch", "distinct": "channel", "within": "PT2H", "count": {"gte": 3}}
    }
    defs = one_segment(condition)
    state = lead(touches(*[f"c{i}" for i in range(100)], hours_apart=0.5), defs)
    # Then the set holds only the newest cap (threshold + 1) values
    (values,) = state.distinct.values()
    assert len(values.seen) == 4
    # And the count is exact: the last touches are half an hour apart (hours 48 to 49.5), so
    # the count falls under 3 when the one at 48.5 leaves the 2-hour window
    assert evaluate(state, defs, at(hours=49.5)).segments == {"seg"}
    assert evaluate(state, defs, at(hours=49.5)).next_flip_at == at(hours=50.5)
    # And past the window the set is pruned on the next event
    later = lead([track("touch", at(days=10), channel="x")], defs, state)
    assert len(later.distinct[next(iter(later.distinct))].seen) == 1


def test_an_evicted_value_seen_again_counts_again() -> None:
    condition = {
        "performed": {"event": "touch", "distinct": "channel", "within": "PT3H", "count": {"gte": 2}}
    }
    defs = one_segment(condition)
    state = lead(touches("a", "b", "c", "d"), defs)  # cap 3: "a" evicted
    assert value_hash("a") not in next(iter(state.distinct.values())).seen
    state = lead([track("touch", at(hours=10), channel="a")], defs, state)
    assert evaluate(state, defs, at(hours=10)).segments == frozenset()  # only "a" inside 3 hours
    state = lead([track("touch", at(hours=11), channel="d")], defs, state)
    assert evaluate(state, defs, at(hours=11)).segments == {"seg"}


def test_order_of_arrival_does_not_matter() -> None:
    defs = one_segment(
        {"performed": {"event": "touch", "distinct": "channel", "within": "P1D", "count": {"gte": 2}}}
    )
    events = touches("a", "b", "c", "a", "d")
    forward = lead(events, defs)
    backward = LeadState.new(LEAD_ID)
    for event in reversed(events):
        backward = lead([event], defs, backward)
    assert forward.distinct == backward.distinct


def test_a_plain_count_and_a_distinct_count_of_one_filter_keep_separate_state() -> None:
    defs = definitions(
        segment({"performed": {"event": "touch", "count": {"gte": 3}}}, "three-touches"),
        segment(MULTI_TOUCH, "multi-touch"),
    )
    state = lead(touches("email", "email", "email"), defs)
    assert evaluate(state, defs, at(hours=3)).segments == {"three-touches"}


def test_a_higher_threshold_after_a_reload_needs_a_rebuild() -> None:
    state = lead(touches("a", "b"), one_segment(MULTI_TOUCH))
    wider = one_segment({"performed": {"event": "touch", "distinct": "channel", "count": {"gte": 5}}})
    assert untracked_aggregates(state, wider)
    assert not untracked_aggregates(state, one_segment(MULTI_TOUCH))


def test_merge_counts_the_channels_of_both_leads() -> None:
    defs = one_segment(MULTI_TOUCH)
    known = lead(touches("email", "web"), defs)
    anonymous = lead(
        [track("touch", at(hours=5), channel="webinar", message_id="anon-1")], defs, LeadState.new("anon")
    )
    merged = merge_states(known, anonymous, defs)
    assert evaluate(merged, defs, at(hours=6)).segments == {"seg"}
    assert not untracked_aggregates(merged, defs)


def test_explain_shows_the_distinct_count_and_the_test() -> None:
    defs = one_segment(MULTI_TOUCH)
    state = lead(touches("email", "web"), defs)
    explanation = explain(state, defs, "seg", at(hours=3))
    assert explanation.tree == {
        "node": "performed",
        "holds": False,
        "value": 2,
        "expected": {"event": "touch", "where": {}, "distinct": "channel", "count": {"gte": 3}},
    }


def test_a_state_stored_before_distinct_sets_existed_loads() -> None:
    stored = '{"id":"lead-1","fs":1793620800,"ls":1793620800,"la":1793620800,"c":{"x":{"n":2,"e":true}}}'
    state = LeadState.from_json(stored)
    assert state.distinct == {}
    assert state.visits is None
    assert untracked_aggregates(state, one_segment(MULTI_TOUCH))  # rebuilt from its events once


@pytest.mark.parametrize(
    ("performed", "path", "message"),
    [
        (
            {"event": "touch", "distinct": "channel", "count": {"gte": 40}},
            "segments[0].condition.performed.count",
            "with 'distinct', count can test at most 31 distinct values",
        ),
        (
            {"event": "touch", "distinct": ""},
            "segments[0].condition.performed.distinct",
            "at least 1 character",
        ),
        ({"event": "touch", "distinct": 3}, "segments[0].condition.performed.distinct", "valid string"),
    ],
)
def test_bad_distinct_is_refused_naming_the_field(performed: dict, path: str, message: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        one_segment({"performed": performed})
    (problem,) = refused.value.problems
    assert problem["path"] == path
    assert message in problem["message"]


def test_a_plain_count_keeps_its_high_threshold() -> None:
    assert is_member({"performed": {"event": "x", "count": {"gte": 100}}}, [page()], at()) is False


def test_an_ever_use_after_a_windowed_one_needs_a_rebuild_and_a_shorter_window_does_not() -> None:
    windowed = {"performed": {"event": "touch", "distinct": "channel", "within": "P7D", "count": {"gte": 3}}}
    state = lead(touches("a", "b"), one_segment(windowed))
    assert untracked_aggregates(state, one_segment(MULTI_TOUCH))
    shorter = {"performed": {"event": "touch", "distinct": "channel", "within": "P1D", "count": {"gte": 3}}}
    assert not untracked_aggregates(state, one_segment(shorter))
