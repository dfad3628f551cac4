"""EventStore against moto: idempotent writes, UnprocessedItems retries, reads."""

from datetime import UTC, datetime

import pytest

from leadwire.core.capacity import CapacityMeter
from leadwire.core.errors import StorageUnavailable
from leadwire.core.tracking import parse_message
from leadwire.dal.event_store import EventStore

from .conftest import TABLE

RECEIVED = datetime(2026, 11, 1, 12, tzinfo=UTC)


def events(count, lead="u1"):
    return [
        parse_message(
            {
                "type": "track",
                "userId": lead,
                "event": "clicked",
                "messageId": f"m{i}",
                "timestamp": f"2026-11-01T10:{i % 60:02d}:00Z",
            },
            field="body",
            received_at=RECEIVED,
            batch_sent_at=None,
            source="website",
        )
        for i in range(count)
    ]


class Unreliable:
    """Wraps the moto client: the first ``flaky_calls`` BatchWriteItem calls leave half unprocessed."""

    def __init__(self, client, flaky_calls):
        self._client = client
        self.flaky_calls = flaky_calls
        self.calls = 0

    def batch_write_item(self, RequestItems):
        self.calls += 1
        ((table, requests),) = RequestItems.items()
        if self.calls <= self.flaky_calls:
            keep, skip = requests[: len(requests) // 2], requests[len(requests) // 2 :]
            self._client.batch_write_item(RequestItems={table: keep})
            return {"UnprocessedItems": {table: skip}}
        return self._client.batch_write_item(RequestItems=RequestItems)

    def __getattr__(self, name):
        return getattr(self._client, name)


def count_items(dynamodb):
    return dynamodb.scan(TableName=TABLE, Select="COUNT")["Count"]


def test_sixty_events_are_written_in_chunks_of_25_at_one_unit_each(dynamodb):
    meter = CapacityMeter()
    EventStore(dynamodb, TABLE, meter=meter).put_events(events(60))
    assert count_items(dynamodb) == 60
    assert meter.write_units == 60


def test_resending_the_same_events_stores_nothing_new(dynamodb):
    store = EventStore(dynamodb, TABLE)
    store.put_events(events(5))
    store.put_events(events(5))
    assert count_items(dynamodb) == 5


def test_unprocessed_items_are_retried_until_written(dynamodb):
    flaky = Unreliable(dynamodb, flaky_calls=2)
    EventStore(flaky, TABLE, sleep=lambda _: None).put_events(events(20))
    assert count_items(dynamodb) == 20
    assert flaky.calls == 3


def test_items_still_unprocessed_after_every_attempt_raise_storage_unavailable(dynamodb):
    flaky = Unreliable(dynamodb, flaky_calls=100)
    with pytest.raises(StorageUnavailable) as caught:
        EventStore(flaky, TABLE, attempts=3, sleep=lambda _: None).put_events(events(8))
    assert caught.value.details == {"unprocessed": 1, "accepted": 8}
    assert count_items(dynamodb) == 7  # what was written stays written; the resend dedupes it


def test_lead_events_reads_only_that_lead(dynamodb):
    store = EventStore(dynamodb, TABLE)
    store.put_events(events(3, lead="u1") + events(2, lead="u2")[:0])
    store.put_events([e.model_copy(update={"lead_id": "u2", "message_id": "other"}) for e in events(1)])
    assert sorted(e.message_id for e in store.lead_events("u1")) == ["m0", "m1", "m2"]


class BehindReplica:
    """Eventually consistent reads that have not seen any write yet."""

    def __init__(self, client):
        self._client = client
        self.reads: list[bool] = []

    def get_item(self, **kwargs):
        self.reads.append(bool(kwargs.get("ConsistentRead")))
        return self._client.get_item(**kwargs) if kwargs.get("ConsistentRead") else {}

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_an_event_is_read_eventually_consistently_and_again_consistently_only_when_missed(dynamodb):
    EventStore(dynamodb, TABLE).put_events(events(1))
    meter = CapacityMeter()
    found = EventStore(dynamodb, TABLE, meter=meter).get_event("u1", "m0")
    assert found is not None
    assert found.message_id == "m0"
    assert meter.reads_by_kind == {"event": 0.5}  # an event item never changes: any copy is it
    behind = BehindReplica(dynamodb)
    assert EventStore(behind, TABLE).get_event("u1", "m0") == found
    assert behind.reads == [False, True]  # a miss may be a replica behind the write
    assert EventStore(dynamodb, TABLE).get_event("u1", "never") is None
