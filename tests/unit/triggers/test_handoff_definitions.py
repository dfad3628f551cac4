"""Slack and HubSpot actions as code: references only, text templates checked when they load."""

from typing import Any

import pytest

from leadwire.core.triggers import TriggerDefinitionError, parse_triggers
from leadwire.core.triggers.grants import ungranted_references
from leadwire_infra.config_bundle import webhook_secret_references

from .builders import SEGMENTS, raw_trigger

SLACK = {"type": "slack", "url": "ssm:/leadwire/slack-sales", "text": "{{ lead.id }} is {{ why.band }}"}
HUBSPOT = {"type": "hubspot", "token": "ssm:/leadwire/hubspot-token"}


def _problem(action: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(TriggerDefinitionError) as refused:
        parse_triggers([raw_trigger("t", actions=[action])], SEGMENTS)
    [problem] = refused.value.problems
    return problem["path"], problem["message"]


def test_slack_and_hubspot_actions_parse() -> None:
    [trigger] = parse_triggers([raw_trigger("t", actions=[SLACK, HUBSPOT])], SEGMENTS)

    assert [action.type for action in trigger.actions or []] == ["slack", "hubspot"]


@pytest.mark.parametrize(
    ("action", "path", "message"),
    [
        (
            {**SLACK, "url": "https://hooks.slack.com/services/T0/B0/secret"},
            "triggers[0].actions[0].url",
            "a secret is a reference",
        ),
        ({**SLACK, "text": "{{ leed.id }}"}, "triggers[0].actions[0].text", "unknown variable(s) leed"),
        ({**SLACK, "text": "{% if %}"}, "triggers[0].actions[0].text", "line 1"),
        ({**SLACK, "text": ""}, "triggers[0].actions[0].text", "non-empty text"),
        ({**HUBSPOT, "token": "pat-na1-abc"}, "triggers[0].actions[0].token", "a secret is a reference"),
        ({"type": "hubspot"}, "triggers[0].actions[0].token", "required"),
    ],
)
def test_a_bad_handoff_action_is_refused_at_its_path(action: dict[str, Any], path: str, message: str) -> None:
    found_path, found_message = _problem(action)

    assert found_path == path
    assert message.lower() in found_message.lower()


def test_the_stack_grants_and_the_admin_api_checks_handoff_references() -> None:
    raw = raw_trigger("t", actions=[SLACK, HUBSPOT])
    [trigger] = parse_triggers([raw], SEGMENTS)

    assert webhook_secret_references({"triggers": [raw]}) == [
        "ssm:/leadwire/hubspot-token",
        "ssm:/leadwire/slack-sales",
    ]
    assert [p["path"] for p in ungranted_references(trigger, frozenset({"ssm:/leadwire/slack-sales"}))] == [
        "actions[1].token"
    ]
