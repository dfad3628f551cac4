"""Triggers: the consumer that starts timers is the only principal that may, and only this timer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.infrastructure.infra_template import (
    ADMIN_HANDLER,
    HANDLERS,
    TRIGGER_HANDLER,
    Resources,
    as_list,
    function_props,
    of_type,
)


def _timer_id(resources: Resources) -> str:
    (logical_id,) = of_type(resources, "AWS::StepFunctions::StateMachine")
    return logical_id


def _statements_by_role(resources: Resources) -> Iterator[tuple[str, dict[str, Any]]]:
    """(role id, statement) for every statement of every policy on every role in the stack."""
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            for role in policy["Properties"]["Roles"]:
                yield role["Ref"], statement
    for role_id, role in of_type(resources, "AWS::IAM::Role").items():
        for inline in role["Properties"].get("Policies", []):
            for statement in inline["PolicyDocument"]["Statement"]:
                yield role_id, statement


def _states_grants(resources: Resources) -> list[tuple[str, list[str], list[Any]]]:
    """(role, actions, resources) of every Allow of a states: action (or "*") anywhere in the stack."""
    found = []
    for role_id, statement in _statements_by_role(resources):
        actions = sorted(a for a in as_list(statement["Action"]) if a.startswith("states:") or a == "*")
        if actions and statement["Effect"] == "Allow":
            found.append((role_id, actions, as_list(statement["Resource"])))
    return found


def test_trigger_consumer_knows_the_timer(resources: Resources) -> None:
    # Given the trigger consumer starts an execution per delayed trigger
    # When it starts
    # Then STATE_MACHINE_ARN is this stack's timer state machine
    env = function_props(resources, TRIGGER_HANDLER)["Environment"]["Variables"]
    assert env["STATE_MACHINE_ARN"] == {"Ref": _timer_id(resources)}


def test_only_the_timer_starters_and_the_eraser_are_told_the_timer(resources: Resources) -> None:
    # Given the trigger code starts timers and the actions re-arm anniversaries (one function:
    # the reactions), and the admin API stops an erased lead's timers
    # When the functions are synthesised
    # Then no other gets STATE_MACHINE_ARN
    told = [
        handler
        for handler in HANDLERS
        if "STATE_MACHINE_ARN" in function_props(resources, handler)["Environment"]["Variables"]
    ]
    assert sorted(told) == sorted([TRIGGER_HANDLER, ADMIN_HANDLER])


def test_only_the_timer_starters_start_and_only_the_eraser_and_the_triggers_stop_executions_of_the_timer(
    resources: Resources,
) -> None:
    # Given every states: permission in the stack, on any role
    # When they are collected
    # Then there are three: StartExecution on the timer only, for the reactions function (triggers
    # and actions), and StopExecution on the timer's executions only, for the admin API (erasure)
    # and the reactions function (a timer satisfied or taken over)
    reactions_role = function_props(resources, TRIGGER_HANDLER)["Role"]["Fn::GetAtt"][0]
    timer = [{"Ref": _timer_id(resources)}]
    admin_role = function_props(resources, ADMIN_HANDLER)["Role"]["Fn::GetAtt"][0]
    grants = _states_grants(resources)
    assert (reactions_role, ["states:StartExecution"], timer) in grants
    stops = [g for g in grants if g[1] == ["states:StopExecution"]]
    assert sorted(role for role, _, _ in stops) == sorted([admin_role, reactions_role])
    assert len(grants) == 3
    for _, _, [executions] in stops:
        # arn:<partition>:states:<region>:<account>:execution:<the timer's name>:*
        parts = executions["Fn::Join"][1]
        assert ":execution:" in "".join(p for p in parts if isinstance(p, str))
        assert {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": _timer_id(resources)}]}]} in parts
        assert parts[-1].endswith(":*")
