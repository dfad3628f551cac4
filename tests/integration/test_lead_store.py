"""The lead store against moto: what a save costs, what a remembering store saves, old items."""

from datetime import UTC, datetime

import pytest

from leadwire.core.capacity import CapacityMeter
from leadwire.core.leads import LeadRecord, Transition, VersionConflict
from leadwire.core.rules import MembershipChange
from leadwire.dal.lead_items import history_entry_item, history_page_key, lead_key, lead_to_item
from leadwire.dal.lead_store import LeadStore
from tests.integration.conftest import TABLE
from tests.legacy_shapes import format_1_lead_item

AT = datetime(2026, 11, 20, 10, tzinfo=UTC)


def entered(segment: str, at: datetime = AT) -> Transition:
    change = MembershipChange(segment_id=segment, kind="entered", at=at)
    return Transition(change=change, cause="m-1", entered_at=at, definition_version="v1")


def member_of(record: LeadRecord, *segments: str) -> LeadRecord:
    state = record.state.with_memberships(dict.fromkeys(segments, AT))
    return record.model_copy(update={"state": state})


def test_a_remembering_store_loads_what_it_saved_without_a_read(dynamodb):
    # Given a lead saved by a store that remembers
    meter = CapacityMeter()
    store = LeadStore(dynamodb, TABLE, meter=meter, remember=10)
    saved = store.save(member_of(LeadRecord.new("r-1"), "trial-users"), [entered("trial-users")])
    # When it loads the lead again
    meter.read_units = 0
    loaded = store.load("r-1")
    # Then no read was made and the record is the one stored
    assert meter.read_units == 0
    assert loaded == saved
    assert LeadStore(dynamodb, TABLE).load("r-1") == saved


def test_a_remembered_record_another_writer_replaced_costs_one_conflict_then_is_read(dynamodb):
    # Given a lead remembered by one store and then saved by another (the sweep, say)
    remembering = LeadStore(dynamodb, TABLE, remember=10)
    remembering.save(LeadRecord.new("r-2"), [])
    other = LeadStore(dynamodb, TABLE)
    newer = other.save(other.load("r-2"), [])
    # When the remembering store saves its stale record
    stale = remembering.load("r-2")
    with pytest.raises(VersionConflict):
        remembering.save(stale, [])
    # Then it forgot the lead: the retry reads the stored version
    assert remembering.load("r-2").version == newer.version


def test_a_fresh_load_reads_the_item_even_when_remembered(dynamodb):
    remembering = LeadStore(dynamodb, TABLE, remember=10)
    remembering.save(LeadRecord.new("r-3"), [])
    LeadStore(dynamodb, TABLE).save(LeadStore(dynamodb, TABLE).load("r-3"), [])
    assert remembering.load("r-3", fresh=True).version == 2


def test_a_store_without_remember_reads_every_time(dynamodb):
    meter = CapacityMeter()
    store = LeadStore(dynamodb, TABLE, meter=meter)
    store.save(LeadRecord.new("r-4"), [])
    store.load("r-4")
    assert meter.reads_by_kind == {"lead": 1.0}


def test_a_read_for_the_actions_is_one_read_and_leaves_a_pending_outbox_to_the_next_load(dynamodb):
    # Given a lead whose last writer stopped before its membership writes
    put_format_1_item(dynamodb, "read-1")
    meter = CapacityMeter()
    store = LeadStore(dynamodb, TABLE, meter=meter)
    # When the actions read it
    read = store.read("read-1")
    # Then it is the stored state, read once, and nothing was written
    assert read is not None
    assert read.outbox == []
    assert set(read.state.memberships) == {"trial-users"}
    assert meter.reads_by_kind == {"lead": 1.0}
    assert meter.write_units == 0
    assert store.members("trial-users", 10, None)[0] == []
    # and the next load (a writer's) delivers the outbox as before
    assert store.load("read-1") == read
    assert [m["leadId"] for m in store.members("trial-users", 10, None)[0]] == ["read-1"]
    assert store.read("gone") is None


def put_format_1_item(dynamodb, lead_id: str) -> None:
    """A state item written before format 2, its outbox (``ob``) entering trial-users."""
    record = member_of(LeadRecord.new(lead_id), "trial-users").model_copy(
        update={"version": 1, "outbox": [entered("trial-users")]}
    )
    dynamodb.put_item(TableName=TABLE, Item=format_1_lead_item(record))


def test_an_item_with_the_outbox_in_its_first_format_loads_and_is_delivered(dynamodb):
    # Given a state item written before the compact outbox, whose membership writes never happened
    put_format_1_item(dynamodb, "old-1")
    # When it is loaded
    store = LeadStore(dynamodb, TABLE)
    loaded = store.load("old-1")
    # Then the outbox is delivered: member and history items exist
    assert loaded is not None
    assert set(loaded.state.memberships) == {"trial-users"}
    assert [m["leadId"] for m in store.members("trial-users", 10, None)[0]] == ["old-1"]
    assert [(h["segmentId"], h["cause"]["entered"]) for h in store.history("old-1")] == [
        ("trial-users", "m-1")
    ]
    stored = dynamodb.get_item(TableName=TABLE, Key=lead_key("old-1"))["Item"]
    assert "ob" in stored  # loading does not rewrite the item; the next save writes ``ox``


def test_a_first_format_outbox_delivered_as_interval_items_is_not_written_again(dynamodb):
    # Given a format-1 state item whose interval item (its delivery marker) was written
    put_format_1_item(dynamodb, "old-2")
    dynamodb.put_item(TableName=TABLE, Item=history_entry_item("old-2", entered("trial-users")))
    # When it is loaded
    meter = CapacityMeter()
    LeadStore(dynamodb, TABLE, meter=meter).load("old-2")
    # Then nothing is written
    assert meter.write_units == 0


def exited(segment: str, entered_at: datetime, at: datetime) -> Transition:
    change = MembershipChange(segment_id=segment, kind="exited", at=at)
    return Transition(change=change, cause="time", entered_at=entered_at, definition_version="v1")


def test_one_history_write_per_save_however_many_flips(dynamodb):
    # Given a save that moves the lead into three segments and out of one
    meter = CapacityMeter()
    store = LeadStore(dynamodb, TABLE, meter=meter)
    later = datetime(2026, 11, 21, tzinfo=UTC)
    flips = [entered("a"), entered("b"), entered("c"), exited("a", AT, later)]
    store.save(member_of(LeadRecord.new("p-1"), "b", "c"), flips)
    # Then history costs one write, members one per segment whose item changes
    assert meter.writes_by_kind["history"] == 1
    assert meter.writes_by_kind["member"] == 3
    assert [(h["segmentId"], h["exitedAt"]) for h in store.history("p-1")] == [
        ("a", "2026-11-21T00:00:00.000Z"),
        ("b", None),
        ("c", None),
    ]


def test_an_interval_opened_in_an_item_of_the_first_layout_is_closed_by_a_page(dynamodb):
    # Given an interval item written before history pages
    dynamodb.put_item(TableName=TABLE, Item=history_entry_item("p-2", entered("a")))
    store = LeadStore(dynamodb, TABLE)
    record = store.save(member_of(LeadRecord.new("p-2"), "a"), [])
    # When a later save closes it
    later = datetime(2026, 11, 22, tzinfo=UTC)
    store.save(member_of(record), [exited("a", AT, later)])
    # Then history shows one closed interval with both causes
    assert store.history("p-2") == [
        {
            "segmentId": "a",
            "enteredAt": "2026-11-20T10:00:00.000Z",
            "exitedAt": "2026-11-22T00:00:00.000Z",
            "cause": {"entered": "m-1", "exited": "time"},
            "definitionVersion": "v1",
        }
    ]


def test_a_remembered_record_whose_due_instant_has_come_is_read_again(dynamodb):
    # Given a remembering store on a clock, and a lead saved with a due instant (the sweep's cue)
    now = [AT]
    meter = CapacityMeter()
    store = LeadStore(dynamodb, TABLE, meter=meter, remember=10, now=lambda: now[0])
    store.save(LeadRecord.new("d-1").model_copy(update={"due_at": datetime(2026, 11, 21, tzinfo=UTC)}), [])
    # When it is loaded before the due instant, then after it
    store.load("d-1")
    before = meter.reads_by_kind.get("lead", 0)
    now[0] = datetime(2026, 11, 21, 0, 0, 1, tzinfo=UTC)
    store.load("d-1")
    # Then only the second load reads the item (the sweep may have saved the lead meanwhile)
    assert (before, meter.reads_by_kind["lead"]) == (0, 1)


def test_upgrade_delivers_a_pending_first_format_outbox_then_rewrites_the_item(dynamodb):
    # Given a format-1 state item whose membership writes never happened
    put_format_1_item(dynamodb, "old-3")
    store = LeadStore(dynamodb, TABLE)
    # When the migration upgrades it
    assert store.upgrade("old-3") == 1
    # Then the outbox was delivered and the item is format 2, same version, outbox cleared
    assert [m["leadId"] for m in store.members("trial-users", 10, None)[0]] == ["old-3"]
    stored = dynamodb.get_item(TableName=TABLE, Key=lead_key("old-3"))["Item"]
    assert (stored["f"]["N"], stored["v"]["N"], "ob" in stored, "ox" in stored) == ("2", "1", False, False)
    assert set(store.load("old-3").state.memberships) == {"trial-users"}
    # And a second upgrade reads the item and writes nothing
    meter = CapacityMeter()
    assert LeadStore(dynamodb, TABLE, meter=meter).upgrade("old-3") == 0
    assert meter.write_units == 0


def test_upgrade_leaves_an_item_a_writer_saved_meanwhile(dynamodb):
    # Given a format-1 item that a consumer saves (format 2, next version) after upgrade read it
    put_format_1_item(dynamodb, "old-4")
    store = LeadStore(dynamodb, TABLE)
    writer = LeadStore(dynamodb, TABLE)
    real_get = dynamodb.get_item
    raced = []

    def get_then_race(**kwargs):
        response = real_get(**kwargs)
        if kwargs["Key"] == lead_key("old-4") and not raced:
            raced.append(True)
            record = writer.load("old-4")
            writer.save(member_of(record, "trial-users", "hot-leads"), [entered("hot-leads")])
        return response

    dynamodb.get_item = get_then_race
    try:
        # When the upgrade writes, it loses the version check
        assert store.upgrade("old-4") == 0
    finally:
        dynamodb.get_item = real_get
    # Then the writer's item stands
    stored = dynamodb.get_item(TableName=TABLE, Key=lead_key("old-4"))["Item"]
    assert (stored["f"]["N"], stored["v"]["N"]) == ("2", "2")
    assert set(store.load("old-4").state.memberships) == {"trial-users", "hot-leads"}


def test_in_a_batch_counters_follow_each_outbox_once_and_match_the_member_items(dynamodb):
    from leadwire.dal.segment_stats import SegmentStats

    store = LeadStore(dynamodb, TABLE)
    later = AT.replace(hour=11)
    with store.batched():
        # a enters hot and warm; b enters hot
        a = store.save(member_of(LeadRecord.new("a"), "hot", "warm"), [entered("hot"), entered("warm")])
        store.save(member_of(LeadRecord.new("b"), "hot"), [entered("hot")])
        # a leaves hot and comes back in one save (stays a member), and enters and leaves cold
        a = store.save(
            a,
            [
                exited("hot", AT, later),
                entered("hot", later),
                entered("cold", later),
                exited("cold", later, later),
            ],
        )
        # its outbox delivered a second time in the batch (a retry's load): counted once
        store._deliver_outbox(a)
    with store.batched():
        store.save(store.load("b"), [exited("hot", AT, later)])  # b leaves hot in a later batch
    counts, _ = SegmentStats(dynamodb, TABLE).counts(["hot", "warm", "cold"])
    assert counts == {"hot": 1, "warm": 1, "cold": 0}
    members = {
        item["pk"]["S"]
        for item in dynamodb.scan(TableName=TABLE)["Items"]
        if item["sk"]["S"].startswith("MEM#")
    }
    assert members == {"SEG#hot", "SEG#warm"}


class BehindReplica:
    """A client whose eventually consistent reads of one key return an older item, as a replica
    that has not seen the latest write yet would."""

    def __init__(self, client, key, older_item):
        self._client = client
        self._key = key
        self._older = older_item
        self.reads: list[bool] = []

    def get_item(self, **kwargs):
        if kwargs["Key"] == self._key:
            self.reads.append(bool(kwargs.get("ConsistentRead")))
            if not kwargs.get("ConsistentRead"):
                return {"Item": self._older}
        return self._client.get_item(**kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_eventual_loads_cost_half_and_a_conflict_makes_the_next_read_consistent(dynamodb):
    # Given a lead saved by another writer
    LeadStore(dynamodb, TABLE).save(LeadRecord.new("e-1"), [])
    meter = CapacityMeter()
    store = LeadStore(dynamodb, TABLE, meter=meter, eventual_loads=True)
    # When the consumer's store loads it: one eventually consistent read (half a unit)
    record = store.load("e-1")
    assert meter.reads_by_kind == {"lead": 0.5}
    # and when its save loses to a newer write, the next load reads consistently
    newer = LeadStore(dynamodb, TABLE).load("e-1")
    LeadStore(dynamodb, TABLE).save(newer, [])
    with pytest.raises(VersionConflict):
        store.save(record, [])
    meter.read_units = 0
    meter.reads_by_kind.clear()
    assert store.load("e-1").version == 2
    assert meter.reads_by_kind == {"lead": 1.0}
    assert store.load("e-1", fresh=False) is not None
    assert meter.reads_by_kind == {"lead": 1.5}  # and eventually consistent again after


def test_an_outdated_read_never_delivers_an_overtaken_outbox(dynamodb):
    # Given a lead that entered trial-users (version 1) and left it again (version 2), all
    # delivered: no member item
    writer = LeadStore(dynamodb, TABLE)
    first = writer.save(member_of(LeadRecord.new("e-2"), "trial-users"), [entered("trial-users")])
    left_at = datetime(2026, 11, 21, tzinfo=UTC)
    writer.save(member_of(first), [exited("trial-users", AT, left_at)])
    assert writer.members("trial-users", 10, None)[0] == []
    # and a replica still serving version 1, its outbox's marker not visible to it either
    version_1 = lead_to_item(first.model_copy(update={"outbox": [entered("trial-users")]}), 1)
    dynamodb.delete_item(TableName=TABLE, Key=history_page_key("e-2", 1))
    replica = BehindReplica(dynamodb, lead_key("e-2"), version_1)
    store = LeadStore(replica, TABLE, eventual_loads=True)
    # When the consumer's store loads the lead
    loaded = store.load("e-2")
    # Then the outdated outbox was not delivered: the latest item was read and is what it returns
    assert replica.reads == [False, True]
    assert loaded.version == 2
    assert loaded.state.memberships == {}
    assert writer.members("trial-users", 10, None)[0] == []


def test_a_read_at_least_a_version_takes_a_new_enough_copy_and_else_reads_as_stored(dynamodb):
    # Given a lead at version 2, and a replica still serving version 1
    writer = LeadStore(dynamodb, TABLE)
    first = writer.save(LeadRecord.new("v-1"), [])
    writer.save(first, [])
    replica = BehindReplica(dynamodb, lead_key("v-1"), lead_to_item(first, 1))
    meter = CapacityMeter()
    store = LeadStore(replica, TABLE, meter=meter)
    # When the actions read it for a fire of version 1: the replica's copy is new enough
    assert store.read("v-1", at_least=1).version == 1
    assert replica.reads == [False]
    assert meter.reads_by_kind == {"lead": 0.5}
    # and for a fire of version 2 it is not: the item is read as stored
    assert store.read("v-1", at_least=2).version == 2
    assert replica.reads == [False, False, True]
    # without a version (a fire that does not know it), one consistent read
    assert store.read("v-1").version == 2
    assert replica.reads[-1] is True
