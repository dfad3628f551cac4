"""Valid trigger definitions: what they parse to, their defaults, and their round trip."""

from datetime import time, timedelta
from typing import Any

import pytest

from leadwire.core.rules.conditions import AllNode
from leadwire.core.triggers import (
    DEFAULT_HORIZON,
    AnniversaryOn,
    EmailAction,
    EmitEventAction,
    EnterOn,
    EventBridgeAction,
    EventOn,
    ExitOn,
    OncePer,
    Trigger,
    WebhookAction,
    parse_triggers,
)

from .builders import EMAIL, SEGMENTS, cart_abandonment, raw_trigger, trigger


def test_design_example_parses() -> None:
    # Given the cart-abandonment trigger of DESIGN.md
    parsed = cart_abandonment()
    # Then its wait, its timeout and both actions are there
    assert isinstance(parsed.on, EventOn)
    assert parsed.on.event == "cart_added"
    assert parsed.wait is not None
    assert parsed.wait.until.event == "purchase"
    assert parsed.wait.until.match == ["cart_id"]
    assert parsed.wait.timeout == timedelta(hours=1)
    assert [action.type for action in parsed.actions or []] == ["emit_event", "email"]


@pytest.mark.parametrize(
    ("on", "model", "kind"),
    [
        ({"enter": "hot-leads"}, EnterOn, "enter"),
        ({"exit": "trial-users"}, ExitOn, "exit"),
        ({"event": "signed_up", "where": {"plan": {"eq": "pro"}}}, EventOn, "event"),
        ({"anniversary": {"trait": "birthday", "at": "09:00"}}, AnniversaryOn, "anniversary"),
    ],
)
def test_each_on_form_parses_to_its_model(on: dict[str, Any], model: type, kind: str) -> None:
    parsed = trigger(on=on)
    assert isinstance(parsed.on, model)
    assert parsed.kind == kind


@pytest.mark.parametrize(
    ("on", "expected"), [({"enter": "vips"}, "vips"), ({"exit": "vips"}, "vips"), ({"event": "x"}, None)]
)
def test_segment_id_is_the_segment_of_enter_and_exit_triggers(
    on: dict[str, Any], expected: str | None
) -> None:
    assert trigger(on=on).segment_id == expected


@pytest.mark.parametrize(
    ("action", "model"),
    [
        ({"type": "email", "template": "welcome", "channel": "transactional"}, EmailAction),
        (
            {"type": "webhook", "url": "https://crm.example.com/hooks", "secret": "env:CRM_SECRET"},
            WebhookAction,
        ),
        (
            {
                "type": "webhook",
                "url": "http://127.0.0.1:9000/h",
                "secret": "ssm:/leadwire/crm",
                "allow_private": True,
            },
            WebhookAction,
        ),
        (
            {
                "type": "webhook",
                "url": "https://crm.example.com/hooks",
                "secret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:crm-AbCdEf",
            },
            WebhookAction,
        ),
        ({"type": "eventbridge", "detail_type": "Lead Entered Hot"}, EventBridgeAction),
        (
            {"type": "emit_event", "event": "cart_abandoned", "properties": {"source": "timer"}},
            EmitEventAction,
        ),
    ],
)
def test_each_action_type_parses_to_its_model(action: dict[str, Any], model: type) -> None:
    parsed = trigger(actions=[action])
    assert isinstance((parsed.actions or [])[0], model)


def test_priority_and_expiry_default_to_50_and_three_days() -> None:
    (default, urgent) = parse_triggers(
        [raw_trigger("plain"), raw_trigger("urgent", priority=90, expires="PT12H")], SEGMENTS
    )
    assert (default.priority, default.expires) == (50, timedelta(days=3))
    assert (urgent.priority, urgent.expires) == (90, timedelta(hours=12))


def test_email_channel_defaults_to_marketing() -> None:
    action = (trigger(actions=[EMAIL]).actions or [])[0]
    assert isinstance(action, EmailAction)
    assert action.channel == "marketing"


def test_webhook_refuses_private_targets_unless_allowed() -> None:
    action = (
        trigger(actions=[{"type": "webhook", "url": "https://x.io/h", "secret": "env:S"}]).actions or []
    )[0]
    assert isinstance(action, WebhookAction)
    assert action.allow_private is False


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        ({"event": "signed_up"}, "every_time"),
        ({"anniversary": {"trait": "birthday"}}, "every_time"),
        ({"enter": "hot-leads"}, "once_per_membership"),
        ({"exit": "hot-leads"}, "once_per_membership"),
    ],
)
def test_reentry_defaults_by_kind(on: dict[str, Any], expected: str) -> None:
    assert trigger(on=on).reentry_policy == expected


@pytest.mark.parametrize(
    ("reentry", "expected"),
    [
        ("once", "once"),
        ("every_time", "every_time"),
        ({"once_per": "P7D"}, OncePer(once_per=timedelta(days=7))),
    ],
)
def test_given_reentry_overrides_the_default(reentry: Any, expected: Any) -> None:
    assert trigger(on={"enter": "vips"}, reentry=reentry).reentry_policy == expected


def test_horizon_defaults_to_two_days() -> None:
    assert trigger().horizon == DEFAULT_HORIZON == timedelta(days=2)


def test_anniversary_defaults_to_nine_and_the_timezone_trait() -> None:
    on = trigger(on={"anniversary": {"trait": "birthday"}}).on
    assert isinstance(on, AnniversaryOn)
    assert on.anniversary.at == time(9, 0)
    assert on.anniversary.timezone_trait == "timezone"


@pytest.mark.parametrize(
    ("text", "expected"), [("00:00", time(0, 0)), ("09:05", time(9, 5)), ("23:59", time(23, 59))]
)
def test_anniversary_at_reads_24_hour_time(text: str, expected: time) -> None:
    on = trigger(on={"anniversary": {"trait": "birthday", "at": text}}).on
    assert isinstance(on, AnniversaryOn)
    assert on.anniversary.at == expected


def test_only_if_is_a_rule_language_condition() -> None:
    parsed = trigger(only_if={"all": [{"score": {"gte": 50}}, {"in_segment": "vips"}]})
    assert isinstance(parsed.only_if, AllNode)


def test_plain_actions_make_one_default_arm() -> None:
    parsed = trigger(actions=[EMAIL])
    assert [(arm.name, arm.weight) for arm in parsed.arms] == [("default", 1)]
    assert parsed.arms[0].actions == parsed.actions


def test_variants_are_the_arms() -> None:
    variants = [
        {"name": "a", "weight": 3, "actions": [EMAIL]},
        {"name": "b", "weight": 1, "actions": [{"type": "email", "template": "other"}]},
    ]
    parsed = trigger(actions=None, variants=variants, holdout=10)
    assert [(arm.name, arm.weight) for arm in parsed.arms] == [("a", 3), ("b", 1)]
    assert parsed.holdout == 10


@pytest.mark.parametrize(
    "raw",
    [
        raw_trigger(
            "cart",
            on={"event": "cart_added", "where": {"total": {"gte": 50}, "currency": {"in": ["EUR", "USD"]}}},
            wait={
                "until": {"event": "purchase", "match": ["cart_id"], "where": {"ok": {"eq": True}}},
                "timeout": "PT1H",
            },
            only_if={"not": {"in_segment": "vips"}},
            reentry={"once_per": "P1D"},
            horizon="PT6H",
        ),
        raw_trigger(
            "bday",
            on={"anniversary": {"trait": "birthday", "at": "08:30", "timezone_trait": "tz"}},
            actions=None,
            variants=[{"name": "a", "weight": 1.5, "actions": [EMAIL]}],
            holdout=5,
            delay="PT15M",
        ),
    ],
)
def test_dump_parses_back_to_the_same_trigger(raw: dict[str, Any]) -> None:
    # Given a parsed trigger
    parsed = parse_triggers([raw], SEGMENTS)[0]
    # When it is dumped as JSON and parsed again
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    # Then nothing changed
    assert parse_triggers([dumped], SEGMENTS)[0] == parsed


def test_parse_keeps_definition_order() -> None:
    raws = [raw_trigger(f"t{i}") for i in range(5)]
    assert [t.id for t in parse_triggers(raws, SEGMENTS)] == ["t0", "t1", "t2", "t3", "t4"]


def test_empty_list_is_no_triggers() -> None:
    assert parse_triggers([], set()) == []


def test_triggers_are_frozen() -> None:
    parsed = trigger()
    with pytest.raises(ValueError, match="frozen"):
        parsed.id = "other"  # type: ignore[misc]
    assert isinstance(parsed, Trigger)


@pytest.mark.parametrize(
    "actions",
    [
        [{"type": "emit_event", "event": "signed_up_again"}],
        [{"type": "emit_event", "event": "other"}, EMAIL],
    ],
)
def test_emit_event_of_another_event_is_no_loop(actions: list[dict[str, Any]]) -> None:
    assert trigger(actions=actions).id == "t"


@pytest.mark.parametrize(
    "fields",
    [
        {"on": {"event": "ping", "where": {"depth": {"lt": 3}}}},
        {"on": {"event": "ping"}, "reentry": "once"},
        {"on": {"event": "ping"}, "reentry": {"once_per": "P1D"}},
    ],
)
def test_self_emitting_trigger_with_a_brake_is_accepted(fields: dict[str, Any]) -> None:
    # Given a trigger that emits its own event but filters, or fires once (per period)
    raw = raw_trigger("echo", actions=[{"type": "emit_event", "event": "ping"}], **fields)
    # Then it is the author's call, not refused
    assert parse_triggers([raw], SEGMENTS)[0].id == "echo"
