from typing import Any

import pytest

from leadwire.core.rules import DefinitionError, parse_definitions
from leadwire.core.rules.errors import format_path

from .builders import segment


def _problems(raw: Any) -> list[dict[str, str]]:
    with pytest.raises(DefinitionError) as refused:
        parse_definitions(raw)
    problems = refused.value.problems
    assert all(p["path"] == format_path(p["loc"]) for p in problems)  # the path is the location shown
    return [{"path": p["path"], "message": p["message"]} for p in problems]


def _with_condition(condition: dict[str, Any]) -> dict[str, Any]:
    padding = [segment({"score": {"gte": 1}}, f"ok-{i}") for i in range(3)]
    return {"segments": [*padding, segment(condition, "bad")]}


@pytest.mark.parametrize(
    ("condition", "path", "message"),
    [
        (
            {"all": [{"score": {"gte": 1}}, {"performed": {"event": "x", "within": "P1M"}}]},
            "segments[3].condition.all[1].performed.within",
            "'P1M' uses months or years",
        ),
        (
            {"performed": {"event": "x", "within": "fortnight"}},
            "segments[3].condition.performed.within",
            "'fortnight' is not an ISO 8601 duration",
        ),
        (
            {"any": [{"score": {"gtt": 5}}]},
            "segments[3].condition.any[0].score.gtt",
            "unknown operator 'gtt'; operators are eq, ne, gt, gte, lt, lte, in, not_in",
        ),
        (
            {"performed": {"event": "x", "where": {"plan": {"equals": "pro"}}}},
            "segments[3].condition.performed.where.plan.equals",
            "unknown operator 'equals'",
        ),
        (
            {"performed": {"event": "x", "count": {"contains": 3}}},
            "segments[3].condition.performed.count.contains",
            "unknown operator 'contains'",
        ),
        (
            {"trait": {"name": "plan", "like": "pro"}},
            "segments[3].condition.trait.like",
            "unknown operator 'like'",
        ),
        ({"all": []}, "segments[3].condition.all", "must not be empty"),
        ({"not": {"any": []}}, "segments[3].condition.not.any", "must not be empty"),
        (
            {"all": [{"performd": {"event": "x"}}]},
            "segments[3].condition.all[0].performd",
            "unknown condition 'performd'; conditions are all, any, not,",
        ),
        (
            {"all": [{"score": {"gte": 1}, "trait": {"name": "x", "eq": 1}}]},
            "segments[3].condition.all[0]",
            "a condition has exactly one key, got 2: score, trait",
        ),
        ({"any": ["score"]}, "segments[3].condition.any[0]", "a condition is an object with one key"),
        ({"trait": {"name": "plan"}}, "segments[3].condition.trait", "needs at least one operator"),
        ({"score": {"gte": None}}, "segments[3].condition.score.gte", "operator 'gte' needs a value"),
        ({"score": {"gte": "high"}}, "segments[3].condition.score.gte", "expected a number"),
        (
            {"last_activity": {"within": "P1D", "older_than": "P2D"}},
            "segments[3].condition.last_activity",
            "give exactly one of 'within' or 'older_than'",
        ),
        ({"first_seen": {}}, "segments[3].condition.first_seen", "give exactly one of"),
        ({"sequence": {"steps": []}}, "segments[3].condition.sequence.steps", "must not be empty"),
        ({"performed": {"where": {}}}, "segments[3].condition.performed.event", "required"),
        (
            {"performed": {"event": "x", "ever": True}},
            "segments[3].condition.performed.ever",
            "unknown field",
        ),
        ({"subscribed": "E-mail"}, "segments[3].condition.subscribed", "should match pattern"),
        (
            {"performed": {"event": "x", "where": {"product.sku": {"eq": [1]}}}},
            'segments[3].condition.performed.where["product.sku"].eq',
            "expected a string, number or boolean",
        ),
    ],
)
def test_bad_node_is_refused_with_its_path(condition: dict[str, Any], path: str, message: str) -> None:
    # Given definitions whose fourth segment holds one bad node
    # When they are parsed
    problems = _problems(_with_condition(condition))
    # Then the one problem names the node's path and what is wrong
    assert len(problems) == 1
    assert problems[0]["path"] == path
    assert message in problems[0]["message"]


@pytest.mark.parametrize(
    ("segments", "path", "message"),
    [
        (
            [segment({"in_segment": "ghost"}, "a")],
            "segments[0].condition.in_segment",
            "unknown segment 'ghost'",
        ),
        (
            [segment({"score": {"gte": 1}}, "a", exit_when={"not": {"in_segment": "ghost"}})],
            "segments[0].exit_when.not.in_segment",
            "unknown segment 'ghost'",
        ),
        (
            [segment({"in_segment": "b"}, "a"), segment({"any": [{"in_segment": "a"}]}, "b")],
            "segments[1].condition.any[0].in_segment",
            "in_segment 'a' makes a cycle: a -> b -> a",
        ),
        (
            [segment({"in_segment": "a"}, "a")],
            "segments[0].condition.in_segment",
            "in_segment 'a' makes a cycle: a -> a",
        ),
        (
            [
                segment({"in_segment": "b"}, "a"),
                segment({"in_segment": "c"}, "b"),
                segment({"score": {"gte": 1}}, "c", exit_when={"in_segment": "a"}),
            ],
            "segments[2].exit_when.in_segment",
            "in_segment 'a' makes a cycle: a -> b -> c -> a",
        ),
        (
            [segment({"score": {"gte": 1}}, "a"), segment({"score": {"gte": 2}}, "a")],
            "segments[1].id",
            "duplicate segment id 'a' (first at segments[0])",
        ),
    ],
)
def test_bad_reference_between_segments_is_refused_with_its_path(
    segments: list[dict[str, Any]], path: str, message: str
) -> None:
    problems = _problems({"segments": segments})
    assert problems == [{"path": path, "message": message}]


@pytest.mark.parametrize(
    ("raw_segment", "message"),
    [
        ({"id": "a", "name": "A"}, "a dynamic segment needs a 'condition'"),
        (
            {"id": "a", "name": "A", "type": "static", "members": [], "condition": {"score": {"gte": 1}}},
            "static",
        ),
        ({"id": "a", "name": "A", "condition": {"score": {"gte": 1}}, "members": ["l"]}, "only a static"),
    ],
)
def test_segment_shape_must_match_its_type(raw_segment: dict[str, Any], message: str) -> None:
    problems = _problems({"segments": [raw_segment]})
    assert problems[0]["path"] == "segments[0]"
    assert message in problems[0]["message"]


@pytest.mark.parametrize(
    ("scoring", "path", "message"),
    [
        ({"rules": [{"event": "x", "points": "ten"}]}, "scoring.rules[0].points", "expected a number"),
        (
            {"rules": [{"event": "x", "points": 1, "max_per_day": 0}]},
            "scoring.rules[0].max_per_day",
            "greater than 0",
        ),
        ({"traits": [{"name": "size", "points": 5}]}, "scoring.traits[0]", "needs at least one operator"),
        ({"traits": [{"name": "size", "big": 1, "points": 5}]}, "scoring.traits[0].big", "unknown operator"),
        ({"decay": {"half_life": "P1Y"}}, "scoring.decay.half_life", "months or years"),
        ({"decay": {}}, "scoring.decay.half_life", "required"),
    ],
)
def test_bad_scoring_is_refused_with_its_path(scoring: dict[str, Any], path: str, message: str) -> None:
    problems = _problems({"scoring": scoring})
    assert problems[0]["path"] == path
    assert message in problems[0]["message"]


def test_every_structural_problem_is_reported_at_once() -> None:
    # Given two segments, each with a different mistake
    raw = {
        "segments": [
            segment({"performed": {"event": "x", "within": "P1M"}}, "a"),
            segment({"score": {"above": 3}}, "b"),
        ]
    }
    # When parsed / Then both paths are reported
    assert [problem["path"] for problem in _problems(raw)] == [
        "segments[0].condition.performed.within",
        "segments[1].condition.score.above",
    ]


def test_definition_error_message_lists_path_and_problem() -> None:
    with pytest.raises(DefinitionError, match=r"segments\[0\]\.condition\.in_segment: unknown segment 'x'"):
        parse_definitions({"segments": [segment({"in_segment": "x"}, "a")]})


@pytest.mark.parametrize("raw", [[], "segments", {"segments": {}}])
def test_non_object_bundle_is_refused(raw: Any) -> None:
    with pytest.raises(DefinitionError):
        parse_definitions(raw)
