"""Least privilege: each function holds the item actions its job needs, on named resources only."""

from __future__ import annotations

from typing import Any

import pytest

from leadwire import schema
from tests.infrastructure.infra_template import (
    ACTIONS_HANDLER,
    ADMIN_HANDLER,
    FEEDBACK_HANDLER,
    HANDLERS,
    INGESTION_HANDLER,
    REEVALUATE_HANDLER,
    SEGMENTATION_HANDLER,
    STREAM_CONSUMERS,
    SWEEP_HANDLER,
    TRIGGER_HANDLER,
    Resources,
    actions_on,
    as_list,
    dynamodb_statements,
    function_id,
    role_statements,
)

ENGINE_ACTIONS = {
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
}
ADMIN_ACTIONS = {
    "dynamodb:BatchGetItem",  # lead states, counters and trigger pauses by key (segment insight)
    "dynamodb:BatchWriteItem",  # erasing a lead
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
}
# Trigger definitions, timers and fires (trigger consumer); deliveries and lead reads (actions).
# BatchGetItem: the pauses of a spike alert's triggers.
TRIGGER_ACTIONS = {
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
}
ACTIONS_ACTIONS = {
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",  # the fire of an erased lead
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
}
STREAM_READ_ACTIONS = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Actions with no resource-level permissions, so on Resource "*": X-Ray for every function, and
# ListStreams, which only the stream consumers' event source mappings need.
UNSCOPABLE_ACTIONS = {
    INGESTION_HANDLER: XRAY_ACTIONS,
    ADMIN_HANDLER: XRAY_ACTIONS,
    SEGMENTATION_HANDLER: XRAY_ACTIONS | {"dynamodb:ListStreams"},
    REEVALUATE_HANDLER: XRAY_ACTIONS,
    SWEEP_HANDLER: XRAY_ACTIONS,
    TRIGGER_HANDLER: XRAY_ACTIONS | {"dynamodb:ListStreams"},
    ACTIONS_HANDLER: XRAY_ACTIONS | {"dynamodb:ListStreams"},
    FEEDBACK_HANDLER: XRAY_ACTIONS,  # reads its SQS queue, scoped to the queue ARN
}


def _table(table_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [table_id, "Arn"]}


def _index(table_id: str, index_name: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [_table(table_id), f"/index/{index_name}"]]}


def test_ingestion_may_only_put_items_and_read_the_suppression_list(
    resources: Resources, table_id: str
) -> None:
    # Given ingestion writes one item per event (PutItem, or BatchWriteItem for batches), and its
    # suppression hook reads erased ids (BatchGetItem) and counts what it drops (UpdateItem)
    # When its role is synthesised
    # Then its only DynamoDB permission is those actions on the table itself (no index, no *)
    (statement,) = dynamodb_statements(resources, INGESTION_HANDLER)
    assert statement["Effect"] == "Allow"
    assert sorted(as_list(statement["Action"])) == [
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert as_list(statement["Resource"]) == [_table(table_id)]


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (ADMIN_HANDLER, ADMIN_ACTIONS),
        (SEGMENTATION_HANDLER, ENGINE_ACTIONS),
        (REEVALUATE_HANDLER, ENGINE_ACTIONS),
        (SWEEP_HANDLER, ENGINE_ACTIONS),
        (TRIGGER_HANDLER, TRIGGER_ACTIONS | ACTIONS_ACTIONS),  # one function: the reactions
    ],
)
def test_item_actions_on_the_table(resources: Resources, table_id: str, handler: str, expected: set) -> None:
    # Given what each function does with items (admin: segment CRUD and reads; the engine: one
    # read and one guarded write per lead per batch)
    # When its role is synthesised
    # Then it holds exactly those actions on the table ARN
    assert actions_on(dynamodb_statements(resources, handler), _table(table_id)) == expected


@pytest.mark.parametrize(
    ("handler", "indexes"),
    [
        (INGESTION_HANDLER, []),
        (ADMIN_HANDLER, [schema.DUE_INDEX, schema.LEADS_INDEX, schema.DELIVERIES_INDEX]),
        (SEGMENTATION_HANDLER, []),
        (REEVALUATE_HANDLER, [schema.LEADS_INDEX]),
        (SWEEP_HANDLER, [schema.DUE_INDEX]),
        (TRIGGER_HANDLER, []),
    ],
)
def test_index_access_is_query_on_named_indexes(
    resources: Resources, table_id: str, handler: str, indexes: list[str]
) -> None:
    # Given indexes are read with Query, and only by the functions that page through them
    # When the role is synthesised
    # Then it may Query exactly those indexes, each by name (never "<table>/index/*")
    statements = dynamodb_statements(resources, handler)
    granted = {
        index: actions_on(statements, _index(table_id, index))
        for index in (i["IndexName"] for i in schema.GLOBAL_SECONDARY_INDEXES)
    }
    assert granted == {index: ({"dynamodb:Query"} if index in indexes else set()) for index in granted}
    wildcard = {"Fn::Join": ["", [_table(table_id), "/index/*"]]}
    assert actions_on(statements, wildcard) == set()


@pytest.mark.parametrize("handler", STREAM_CONSUMERS)
def test_stream_consumer_reads_only_its_table_stream(
    resources: Resources, table_id: str, handler: str
) -> None:
    # Given a stream consumer's event source mapping polls with the function's role
    # When the role is synthesised
    # Then it may read this table's stream, and ListStreams (which has no resource-level form)
    statements = dynamodb_statements(resources, handler)
    assert actions_on(statements, {"Fn::GetAtt": [table_id, "StreamArn"]}) == STREAM_READ_ACTIONS
    unscoped = {a for a in actions_on(statements, "*") if a.startswith("dynamodb:")}
    assert unscoped == {"dynamodb:ListStreams"}


@pytest.mark.parametrize("handler", HANDLERS)
def test_nothing_scans_the_table(resources: Resources, handler: str) -> None:
    # Given the design: nothing scans the whole table (the sweep and re-evaluation read indexes)
    # When the function's role is synthesised
    # Then it holds no Scan, nor dynamodb:* (which would include it)
    actions = {a for s in dynamodb_statements(resources, handler) for a in as_list(s["Action"])}
    assert actions & {"dynamodb:Scan", "dynamodb:*", "*"} == set()


@pytest.mark.parametrize("handler", HANDLERS)
def test_only_unscopable_actions_use_resource_star(resources: Resources, handler: str) -> None:
    # Given X-Ray (and DynamoDB ListStreams) support no resource-level permissions
    # When the function's role holds a statement on Resource "*"
    # Then that statement grants only those actions
    for statement in role_statements(resources, handler):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= UNSCOPABLE_ACTIONS[handler], statement


@pytest.mark.parametrize(
    ("handler", "may_invoke"),
    [
        (INGESTION_HANDLER, []),
        (ADMIN_HANDLER, [REEVALUATE_HANDLER]),  # starts a run after a segment changes
        (SEGMENTATION_HANDLER, []),
        (REEVALUATE_HANDLER, [REEVALUATE_HANDLER]),  # resumes a long run in a new invocation
        (SWEEP_HANDLER, []),
        (TRIGGER_HANDLER, []),
    ],
)
def test_only_the_reevaluation_function_may_be_invoked(
    resources: Resources, handler: str, may_invoke: list[str]
) -> None:
    # Given re-evaluation runs are started by the admin API and continued by the function itself
    # When any function's role is synthesised
    # Then it may invoke exactly those functions, by unqualified ARN (no "<function>:*" wildcard)
    statements = [
        s
        for s in role_statements(resources, handler)
        if any(a.startswith("lambda:") for a in as_list(s["Action"]))
    ]
    assert {a for s in statements for a in as_list(s["Action"])} <= {"lambda:InvokeFunction"}
    invoked = [r for s in statements for r in as_list(s["Resource"])]
    assert invoked == [{"Fn::GetAtt": [function_id(resources, target), "Arn"]} for target in may_invoke]
