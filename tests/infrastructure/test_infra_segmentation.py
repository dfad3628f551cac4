"""The stream consumer's event source mapping, its failure queue and the alarms an operator needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadwire import schema
from tests.infrastructure.infra_template import (
    ADMIN_HANDLER,
    REEVALUATE_HANDLER,
    SEGMENTATION_HANDLER,
    Resources,
    actions_on,
    function_id,
    function_props,
    of_type,
)

FOURTEEN_DAYS = 14 * 24 * 3600


@pytest.fixture(scope="module")
def mapping(resources: Resources) -> dict[str, Any]:
    (props,) = (
        v["Properties"]
        for v in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if v["Properties"]["FunctionName"] == {"Ref": function_id(resources, SEGMENTATION_HANDLER)}
    )
    result: dict[str, Any] = props
    return result


@pytest.fixture(scope="module")
def queue_id(resources: Resources, mapping: dict[str, Any]) -> str:
    queue_id: str = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    return queue_id


def _alarm(resources: Resources, namespace: str, metric: str) -> dict[str, Any]:
    (props,) = (
        v["Properties"]
        for v in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if (v["Properties"]["Namespace"], v["Properties"]["MetricName"]) == (namespace, metric)
    )
    result: dict[str, Any] = props
    return result


def test_only_event_source_mapping_is_the_segmentation_stream(resources: Resources, table_id: str) -> None:
    # Given one stream consumer today
    # When the stack is synthesised
    # Then it reads this table's stream, and no other mapping exists
    (mapping,) = of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}


def test_filter_is_the_schema_event_insert_filter(mapping: dict[str, Any]) -> None:
    # Given the engine's own writes must not re-trigger it, and leadwire local applies the same filter
    # When the mapping is synthesised
    # Then its one filter is exactly leadwire.schema.EVENT_INSERT_FILTER (INSERTs of event items)
    (only,) = mapping["FilterCriteria"]["Filters"]
    assert json.loads(only["Pattern"]) == schema.EVENT_INSERT_FILTER


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("StartingPosition", "TRIM_HORIZON"),
        ("BatchSize", 100),
        ("MaximumBatchingWindowInSeconds", 1),
        ("FunctionResponseTypes", ["ReportBatchItemFailures"]),
        ("BisectBatchOnFunctionError", True),
        ("MaximumRetryAttempts", 5),
        ("MaximumRecordAgeInSeconds", 24 * 3600),
    ],
)
def test_mapping_setting(mapping: dict[str, Any], setting: str, expected: Any) -> None:
    # Given / When: the segmentation event source mapping
    # Then: each setting that the defaults get wrong for this workload is stated
    assert mapping[setting] == expected


def test_retries_are_bounded(mapping: dict[str, Any]) -> None:
    # Given stream retries default to infinite (-1), which blocks the shard for a day on one bad record
    # When the mapping is synthesised
    # Then a failing batch is retried a small, finite number of times
    assert 0 <= mapping["MaximumRetryAttempts"] <= 10


def test_parallelization_keeps_per_lead_order(mapping: dict[str, Any]) -> None:
    # Given a lead's events must apply in stream order, and order holds per shard only
    # When the mapping is synthesised
    # Then one batch per shard runs at a time
    assert mapping["ParallelizationFactor"] == 1


def test_failed_batches_go_to_a_dedicated_queue(resources: Resources, queue_id: str) -> None:
    # Given batches that exhaust their retries or age out
    # When they are given up on
    # Then their shard and sequence range go to an SQS queue that only the segmentation role may send to
    assert resources[queue_id]["Type"] == "AWS::SQS::Queue"
    queue_arn = {"Fn::GetAtt": [queue_id, "Arn"]}
    senders = [
        p["Properties"]["Roles"]
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if "sqs:SendMessage" in actions_on(p["Properties"]["PolicyDocument"]["Statement"], queue_arn)
    ]
    role_id = function_props(resources, SEGMENTATION_HANDLER)["Role"]["Fn::GetAtt"][0]
    assert senders == [[{"Ref": role_id}]]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("SqsManagedSseEnabled", True), ("MessageRetentionPeriod", FOURTEEN_DAYS)],
)
def test_failure_queue_setting(resources: Resources, queue_id: str, setting: str, expected: Any) -> None:
    # Given / When: the failure queue
    # Then: encrypted at rest, and messages kept as long as SQS allows
    assert resources[queue_id]["Properties"][setting] == expected


def test_failure_queue_refuses_plain_http(resources: Resources, queue_id: str) -> None:
    # Given / When: the failure queue's resource policy
    # Then: any request without TLS is denied
    (policy,) = (
        v["Properties"]
        for v in of_type(resources, "AWS::SQS::QueuePolicy").values()
        if v["Properties"]["Queues"] == [{"Ref": queue_id}]
    )
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_failure_queue_alarms_on_its_first_message(resources: Resources, queue_id: str) -> None:
    # Given a message in the queue is a batch of events that were never segmented
    # When one arrives
    # Then an alarm fires on that queue's visible messages above 0
    alarm = _alarm(resources, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["TreatMissingData"] == "notBreaching"


def test_segmentation_errors_alarm(resources: Resources) -> None:
    # Given a failed invocation means a batch is being retried
    # When the segmentation function reports any error
    # Then an alarm fires on its Errors metric above 0
    alarm = _alarm(resources, "AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": function_id(resources, SEGMENTATION_HANDLER)}}
    ]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Sum",
        "GreaterThanThreshold",
        0,
    )


def test_stream_batch_fits_in_the_engines_dedupe_window() -> None:
    # Given the engine recognises a redelivered event by the last DEDUPE_WINDOW message ids of a lead
    # When a whole batch of one lead is redelivered
    # Then every event of it is still in the window
    from leadwire.core.rules import DEDUPE_WINDOW
    from leadwire_infra.segmentation_construct import STREAM_BATCH_SIZE

    assert STREAM_BATCH_SIZE <= DEDUPE_WINDOW


def test_admin_knows_the_reevaluation_function(resources: Resources) -> None:
    # Given the admin API starts re-evaluation runs asynchronously
    # When the admin function starts
    # Then REEVALUATE_FUNCTION_NAME names this stack's re-evaluation function
    env = function_props(resources, ADMIN_HANDLER)["Environment"]["Variables"]
    assert env["REEVALUATE_FUNCTION_NAME"] == {"Ref": function_id(resources, REEVALUATE_HANDLER)}
