"""The flip log within a stream batch: one pack item per segment, read back flip by flip."""

from datetime import UTC, datetime, timedelta

from leadwire.core.capacity import CapacityMeter
from leadwire.dal.flip_packs import PACK_MAX
from leadwire.dal.segment_stats import Flip, SegmentStats
from leadwire.dal.write_batch import WriteBatch

from .conftest import TABLE

T0 = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)


def flip(lead: str, minutes: int, kind: str = "entered", segment: str = "hot") -> Flip:
    return Flip(segment, lead, kind, T0 + timedelta(minutes=minutes), f"cause-{lead}-{minutes}")  # type: ignore[arg-type]


def log_in_batch(stats: SegmentStats, dynamodb, flips: list[Flip]) -> CapacityMeter:
    meter = CapacityMeter()
    batch = WriteBatch(dynamodb, TABLE, meter)
    stats.batch = batch
    try:
        for one in flips:
            stats.log_flip(one)
        batch.flush()
    finally:
        stats.batch = None
    return meter


def log_items(dynamodb) -> list[dict]:
    items = dynamodb.scan(TableName=TABLE)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("FLIPS#")]


def test_a_batch_writes_one_pack_per_segment_and_reads_back_every_flip(dynamodb):
    stats = SegmentStats(dynamodb, TABLE)
    flips = [flip(f"l{n}", n) for n in range(10)] + [flip("l1", 30, "exited", segment="warm")]
    meter = log_in_batch(stats, dynamodb, flips)
    assert len(log_items(dynamodb)) == 2  # hot (10 flips), warm (1)
    assert meter.write_units == 2  # each pack is under 1 KB: 1 unit for the 10 hot flips, not 10
    assert stats.flips("hot", T0) == flips[:10]
    assert stats.flips("warm", T0) == flips[10:]
    # A pack sorts by its latest flip: a range from a later instant still finds that flip only
    assert stats.flips("hot", T0 + timedelta(minutes=9)) == [flips[9]]


def test_packs_hold_at_most_pack_max_flips(dynamodb):
    stats = SegmentStats(dynamodb, TABLE)
    flips = [flip(f"l{n:03}", n) for n in range(PACK_MAX + 5)]
    log_in_batch(stats, dynamodb, flips)
    assert len(log_items(dynamodb)) == 2
    assert stats.flips("hot", T0) == flips


def test_a_redelivered_batch_or_regrouped_retry_reads_each_flip_once(dynamodb):
    stats = SegmentStats(dynamodb, TABLE)
    first = [flip("a", 1), flip("b", 2), flip("c", 3)]
    log_in_batch(stats, dynamodb, first)
    log_in_batch(stats, dynamodb, first)  # the same batch again: the same pack key
    log_in_batch(stats, dynamodb, first[1:])  # a retry holding part of it: another pack
    assert len(log_items(dynamodb)) == 2
    assert stats.flips("hot", T0) == first


def test_single_flip_items_and_packs_read_together(dynamodb):
    stats = SegmentStats(dynamodb, TABLE)
    stats.log_flip(flip("old", 0))  # outside a batch (an account store, a release before packs)
    log_in_batch(stats, dynamodb, [flip("new", 5)])
    assert [f.lead_id for f in stats.flips("hot", T0)] == ["old", "new"]


def test_forgetting_a_lead_takes_its_flips_out_of_packs_and_drops_packs_left_empty(dynamodb):
    stats = SegmentStats(dynamodb, TABLE)
    log_in_batch(stats, dynamodb, [flip("ann", 1), flip("bo", 2), flip("ann", 50, "exited")])
    log_in_batch(stats, dynamodb, [flip("ann", 60)])
    page = {
        "pk": {"S": "LEAD#ann"},
        "sk": {"S": "HIST#@1"},
        "lead": {"S": "ann"},
    }
    # forget reads the lead's intervals from its history items; a format-1 interval item is enough
    interval = {
        **page,
        "sk": {"S": "HIST#hot#1"},
        "seg": {"S": "hot"},
        "in": {"S": "2026-09-01T10:01:00.000Z"},
    }
    stats.forget([interval])
    assert [(f.lead_id, f.kind) for f in stats.flips("hot", T0)] == [("bo", "entered")]
    assert len(log_items(dynamodb)) == 1
