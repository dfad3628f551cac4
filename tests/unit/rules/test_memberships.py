"""Memberships: hysteresis with ``exit_when``, static segments, entry instants, ``diff``."""

from datetime import datetime

import pytest

from leadwire.core.rules import Definitions, LeadState, MembershipChange, diff, evaluate

from .builders import LEAD_ID, at, definitions, lead, segment, settle, track

HOT = segment({"score": {"gte": 50}}, "hot", exit_when={"score": {"lt": 45}})
SCORING = {"rules": [{"event": "demo", "points": 1}, {"event": "cooled", "points": -1}]}


def _scored(points: int, defs: Definitions, state: LeadState | None = None) -> LeadState:
    name = "demo" if points > 0 else "cooled"
    return lead([track(name, at(seconds=i)) for i in range(abs(points))], defs, state)


@pytest.mark.parametrize(("score", "expected"), [(44, set()), (47, set()), (50, {"hot"}), (60, {"hot"})])
def test_non_member_enters_only_when_condition_holds(score: int, expected: set[str]) -> None:
    defs = definitions(HOT, scoring=SCORING)
    assert evaluate(_scored(score, defs), defs, at(hours=1)).segments == expected


@pytest.mark.parametrize(("drop", "expected"), [(3, {"hot"}), (5, {"hot"}), (6, set())])
def test_member_stays_until_exit_when_holds(drop: int, expected: set[str]) -> None:
    # Given a lead that entered at 50
    defs = definitions(HOT, scoring=SCORING)
    state = settle(_scored(50, defs), defs, at(hours=1))
    # When its score drops to 47, 45 or 44
    state = _scored(-drop, defs, state)
    # Then it leaves only below 45
    assert evaluate(state, defs, at(hours=2)).segments == expected


def test_member_without_exit_when_leaves_when_condition_stops_holding() -> None:
    defs = definitions(segment({"score": {"gte": 50}}, "hot"), scoring=SCORING)
    state = settle(_scored(50, defs), defs, at(hours=1))
    assert evaluate(_scored(-1, defs, state), defs, at(hours=2)).segments == set()


@pytest.mark.parametrize(
    ("members", "expected"), [([LEAD_ID, "other"], {"vips"}), (["other"], set()), ([], set())]
)
def test_static_segment_holds_its_member_list(members: list[str], expected: set[str]) -> None:
    defs = definitions({"id": "vips", "name": "VIPs", "type": "static", "members": members})
    assert evaluate(LeadState.new(LEAD_ID), defs, at()).segments == expected


def test_in_segment_can_read_a_static_segment() -> None:
    defs = definitions(
        {"id": "vips", "name": "VIPs", "type": "static", "members": [LEAD_ID]},
        segment({"all": [{"in_segment": "vips"}, {"performed": {"event": "demo"}}]}, "active-vips"),
    )
    assert evaluate(lead([track("demo")], defs), defs, at()).segments == {"vips", "active-vips"}


def test_member_keeps_its_entry_instant_and_new_member_enters_now() -> None:
    # Given a member since T0 + 1h
    defs = definitions(
        segment({"performed": {"event": "demo"}}, "a"), segment({"performed": {"event": "buy"}}, "b")
    )
    state = settle(lead([track("demo")], defs), defs, at(hours=1))
    # When it qualifies for a second segment, evaluated at T0 + 5h
    evaluation = evaluate(lead([track("buy", at(hours=4))], defs, state), defs, at(hours=5))
    # Then the first keeps T0 + 1h and the second starts at T0 + 5h
    assert evaluation.memberships == {"a": at(hours=1), "b": at(hours=5)}


def test_diff_lists_exits_at_evaluation_and_entries_at_entry() -> None:
    # Given old memberships {a, b} and a new evaluation {b, c}
    defs = definitions(
        segment({"performed": {"event": "x"}}, "a"),
        segment({"performed": {"event": "demo"}}, "b"),
        segment({"performed": {"event": "buy"}}, "c"),
    )
    old: dict[str, datetime] = {"a": at(), "b": at()}
    state = lead([track("demo"), track("buy")], defs).with_memberships(old)
    new = evaluate(state, defs, at(hours=2))
    # Then a exited and c entered, both at the evaluation instant
    assert diff(old, new) == [
        MembershipChange(segment_id="a", kind="exited", at=at(hours=2)),
        MembershipChange(segment_id="c", kind="entered", at=at(hours=2)),
    ]


def test_diff_of_unchanged_memberships_is_empty() -> None:
    defs = definitions(segment({"performed": {"event": "demo"}}, "a"))
    state = settle(lead([track("demo")], defs), defs, at())
    assert diff(state.memberships, evaluate(state, defs, at(days=3))) == []


def test_membership_of_a_deleted_segment_is_exited() -> None:
    state = LeadState.new(LEAD_ID).with_memberships({"gone": at()})
    new = evaluate(state, definitions(), at(hours=1))
    assert diff(state.memberships, new) == [
        MembershipChange(segment_id="gone", kind="exited", at=at(hours=1))
    ]


def test_evaluate_refuses_a_naive_instant() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(LeadState.new(LEAD_ID), definitions(), datetime(2026, 11, 2))
