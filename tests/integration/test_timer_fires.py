"""A timer's state machine marks it fired and writes the fire's fields with the mark; the reactions
consumer writes the FIRE item from that change, once, unless the lead was erased, and sends a
change it cannot read to the failure queue without holding up its neighbours."""

import json

import pytest

from leadwire import schema
from leadwire.core.fires import Fire
from leadwire.dal.fire_store import fire_to_item
from leadwire.dal.metering import PROCESS_METER
from leadwire.local.runtime import TABLE_NAME, LocalRuntime

from .conftest import RUNTIME_START
from .local_api import WRITE_KEY, LocalApi

TRIGGER = "no-such-trigger"  # the actions drop a fire of an unknown trigger: only the FIRE item counts


@pytest.fixture
def runtime():
    """The local runtime with the write key ``LocalApi`` sends."""
    rt = LocalRuntime({WRITE_KEY: "website"}, clock_start=RUNTIME_START)
    yield rt
    rt.close()


def timer_key(lead):
    return {schema.PK: {"S": schema.timer_pk(TRIGGER)}, schema.SK: {"S": f"{lead}#c-1"}}


def wake(runtime, lead, fire_text):
    """What the state machine does: a waiting timer, then its mark with the fire's fields."""
    key = timer_key(lead)
    runtime.dynamodb.put_item(
        TableName=TABLE_NAME, Item={**key, "status": {"S": "waiting"}, "cause": {"S": "m1"}}
    )
    runtime.dynamodb.update_item(
        TableName=TABLE_NAME,
        Key=key,
        UpdateExpression="SET #status = :fired, #fire = :fire",
        ExpressionAttributeNames={"#status": "status", "#fire": "fire"},
        ExpressionAttributeValues={":fired": {"S": "fired"}, ":fire": {"S": fire_text}},
    )


def fire_of(lead):
    return Fire.of(TRIGGER, lead, "m1", RUNTIME_START, {"cart_id": "c-1"})


def fire_text(fire):
    return json.dumps({name: value["S"] for name, value in fire_to_item(fire).items()})


def stored_fire(runtime, fire):
    key = {schema.PK: {"S": schema.lead_pk(fire.lead_id)}, schema.SK: {"S": schema.fire_sk(fire.fire_id)}}
    return runtime.dynamodb.get_item(TableName=TABLE_NAME, Key=key, ConsistentRead=True).get("Item")


def poison(runtime):
    messages = runtime.sqs.receive_message(QueueUrl=runtime.stream_dlq_url, MaxNumberOfMessages=10).get(
        "Messages", []
    )
    return [json.loads(m["Body"])["poisonRecord"] for m in messages]


def test_a_fired_timer_becomes_one_fire_item(runtime):
    fire = fire_of("ann")
    wake(runtime, "ann", fire_text(fire))
    runtime.drain()
    assert stored_fire(runtime, fire) == fire_to_item(fire)
    # The same change again (a redelivered batch): the fire is kept as it was written
    runtime.dynamodb.put_item(TableName=TABLE_NAME, Item={**fire_to_item(fire), "at": {"S": "first"}})
    wake(runtime, "ann", fire_text(fire))
    runtime.drain()
    assert stored_fire(runtime, fire)["at"] == {"S": "first"}
    assert poison(runtime) == []


def test_an_erased_leads_timer_writes_no_fire(runtime):
    api = LocalApi(runtime)
    api.send({"type": "identify", "userId": "bea", "traits": {"email": "bea@example.com"}})
    api.drain()
    status, _, _ = api.delete("/leads/bea")
    assert status in (200, 202)
    api.drain()
    fire = fire_of("bea")
    fire_writes = PROCESS_METER.writes_by_kind.get("fire", 0)
    wake(runtime, "bea", fire_text(fire))
    runtime.drain()
    assert stored_fire(runtime, fire) is None
    assert PROCESS_METER.writes_by_kind.get("fire", 0) == fire_writes  # not written, not deleted


def test_an_unreadable_fire_goes_to_the_failure_queue_and_its_neighbours_fire(runtime):
    good = fire_of("cy")
    wake(runtime, "dee", '{"fireId": "f-1"}')  # fields missing
    wake(runtime, "cy", fire_text(good))
    runtime.drain()
    assert stored_fire(runtime, good) == fire_to_item(good)
    (record,) = poison(runtime)
    assert record["keys"][schema.SK] == {"S": "dee#c-1"}
    assert "the fired timer's fire does not read back" in record["reason"]
