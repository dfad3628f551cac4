"""The local fast path for moto's base-table query answers exactly what moto answers without it."""

import random

import pytest

from leadwire import schema
from leadwire.local import moto_query

from .conftest import TABLE

QUERIES = [
    {"KeyConditionExpression": "pk = :pk"},
    {"KeyConditionExpression": "pk = :pk", "ScanIndexForward": False},
    {"KeyConditionExpression": "pk = :pk", "Limit": 3},
    {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)"},
    {"KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high", "Limit": 2},
    {"KeyConditionExpression": "pk = :pk", "FilterExpression": "n > :n", "Limit": 4},
    {"KeyConditionExpression": "pk = :pk", "ProjectionExpression": "sk, n"},
    {"KeyConditionExpression": "pk = :pk", "ConsistentRead": True, "Select": "COUNT"},
]


def fill(dynamodb, rng):
    for n in range(300):
        lead = f"lead-{rng.randint(0, 25)}"
        kind = rng.choice(["EVT#", "HIST#", "DLV#"])
        dynamodb.put_item(
            TableName=TABLE,
            Item={
                schema.PK: {"S": schema.lead_pk(lead)},
                schema.SK: {"S": f"{kind}{rng.randint(0, 10**6):07d}"},
                "n": {"N": str(n)},
            },
        )


def every_page(dynamodb, query, pk):
    values = {":pk": {"S": pk}, ":prefix": {"S": "HIST#"}, ":low": {"S": "DLV#"}, ":high": {"S": "HIST#5"}}
    text = " ".join(str(v) for v in query.values())
    used = {k: v for k, v in values.items() if k in text}
    if "FilterExpression" in query:
        used[":n"] = {"N": "150"}
    pages, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        response = dynamodb.query(TableName=TABLE, ExpressionAttributeValues=used, **query, **extra)
        pages.append((response.get("Items"), response["Count"], response.get("LastEvaluatedKey")))
        start = response.get("LastEvaluatedKey")
        if not start:
            return pages


@pytest.fixture
def patched():
    assert moto_query.install(), "the fast path is pinned to the moto version in requirements.lock"
    yield
    moto_query.uninstall()


def test_patched_and_unpatched_answers_are_identical(dynamodb):
    fill(dynamodb, random.Random(7))
    partitions = [schema.lead_pk(f"lead-{n}") for n in (0, 3, 11, 99)]  # 99: an empty partition
    plain = [every_page(dynamodb, q, pk) for q in QUERIES for pk in partitions]
    assert moto_query.install()
    try:
        fast = [every_page(dynamodb, q, pk) for q in QUERIES for pk in partitions]
    finally:
        moto_query.uninstall()
    assert fast == plain
    assert any(len(pages) > 1 for pages in plain)  # paging was exercised


def test_an_index_query_takes_moto_own_path(dynamodb, patched):
    item = {
        schema.PK: {"S": schema.lead_pk("a")},
        schema.SK: {"S": schema.STATE_SK},
        schema.DUE_PK: {"S": "2026-10-01T12"},
        schema.DUE_SK: {"S": "2026-10-01T12:30:00+00:00#a"},
    }
    dynamodb.put_item(TableName=TABLE, Item=item)
    response = dynamodb.query(
        TableName=TABLE,
        IndexName=schema.DUE_INDEX,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": schema.DUE_PK},
        ExpressionAttributeValues={":pk": {"S": "2026-10-01T12"}},
    )
    assert [i[schema.SK]["S"] for i in response["Items"]] == [schema.STATE_SK]


def test_install_refuses_another_moto_version(monkeypatch):
    monkeypatch.setattr(moto_query.moto, "__version__", "9.9.9")
    assert moto_query.install() is False
    assert not moto_query.installed()


def test_a_base_table_query_does_not_walk_the_table(dynamodb, patched, monkeypatch):
    walks = []
    original = moto_query._ORIGINAL_ALL_ITEMS
    monkeypatch.setattr(moto_query, "_ORIGINAL_ALL_ITEMS", lambda table: walks.append(1) or original(table))
    fill(dynamodb, random.Random(3))
    dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": schema.lead_pk("lead-1")}},
    )
    assert walks == []
    dynamodb.scan(TableName=TABLE, Limit=1)
    dynamodb.query(
        TableName=TABLE,
        IndexName=schema.DUE_INDEX,
        KeyConditionExpression="duePk = :pk",
        ExpressionAttributeValues={":pk": {"S": "x"}},
    )
    assert walks  # the index query still walks, as moto does
