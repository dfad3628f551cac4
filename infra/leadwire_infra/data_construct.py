"""The single DynamoDB table, built from the constants in ``leadwire.schema``.

The local runtime and the moto tests create their table from the same constants
(``leadwire.schema.create_table_kwargs``), so the key schema, the sparse ``due``, ``leads`` and
``deliveries`` indexes and the stream view type cannot drift between AWS and local.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from leadwire import schema

_ATTRIBUTE_TYPES: Mapping[str, dynamodb.AttributeType] = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(name: str) -> dynamodb.Attribute:
    types = {d["AttributeName"]: d["AttributeType"] for d in schema.ATTRIBUTE_DEFINITIONS}
    return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[types[name]])


def _sort_key(key_schema: Sequence[Mapping[str, Any]]) -> dynamodb.Attribute | None:
    names = [k["AttributeName"] for k in key_schema if k["KeyType"] == "RANGE"]
    return _attribute(names[0]) if names else None


def _partition_key(key_schema: Sequence[Mapping[str, Any]]) -> dynamodb.Attribute:
    (name,) = (k["AttributeName"] for k in key_schema if k["KeyType"] == "HASH")
    return _attribute(name)


def index_arn(table: dynamodb.ITable, index_name: str) -> str:
    """One index of ``table``: grant Query on named indexes, never on ``<table>/index/*``."""
    return f"{table.table_arn}/index/{index_name}"


def grant_table_access(
    grantee: iam.IGrantable,
    table: dynamodb.ITable,
    actions: Sequence[str],
    query_indexes: Sequence[str] = (),
) -> None:
    """Item ``actions`` on the table ARN only, and Query on the named indexes only.

    ``table.grant*`` would add ``<table>/index/*`` to every statement: a wildcard the item
    actions never need.
    """
    iam.Grant.add_to_principal(grantee=grantee, actions=list(actions), resource_arns=[table.table_arn])
    if query_indexes:
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:Query"],
            resource_arns=[index_arn(table, name) for name in query_indexes],
        )


class DataConstruct(Construct):
    """Events, lead state, memberships, history, aliases and timers in one on-demand table."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=_partition_key(schema.KEY_SCHEMA),
            sort_key=_sort_key(schema.KEY_SCHEMA),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType[schema.STREAM_VIEW_TYPE],
            time_to_live_attribute=schema.TTL_ATTRIBUTE,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            # Leads, consent and history are the product's memory: a stack delete or a replacement
            # must never take them with it.
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in schema.GLOBAL_SECONDARY_INDEXES:
            self.table.add_global_secondary_index(
                index_name=index["IndexName"],
                partition_key=_partition_key(index["KeySchema"]),
                sort_key=_sort_key(index["KeySchema"]),
                projection_type=dynamodb.ProjectionType[index["Projection"]["ProjectionType"]],
                non_key_attributes=index["Projection"].get("NonKeyAttributes"),
            )
