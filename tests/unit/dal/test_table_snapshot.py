"""``make demo`` reads the table after its replay through the item mappers: one Scan, items by kind,
typed; and what it follows on the stream (delivery statuses, fires) by the same dal."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from moto import mock_aws

from leadwire import schema
from leadwire.core.capacity import item_size
from leadwire.core.fires import Fire
from leadwire.core.leads import LeadRecord, Transition
from leadwire.core.rules import LeadState, MembershipChange
from leadwire.dal.event_store import to_item
from leadwire.dal.fire_store import fire_to_item
from leadwire.dal.lead_items import history_page_item, lead_to_item
from leadwire.dal.stream_images import delivery_written, is_fire_insert
from leadwire.dal.table_snapshot import TableSnapshot
from tests.unit.local.test_demo_report import delivery_image, stored_event

AT = datetime(2026, 9, 5, 10, 0, tzinfo=UTC)
TABLE = "leadwire-snapshot-test"


def test_the_snapshot_reads_events_fires_leads_and_history_typed():
    event = stored_event("ann", "email_bounced")
    fire = Fire.of("welcome", "ann", "m-1", AT)
    ann = LeadRecord(lead_id="ann", state=LeadState(lead_id="ann", suppressed=["email"]))
    entered = Transition(
        change=MembershipChange(segment_id="hot-leads", kind="entered", at=AT),
        cause="time",
        entered_at=AT,
        definition_version="v1",
    )
    items = [to_item(event), fire_to_item(fire), lead_to_item(ann, 1), history_page_item("ann", 1, [entered])]
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema.create_table_kwargs(TABLE))
        for item in items:
            client.put_item(TableName=TABLE, Item=item)

        snapshot = TableSnapshot(client, TABLE)

    assert snapshot.event_sizes() == [(event, item_size(items[0]))]
    assert snapshot.fires() == [fire]
    assert [(lead.lead_id, lead.state.suppressed) for lead in snapshot.leads()] == [("ann", ["email"])]
    assert [(i["segmentId"], i["cause"]["entered"]) for i in snapshot.history()] == [("hot-leads", "time")]


def record(event_name: str, sk: str, image: dict | None = None) -> dict:
    change: dict = {"Keys": {schema.SK: {"S": sk}}}
    if image is not None:
        change["NewImage"] = image
    return {"eventName": event_name, "dynamodb": change}


def test_stream_records_tell_a_fire_and_a_delivery_apart_from_other_items():
    delivery = delivery_image("DLV#d1", "deferred")

    assert is_fire_insert(record("INSERT", schema.fire_sk("f1")))
    assert not is_fire_insert(record("INSERT", "DLV#d1", delivery))
    written = delivery_written(record("MODIFY", "DLV#d1", delivery))
    assert written is not None
    assert (written["deliveryId"], written["status"], written["triggerId"]) == ("d1", "deferred", "welcome")
    assert delivery_written(record("REMOVE", "DLV#d1")) is None  # a delete: no new image
    assert delivery_written(record("INSERT", schema.STATE_SK, {schema.SK: {"S": schema.STATE_SK}})) is None
