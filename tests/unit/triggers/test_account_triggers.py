"""Triggers on account segments fire for the account, which has no address, consent or events:
lead-addressed actions, waits and lead-level ``only_if`` nodes are refused naming the field."""

from typing import Any

import pytest

from leadwire.core.triggers import TriggerDefinitionError, parse_triggers

from .builders import SEGMENTS, raw_trigger

ACCOUNT_SEGMENTS = frozenset({"hot-accounts"})
ALL_SEGMENTS = SEGMENTS | ACCOUNT_SEGMENTS
SLACK = {"type": "slack", "url": "ssm:/leadwire/slack-sales", "text": "{{ account.accountId }} is hot"}
HANDOFFS = [
    SLACK,
    {"type": "hubspot", "token": "ssm:/leadwire/hubspot-token"},
    {"type": "webhook", "url": "https://example.com/hook", "secret": "env:HOOK_SECRET"},
    {"type": "eventbridge"},
]


def parse(**fields: Any):
    raw = raw_trigger("t", on={"enter": "hot-accounts"}, **fields)
    return parse_triggers(
        [raw], ALL_SEGMENTS, account_segment_ids=ACCOUNT_SEGMENTS, counted_segment_ids={"hot-leads"}
    )


def problems(**fields: Any) -> list[tuple[str, str]]:
    with pytest.raises(TriggerDefinitionError) as refused:
        parse(**fields)
    return [(problem["path"], problem["message"]) for problem in refused.value.problems]


def test_an_account_trigger_hands_the_account_over_and_reads_it_in_only_if() -> None:
    only_if = {"all": [{"score": {"gte": 100}}, {"leads": {"in_segment": "hot-leads", "count": {"gte": 2}}}]}

    [trigger] = parse(actions=HANDOFFS, only_if=only_if, delay="PT1H")

    assert [action.type for action in trigger.actions or []] == ["slack", "hubspot", "webhook", "eventbridge"]


@pytest.mark.parametrize(
    "action",
    [
        {"type": "email", "template": "cart-reminder"},
        {"type": "sms", "template": "nudge"},
        {"type": "onsite", "message": {"title": "Hi", "body": "Come back"}},
        {"type": "emit_event", "event": "account_hot"},
    ],
)
def test_an_action_that_needs_a_lead_is_refused_naming_its_type(action: dict[str, Any]) -> None:
    [(path, message)] = problems(actions=[{"type": "eventbridge"}, action])

    assert path == "triggers[0].actions[1].type"
    assert message == (
        f"{action['type']} needs a lead; 'hot-accounts' is an account segment, "
        "and account triggers can use slack, hubspot, webhook, eventbridge"
    )


def test_the_same_rule_holds_in_variants() -> None:
    variants = [{"name": "a", "weight": 1, "actions": [{"type": "email", "template": "cart-reminder"}]}]

    [(path, _)] = problems(actions=None, variants=variants)

    assert path == "triggers[0].variants[0].actions[0].type"


def test_a_wait_for_an_event_is_refused() -> None:
    wait = {"until": {"event": "purchase", "match": []}, "timeout": "P1D"}

    [(path, message)] = problems(actions=[{"type": "eventbridge"}], wait=wait)

    assert path == "triggers[0].wait"
    assert "use 'delay'" in message


def test_a_lead_condition_in_only_if_is_refused_naming_the_node() -> None:
    only_if = {"all": [{"score": {"gte": 10}}, {"performed": {"event": "trial_signup"}}]}

    [(path, message)] = problems(actions=[{"type": "eventbridge"}], only_if=only_if)

    assert path == "triggers[0].only_if.all[1].performed"
    assert "reads the account" in message


def test_a_lead_trigger_keeps_every_action() -> None:
    raw = raw_trigger("t", on={"enter": "hot-leads"})

    [trigger] = parse_triggers([raw], ALL_SEGMENTS, account_segment_ids=ACCOUNT_SEGMENTS)

    assert [action.type for action in trigger.actions or []] == ["email"]


def test_only_if_counts_leads_only_in_segments_accounts_count() -> None:
    only_if = {"leads": {"in_segment": "trial-users", "count": {"gte": 1}}}

    [(path, message)] = problems(actions=[{"type": "eventbridge"}], only_if=only_if)

    assert path == "triggers[0].only_if.leads.in_segment"
    assert message.startswith("accounts keep no count of 'trial-users'")
    assert message.endswith("(hot-leads)")
