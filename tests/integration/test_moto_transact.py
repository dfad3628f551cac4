"""The local rollback for moto's TransactWriteItems leaves the table and its stream exactly as
moto's own rollback does, without copying the table."""

import copy

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models import dynamodb_backends

from leadwire import schema
from leadwire.local import moto_transact

from .conftest import TABLE


def key(lead, sk):
    return {schema.PK: {"S": schema.lead_pk(lead)}, schema.SK: {"S": sk}}


def seed(dynamodb):
    for lead in ("a", "b", "c"):
        dynamodb.put_item(TableName=TABLE, Item={**key(lead, "STATE"), "n": {"N": "1"}})


def transactions():
    """A committed one, then one cancelled by its last condition after a put, an update and a
    delete went through."""
    put = {"Put": {"TableName": TABLE, "Item": {**key("d", "STATE"), "n": {"N": "4"}}}}
    add = {
        "Update": {
            "TableName": TABLE,
            "Key": key("a", "STATE"),
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }
    fails = {
        "ConditionCheck": {
            "TableName": TABLE,
            "Key": key("c", "STATE"),
            "ConditionExpression": "n = :nine",
            "ExpressionAttributeValues": {":nine": {"N": "9"}},
        }
    }
    delete = {"Delete": {"TableName": TABLE, "Key": key("b", "STATE")}}
    new = {"Put": {"TableName": TABLE, "Item": {**key("e", "STATE"), "n": {"N": "5"}}}}
    return [[put, add], [new, add, delete, fails]]


def run(dynamodb):
    """What each transaction answered, then the items and the stream records left."""
    answers = []
    for items in transactions():
        try:
            dynamodb.transact_write_items(TransactItems=copy.deepcopy(items))
            answers.append("committed")
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            answers.append([reason.get("Code") for reason in reasons])
    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)
    stream = [(r.record["eventName"], r.record["dynamodb"]["Keys"]) for r in table.stream_shard.items]
    items = sorted(dynamodb.scan(TableName=TABLE)["Items"], key=lambda item: item[schema.PK]["S"])
    return answers, items, stream


@pytest.fixture
def patched():
    assert moto_transact.install(), "the rollback is pinned to the moto version in requirements.lock"
    yield
    moto_transact.uninstall()


def test_moto_and_the_local_rollback_leave_the_same_table(aws):
    outcomes = []
    for install in (False, True):
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        dynamodb.create_table(**schema.create_table_kwargs(TABLE))
        seed(dynamodb)
        if install:
            assert moto_transact.install()
        try:
            outcomes.append(run(dynamodb))
        finally:
            moto_transact.uninstall()
            dynamodb.delete_table(TableName=TABLE)
    plain, fast = outcomes
    assert fast == plain
    answers, items, stream = plain
    assert answers == ["committed", ["None", "None", "None", "ConditionalCheckFailed"]]
    assert [item[schema.PK]["S"] for item in items] == [schema.lead_pk(x) for x in "abcd"]
    assert len(stream) == 5  # three seeds, the committed put and update; nothing of the cancelled one


def test_a_transaction_copies_no_table(dynamodb, patched, monkeypatch):
    copies = []
    original = moto_transact._keep_tables

    def recorded(value, memo=None):
        copies.append((value, original(value, memo)))
        return copies[-1][1]

    monkeypatch.setattr(moto_transact._COPY_SHIM, "deepcopy", recorded)
    seed(dynamodb)
    dynamodb.transact_write_items(TransactItems=transactions()[0])
    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(TABLE)
    backups = [(value, kept) for value, kept in copies if isinstance(value, type(table))]
    assert backups  # moto asked for its backup of the table ...
    assert all(kept is table for _, kept in backups)  # ... and got the table itself, not a copy


def test_install_refuses_another_moto_version(monkeypatch):
    monkeypatch.setattr(moto_transact.moto, "__version__", "9.9.9")
    assert moto_transact.install() is False
    assert not moto_transact.installed()
