"""Stopping a waiting timer: the real definition on moto's ASL interpreter, stopped by the adapter
the admin API uses when a lead is erased. The execution ends and never writes its FIRE."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadwire import schema
from leadwire.timers import build_timer_request, load_definition
from leadwire.timers.starter import StepFunctionsTimerStarter
from leadwire.timers.stopper import StepFunctionsTimerStopper, execution_arn

from .conftest import TABLE

ROLE = "arn:aws:iam::123456789012:role/leadwire-timers"
# Far ahead of any clock the suite runs on (moto's Wait really sleeps until then).
DEADLINE = datetime(2100, 1, 1, tzinfo=UTC)
FIRED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def aws() -> Iterator[tuple[Any, Any, str]]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        table = boto3.client("dynamodb", region_name="us-east-1")
        table.create_table(**schema.create_table_kwargs(TABLE))
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        arn = sfn.create_state_machine(
            name="leadwire-timers", definition=load_definition(TABLE), roleArn=ROLE
        )["stateMachineArn"]
        yield table, sfn, arn


def _status(sfn: Any, arn: str, name: str) -> str:
    status: str = sfn.describe_execution(executionArn=execution_arn(arn, name))["status"]
    return status


def _wait_until_waiting(sfn: Any, arn: str) -> None:
    """moto runs the execution in a thread: until it reaches the Wait state it cannot be stopped."""
    for _ in range(250):
        events = sfn.get_execution_history(executionArn=arn)["events"]
        if any(e["type"] == "WaitStateEntered" for e in events):
            return
        time.sleep(0.02)
    raise AssertionError("the execution never reached its Wait state")


def test_a_waiting_timer_is_stopped_and_never_fires(aws: tuple[Any, Any, str]) -> None:
    table, sfn, arn = aws
    # Given a timer execution waiting for its deadline
    request = build_timer_request(
        execution_name="cart-abandonment-erased",
        timer_pk=schema.timer_pk("cart-abandonment"),
        timer_sk="ann#c1",
        deadline=DEADLINE,
        fire_id="f1",
        trigger_id="cart-abandonment",
        lead_id="ann",
        cause="m1",
        at=FIRED_AT,
    )
    StepFunctionsTimerStarter(sfn, arn).start(request)
    _wait_until_waiting(sfn, execution_arn(arn, request.execution_name))
    assert _status(sfn, arn, request.execution_name) == "RUNNING"
    # When the lead is erased and its timer stopped
    assert StepFunctionsTimerStopper(sfn, arn).stop(request.execution_name) is True
    # Then the execution is aborted and writes nothing
    for _ in range(50):
        if _status(sfn, arn, request.execution_name) != "RUNNING":
            break
        time.sleep(0.02)
    # AWS reports a stopped execution ABORTED; moto 5.2 reports it FAILED. Either way it ended.
    assert _status(sfn, arn, request.execution_name) in {"ABORTED", "FAILED"}
    fire = table.get_item(TableName=TABLE, Key={"pk": {"S": "LEAD#ann"}, "sk": {"S": "FIRE#f1"}})
    assert "Item" not in fire


def test_stopping_a_timer_that_never_started_is_a_no_op(aws: tuple[Any, Any, str]) -> None:
    _, sfn, arn = aws
    assert StepFunctionsTimerStopper(sfn, arn).stop("never-started") is False


def test_the_execution_arn_follows_from_the_machine_and_the_name() -> None:
    machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:Timer-abc"
    assert execution_arn(machine, "x-1") == "arn:aws:states:eu-west-1:123456789012:execution:Timer-abc:x-1"
