"""The local stream pump against moto's real DynamoDB stream records."""

import pytest

from leadwire import schema
from leadwire.local.stream_pump import StreamConsumer, StreamPump

from .conftest import TABLE


def put(dynamodb, pk, sk, **extra):
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in extra.items()}}
    dynamodb.put_item(TableName=TABLE, Item=item)


class Recorder:
    """A stream handler that records batches and fails as told."""

    def __init__(self, fail_ids=(), crash_on=None, fail_times=1_000_000):
        self.batches = []
        self.fail_ids = set(fail_ids)
        self.crash_on = crash_on
        self.fail_times = fail_times

    def __call__(self, event, context):
        records = event["Records"]
        self.batches.append(records)
        sks = [r["dynamodb"]["Keys"]["sk"]["S"] for r in records]
        if self.crash_on in sks:
            raise RuntimeError("poison record")
        failed = [
            r["dynamodb"]["SequenceNumber"] for r, sk in zip(records, sks, strict=True) if sk in self.fail_ids
        ]
        if failed and self.fail_times > 0:
            self.fail_times -= 1
            return {"batchItemFailures": [{"itemIdentifier": failed[0]}]}
        return {"batchItemFailures": []}

    def delivered(self):
        return [r["dynamodb"]["Keys"]["sk"]["S"] for batch in self.batches for r in batch]


@pytest.fixture
def pump(streams, stream_arn):
    return StreamPump(streams, stream_arn)


def consumer(handler, **options):
    return StreamConsumer(name="test", handler=handler, filters=[schema.EVENT_INSERT_FILTER], **options)


def test_records_arrive_in_lambda_shape(dynamodb, pump, stream_arn):
    recorder = Recorder()
    pump.add_consumer(consumer(recorder))
    put(dynamodb, "LEAD#u1", "EVT#m1", t="track")
    pump.drain()
    (record,) = recorder.batches[0]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == stream_arn
    assert record["dynamodb"]["NewImage"]["t"] == {"S": "track"}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int)


def test_identical_reput_and_engine_items_never_reach_the_consumer(dynamodb, pump):
    # moto emits a MODIFY for an identical put (AWS emits nothing): the INSERT-only filter drops both
    recorder = Recorder()
    pump.add_consumer(consumer(recorder))
    put(dynamodb, "LEAD#u1", "EVT#m1", t="track")
    put(dynamodb, "LEAD#u1", "EVT#m1", t="track")
    put(dynamodb, "LEAD#u1", "STATE", v="1")
    pump.drain()
    assert recorder.delivered() == ["EVT#m1"]


def test_batches_respect_the_batch_size(dynamodb, pump):
    recorder = Recorder()
    pump.add_consumer(consumer(recorder, batch_size=2))
    for i in range(5):
        put(dynamodb, "LEAD#u1", f"EVT#m{i}")
    pump.drain()
    assert [len(b) for b in recorder.batches] == [2, 2, 1]


def test_partial_failure_retries_from_the_failed_record(dynamodb, pump):
    recorder = Recorder(fail_ids={"EVT#m1"}, fail_times=1)
    pump.add_consumer(consumer(recorder))
    for i in range(3):
        put(dynamodb, "LEAD#u1", f"EVT#m{i}")
    pump.drain()
    assert recorder.delivered() == ["EVT#m0", "EVT#m1", "EVT#m2", "EVT#m1", "EVT#m2"]


def test_exhausted_retries_go_to_the_failure_destination_and_the_pump_moves_on(dynamodb, pump):
    failures = []
    recorder = Recorder(fail_ids={"EVT#m1"})
    pump.add_consumer(consumer(recorder, max_retries=2, on_failure=failures.append))
    for i in range(3):
        put(dynamodb, "LEAD#u1", f"EVT#m{i}")
    pump.drain()
    assert len(recorder.batches) == 3  # first try + 2 retries
    (failure,) = failures
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 2  # m1 and the m2 behind it
    put(dynamodb, "LEAD#u1", "EVT#m3")
    pump.drain()
    assert recorder.delivered()[-1] == "EVT#m3"


def test_bisect_on_error_isolates_a_poison_record(dynamodb, pump):
    failures = []
    recorder = Recorder(crash_on="EVT#m2")
    pump.add_consumer(consumer(recorder, max_retries=1, on_failure=failures.append))
    for i in range(4):
        put(dynamodb, "LEAD#u1", f"EVT#m{i}")
    pump.drain()
    succeeded = {
        sk
        for batch in recorder.batches
        if "EVT#m2" not in [r["dynamodb"]["Keys"]["sk"]["S"] for r in batch]
        for sk in [r["dynamodb"]["Keys"]["sk"]["S"] for r in batch]
    }
    assert succeeded == {"EVT#m0", "EVT#m1", "EVT#m3"}
    assert [f["DDBStreamBatchInfo"]["batchSize"] for f in failures] == [1]
