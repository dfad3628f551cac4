"""leadwire local reads moto's stream in-process: the same records as through the Streams API."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadwire.core.tracking import parse_message
from leadwire.dal.event_store import EventStore
from leadwire.local.moto_stream import reader_for
from leadwire.local.stream_pump import ApiStreamReader
from leadwire.stream_poison import usable_event
from leadwire.stream_records import to_lambda_record

from .conftest import TABLE

SAMPLES = Path(__file__).parents[2] / "events_samples" / "segment"
RECEIVED = datetime(2026, 11, 1, 12, tzinfo=UTC)


def write_some(dynamodb):
    for n in range(7):
        item = {"pk": {"S": f"LEAD#u{n % 3}"}, "sk": {"S": f"EVT#m{n}"}, "n": {"N": str(n)}}
        dynamodb.put_item(TableName=TABLE, Item=item)
    dynamodb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "LEAD#u0"}, "sk": {"S": "EVT#m0"}},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":n": {"N": "42"}},
    )
    dynamodb.delete_item(TableName=TABLE, Key={"pk": {"S": "LEAD#u1"}, "sk": {"S": "EVT#m1"}})


def shaped(records, stream_arn):
    return [to_lambda_record(r, stream_arn) for r in records]


def test_in_process_and_api_readers_deliver_the_same_records(dynamodb, streams, stream_arn):
    write_some(dynamodb)
    api = ApiStreamReader(streams, stream_arn)
    local = reader_for(TABLE, account_id="123456789012", region="us-east-1")
    assert local is not None
    assert local.shards() == api.shards()
    (shard,) = api.shards()
    from_api = shaped(api.records(shard, None), stream_arn)
    in_process = shaped(local.records(shard, None), stream_arn)
    assert [r["eventName"] for r in in_process] == ["INSERT"] * 7 + ["MODIFY", "REMOVE"]
    assert in_process == from_api
    # Reading on from a position gives what follows it, as AFTER_SEQUENCE_NUMBER does
    middle = from_api[3]["dynamodb"]["SequenceNumber"]
    assert shaped(local.records(shard, middle), stream_arn) == shaped(api.records(shard, middle), stream_arn)


def test_the_in_process_reader_follows_the_table_moto_puts_back_after_a_cancelled_transaction(
    dynamodb, streams, stream_arn
):
    local = reader_for(TABLE, account_id="123456789012", region="us-east-1")
    assert local is not None
    (shard,) = local.shards()
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "LEAD#a"}, "sk": {"S": "EVT#1"}})
    # A transaction whose second part fails: moto applies the first, then restores a copy
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": {"S": "LEAD#a"}, "sk": {"S": "EVT#rolled-back"}},
                    }
                },
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": {"S": "LEAD#a"}, "sk": {"S": "EVT#1"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "LEAD#a"}, "sk": {"S": "EVT#2"}})
    # The rolled-back put is not delivered (AWS writes nothing), the write after it is
    keys = [r["dynamodb"]["Keys"]["sk"]["S"] for r in local.records(shard, None)]
    assert keys == ["EVT#1", "EVT#2"]
    api = ApiStreamReader(streams, stream_arn)
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in api.records(shard, None)] == keys


def test_a_compressed_event_reaches_a_consumer_as_lambda_hands_it(dynamodb, streams, stream_arn):
    """A binary attribute (the compressed payload of a big event) is base64 text in a Lambda
    record, by either reader, and the consumers' ``usable_event`` reads the event back."""
    page = json.loads((SAMPLES / "analytics_js_page.json").read_text())
    event = parse_message(page, field="body", received_at=RECEIVED, batch_sent_at=None, source="website")
    EventStore(dynamodb, TABLE).put_events([event])
    assert list(EventStore(dynamodb, TABLE).lead_events(event.lead_id)) == [event]
    local = reader_for(TABLE, account_id="123456789012", region="us-east-1")
    assert local is not None
    (shard,) = local.shards()
    for records in (local.records(shard, None), ApiStreamReader(streams, stream_arn).records(shard, None)):
        (record,) = shaped(records, stream_arn)
        assert isinstance(record["dynamodb"]["NewImage"]["dz"]["B"], str)
        assert usable_event(record["dynamodb"]["NewImage"]) == (event, "")
