"""Refused trigger definitions: every problem, with the exact path to it."""

from typing import Any

import pytest
from pydantic import ValidationError

from leadwire.core.rules import DefinitionError
from leadwire.core.rules.errors import format_path
from leadwire.core.triggers import Trigger, TriggerDefinitionError, parse_triggers

from .builders import EMAIL, SEGMENTS, raw_trigger

WAIT = {"until": {"event": "purchase", "match": ["cart_id"]}, "timeout": "PT1H"}
WEBHOOK = {"type": "webhook", "url": "https://crm.example.com/hooks", "secret": "env:CRM_SECRET"}


def _problems(raw_list: Any) -> list[dict[str, str]]:
    with pytest.raises(TriggerDefinitionError) as refused:
        parse_triggers(raw_list, SEGMENTS)
    problems = refused.value.problems
    assert all(p["path"] == format_path(p["loc"]) for p in problems)  # the path is the location shown
    return [{"path": p["path"], "message": p["message"]} for p in problems]


def _third(**fields: Any) -> list[Any]:
    """Two good triggers, then the one under test at ``triggers[2]``."""
    return [raw_trigger("ok-0"), raw_trigger("ok-1"), raw_trigger("bad", **fields)]


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        # references
        ({"on": {"enter": "ghost"}}, "triggers[2].on.enter", "unknown segment 'ghost'"),
        ({"on": {"exit": "ghost"}}, "triggers[2].on.exit", "unknown segment 'ghost'"),
        (
            {"only_if": {"all": [{"score": {"gte": 1}}, {"in_segment": "ghost"}]}},
            "triggers[2].only_if.all[1].in_segment",
            "unknown segment 'ghost'",
        ),
        # durations
        ({"wait": {**WAIT, "timeout": "P1M"}}, "triggers[2].wait.timeout", "'P1M' uses months or years"),
        ({"wait": {**WAIT, "timeout": 3600}}, "triggers[2].wait.timeout", "a duration is ISO 8601 text"),
        ({"delay": "soon"}, "triggers[2].delay", "'soon' is not an ISO 8601 duration"),
        ({"horizon": "P0D"}, "triggers[2].horizon", "'P0D' must be longer than zero"),
        ({"expires": "P0D"}, "triggers[2].expires", "'P0D' must be longer than zero"),
        # priority: a whole number 0-100
        ({"priority": 101}, "triggers[2].priority", "less than or equal to 100"),
        ({"priority": -1}, "triggers[2].priority", "greater than or equal to 0"),
        ({"priority": "high"}, "triggers[2].priority", "a valid integer"),
        ({"priority": True}, "triggers[2].priority", "a valid integer"),
        ({"priority": 7.5}, "triggers[2].priority", "a valid integer"),
        ({"reentry": {"once_per": "P1Y"}}, "triggers[2].reentry.once_per", "'P1Y' uses months or years"),
        # times
        (
            {"on": {"anniversary": {"trait": "birthday", "at": "9:00"}}},
            "triggers[2].on.anniversary.at",
            "'9:00' is not a 24-hour time HH:MM such as 09:00 or 17:30",
        ),
        (
            {"on": {"anniversary": {"trait": "birthday", "at": "24:00"}}},
            "triggers[2].on.anniversary.at",
            "'24:00'",
        ),
        (
            {"on": {"anniversary": {"trait": "birthday", "at": "09:60"}}},
            "triggers[2].on.anniversary.at",
            "'09:60'",
        ),
        (
            {"on": {"anniversary": {"trait": "birthday", "at": "9am"}}},
            "triggers[2].on.anniversary.at",
            "'9am'",
        ),
        (
            {"on": {"anniversary": {"trait": "birthday", "at": 900}}},
            "triggers[2].on.anniversary.at",
            "900 is not",
        ),
        # action types
        (
            {"actions": [EMAIL, {"type": "fax", "to": "x"}]},
            "triggers[2].actions[1].type",
            "unknown action type 'fax'; action types are "
            "email, webhook, eventbridge, emit_event, slack, hubspot, onsite, sms",
        ),
        ({"actions": [{"template": "x"}]}, "triggers[2].actions[0].type", "required"),
        ({"actions": ["email"]}, "triggers[2].actions[0]", "an action is an object with a 'type'"),
        (
            {
                "actions": None,
                "variants": [
                    {"name": "a", "weight": 1, "actions": [EMAIL]},
                    {"name": "b", "weight": 1, "actions": [{"type": "push"}]},
                ],
            },
            "triggers[2].variants[1].actions[0].type",
            "unknown action type 'push'",
        ),
        # missing fields
        ({"id": None}, "triggers[2].id", "required"),
        ({"on": None}, "triggers[2].on", "required"),
        ({"actions": None}, "triggers[2].actions", "required"),
        ({"actions": []}, "triggers[2].actions", "must not be empty"),
        ({"actions": [{"type": "email"}]}, "triggers[2].actions[0].template", "required"),
        (
            {"actions": [{"type": "webhook", "url": "https://x.io"}]},
            "triggers[2].actions[0].secret",
            "required",
        ),
        ({"actions": [{"type": "emit_event"}]}, "triggers[2].actions[0].event", "required"),
        (
            {"wait": {"until": {"event": "purchase"}, "timeout": "PT1H"}},
            "triggers[2].wait.until.match",
            "required",
        ),
        ({"wait": {"until": {"match": []}, "timeout": "PT1H"}}, "triggers[2].wait.until.event", "required"),
        ({"wait": {"until": {"event": "purchase", "match": []}}}, "triggers[2].wait.timeout", "required"),
        ({"on": {"anniversary": {"at": "09:00"}}}, "triggers[2].on.anniversary.trait", "required"),
        (
            {"variants": [{"name": "a", "actions": [EMAIL]}], "actions": None},
            "triggers[2].variants[0].weight",
            "required",
        ),
        # shape across fields
        (
            {"wait": WAIT, "delay": "PT1H"},
            "triggers[2].delay",
            "'delay' and 'wait' are mutually exclusive",
        ),
        (
            {"variants": [{"name": "a", "weight": 1, "actions": [EMAIL]}]},
            "triggers[2].variants",
            "give either 'actions' or 'variants' (each with its own actions), not both",
        ),
        (
            {
                "actions": None,
                "variants": [
                    {"name": "a", "weight": 1, "actions": [EMAIL]},
                    {"name": "a", "weight": 2, "actions": [EMAIL]},
                ],
            },
            "triggers[2].variants[1].name",
            "duplicate variant name 'a' (first at variants[0])",
        ),
        (
            {"on": {"enter": "vips"}, "wait": WAIT},
            "triggers[2].wait.until.match",
            "'match' compares properties of the 'on' event, and an 'enter' trigger has none",
        ),
        (
            {"wait": {**WAIT, "until": {"event": "purchase", "match": ["cart_id", "sku", "cart_id"]}}},
            "triggers[2].wait.until.match[2]",
            "duplicate property 'cart_id'",
        ),
        # weights and holdout
        (
            {"actions": None, "variants": [{"name": "a", "weight": 0, "actions": [EMAIL]}]},
            "triggers[2].variants[0].weight",
            "greater than 0",
        ),
        (
            {"actions": None, "variants": [{"name": "a", "weight": -2, "actions": [EMAIL]}]},
            "triggers[2].variants[0].weight",
            "greater than 0",
        ),
        (
            {"actions": None, "variants": [{"name": "a", "weight": "1", "actions": [EMAIL]}]},
            "triggers[2].variants[0].weight",
            "expected a number",
        ),
        ({"actions": None, "variants": []}, "triggers[2].variants", "must not be empty"),
        ({"holdout": 100}, "triggers[2].holdout", "less than 100"),
        ({"holdout": -1}, "triggers[2].holdout", "greater than or equal to 0"),
        # on
        (
            {"on": {"enter": "vips", "exit": "vips"}},
            "triggers[2].on",
            "'on' takes exactly one of enter, exit, event, anniversary; got enter, exit",
        ),
        (
            {"on": {"entr": "vips"}},
            "triggers[2].on",
            "'on' needs one of enter, exit, event, anniversary; got entr",
        ),
        ({"on": {}}, "triggers[2].on", "'on' needs one of enter, exit, event, anniversary; got none"),
        ({"on": "cart_added"}, "triggers[2].on", "'on' is an object with one of"),
        ({"on": {"event": "x", "wher": {}}}, "triggers[2].on.wher", "unknown field"),
        (
            {"on": {"event": "x", "where": {"total": {"gtee": 5}}}},
            "triggers[2].on.where.total.gtee",
            "unknown operator 'gtee'",
        ),
        # reentry
        ({"reentry": "sometimes"}, "triggers[2].reentry", "Input should be 'once' or 'every_time'"),
        (
            {"reentry": 3},
            "triggers[2].reentry",
            "reentry is 'once', 'every_time' or {\"once_per\": DURATION}",
        ),
        ({"reentry": {"once_per": "P1D", "per": "lead"}}, "triggers[2].reentry.per", "unknown field"),
        # webhooks
        (
            {"actions": [{**WEBHOOK, "url": "ftp://x.io/h"}]},
            "triggers[2].actions[0].url",
            "'ftp://x.io/h' is not an http or https URL",
        ),
        (
            {"actions": [{**WEBHOOK, "url": "https://"}]},
            "triggers[2].actions[0].url",
            "is not an http or https URL",
        ),
        (
            {"actions": [{**WEBHOOK, "url": "https://user:pw@x.io/h"}]},
            "triggers[2].actions[0].url",
            "must not carry credentials",
        ),
        (
            {"actions": [{**WEBHOOK, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]},
            "triggers[2].actions[0].secret",
            "a secret is a reference, never the secret itself",
        ),
        (
            {"actions": [{**WEBHOOK, "secret": "env:"}]},
            "triggers[2].actions[0].secret",
            "a secret is a reference",
        ),
        (
            {"actions": [{**WEBHOOK, "secret": "ssm:relative/path"}]},
            "triggers[2].actions[0].secret",
            "a secret is a reference",
        ),
        (
            {"actions": [{**WEBHOOK, "secret": "arn:aws:s3:::bucket"}]},
            "triggers[2].actions[0].secret",
            "a secret is a reference",
        ),
        (
            {"actions": [{**WEBHOOK, "allow_private": "yes"}]},
            "triggers[2].actions[0].allow_private",
            "valid boolean",
        ),
        # other fields
        (
            {"actions": [{**EMAIL, "channel": "sms"}]},
            "triggers[2].actions[0].channel",
            "'marketing' or 'transactional'",
        ),
        (
            {"actions": [{"type": "email", "template": "cart reminder"}]},
            "triggers[2].actions[0].template",
            "should match pattern",
        ),
        (
            {"actions": [{"type": "eventbridge", "detail_type": ""}]},
            "triggers[2].actions[0].detail_type",
            "at least 1 character",
        ),
        ({"id": "has spaces"}, "triggers[2].id", "should match pattern"),
        ({"delay_ms": 5}, "triggers[2].delay_ms", "unknown field"),
        (
            {"only_if": {"performd": {"event": "x"}}},
            "triggers[2].only_if.performd",
            "unknown condition 'performd'",
        ),
        ({"only_if": {"score": {"gte": "high"}}}, "triggers[2].only_if.score.gte", "expected a number"),
        # loops
        (
            {"on": {"event": "ping"}, "actions": [EMAIL, {"type": "emit_event", "event": "ping"}]},
            "triggers[2].actions[1].event",
            "emits 'ping', which starts this trigger again (ping -> ping) without end",
        ),
    ],
)
def test_problem_has_its_exact_path(fields: dict[str, Any], path: str, message: str) -> None:
    # Given two good triggers and a third with one mistake
    # When the list is parsed
    problems = _problems(_third(**fields))
    # Then that one mistake is reported, where it is
    assert [problem["path"] for problem in problems] == [path]
    assert message in problems[0]["message"]


def test_duplicate_id_points_at_the_second_one() -> None:
    problems = _problems([raw_trigger("a"), raw_trigger("b"), raw_trigger("a")])
    assert problems == [
        {"path": "triggers[2].id", "message": "duplicate trigger id 'a' (first at triggers[0])"}
    ]


def test_loop_through_two_triggers_is_reported_on_both() -> None:
    # Given a emits b and b emits a, neither filtered
    raws = [
        raw_trigger("a", on={"event": "a"}, actions=[{"type": "emit_event", "event": "b"}]),
        raw_trigger("b", on={"event": "b"}, actions=[EMAIL, {"type": "emit_event", "event": "a"}]),
    ]
    # When parsed
    problems = _problems(raws)
    # Then each emit_event is refused with the chain it closes
    assert [problem["path"] for problem in problems] == [
        "triggers[0].actions[0].event",
        "triggers[1].actions[1].event",
    ]
    assert "(a -> b -> a)" in problems[0]["message"]
    assert "(b -> a -> b)" in problems[1]["message"]


def test_loop_inside_a_variant_is_reported_at_the_variant_action() -> None:
    raw = raw_trigger(
        "v",
        on={"event": "ping"},
        actions=None,
        variants=[
            {"name": "a", "weight": 1, "actions": [EMAIL]},
            {"name": "b", "weight": 1, "actions": [{"type": "emit_event", "event": "ping"}]},
        ],
    )
    assert [problem["path"] for problem in _problems([raw])] == ["triggers[0].variants[1].actions[0].event"]


def test_every_problem_of_every_trigger_is_reported_in_order() -> None:
    # Given three broken triggers
    raws = [
        raw_trigger("a", on={"enter": "ghost"}),
        raw_trigger("b", delay="P1M", actions=[{"type": "fax"}]),
        raw_trigger("a"),
    ]
    # When parsed
    problems = _problems(raws)
    # Then all problems come back, in trigger order
    assert [problem["path"] for problem in problems] == [
        "triggers[0].on.enter",
        "triggers[1].delay",
        "triggers[1].actions[0].type",
        "triggers[2].id",
    ]


def test_shape_problems_of_one_trigger_are_all_reported() -> None:
    raw = raw_trigger(
        "s",
        on={"exit": "vips"},
        wait=WAIT,
        delay="PT5M",
        variants=[{"name": "a", "weight": 1, "actions": [EMAIL]}],
    )
    assert [problem["path"] for problem in _problems([raw])] == [
        "triggers[0].delay",
        "triggers[0].variants",
        "triggers[0].wait.until.match",
    ]


@pytest.mark.parametrize("raw_list", [{"triggers": []}, "cart", None])
def test_triggers_must_be_a_list(raw_list: Any) -> None:
    assert _problems(raw_list) == [{"path": "triggers", "message": "must be a list of triggers"}]


@pytest.mark.parametrize("item", ["cart-abandonment", 7, ["id"]])
def test_trigger_must_be_an_object(item: Any) -> None:
    assert _problems([raw_trigger("a"), item]) == [
        {"path": "triggers[1]", "message": "a trigger is an object"}
    ]


def test_model_built_directly_refuses_a_bad_shape_in_words() -> None:
    # Given a caller that validates one trigger itself, without parse_triggers
    with pytest.raises(ValidationError) as refused:
        Trigger.model_validate(raw_trigger("s", wait=WAIT, delay="PT5M"))
    # Then pydantic's message still says what is wrong, and where
    assert "delay: 'delay' and 'wait' are mutually exclusive" in str(refused.value)


def test_refusal_is_a_definition_error_listing_every_problem() -> None:
    # Given the API layer maps DefinitionError to a 400 with its problems
    with pytest.raises(DefinitionError) as refused:
        parse_triggers([raw_trigger("a", on={"enter": "ghost"})], SEGMENTS)
    # Then trigger problems travel the same way, and the message names them
    assert str(refused.value) == "triggers[0].on.enter: unknown segment 'ghost'"
