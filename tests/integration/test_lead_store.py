"""The lead store against moto: what a save costs, what a remembering store saves, old items."""

from datetime import UTC, datetime

import pytest

from leadwire.core.capacity import CapacityMeter
from leadwire.core.leads import LeadRecord, Transition, VersionConflict
from leadwire.core.rules import MembershipChange
from leadwire.dal.lead_items import lead_key, lead_to_item
from leadwire.dal.lead_store import LeadStore
from tests.integration.conftest import TABLE

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


def test_an_item_with_the_outbox_in_its_first_format_loads_and_is_delivered(dynamodb):
    # Given a state item written before the compact outbox, whose membership writes never happened
    record = member_of(LeadRecord.new("old-1"), "trial-users").model_copy(
        update={"version": 1, "outbox": [entered("trial-users")]}
    )
    item = lead_to_item(record, 1)
    item.pop("ox")
    item["ob"] = {
        "S": '[{"change": {"segment_id": "trial-users", "kind": "entered", '
        '"at": "2026-11-20T10:00:00Z"}, "cause": "m-1", '
        '"entered_at": "2026-11-20T10:00:00Z", "definition_version": "v1"}]'
    }
    dynamodb.put_item(TableName=TABLE, Item=item)
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
