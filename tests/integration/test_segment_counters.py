"""Segment counters: a shard's counters live in one item, a batch moves them in one update, the
previous release's per-counter items still count, and a recount sets one counter exactly."""

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.dal.segment_stats import COUNTS, LEADS_COUNTER, STATS_SHARDS, SegmentStats, segment_counter
from leadwire.dal.write_batch import WriteBatch
from tests.integration.conftest import TABLE


def _key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {schema.PK: {"S": pk}, schema.SK: {"S": sk}}


def test_a_batch_moving_many_counters_writes_its_shard_item_once(dynamodb):
    meter = CapacityMeter()
    stats = SegmentStats(dynamodb, TABLE, meter=meter)
    stats.batch = WriteBatch(dynamodb, TABLE, meter)
    for lead in ("ann", "bo", "cy"):
        stats.add(lead, LEADS_COUNTER, 1)
        for segment in ("hot", "warm", "trial"):
            stats.add(lead, segment_counter(segment), 1)
    stats.add("cy", segment_counter("trial"), -1)
    stats.batch.flush()
    stats.batch = None

    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert len(items) == 1  # one counter item, in the shard the batch's first lead picked
    assert items[0][schema.SK]["S"] == COUNTS
    assert meter.writes_by_kind == {"segment_stats": 1.0}  # one update, one unit
    assert stats.counts(["hot", "warm", "trial", "gone"]) == ({"hot": 3, "warm": 3, "trial": 2, "gone": 0}, 3)


def test_counters_of_the_previous_release_are_added_in(dynamodb):
    dynamodb.put_item(TableName=TABLE, Item={**_key("STATS#3", "SEG#hot"), "n": {"N": "5"}})
    dynamodb.put_item(TableName=TABLE, Item={**_key("STATS#6", "LEADS"), "n": {"N": "9"}})
    stats = SegmentStats(dynamodb, TABLE)
    stats.add("ann", segment_counter("hot"), 1)  # outside a batch: an update of its own
    stats.add("ann", LEADS_COUNTER, 1)
    assert stats.counts(["hot"]) == ({"hot": 6}, 10)


def test_a_recount_sets_the_counter_and_leaves_the_others_alone(dynamodb):
    dynamodb.put_item(TableName=TABLE, Item={**_key("STATS#3", "SEG#hot"), "n": {"N": "5"}})
    stats = SegmentStats(dynamodb, TABLE)
    for lead in [f"lead-{n}" for n in range(20)]:  # spread over the shards
        stats.add(lead, segment_counter("hot"), 1)
        stats.add(lead, segment_counter("warm"), 1)
    assert stats.counts(["hot", "warm"])[0] == {"hot": 25, "warm": 20}
    stats.recount("hot", 7)
    assert stats.counts(["hot", "warm"])[0] == {"hot": 7, "warm": 20}
    shards = {item[schema.PK]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]}
    assert shards <= {f"STATS#{shard}" for shard in range(STATS_SHARDS)}
    assert {item[schema.SK]["S"] for item in dynamodb.scan(TableName=TABLE)["Items"]} == {COUNTS}


def test_known_leads_count_a_merged_anonymous_visitor_once(tmp_path):
    import json
    from datetime import UTC, datetime

    from leadwire.local.runtime import TABLE_NAME, LocalRuntime
    from tests.integration.local_api import WRITE_KEY, LocalApi, page

    (tmp_path / "c.json").write_text(json.dumps({"segments": []}))
    runtime = LocalRuntime(
        {WRITE_KEY: "website"}, config_dir=tmp_path, clock_start=datetime(2026, 9, 2, tzinfo=UTC)
    )
    try:
        api = LocalApi(runtime)
        api.send(
            page("anon-1", "/pricing", anonymous=True, timestamp="2026-09-01T10:00:00Z"),
            page("anon-2", "/docs", anonymous=True, timestamp="2026-09-01T10:00:00Z"),
        )
        api.drain()
        assert SegmentStats(runtime.dynamodb, TABLE_NAME).counts([])[1] == 2
        api.send(
            {
                "type": "identify",
                "userId": "ann",
                "anonymousId": "anon-1",
                "timestamp": "2026-09-01T11:00:00Z",
            }
        )
        api.drain()
        api.send(page("ann", "/signup", timestamp="2026-09-01T12:00:00Z"))  # a save of the merged lead
        api.drain()
        # ann (with anon-1 merged into it) and anon-2
        assert SegmentStats(runtime.dynamodb, TABLE_NAME).counts([])[1] == 2
    finally:
        runtime.close()
