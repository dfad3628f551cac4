"""The timer state machine definition: one ASL file, only DynamoDB tasks, the table substituted."""

import json
from typing import Any

import pytest

from leadwire.timers import DEFINITION_PATH, load_definition

DYNAMODB_TASKS = {"arn:aws:states:::dynamodb:updateItem"}
THROTTLING = {
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.ThrottlingException",
}


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return json.loads(load_definition("leadwire-test"))


def _states(definition: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: state for name, state in definition["States"].items() if state["Type"] == kind}


def test_the_file_is_valid_json_with_the_placeholder() -> None:
    raw = DEFINITION_PATH.read_text()
    document = json.loads(raw)
    assert document["StartAt"] == "Wait"
    assert "${TableName}" in raw


def test_the_placeholder_is_substituted_everywhere(definition: dict[str, Any]) -> None:
    tasks = _states(definition, "Task")
    assert {task["Parameters"]["TableName"] for task in tasks.values()} == {"leadwire-test"}
    assert "${" not in json.dumps(definition)


def test_every_task_is_a_dynamodb_item_call(definition: dict[str, Any]) -> None:
    tasks = _states(definition, "Task")
    assert {task["Resource"] for task in tasks.values()} == DYNAMODB_TASKS


def test_every_task_retries_throttling(definition: dict[str, Any]) -> None:
    for name, task in _states(definition, "Task").items():
        retried = {error for retrier in task.get("Retry", []) for error in retrier["ErrorEquals"]}
        assert retried >= THROTTLING, name


def test_the_wait_reads_the_deadline(definition: dict[str, Any]) -> None:
    (wait,) = _states(definition, "Wait").values()
    assert wait["TimestampPath"] == "$.deadline"
    assert definition["StartAt"] in _states(definition, "Wait")


def _task(definition: dict[str, Any], action: str) -> dict[str, Any]:
    (task,) = (task for task in _states(definition, "Task").values() if task["Resource"].endswith(action))
    return task


def test_the_mark_comes_first_and_decides(definition: dict[str, Any]) -> None:
    mark = _task(definition, ":updateItem")
    assert definition["States"]["Wait"]["Next"] == "MarkFired"
    assert definition["States"]["MarkFired"] is mark
    parameters = mark["Parameters"]
    assert parameters["ConditionExpression"] == "#status = :waiting AND #cause = :cause"
    assert parameters["ExpressionAttributeValues"][":cause"] == {"S.$": "$.fire.cause"}
    assert parameters["ExpressionAttributeValues"][":fired"] == {"S": "fired"}
    # not waiting for this instance (satisfied, taken over, erased, fired): nothing is written
    (catch,) = mark["Catch"]
    assert catch["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    assert definition["States"][catch["Next"]]["Type"] == "Succeed"
    # a fired timer ends with its mark: two transitions (the trigger consumer writes the FIRE item)
    assert mark["End"] is True


def test_the_mark_writes_the_fire_the_consumer_reads(definition: dict[str, Any]) -> None:
    parameters = _task(definition, ":updateItem")["Parameters"]
    assert parameters["UpdateExpression"] == "SET #status = :fired, #fire = :fire"
    assert parameters["ExpressionAttributeNames"]["#fire"] == "fire"
    assert parameters["ExpressionAttributeValues"][":fire"] == {"S.$": "States.JsonToString($.fire)"}


def test_the_mark_is_retried_long_through_transient_errors(definition: dict[str, Any]) -> None:
    # A retried mark that had landed fails its condition and ends: the change on the stream is
    # what fires, so retrying is safe, and nothing else would write the fire.
    mark = _task(definition, ":updateItem")
    retried = {error for retrier in mark["Retry"] for error in retrier["ErrorEquals"]}
    assert "DynamoDB.InternalServerErrorException" in retried
    assert max(retrier["MaxAttempts"] for retrier in mark["Retry"]) >= 20


def test_every_transition_targets_a_state(definition: dict[str, Any]) -> None:
    names = set(definition["States"])
    targets = set()
    for state in definition["States"].values():
        targets.update(t for t in [state.get("Next"), state.get("Default")] if t)
        targets.update(choice["Next"] for choice in state.get("Choices", []))
        targets.update(catch["Next"] for catch in state.get("Catch", []))
    assert targets <= names
    assert names - targets == {definition["StartAt"]}


def test_an_empty_table_name_is_refused() -> None:
    with pytest.raises(ValueError, match="table_name"):
        load_definition("")
