"""``sequence``: steps in order, with the whole run inside the trailing ``within``."""

from typing import Any

import pytest

from leadwire.core.rules import LeadEvent, evaluate
from leadwire.core.rules.sequences import CANDIDATES_PER_STEP, latest_start

from .builders import at, is_member, lead, one_segment, page, track

FUNNEL = {
    "sequence": {
        "steps": [
            {"event": "page_viewed", "where": {"path": {"starts_with": "/pricing"}}},
            {"event": "trial_signup"},
            {"event": "api_call"},
        ],
        "within": "P7D",
    }
}


def _funnel(pricing: float, signup: float, api: float) -> list[LeadEvent]:
    return [
        page("/pricing", at(hours=pricing)),
        track("trial_signup", at(hours=signup)),
        track("api_call", at(hours=api)),
    ]


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ((0, 1, 2), True),
        ((0, 2, 1), False),
        ((2, 1, 0), False),
        ((0, 0, 1), False),
        ((0, 24 * 8, 24 * 8 + 1), False),
    ],
    ids=["in-order", "last-two-swapped", "reversed", "same-instant", "longer-than-within"],
)
def test_steps_must_happen_in_order_within_the_window(
    hours: tuple[float, float, float], expected: bool
) -> None:
    now = at(hours=max(hours) + 1)
    assert is_member(FUNNEL, _funnel(*hours), now) is expected


def test_step_filters_apply() -> None:
    events = [page("/docs", at()), track("trial_signup", at(hours=1)), track("api_call", at(hours=2))]
    assert not is_member(FUNNEL, events, at(hours=3))


def test_late_first_step_completes_the_sequence() -> None:
    # Given the last two steps were applied in an earlier batch
    defs = one_segment(FUNNEL)
    state = lead([track("trial_signup", at(hours=1)), track("api_call", at(hours=2))], defs)
    assert evaluate(state, defs, at(hours=3)).segments == set()
    # When the first step arrives late, stamped before them
    state = lead([page("/pricing", at())], defs, state)
    # Then the sequence holds
    assert evaluate(state, defs, at(hours=3)).segments == {"seg"}


@pytest.mark.parametrize(("days", "expected"), [(6.9, True), (7.1, False)])
def test_sequence_leaves_when_its_first_step_leaves_the_window(days: float, expected: bool) -> None:
    assert is_member(FUNNEL, _funnel(0, 1, 2), at(days=days)) is expected


def test_restarted_sequence_counts_from_the_latest_start() -> None:
    # Given the first step seen on day 0 and again on day 5, then the rest on day 6
    events = [page("/pricing", at()), page("/pricing", at(days=5)), *_funnel(24 * 5, 24 * 6, 24 * 6 + 1)[1:]]
    # Then the run started on day 5 and still holds on day 11
    assert is_member(FUNNEL, events, at(days=11))


def test_sequence_without_within_holds_for_ever_once_completed() -> None:
    condition = {"sequence": {"steps": [{"event": "cart_added"}, {"event": "purchase"}]}}
    events = [track("cart_added", at()), track("purchase", at(days=100))]
    assert is_member(condition, events, at(days=1000))


def test_one_event_cannot_fill_two_steps() -> None:
    condition = {"sequence": {"steps": [{"event": "page_viewed"}, {"event": "page_viewed"}]}}
    assert not is_member(condition, [page("/")], at(hours=1))
    assert is_member(condition, [page("/"), page("/", at(seconds=1))], at(hours=1))


def test_many_repeats_of_a_step_keep_a_bounded_candidate_list() -> None:
    # Given 50 pricing views, then a signup and an api call, in order
    defs = one_segment(FUNNEL)
    events = [page("/pricing", at(minutes=m)) for m in range(50)]
    state = lead([*events, track("trial_signup", at(hours=2)), track("api_call", at(hours=3))], defs)
    # Then it completes, and no step keeps more than the bound
    (progress,) = state.sequences.values()
    assert evaluate(state, defs, at(hours=4)).segments == {"seg"}
    assert all(len(step) <= CANDIDATES_PER_STEP for step in progress.candidates)


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        ([[1, 5], [3, 6], [4, 7]], 5),
        ([[1], [3], [2]], None),
        ([[1, 9], [3], [4]], 1),
        ([[2], [], [4]], None),
        ([[7]], 7),
    ],
)
def test_latest_start_of_a_run_through_the_candidates(candidates: list[list[int]], expected: Any) -> None:
    assert latest_start(candidates) == expected
