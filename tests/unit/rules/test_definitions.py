from datetime import timedelta
from typing import Any

import pytest

from leadwire.core.rules import DefinitionError, Definitions, parse_definitions
from leadwire.core.rules.conditions import AllNode, PerformedNode

from .builders import segment

STALLED_TRIALS = {
    "id": "stalled-trials",
    "name": "Stalled Trials",
    "description": "Signed up, then went quiet without calling the API.",
    "condition": {
        "all": [
            {"performed": {"event": "trial_signup"}},
            {"last_activity": {"older_than": "P14D"}},
            {"not": {"performed": {"event": "api_call"}}},
        ]
    },
}


def test_design_example_segment_parses_into_typed_nodes() -> None:
    # Given the segment from DESIGN.md / When parsed
    definitions = parse_definitions({"segments": [STALLED_TRIALS]})
    # Then the tree is typed, with defaults filled in
    condition = definitions.segments[0].condition
    assert isinstance(condition, AllNode)
    first = condition.all[0]
    assert isinstance(first, PerformedNode)
    assert first.performed.within is None
    assert first.performed.count.operators == {"gte": 1}


def test_definitions_dump_back_to_the_canonical_json() -> None:
    raw = {
        "segments": [
            STALLED_TRIALS,
            {"id": "vips", "name": "VIPs", "type": "static", "members": ["lead-1"]},
            segment({"trait": {"name": "company.size", "in": [1, 2]}}, "sized"),
        ],
        "scoring": {
            "rules": [{"event": "page_viewed", "where": {"path": {"starts_with": "/pricing"}}, "points": 5}],
            "traits": [{"name": "company_size", "gte": 500, "points": 15}],
            "decay": {"half_life": "P7D"},
        },
    }
    dumped = parse_definitions(raw).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    assert dumped == raw


@pytest.mark.parametrize(
    ("segments", "order"),
    [
        ([segment({"in_segment": "b"}, "a"), segment({"score": {"gte": 1}}, "b")], ["b", "a"]),
        (
            [
                segment({"all": [{"in_segment": "c"}, {"in_segment": "b"}]}, "a"),
                segment({"in_segment": "c"}, "b"),
                segment({"score": {"gte": 1}}, "c"),
            ],
            ["c", "b", "a"],
        ),
        ([segment({"score": {"gte": 1}}, "x"), segment({"score": {"gte": 2}}, "y")], ["x", "y"]),
        (
            [
                segment({"score": {"gte": 1}}, "a", exit_when={"in_segment": "z"}),
                segment({"score": {"gte": 1}}, "z"),
            ],
            ["z", "a"],
        ),
    ],
)
def test_segments_are_ordered_after_their_in_segment_dependencies(
    segments: list[dict[str, Any]], order: list[str]
) -> None:
    definitions = parse_definitions({"segments": segments})
    assert [s.id for s in definitions.segment_order] == order


def test_counter_id_is_stable_across_spelling_of_the_same_filter() -> None:
    # Given the same event filter spelled with different key order and 5 vs 5.0
    first = parse_definitions(
        {"segments": [segment({"performed": {"event": "x", "where": {"a": {"gte": 5, "lt": 9}}}})]}
    )
    second = parse_definitions(
        {
            "segments": [
                segment({"performed": {"where": {"a": {"lt": 9.0, "gte": 5}}, "event": "x", "within": "P1D"}})
            ]
        }
    )
    # Then both use one counter id
    assert set(first.plan.counters) == set(second.plan.counters)


def test_plan_shares_one_counter_per_event_and_filter() -> None:
    # Given two performed nodes on one filter with different windows and counts
    definitions = parse_definitions(
        {
            "segments": [
                segment({"performed": {"event": "x", "within": "P7D", "count": {"gte": 3}}}, "a"),
                segment({"performed": {"event": "x", "within": "P30D"}}, "b"),
                segment({"performed": {"event": "x"}}, "c"),
            ]
        }
    )
    # Then one counter serves all three: a total, and the newest 4 timestamps over 30 days
    (counter,) = definitions.plan.counters.values()
    assert (counter.keeps_total, counter.latest_cap, counter.latest_window) == (
        True,
        4,
        int(timedelta(days=30).total_seconds()),
    )


def test_constructing_definitions_directly_also_checks_references() -> None:
    with pytest.raises(DefinitionError, match="unknown segment 'ghost'"):
        Definitions.model_validate({"segments": [segment({"in_segment": "ghost"})]})
