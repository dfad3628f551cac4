"""Time: the every-minute sweep, and the Standard state machine that holds delayed triggers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from leadwire.timers.asl import DEFINITION_PATH
from tests.infrastructure.infra_template import (
    SWEEP_HANDLER,
    Resources,
    actions_on,
    alarms_on,
    as_list,
    function_id,
    function_props,
    of_type,
    only_dynamodb,
    role_id_statements,
    state_machine_definition,
    states,
)

# Direct service integrations and the IAM action each needs.
TIMER_INTEGRATIONS = {"arn:aws:states:::dynamodb:updateItem": "dynamodb:UpdateItem"}
# No resource-level permissions: vended log delivery (Step Functions logging) and X-Ray.
LOG_DELIVERY_AND_XRAY = {
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
}


@pytest.fixture(scope="module")
def timer_id(resources: Resources) -> str:
    (logical_id,) = of_type(resources, "AWS::StepFunctions::StateMachine")
    return logical_id


@pytest.fixture(scope="module")
def timer(resources: Resources, timer_id: str) -> dict[str, Any]:
    props: dict[str, Any] = resources[timer_id]["Properties"]
    return props


@pytest.fixture(scope="module")
def definition_text(outdir: Path, timer: dict[str, Any]) -> str:
    return state_machine_definition(outdir, timer)


@pytest.fixture(scope="module")
def definition(definition_text: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(definition_text)
    return parsed


@pytest.fixture(scope="module")
def timer_role_statements(timer: dict[str, Any], resources: Resources) -> list[dict[str, Any]]:
    return list(role_id_statements(resources, timer["RoleArn"]["Fn::GetAtt"][0]))


@pytest.fixture(scope="module")
def schedule(resources: Resources) -> dict[str, Any]:
    (props,) = (v["Properties"] for v in of_type(resources, "AWS::Events::Rule").values())
    result: dict[str, Any] = props
    return result


def test_timer_is_a_standard_state_machine(timer: dict[str, Any]) -> None:
    # Given delays of hours or days (Express executions end after 5 minutes)
    # When the timer is synthesised
    # Then it is a Standard state machine
    assert timer["StateMachineType"] == "STANDARD"


def test_definition_is_the_file_leadwire_local_runs(definition_text: str) -> None:
    # Given leadwire local runs timer.asl.json on moto
    # When the stack is synthesised
    # Then AWS gets that very file (placeholders filled by CloudFormation, not by synth)
    assert definition_text == DEFINITION_PATH.read_text(encoding="utf-8")


def test_wait_state_waits_until_the_deadline_in_the_input(definition: dict[str, Any]) -> None:
    # Given the trigger consumer starts each execution with {"deadline": <UTC instant>, ...}
    # When the execution starts
    # Then its first state is the one Wait state, and it waits until $.deadline
    waits = [(name, state) for name, state in states(definition) if state["Type"] == "Wait"]
    assert [(name, state.get("TimestampPath")) for name, state in waits] == [
        (definition["StartAt"], "$.deadline")
    ]


def test_every_placeholder_is_this_stacks_table(
    definition_text: str, timer: dict[str, Any], table_id: str
) -> None:
    # Given the definition names its table with ${TableName}
    # When CloudFormation creates the state machine
    # Then every placeholder in the file is substituted, TableName with this stack's table
    placeholders = set(re.findall(r"\$\{([^}]*)\}", definition_text))
    assert placeholders == set(timer["DefinitionSubstitutions"]) == {"TableName"}
    assert timer["DefinitionSubstitutions"]["TableName"] == {"Ref": table_id}


def test_tasks_use_only_dynamodb_item_integrations_on_the_table(definition: dict[str, Any]) -> None:
    # Given the role allows the item action the definition uses, on one table
    # When the definition's Task states are read
    # Then each calls one of those integrations, on the substituted table name (never a literal one)
    tasks = [state for _, state in states(definition) if state["Type"] == "Task"]
    assert tasks
    assert {task["Resource"] for task in tasks} <= set(TIMER_INTEGRATIONS)
    assert {task["Parameters"]["TableName"] for task in tasks} == {"${TableName}"}


def test_role_may_only_update_items_in_the_table(
    timer_role_statements: list[dict[str, Any]], table_id: str
) -> None:
    # Given the definition marks the TIMER item fired (conditionally), writing its fire with it
    # When the state machine's role is synthesised
    # Then its DynamoDB permission is exactly that action, on the table ARN and nothing else
    statements = only_dynamodb(timer_role_statements)
    table_arn = {"Fn::GetAtt": [table_id, "Arn"]}
    assert actions_on(statements, table_arn) == set(TIMER_INTEGRATIONS.values())
    assert all(as_list(s["Resource"]) == [table_arn] for s in statements)


def test_role_uses_resource_star_only_for_log_delivery_and_tracing(
    timer_role_statements: list[dict[str, Any]],
) -> None:
    # Given vended log delivery and X-Ray support no resource-level permissions
    # When the state machine's role holds a statement on Resource "*"
    # Then that statement grants only those actions (no Lambda, no states:*, no dynamodb)
    on_star = {
        a for s in timer_role_statements if "*" in as_list(s["Resource"]) for a in as_list(s["Action"])
    }
    assert on_star <= LOG_DELIVERY_AND_XRAY


def test_role_is_assumed_only_by_step_functions_of_this_account(
    resources: Resources, timer: dict[str, Any]
) -> None:
    # Given / When: the state machine's role
    # Then: only states.amazonaws.com may assume it, on behalf of this account (confused deputy)
    (trust,) = resources[timer["RoleArn"]["Fn::GetAtt"][0]]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}


def test_timer_logs_errors_without_execution_data(resources: Resources, timer: dict[str, Any]) -> None:
    # Given execution inputs carry lead ids (PII), and most executions just wait
    # When the timer is synthesised
    # Then it logs ERROR events without execution data, to a log group whose logs expire
    logging = timer["LoggingConfiguration"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ERROR", False)
    (destination,) = logging["Destinations"]
    log_group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert resources[log_group_id]["Properties"]["RetentionInDays"] > 0


def test_timer_is_traced(timer: dict[str, Any]) -> None:
    # Given / When: the timer state machine
    # Then: X-Ray tracing is on, so a fire can be followed from trigger to action
    assert timer["TracingConfiguration"] == {"Enabled": True}


def test_failed_timer_executions_alarm(resources: Resources, timer_id: str) -> None:
    # Given a failed execution is a delayed trigger that never fired
    # When one fails
    # Then an alarm fires on the timer's ExecutionsFailed above 0
    (alarm,) = alarms_on(resources, "AWS/States", "ExecutionsFailed", {"Ref": timer_id})
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Sum",
        "GreaterThanThreshold",
        0,
    )


def test_sweep_runs_every_minute(resources: Resources, schedule: dict[str, Any]) -> None:
    # Given time-based conditions flip at any minute
    # When the stack is synthesised
    # Then one enabled rule runs the sweep function every minute
    assert (schedule["ScheduleExpression"], schedule["State"]) == ("rate(1 minute)", "ENABLED")
    (target,) = schedule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [function_id(resources, SWEEP_HANDLER), "Arn"]}


def test_only_the_schedule_may_invoke_the_sweep(resources: Resources) -> None:
    # Given / When: the sweep function's resource policy
    # Then: EventBridge may invoke it, for this rule only
    (rule_id,) = of_type(resources, "AWS::Events::Rule")
    sweep_arn = {"Fn::GetAtt": [function_id(resources, SWEEP_HANDLER), "Arn"]}
    permissions = [
        v["Properties"]
        for v in of_type(resources, "AWS::Lambda::Permission").values()
        if v["Properties"]["FunctionName"] == sweep_arn
    ]
    assert [(p["Principal"], p["SourceArn"]) for p in permissions] == [
        ("events.amazonaws.com", {"Fn::GetAtt": [rule_id, "Arn"]})
    ]


def test_a_failed_or_late_sweep_is_not_retried(resources: Resources, schedule: dict[str, Any]) -> None:
    # Given the next minute's sweep resumes from the same checkpoint
    # When a run fails, or its event waited a minute
    # Then neither EventBridge nor Lambda's asynchronous queue retries it
    (target,) = schedule["Targets"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}
    (config,) = (
        v["Properties"]
        for v in of_type(resources, "AWS::Lambda::EventInvokeConfig").values()
        if v["Properties"]["FunctionName"] == {"Ref": function_id(resources, SWEEP_HANDLER)}
    )
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)


def test_sweeps_may_overlap(resources: Resources) -> None:
    # Given two overlapping sweeps do no harm (version checks, forward-only checkpoint)
    # When the sweep function is synthesised
    # Then it reserves no concurrency (which would also throttle the catch-up after an outage)
    assert "ReservedConcurrentExecutions" not in function_props(resources, SWEEP_HANDLER)


def test_sweep_errors_alarm(resources: Resources) -> None:
    # Given a failed run leaves time-based segment changes late
    # When the sweep reports any error
    # Then an alarm fires on its Errors metric above 0
    (alarm,) = alarms_on(resources, "AWS/Lambda", "Errors", {"Ref": function_id(resources, SWEEP_HANDLER)})
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
