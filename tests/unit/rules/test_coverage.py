"""Counter coverage: a reload that widens what the same filter must keep makes the counter untracked."""

import json
from typing import Any

import pytest

from leadwire.core.rules import (
    Definitions,
    LeadState,
    apply_events,
    evaluate,
    merge_states,
    untracked_aggregates,
)

from .builders import LEAD_ID, at, definitions, lead, one_segment, segment, track

API = {"event": "api_call"}


def performed(**extra: Any) -> dict[str, Any]:
    return {"performed": {**API, **extra}}


def uses(*conditions: dict[str, Any]) -> Definitions:
    return definitions(*(segment(condition, f"seg-{n}") for n, condition in enumerate(conditions)))


DAY = uses(performed(within="P1D"))
WEEK = uses(performed(within="P7D"))
(COUNTER,) = DAY.plan.counters  # the same filter, so the same counter id under every variant
# three calls a few days ago, then one now: the one-day window has pruned the older ones
EVENTS = [track("api_call", at(days=-3, hours=n)) for n in range(3)] + [track("api_call", at())]


def test_the_counter_id_is_the_filter_so_variants_share_it() -> None:
    assert set(WEEK.plan.counters) == set(uses(performed(), performed(count={"gte": 80})).plan.counters)
    assert set(WEEK.plan.counters) == {COUNTER}


@pytest.mark.parametrize(
    "wider",
    [
        pytest.param(WEEK, id="longer within"),
        pytest.param(uses(performed(within="P1D", count={"gte": 3})), id="higher count threshold"),
        pytest.param(uses(performed(within="P1D"), performed()), id="an ever use added"),
        pytest.param(uses(performed(within="P1D"), performed(within="P1D", count={"gte": 80})), id="buckets"),
        pytest.param(uses(performed()), id="ever instead of windowed"),
    ],
)
def test_widening_what_a_counter_keeps_makes_it_untracked(wider) -> None:
    # Given a lead whose counter was kept under the one-day plan
    state = lead(EVENTS, DAY)
    assert untracked_aggregates(state, DAY) == frozenset()
    # Then a plan that needs more of the same filter lists it
    assert untracked_aggregates(state, wider) == {COUNTER}
    # And applying under that plan does not silently upgrade the coverage
    state = apply_events(state, [track("api_call", at(minutes=1))], wider)
    assert untracked_aggregates(state, wider) == {COUNTER}


@pytest.mark.parametrize(
    ("wide", "narrow"),
    [
        pytest.param(WEEK, DAY, id="shorter within"),
        pytest.param(uses(performed(within="P1D", count={"gte": 5})), DAY, id="lower count threshold"),
        pytest.param(uses(performed(within="P1D"), performed()), DAY, id="ever use dropped"),
        pytest.param(
            uses(performed(within="P7D"), performed(within="P7D", count={"gte": 80})),
            WEEK,
            id="buckets dropped",
        ),
    ],
)
def test_narrowing_needs_no_rebuild_but_widening_back_does(wide, narrow) -> None:
    state = lead(EVENTS, wide)
    assert untracked_aggregates(state, narrow) == frozenset()
    # Once applied under the narrower plan, what it pruned is gone: widening back needs a rebuild
    state = apply_events(state, [], narrow)
    assert untracked_aggregates(state, narrow) == frozenset()
    assert untracked_aggregates(state, wide) == {COUNTER}


def test_after_a_rebuild_under_the_new_plan_nothing_is_untracked_and_the_pruned_events_count() -> None:
    # Given a lead kept under the one-day plan, widened to a week with three calls
    state = lead(EVENTS, DAY)
    wider = uses(performed(within="P7D", count={"gte": 3}))
    assert "seg-0" not in evaluate(apply_events(state, [], wider), wider, at(minutes=1)).segments
    # When it is rebuilt from its events under the new plan
    rebuilt = apply_events(LeadState.new(LEAD_ID), EVENTS, wider)
    # Then nothing is untracked, its coverage is the plan, and the older calls count again
    assert untracked_aggregates(rebuilt, wider) == frozenset()
    counter = rebuilt.counters[COUNTER]
    plan = wider.plan.counters[COUNTER]
    assert (counter.covers_total, counter.covers_cap, counter.covers_window, counter.covers_buckets) == (
        plan.keeps_total,
        plan.latest_cap,
        plan.latest_window,
        plan.bucket_windows,
    )
    assert "seg-0" in evaluate(rebuilt, wider, at(minutes=1)).segments


def test_a_counter_stored_without_coverage_is_rebuilt_once() -> None:
    # Given a state stored before coverage was recorded (no "e", "k", "w" or "g" keys)
    stored = json.loads(lead(EVENTS, DAY).to_json())
    stored["c"][COUNTER] = {key: value for key, value in stored["c"][COUNTER].items() if key in "ntb"}
    legacy = LeadState.from_json(json.dumps(stored))
    # Then it is untracked, and stays so until rebuilt
    assert untracked_aggregates(legacy, DAY) == {COUNTER}
    assert untracked_aggregates(apply_events(legacy, [], DAY), DAY) == {COUNTER}
    assert untracked_aggregates(apply_events(LeadState.new(LEAD_ID), EVENTS, DAY), DAY) == frozenset()


def test_coverage_is_stored_compactly() -> None:
    state = lead(EVENTS, uses(performed(within="P1D"), performed()))
    stored = {"n": 4, "t": [int(at().timestamp())], "e": True, "k": 2, "w": 86_400}
    assert json.loads(state.to_json())["c"][COUNTER] == stored
    assert LeadState.from_json(state.to_json()) == state


@pytest.mark.parametrize("narrow_side", ["target", "source"])
def test_merge_keeps_the_minimum_coverage(narrow_side: str) -> None:
    # Given one lead kept under the week plan and the other under the day plan
    wide = lead(EVENTS, WEEK)
    narrow = apply_events(LeadState.new("anon-1"), [track("api_call", at(hours=-1))], DAY)
    target, source = (narrow, wide) if narrow_side == "target" else (wide, narrow)
    # When they are merged under the week plan
    merged = merge_states(target, source, WEEK)
    # Then the merged counter covers only the day, so the week plan needs a rebuild
    counter = merged.counters[COUNTER]
    assert (counter.covers_cap, counter.covers_window) == (2, 86_400)
    assert untracked_aggregates(merged, WEEK) == {COUNTER}
    assert untracked_aggregates(merged, DAY) == frozenset()


def test_merge_of_two_leads_covering_the_plan_covers_it() -> None:
    merged = merge_states(
        lead(EVENTS, WEEK), lead([track("api_call", at())], WEEK, LeadState.new("anon-1")), WEEK
    )
    assert untracked_aggregates(merged, WEEK) == frozenset()


def test_merge_with_a_lead_that_never_tracked_the_counter_needs_a_rebuild() -> None:
    # Given an anonymous lead kept under definitions without the counter
    other = one_segment({"performed": {"event": "demo_booked"}})
    source = apply_events(LeadState.new("anon-1"), [track("api_call", at(hours=-1))], other)
    # When merged into a lead that tracks it
    merged = merge_states(lead(EVENTS, WEEK), source, WEEK)
    # Then the merged counter covers nothing: its api calls were never counted
    assert untracked_aggregates(merged, WEEK) == {COUNTER}
