"""The sweep reads what is due, not the table: its read units stay flat as non-due leads grow."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.core.instants import iso
from leadwire.dal.due_index import DueIndex
from leadwire.segmentation.engine import Outcome
from leadwire.timers.sweep import run_sweep

from .conftest import TABLE

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)


class CountingEngine:
    def __init__(self):
        self.advanced = []

    def advance(self, lead_id):
        self.advanced.append(lead_id)
        return Outcome(lead_id=lead_id)


def put_leads(dynamodb, count, due_at, prefix):
    for n in range(count):
        lead = f"{prefix}-{n}"
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                schema.PK: {"S": schema.lead_pk(lead)},
                schema.SK: {"S": schema.STATE_SK},
                schema.DUE_PK: {"S": schema.due_pk(due_at)},
                schema.DUE_SK: {"S": schema.due_sk(iso(due_at), lead)},
            },
        )


def sweep_reads(dynamodb, not_due):
    put_leads(dynamodb, 10, NOW - timedelta(minutes=30), "due")
    put_leads(dynamodb, not_due, NOW + timedelta(days=3), f"later{not_due}")
    meter = CapacityMeter()
    index = DueIndex(dynamodb, TABLE, meter=meter)
    index.advance_checkpoint(NOW - timedelta(hours=2))
    engine = CountingEngine()
    run_sweep(index, engine, NOW)
    return meter.read_units, sorted(engine.advanced)


@pytest.mark.parametrize("not_due", [100, 1000])
def test_sweep_advances_only_the_due_leads(dynamodb, not_due):
    _, advanced = sweep_reads(dynamodb, not_due)
    assert advanced == sorted(f"due-{n}" for n in range(10))


def test_sweep_read_units_do_not_grow_with_leads_that_are_not_due(aws):
    import boto3

    results = []
    for not_due in (100, 1000):
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(**schema.create_table_kwargs(TABLE))
        results.append(sweep_reads(client, not_due)[0])
        client.delete_table(TableName=TABLE)
    assert results[0] == results[1]


def test_overlapping_sweeps_never_move_the_checkpoint_back(dynamodb):
    index = DueIndex(dynamodb, TABLE)
    assert index.advance_checkpoint(NOW)
    assert not index.advance_checkpoint(NOW - timedelta(minutes=1))
    assert index.checkpoint() == NOW
