"""Every stream consumer: its filter, mapping settings, own failure queue and the alarms an operator needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadwire import schema
from tests.infrastructure.infra_template import (
    SEGMENTATION_HANDLER,
    STREAM_CONSUMERS,
    TRIGGER_HANDLER,
    Resources,
    actions_on,
    alarms_on,
    event_source_mapping,
    function_id,
    function_props,
    of_type,
)

FOURTEEN_DAYS = 14 * 24 * 3600


def _queue_id(resources: Resources, handler: str) -> str:
    mapping = event_source_mapping(resources, handler)
    queue_id: str = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    return queue_id


def test_every_event_source_mapping_is_a_consumer_of_the_table_stream(
    resources: Resources, table_id: str
) -> None:
    # Given segmentation and the reactions (triggers and actions) read the table stream
    # When the stack is synthesised
    # Then each has one mapping on this table's stream, no other mapping reads the stream, and
    # there are at most two readers (what DynamoDB Streams serves per shard without throttling)
    # (the SES feedback function reads its SQS queue: test_infra_email)
    mappings = [
        m
        for m in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if "StreamArn" in json.dumps(m["Properties"]["EventSourceArn"])
    ]
    consumers = sorted(m["Properties"]["FunctionName"]["Ref"] for m in mappings)
    assert consumers == sorted(function_id(resources, handler) for handler in STREAM_CONSUMERS)
    assert len(mappings) <= 2
    assert {json.dumps(m["Properties"]["EventSourceArn"]) for m in mappings} == {
        json.dumps({"Fn::GetAtt": [table_id, "StreamArn"]})
    }


@pytest.mark.parametrize(
    ("handler", "filters"),
    [
        (SEGMENTATION_HANDLER, [schema.EVENT_INSERT_FILTER]),
        (
            TRIGGER_HANDLER,
            [
                schema.EVENT_INSERT_FILTER,
                schema.HISTORY_CHANGE_FILTER,
                schema.TIMER_FIRED_FILTER,
                schema.FIRE_INSERT_FILTER,
            ],
        ),
    ],
    ids=["segmentation", "reactions"],
)
def test_filters_are_exactly_the_schema_constants(
    resources: Resources, handler: str, filters: list[dict[str, Any]]
) -> None:
    # Given each consumer owns some item types, and leadwire local applies the same filters
    # When its mapping is synthesised
    # Then its filters are exactly those leadwire.schema constants (any one matching passes a record)
    patterns = event_source_mapping(resources, handler)["FilterCriteria"]["Filters"]
    assert [json.loads(p["Pattern"]) for p in patterns] == filters


@pytest.mark.parametrize("handler", STREAM_CONSUMERS)
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
        # One batch per shard at a time: a lead's records apply in stream order.
        ("ParallelizationFactor", 1),
    ],
)
def test_mapping_setting(resources: Resources, handler: str, setting: str, expected: Any) -> None:
    # Given / When: the consumer's event source mapping
    # Then: each setting that the defaults get wrong for this workload is stated (retries default
    # to infinite, which blocks the shard for a day on one bad record)
    assert event_source_mapping(resources, handler)[setting] == expected


def test_each_consumer_has_a_queue_of_its_own(resources: Resources) -> None:
    # Given replaying a failed batch means re-running the consumer that gave up on it
    # When the consumers are synthesised
    # Then no two share a failure queue
    queues = [_queue_id(resources, handler) for handler in STREAM_CONSUMERS]
    assert len(set(queues)) == len(STREAM_CONSUMERS)


@pytest.mark.parametrize("handler", STREAM_CONSUMERS)
def test_only_the_consumer_sends_to_its_queue(resources: Resources, handler: str) -> None:
    # Given batches that exhaust their retries or age out
    # When they are given up on
    # Then their shard and sequence range go to an SQS queue that only this consumer's role may send to
    queue_id = _queue_id(resources, handler)
    assert resources[queue_id]["Type"] == "AWS::SQS::Queue"
    queue_arn = {"Fn::GetAtt": [queue_id, "Arn"]}
    senders = [
        p["Properties"]["Roles"]
        for p in of_type(resources, "AWS::IAM::Policy").values()
        if "sqs:SendMessage" in actions_on(p["Properties"]["PolicyDocument"]["Statement"], queue_arn)
    ]
    role_id = function_props(resources, handler)["Role"]["Fn::GetAtt"][0]
    assert senders == [[{"Ref": role_id}]]


@pytest.mark.parametrize("handler", STREAM_CONSUMERS)
@pytest.mark.parametrize(
    ("setting", "expected"),
    [("SqsManagedSseEnabled", True), ("MessageRetentionPeriod", FOURTEEN_DAYS)],
)
def test_failure_queue_setting(resources: Resources, handler: str, setting: str, expected: Any) -> None:
    # Given / When: the consumer's failure queue
    # Then: encrypted at rest, and messages kept as long as SQS allows
    assert resources[_queue_id(resources, handler)]["Properties"][setting] == expected


@pytest.mark.parametrize("handler", STREAM_CONSUMERS)
def test_failure_queue_refuses_plain_http(resources: Resources, handler: str) -> None:
    # Given / When: the failure queue's resource policy
    # Then: any request without TLS is denied
    queue_id = _queue_id(resources, handler)
    (policy,) = (
        v["Properties"]
        for v in of_type(resources, "AWS::SQS::QueuePolicy").values()
        if v["Properties"]["Queues"] == [{"Ref": queue_id}]
    )
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("handler", STREAM_CONSUMERS)
def test_failure_queue_alarms_on_its_first_message(resources: Resources, handler: str) -> None:
    # Given a message in the queue is a batch of records the consumer never processed
    # When one arrives
    # Then an alarm fires on that queue's visible messages above 0
    queue_name = {"Fn::GetAtt": [_queue_id(resources, handler), "QueueName"]}
    (alarm,) = alarms_on(resources, "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue_name)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)
    assert alarm["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("handler", STREAM_CONSUMERS)
def test_errors_alarm(resources: Resources, handler: str) -> None:
    # Given a failed invocation means a batch is being retried
    # When the consumer reports any error
    # Then an alarm fires on its Errors metric above 0
    (alarm,) = alarms_on(resources, "AWS/Lambda", "Errors", {"Ref": function_id(resources, handler)})
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Sum",
        "GreaterThanThreshold",
        0,
    )


@pytest.mark.parametrize("handler", STREAM_CONSUMERS)
def test_iterator_age_alarm(resources: Resources, handler: str) -> None:
    # Given three consumers share a stream that serves two readers per shard without throttling
    # When a consumer falls more than five minutes behind
    # Then an alarm fires on its maximum IteratorAge
    (alarm,) = alarms_on(resources, "AWS/Lambda", "IteratorAge", {"Ref": function_id(resources, handler)})
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        5 * 60 * 1000,
    )


def test_stream_batch_fits_in_the_engines_dedupe_window() -> None:
    # Given the engine recognises a redelivered event by the last DEDUPE_WINDOW message ids of a lead
    # When a whole batch of one lead is redelivered
    # Then every event of it is still in the window
    from leadwire.core.rules import DEDUPE_WINDOW
    from leadwire.stream_consumers import STREAM_CONSUMERS as DECLARED

    assert all(spec.batch_size <= DEDUPE_WINDOW for spec in DECLARED)


def test_the_stack_and_leadwire_local_read_one_declaration_of_the_consumers(resources: Resources) -> None:
    # Given the consumers are declared once (leadwire.stream_consumers)
    # When the stack is synthesised and leadwire local builds its pump
    # Then both have exactly the declared consumers, handlers, filters and batch settings
    from leadwire.local.runtime import LocalRuntime
    from leadwire.stream_consumers import STREAM_CONSUMERS as DECLARED

    assert sorted(STREAM_CONSUMERS) == sorted(spec.handler for spec in DECLARED)
    for spec in DECLARED:
        mapping = event_source_mapping(resources, spec.handler)
        assert [json.loads(p["Pattern"]) for p in mapping["FilterCriteria"]["Filters"]] == list(spec.filters)
        assert (mapping["BatchSize"], mapping["MaximumRetryAttempts"]) == (
            spec.batch_size,
            spec.retry_attempts,
        )
    runtime = LocalRuntime({"k": "s"})
    try:
        pumped = [(c.name, c.filters, c.batch_size, c.max_retries) for c in runtime.pump.consumers]
    finally:
        runtime.close()
    assert pumped == [
        (spec.function_name, list(spec.filters), spec.batch_size, spec.retry_attempts) for spec in DECLARED
    ]
