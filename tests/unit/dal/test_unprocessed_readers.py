"""Every batch reader and writer of the dal goes through the one retry: what DynamoDB leaves
unprocessed is asked for again a bounded number of times, then refused as ``StorageUnavailable``
(a retryable error), never looped on without end."""

from datetime import UTC, datetime

import pytest

from leadwire.core.capacity import CapacityMeter
from leadwire.core.errors import StorageUnavailable
from leadwire.core.onsite import Closure
from leadwire.dal.lead_batch import LeadBatchReader
from leadwire.dal.onsite_store import OnsiteStore
from leadwire.dal.segment_stats import STATS_SHARDS, SegmentStats
from leadwire.dal.trigger_pauses import TriggerPauses
from tests.unit.dal.test_unprocessed import Client

TABLE = "t"
AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Table(Client):
    """Answers keys with items holding what the readers read (a pause, a counter)."""

    def batch_get_item(self, RequestItems):
        answer = super().batch_get_item(RequestItems)
        answer["Responses"][TABLE] = [
            {**key, "reason": {"S": "spike"}, "at": {"S": "2026-11-02T09:00:00Z"}, "n": {"N": "1"}}
            for key in answer["Responses"][TABLE]
        ]
        return answer


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch):
    monkeypatch.setattr("leadwire.dal.unprocessed.time.sleep", lambda _: None)


CALLS = [
    lambda client: LeadBatchReader(client, TABLE, meter=CapacityMeter()).load_many(["a", "b"]),
    lambda client: TriggerPauses(client, TABLE, meter=CapacityMeter()).get_many(["t1", "t2"]),
    lambda client: SegmentStats(client, TABLE, meter=CapacityMeter()).counts(["hot"]),
    lambda client: OnsiteStore(client, TABLE, meter=CapacityMeter()).put_closures(
        [Closure("ann", "m1", AT), Closure("ann", "m2", AT)]
    ),
]


@pytest.mark.parametrize("call", CALLS, ids=["lead_batch", "trigger_pauses", "segment_stats", "onsite"])
def test_keys_never_processed_are_refused_as_retryable_not_looped_on(call):
    client = Table(flaky=10_000)
    with pytest.raises(StorageUnavailable) as refused:
        call(client)
    assert refused.value.details == {"retryable": True}
    assert len(client.calls) < 20  # bounded: each call's keys asked a few times, then refused


def test_a_reader_given_the_rest_on_a_second_call_answers_every_key():
    pauses = TriggerPauses(Table(flaky=1), TABLE, meter=CapacityMeter()).get_many(["t1", "t2"])
    assert sorted(pauses) == ["t1", "t2"]
    members, _leads = SegmentStats(Table(flaky=1), TABLE, meter=CapacityMeter()).counts(["hot"])
    assert members == {"hot": STATS_SHARDS}  # one counter item of n=1 per shard, none lost
