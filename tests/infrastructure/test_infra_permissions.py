"""Least privilege: ingestion only writes items, admin only reads, no avoidable wildcards."""

from __future__ import annotations

import pytest

from tests.infrastructure.infra_template import (
    ADMIN_HANDLER,
    HANDLERS,
    INGESTION_HANDLER,
    Resources,
    as_list,
    role_statements,
)

READ_ACTIONS = {
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:Query",
    "dynamodb:Scan",
}
# The only actions that may use Resource "*": X-Ray has no resource-level permissions.
UNSCOPABLE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _dynamodb_statements(resources: Resources, handler: str) -> list[dict]:
    return [
        s
        for s in role_statements(resources, handler)
        if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]


def test_ingestion_may_only_put_items_into_the_table(resources: Resources, table_id: str) -> None:
    # Given ingestion writes one item per event (PutItem, or BatchWriteItem for batches)
    # When its role is synthesised
    # Then its only DynamoDB permission is those two actions on the table itself (no index, no *)
    (statement,) = _dynamodb_statements(resources, INGESTION_HANDLER)
    assert statement["Effect"] == "Allow"
    assert sorted(as_list(statement["Action"])) == ["dynamodb:BatchWriteItem", "dynamodb:PutItem"]
    assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [table_id, "Arn"]}]


def test_admin_may_only_read(resources: Resources) -> None:
    # Given the admin API is read-only today
    # When its role is synthesised
    # Then every DynamoDB action it holds is a read action
    actions = {a for s in _dynamodb_statements(resources, ADMIN_HANDLER) for a in as_list(s["Action"])}
    assert actions, "admin has no DynamoDB access at all"
    assert actions - READ_ACTIONS == set()


@pytest.mark.parametrize("handler", HANDLERS)
def test_no_dynamodb_wildcards(resources: Resources, handler: str) -> None:
    # Given / When: the function's role
    # Then: no dynamodb:* action and no DynamoDB permission on Resource "*"
    for statement in _dynamodb_statements(resources, handler):
        assert not any(a in ("*", "dynamodb:*") for a in as_list(statement["Action"])), statement
        assert "*" not in as_list(statement["Resource"]), statement


@pytest.mark.parametrize("handler", HANDLERS)
def test_only_xray_uses_resource_star(resources: Resources, handler: str) -> None:
    # Given X-Ray supports no resource-level permissions
    # When the function's role holds a statement on Resource "*"
    # Then that statement grants only the X-Ray trace upload actions
    for statement in role_statements(resources, handler):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= UNSCOPABLE_ACTIONS, statement
