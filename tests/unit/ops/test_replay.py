"""The replay core with fakes: batch info parsing, the range read, the consumer's filter, expiry,
failures that keep their message, dry runs, --max and a queue shared by several consumers."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from leadwire import schema
from leadwire.ops.replay import (
    CONSUMER_FILTERS,
    Consumer,
    Delivery,
    MalformedFailure,
    QueueMessage,
    RecordsExpired,
    delivery_of_response,
    format_report,
    parse_failure,
    redelivery_batches,
    replay,
    selected,
)

STREAM = "arn:aws:dynamodb:us-east-1:123456789012:table/Leadwire/stream/2026-11-01T00:00:00.000"
SHARD = "shardId-00000001573689847184-864758bb"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIRST = 800000000003126276360


def failure(start, end, *, function="Leadwire-ActionsFunction", arrival=NOW - timedelta(hours=2), **info):
    """A failure message as Lambda writes it (services-dynamodb-errors example)."""
    batch_info = {
        "shardId": SHARD,
        "startSequenceNumber": str(start),
        "endSequenceNumber": str(end),
        "approximateArrivalOfFirstRecord": arrival.isoformat().replace("+00:00", "Z"),
        "approximateArrivalOfLastRecord": arrival.isoformat().replace("+00:00", "Z"),
        "batchSize": 1,
        "streamArn": STREAM,
        **info,
    }
    return {
        "requestContext": {
            "requestId": "316aa6d0-8154-xmpl-9af7-85d5f4a6bc81",
            "functionArn": f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 6,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": "2026-11-20T10:00:49.717Z",
        "DDBStreamBatchInfo": batch_info,
    }


class FakeQueue:
    def __init__(self, *bodies):
        self.messages = {
            f"m{i}": json.dumps(b) if not isinstance(b, str) else b for i, b in enumerate(bodies)
        }
        self.hidden: set[str] = set()
        self.deleted: list[str] = []

    def receive(self, max_messages):
        visible = [m for m in self.messages if m not in self.hidden][:max_messages]
        self.hidden.update(visible)
        return [QueueMessage(m, f"receipt-{m}", self.messages[m]) for m in visible]

    def delete(self, message):
        del self.messages[message.message_id]
        self.hidden.discard(message.message_id)
        self.deleted.append(message.message_id)

    def release(self, message):
        self.hidden.discard(message.message_id)


def stream_record(sequence, sk, event_name="INSERT"):
    return {
        "eventID": f"e{sequence}",
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": NOW - timedelta(hours=2),
            "Keys": {"pk": {"S": "LEAD#ann"}, "sk": {"S": sk}},
            "NewImage": {"pk": {"S": "LEAD#ann"}, "sk": {"S": sk}},
            "SequenceNumber": str(sequence),
            "SizeBytes": 40,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


class FakeStream:
    """One shard; GetRecords pages of two records; records before ``trimmed_before`` are gone."""

    def __init__(self, records, trimmed_before=0):
        self.records = records
        self.trimmed_before = trimmed_before
        self.reads = 0

    def iterator_at(self, stream_arn, shard_id, sequence_number):
        assert (stream_arn, shard_id) == (STREAM, SHARD)
        if int(sequence_number) < self.trimmed_before:
            raise RecordsExpired("TrimmedDataAccessException")
        index = next(
            i for i, r in enumerate(self.records) if r["dynamodb"]["SequenceNumber"] >= sequence_number
        )
        return str(index)

    def read(self, iterator):
        self.reads += 1
        index = int(iterator)
        page = self.records[index : index + 2]
        return page, str(index + 2) if index + 2 < len(self.records) else None


# A range with every item type in it: the actions consumer only ever saw the FIRE inserts.
RECORDS = [
    stream_record(FIRST, "EVT#m0"),
    stream_record(FIRST + 1, "FIRE#t1#a"),
    stream_record(FIRST + 2, "EVT#m1"),
    stream_record(FIRST + 3, "STATE", "MODIFY"),
    stream_record(FIRST + 4, "FIRE#t1#b"),
    stream_record(FIRST + 5, "HIST#hot-leads#1"),
    stream_record(FIRST + 6, "FIRE#t1#c"),
]


class Recorder:
    def __init__(self, answers=None):
        self.events = []
        self.answers = list(answers or [])

    def __call__(self, event):
        self.events.append(event)
        answer = self.answers.pop(0) if self.answers else Delivery(True)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def keys(self):
        return [[r["dynamodb"]["Keys"]["sk"]["S"] for r in e["Records"]] for e in self.events]


# The replay core is generic over consumers: these tests give it one that sees FIRE inserts only
# (as the actions' filter), or events and history (as the triggers'), to check it filters a range.
FILTERS = {
    "actions": [schema.FIRE_INSERT_FILTER],
    "triggers": [schema.EVENT_INSERT_FILTER, schema.HISTORY_CHANGE_FILTER],
}


def actions(queue, deliver, name="actions", function="Leadwire-ActionsFunction", exclusive=True):
    return Consumer(name, function, queue, deliver, list(FILTERS[name]), exclusive)


# -- parsing -------------------------------------------------------------------------------------
def test_parses_the_batch_info_lambda_sends():
    info = parse_failure(json.dumps(failure(FIRST + 1, FIRST + 4)))
    assert (info.stream_arn, info.shard_id) == (STREAM, SHARD)
    assert (info.start_sequence_number, info.end_sequence_number) == (str(FIRST + 1), str(FIRST + 4))
    assert info.first_arrival == NOW - timedelta(hours=2)
    assert info.function_name == "Leadwire-ActionsFunction"
    assert info.condition == "RetryAttemptsExhausted"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "not JSON"),
        ("[]", "not a JSON object"),
        ({"requestContext": {}}, "DDBStreamBatchInfo is missing"),
        ({"DDBStreamBatchInfo": "x"}, "DDBStreamBatchInfo is missing or not an object"),
        (failure(FIRST, FIRST, shardId=""), "DDBStreamBatchInfo.shardId"),
        (failure(FIRST, FIRST, streamArn=None), "DDBStreamBatchInfo.streamArn"),
        (failure("abc", FIRST), "DDBStreamBatchInfo.startSequenceNumber"),
        (failure(FIRST, None), "DDBStreamBatchInfo.endSequenceNumber"),
        (failure(FIRST + 2, FIRST), "is before startSequenceNumber"),
        (failure(FIRST, FIRST, batchSize="ten"), "DDBStreamBatchInfo.batchSize"),
        (
            failure(FIRST, FIRST, approximateArrivalOfFirstRecord="yesterday"),
            "approximateArrivalOfFirstRecord",
        ),
    ],
)
def test_a_malformed_message_names_the_field(body, field):
    with pytest.raises(MalformedFailure, match=field):
        parse_failure(body if isinstance(body, str) else json.dumps(body))


def test_a_malformed_message_is_reported_and_kept():
    queue = FakeQueue(failure(FIRST, FIRST, shardId=None))
    summary = replay([actions(queue, Recorder())], FakeStream(RECORDS), now=NOW)
    (outcome,) = summary.outcomes
    assert outcome.status == "malformed"
    assert "DDBStreamBatchInfo.shardId" in outcome.detail
    assert list(queue.messages) == ["m0"]
    assert not queue.hidden  # released for the next run
    assert not summary.ok


# -- replaying -----------------------------------------------------------------------------------
def test_reads_exactly_the_range_and_delivers_only_what_the_filter_passes():
    queue = FakeQueue(failure(FIRST + 1, FIRST + 4))
    deliver = Recorder()
    stream = FakeStream(RECORDS)
    summary = replay([actions(queue, deliver)], stream, now=NOW)

    assert deliver.keys() == [["FIRE#t1#a", "FIRE#t1#b"]]  # not FIRE#t1#c, past the range's end
    (outcome,) = summary.outcomes
    assert (outcome.status, outcome.records, outcome.within_retention) == ("replayed", 2, True)
    assert outcome.age_seconds == 2 * 3600
    assert queue.deleted == ["m0"]
    assert summary.ok
    assert summary.counts()["replayed"] == 1
    assert stream.reads == 2  # stopped at the end sequence number, did not read on


def test_delivers_in_lambda_event_shape():
    queue = FakeQueue(failure(FIRST + 1, FIRST + 1))
    deliver = Recorder()
    replay([actions(queue, deliver)], FakeStream(RECORDS), now=NOW)
    (record,) = deliver.events[0]["Records"]
    assert record["eventSourceARN"] == STREAM
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)
    json.dumps(deliver.events[0])  # JSON-safe, as a Lambda payload must be


def test_the_triggers_filter_passes_events_and_history():
    queue = FakeQueue(failure(FIRST, FIRST + 6, function="Leadwire-TriggersFunction"))
    deliver = Recorder()
    consumer = actions(queue, deliver, name="triggers", function="Leadwire-TriggersFunction")
    replay([consumer], FakeStream(RECORDS), now=NOW)
    assert deliver.keys() == [["EVT#m0", "EVT#m1", "HIST#hot-leads#1"]]


def test_records_past_retention_are_expired_and_the_message_kept():
    queue = FakeQueue(failure(FIRST + 1, FIRST + 4, arrival=NOW - timedelta(hours=25)))
    deliver = Recorder()
    summary = replay([actions(queue, deliver)], FakeStream(RECORDS, trimmed_before=FIRST + 3), now=NOW)
    (outcome,) = summary.outcomes
    assert (outcome.status, outcome.within_retention) == ("expired", False)
    assert deliver.events == []
    assert list(queue.messages) == ["m0"]
    assert not queue.hidden
    assert summary.counts()["expired"] == 1
    assert not summary.ok


def test_a_range_whose_start_was_trimmed_away_is_expired():
    """GetRecords answering from a later record means the start is gone."""
    queue = FakeQueue(failure(FIRST + 1, FIRST + 4))
    stream = FakeStream(RECORDS[2:])
    summary = replay([actions(queue, Recorder())], stream, now=NOW)
    assert summary.outcomes[0].status == "expired"


@pytest.mark.parametrize(
    "answer",
    [
        Delivery(False, "function error: Unhandled"),
        delivery_of_response({"batchItemFailures": [{"itemIdentifier": str(FIRST + 1)}]}),
        RuntimeError("throttled"),
    ],
)
def test_a_failed_redelivery_keeps_the_message(answer):
    queue = FakeQueue(failure(FIRST + 1, FIRST + 4))
    summary = replay([actions(queue, Recorder([answer]))], FakeStream(RECORDS), now=NOW)
    (outcome,) = summary.outcomes
    assert outcome.status == "failed"
    assert outcome.detail
    assert list(queue.messages) == ["m0"]
    assert queue.deleted == []
    assert not queue.hidden
    assert summary.counts()["failed"] == 1
    assert not summary.ok


def test_a_large_range_is_redelivered_in_mapping_sized_batches_and_stops_at_the_first_failure():
    records = [stream_record(FIRST + i, f"FIRE#t#{i:03d}") for i in range(250)]
    assert [len(b) for b in redelivery_batches([{"n": i} for i in range(250)])] == [100, 100, 50]
    queue = FakeQueue(failure(FIRST, FIRST + 249))
    deliver = Recorder([Delivery(True), Delivery(False, "boom")])
    summary = replay([actions(queue, deliver)], FakeStream(records), now=NOW)
    assert [len(e["Records"]) for e in deliver.events] == [100, 100]
    assert summary.outcomes[0].status == "failed"


def test_dry_run_lists_and_changes_nothing():
    queue = FakeQueue(failure(FIRST + 1, FIRST + 4), failure(FIRST + 6, FIRST + 6))
    deliver = Recorder()
    summary = replay([actions(queue, deliver)], FakeStream(RECORDS), dry_run=True, now=NOW)
    assert [(o.status, o.records, o.within_retention) for o in summary.outcomes] == [
        ("pending", 2, True),
        ("pending", 1, True),
    ]
    assert deliver.events == []
    assert queue.deleted == []
    assert not queue.hidden
    assert summary.ok
    report = format_report(summary.to_dict())
    assert "would replay 2" in report
    assert f"{FIRST + 1}..{FIRST + 4}" in report
    assert "2h00m" in report


def test_max_bounds_the_messages_handled():
    queue = FakeQueue(*(failure(FIRST + i, FIRST + i) for i in (1, 4, 6)))
    summary = replay([actions(queue, Recorder())], FakeStream(RECORDS), max_messages=2, now=NOW)
    assert len(summary.outcomes) == 2
    assert list(queue.messages) == ["m2"]
    assert not queue.hidden


def test_a_shared_queue_replays_only_the_selected_consumer():
    """Locally one queue serves every consumer: messages go by their function ARN."""
    queue = FakeQueue(
        failure(FIRST, FIRST, function="leadwire-segmentation"),
        failure(FIRST + 1, FIRST + 1, function="leadwire-actions"),
    )
    deliver = Recorder()
    consumer = actions(queue, deliver, function="leadwire-actions", exclusive=False)
    summary = replay([consumer], FakeStream(RECORDS), now=NOW)
    assert [(o.consumer, o.status) for o in summary.outcomes] == [("actions", "replayed")]
    assert list(queue.messages) == ["m0"]  # segmentation's, untouched
    assert not queue.hidden


def test_an_empty_queue_is_a_clean_run():
    summary = replay([actions(FakeQueue(), Recorder())], FakeStream(RECORDS), now=NOW)
    assert summary.outcomes == []
    assert summary.ok
    assert "(no failure messages)" in format_report(summary.to_dict())


def test_delivery_of_response():
    assert delivery_of_response({"batchItemFailures": []}).ok
    assert delivery_of_response(None).ok
    assert not delivery_of_response({"batchItemFailures": [{"itemIdentifier": "1"}]}).ok
    assert not delivery_of_response({"batchItemFailures": []}, "Unhandled").ok


def test_selected():
    assert selected("all") == ["segmentation", "reactions"]
    assert selected("reactions") == ["reactions"]
    assert CONSUMER_FILTERS["reactions"] == [
        schema.EVENT_INSERT_FILTER,
        schema.HISTORY_CHANGE_FILTER,
        schema.TIMER_FIRED_FILTER,
        schema.FIRE_INSERT_FILTER,
    ]
    with pytest.raises(ValueError, match="unknown consumer"):
        selected("sweep")


def test_a_malformed_message_in_a_shared_queue_is_reported_not_skipped():
    queue = FakeQueue("{}", failure(FIRST, FIRST, function="leadwire-segmentation"))
    consumer = actions(queue, Recorder(), function="leadwire-actions", exclusive=False)
    summary = replay([consumer], FakeStream(RECORDS), now=NOW)
    assert [(o.message_id, o.status) for o in summary.outcomes] == [("m0", "malformed")]
    assert list(queue.messages) == ["m0", "m1"]
