"""The table: built from ``leadwire.schema``, durable, streaming what the engine consumes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from leadwire import schema
from tests.infrastructure.infra_template import Resources


@pytest.fixture(scope="module")
def table(resources: Resources, table_id: str) -> dict[str, Any]:
    return resources[table_id]


def _by_name(definitions: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(definitions, key=lambda d: d["AttributeName"])


def test_key_schema_is_the_shared_schema(table: dict[str, Any]) -> None:
    # Given the single-table layout in leadwire.schema (also used by local mode and moto tests)
    # When the stack is synthesised
    # Then the table's primary key is exactly that layout
    assert table["Properties"]["KeySchema"] == schema.KEY_SCHEMA


def test_attribute_definitions_are_the_shared_schema(table: dict[str, Any]) -> None:
    # Given / When: the synthesised table
    # Then: the same attribute names and types as leadwire.schema
    assert _by_name(table["Properties"]["AttributeDefinitions"]) == _by_name(schema.ATTRIBUTE_DEFINITIONS)


def test_due_index_is_the_shared_sparse_keys_only_index(table: dict[str, Any]) -> None:
    # Given the sweep reads only the keys of leads that are due
    # When the stack is synthesised
    # Then the due index matches leadwire.schema, projecting keys only
    indexes = table["Properties"]["GlobalSecondaryIndexes"]
    assert indexes == schema.GLOBAL_SECONDARY_INDEXES
    (due,) = (i for i in indexes if i["IndexName"] == schema.DUE_INDEX)
    assert due["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_leads_index_is_the_shared_sparse_keys_only_index(table: dict[str, Any]) -> None:
    # Given re-evaluation pages through every lead shard by shard, and lead state never changes its
    # index keys (so a KEYS_ONLY index costs one write per lead lifetime)
    # When the stack is synthesised
    # Then the leads index is keyed on leadShard (S) / leadSk (S) and projects keys only
    (leads,) = (
        i for i in table["Properties"]["GlobalSecondaryIndexes"] if i["IndexName"] == schema.LEADS_INDEX
    )
    assert leads["KeySchema"] == [
        {"AttributeName": "leadShard", "KeyType": "HASH"},
        {"AttributeName": "leadSk", "KeyType": "RANGE"},
    ]
    assert leads["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    types = {d["AttributeName"]: d["AttributeType"] for d in table["Properties"]["AttributeDefinitions"]}
    assert (types["leadShard"], types["leadSk"]) == ("S", "S")


def test_deliveries_index_is_the_shared_sparse_keys_only_index(table: dict[str, Any]) -> None:
    # Given a delivery item is rewritten on every status change, and its index keys (the trigger,
    # the fire's day and instant) never change (so a KEYS_ONLY index costs one write per delivery)
    # When the stack is synthesised
    # Then the deliveries index is keyed on dlvPk (S) / dlvSk (S) and projects keys only
    (deliveries,) = (
        i for i in table["Properties"]["GlobalSecondaryIndexes"] if i["IndexName"] == schema.DELIVERIES_INDEX
    )
    assert deliveries["KeySchema"] == [
        {"AttributeName": "dlvPk", "KeyType": "HASH"},
        {"AttributeName": "dlvSk", "KeyType": "RANGE"},
    ]
    assert deliveries["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    types = {d["AttributeName"]: d["AttributeType"] for d in table["Properties"]["AttributeDefinitions"]}
    assert (types["dlvPk"], types["dlvSk"]) == ("S", "S")


def test_delivery_index_keys_partition_by_trigger_and_utc_day() -> None:
    # Given a busy trigger must not make one index partition hot for ever
    # When a delivery's index keys are computed (from any time zone)
    # Then the partition is the trigger's UTC day, and the sort key orders by instant, then id
    at = datetime(2026, 11, 2, 23, 30, 0, 250000, tzinfo=timezone(timedelta(hours=-5)))
    assert (
        schema.delivery_index_pk("cart-abandonment", at.astimezone(UTC).date())
        == "TRG#cart-abandonment#2026-11-03"
    )
    assert schema.delivery_index_sk(at, "d-1") == "2026-11-03T04:30:00.250Z#d-1"
    assert schema.delivery_index_keys("t", at, "d-1") == {
        "dlvPk": {"S": "TRG#t#2026-11-03"},
        "dlvSk": {"S": "2026-11-03T04:30:00.250Z#d-1"},
    }


def test_lead_shard_is_stable_and_within_the_shard_count() -> None:
    # Given leadShard is written once at lead creation and queried shard by shard later
    # When it is computed, in any process on any machine
    # Then a lead always gets the same shard (crc32, not Python's salted hash), one of LEAD_SHARDS
    assert schema.lead_shard("lead-42") == "LEADS#11"
    shards = {schema.lead_shard(f"user-{n}") for n in range(2000)}
    assert shards == {f"LEADS#{n}" for n in range(schema.LEAD_SHARDS)}


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("StreamSpecification", {"StreamViewType": schema.STREAM_VIEW_TYPE}),
        ("PointInTimeRecoverySpecification", {"PointInTimeRecoveryEnabled": True}),
        ("BillingMode", "PAY_PER_REQUEST"),
        ("DeletionProtectionEnabled", True),
        ("TimeToLiveSpecification", {"AttributeName": schema.TTL_ATTRIBUTE, "Enabled": True}),
        ("SSESpecification", {"SSEEnabled": True}),
    ],
)
def test_table_setting(table: dict[str, Any], setting: str, expected: Any) -> None:
    # Given / When: the synthesised table
    # Then: each operational setting is as designed
    assert table["Properties"][setting] == expected


def test_table_survives_stack_deletion_and_replacement(table: dict[str, Any]) -> None:
    # Given the table holds leads, consent and history
    # When the stack is deleted or the table would be replaced
    # Then CloudFormation retains it
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
