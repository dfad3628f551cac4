"""Leadwire's own EventBridge bus: what trigger actions put events on, and nothing wider."""

from __future__ import annotations

from typing import Any

from tests.infrastructure.infra_template import (
    TRIGGER_HANDLER,
    as_list,
    function_props,
    of_type,
    role_statements,
)

ACTIONS = "leadwire.reactions.handler.lambda_handler"  # the actions run in the reactions function


def _bus_id(resources: dict[str, dict[str, Any]]) -> str:
    (bus_id,) = of_type(resources, "AWS::Events::EventBus")
    return bus_id


def test_the_actions_function_puts_events_on_the_stacks_own_bus(resources: dict[str, Any]) -> None:
    bus_id = _bus_id(resources)
    environment = function_props(resources, ACTIONS)["Environment"]["Variables"]
    assert environment["EVENT_BUS_NAME"] == {"Ref": bus_id}
    put = [s for s in role_statements(resources, ACTIONS) if "events:PutEvents" in as_list(s["Action"])]
    assert [as_list(s["Resource"]) for s in put] == [[{"Fn::GetAtt": [bus_id, "Arn"]}]]


def test_the_bus_keeps_a_week_of_leadwire_events_for_replay(resources: dict[str, Any]) -> None:
    bus_id = _bus_id(resources)
    (archive_id,) = of_type(resources, "AWS::Events::Archive")
    archive = resources[archive_id]["Properties"]
    assert archive["SourceArn"] == {"Fn::GetAtt": [bus_id, "Arn"]}
    assert archive["RetentionDays"] == 7
    assert archive["EventPattern"] == {"source": ["leadwire"]}


def test_the_bus_name_is_an_output(template: Any) -> None:
    outputs = template.to_json()["Outputs"]
    assert outputs["EventBusName"]["Value"]["Ref"] == _bus_id(template.to_json()["Resources"])


def test_the_trigger_function_may_announce_spikes_on_the_same_bus(resources: dict[str, Any]) -> None:
    # Given spike alerts pause triggers and put leadwire.segment.spike on the bus
    # When the trigger function is synthesised
    # Then it knows the bus and may put events on it, and on nothing else
    trigger = TRIGGER_HANDLER
    bus_id = _bus_id(resources)
    assert function_props(resources, trigger)["Environment"]["Variables"]["EVENT_BUS_NAME"] == {"Ref": bus_id}
    put = [s for s in role_statements(resources, trigger) if "events:PutEvents" in as_list(s["Action"])]
    assert [as_list(s["Resource"]) for s in put] == [[{"Fn::GetAtt": [bus_id, "Arn"]}]]
