"""Scoring: rule points, daily caps, floor at 0, trait points, decay, max score."""

from typing import Any

import pytest

from leadwire.core.rules import LeadEvent, evaluate, score_band

from .builders import at, definitions, identify, is_member, lead, one_segment, page, segment, track

PRICING = {"event": "page_viewed", "where": {"path": {"starts_with": "/pricing"}}, "points": 5}


def _score(events: list[LeadEvent], scoring: dict[str, Any], now: Any = None) -> float:
    defs = definitions(scoring=scoring)
    return evaluate(lead(events, defs), defs, now or at(days=1)).score


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([page("/pricing")], 5 + 1),
        ([page("/docs")], 1),
        ([page("/pricing"), page("/pricing/teams"), page("/")], 5 + 5 + 3),
        ([track("signup")], 0),
    ],
)
def test_every_matching_rule_adds_its_points(events: list[LeadEvent], expected: float) -> None:
    scoring = {"rules": [PRICING, {"event": "page_viewed", "points": 1}]}
    assert _score(events, scoring) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [([0], 10), ([0, 1], 20), ([0, 1, 2], 25), ([0, 1, 2, 3, 4, 5], 25)],
)
def test_max_per_day_caps_a_rules_points_per_utc_day(minutes: list[int], expected: float) -> None:
    # Given 10 points per visit, at most 25 a day
    scoring = {"rules": [{"event": "visit", "points": 10, "max_per_day": 25}]}
    # Then the day grants at most 25 (the last visit gets only what is left)
    assert _score([track("visit", at(minutes=m)) for m in minutes], scoring) == expected


def test_max_per_day_resets_at_utc_midnight() -> None:
    # Given visits at 23:58 and 23:59 and 00:01 UTC, capped at 10 a day
    scoring = {"rules": [{"event": "visit", "points": 10, "max_per_day": 10}]}
    events = [
        track("visit", at(hours=11, minutes=58)),
        track("visit", at(hours=11, minutes=59)),
        track("visit", at(hours=12, minutes=1)),
    ]
    # Then each UTC day grants its own 10
    assert _score(events, scoring) == 20


def test_cap_of_one_rule_does_not_limit_another_rule() -> None:
    scoring = {
        "rules": [{"event": "visit", "points": 10, "max_per_day": 10}, {"event": "visit", "points": 1}]
    }
    assert _score([track("visit", at(minutes=m)) for m in range(3)], scoring) == 10 + 3


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([track("unsubscribed")], 0),
        ([track("demo"), track("unsubscribed", at(minutes=1)), track("unsubscribed", at(minutes=2))], 0),
        (
            [
                track("demo"),
                track("unsubscribed", at(minutes=1)),
                track("unsubscribed", at(minutes=2)),
                track("demo", at(minutes=3)),
            ],
            30,
        ),
        ([track("demo"), track("demo", at(minutes=1)), track("unsubscribed", at(minutes=2))], 40),
    ],
)
def test_score_never_goes_below_zero(events: list[LeadEvent], expected: float) -> None:
    scoring = {"rules": [{"event": "demo", "points": 30}, {"event": "unsubscribed", "points": -20}]}
    assert _score(events, scoring) == expected


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([identify(company_size=800)], 15),
        ([identify(company_size=800), identify(at(minutes=1), company_size=20)], 0),
        ([identify(company_size=800, plan="pro")], 25),
        ([identify(company_size=800), track("demo")], 45),
    ],
)
def test_trait_points_count_while_the_trait_matches(events: list[LeadEvent], expected: float) -> None:
    scoring = {
        "rules": [{"event": "demo", "points": 30}],
        "traits": [
            {"name": "company_size", "gte": 500, "points": 15},
            {"name": "plan", "eq": "pro", "points": 10},
        ],
    }
    assert _score(events, scoring) == expected


@pytest.mark.parametrize(("days", "expected"), [(0, 40), (7, 20), (14, 10), (21, 5)])
def test_decay_halves_event_points_every_half_life(days: int, expected: float) -> None:
    scoring = {"rules": [{"event": "demo", "points": 40}], "decay": {"half_life": "P7D"}}
    assert _score([track("demo", at())], scoring, at(days=days)) == pytest.approx(expected)


def test_trait_points_do_not_decay() -> None:
    scoring = {"traits": [{"name": "vip", "eq": True, "points": 20}], "decay": {"half_life": "P1D"}}
    assert _score([identify(vip=True)], scoring, at(days=30)) == 20


def test_late_event_adds_its_points_decayed_from_its_own_time() -> None:
    # Given an event on day 7 already applied
    scoring = {"rules": [{"event": "demo", "points": 40}], "decay": {"half_life": "P7D"}}
    defs = definitions(scoring=scoring)
    state = lead([track("demo", at(days=7))], defs)
    # When an event stamped day 0 arrives late
    state = lead([track("demo", at())], defs, state)
    # Then on day 7 it contributes 20, as if it had arrived on time
    assert evaluate(state, defs, at(days=7)).score == pytest.approx(60)


def test_max_score_keeps_the_peak_after_decay() -> None:
    # Given a score of 80 that decays to 20
    scoring = {"rules": [{"event": "demo", "points": 80}], "decay": {"half_life": "P7D"}}
    defs = one_segment({"max_score": {"gte": 75}}, scoring)
    state = lead([track("demo", at())], defs)
    evaluation = evaluate(state, defs, at(days=14))
    # Then max_score still holds while score has fallen
    assert (evaluation.score, evaluation.segments) == (pytest.approx(20), {"seg"})
    assert state.score.max_at == int(at().timestamp())


def test_max_score_of_late_events_is_what_in_order_arrival_gives() -> None:
    scoring = {"rules": [{"event": "demo", "points": 30}], "decay": {"half_life": "P7D"}}
    defs = definitions(scoring=scoring)
    events = [track("demo", at()), track("demo", at(days=1)), track("demo", at(days=2))]
    in_order = lead(events, defs)
    late = lead(events[:1], defs, lead(events[1:], defs))
    assert late.score.max == pytest.approx(in_order.score.max)


@pytest.mark.parametrize(
    ("events", "expected"),
    [([track("demo")], True), ([track("demo"), track("unsubscribed", at(minutes=1))], False)],
)
def test_score_node_compares_the_current_score(events: list[LeadEvent], expected: bool) -> None:
    scoring = {"rules": [{"event": "demo", "points": 30}, {"event": "unsubscribed", "points": -20}]}
    assert is_member({"score": {"gte": 25}}, events, at(hours=1), scoring) is expected


def test_capped_rule_grants_nothing_for_an_event_older_than_cap_retention() -> None:
    # Given a lead whose newest event is on day 10
    scoring = {
        "rules": [{"event": "visit", "points": 10, "max_per_day": 10}, {"event": "signup", "points": 1}]
    }
    defs = definitions(scoring=scoring)
    state = lead([track("signup", at(days=10))], defs)
    # When a capped visit from day 0 arrives (its day's usage is no longer kept)
    state = lead([track("visit", at())], defs, state)
    # Then it grants nothing rather than risk exceeding the cap
    assert evaluate(state, defs, at(days=10)).score == 1


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, "Cold"),
        (24.9, "Cold"),
        (25, "Warm"),
        (49, "Warm"),
        (50, "Hot"),
        (74.99, "Hot"),
        (75, "Very Hot"),
        (500, "Very Hot"),
    ],
)
def test_default_score_bands(score: float, band: str) -> None:
    assert score_band(score) == band


def test_score_rule_where_reads_page_properties() -> None:
    defs = definitions(segment({"score": {"gte": 5}}), scoring={"rules": [PRICING]})
    assert evaluate(lead([page("/pricing")], defs), defs, at()).segments == {"seg"}
