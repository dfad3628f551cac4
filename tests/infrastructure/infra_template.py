"""Small readers for a synthesised CloudFormation template (plain dicts, no CDK imports)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

INGESTION_HANDLER = "leadwire.ingestion.handler.lambda_handler"
ADMIN_HANDLER = "leadwire.admin.handler.lambda_handler"
SEGMENTATION_HANDLER = "leadwire.segmentation.handler.lambda_handler"
REEVALUATE_HANDLER = "leadwire.segmentation.reevaluate_handler.lambda_handler"
HANDLERS = [INGESTION_HANDLER, ADMIN_HANDLER, SEGMENTATION_HANDLER, REEVALUATE_HANDLER]

Resources = dict[str, dict[str, Any]]


def of_type(resources: Resources, resource_type: str) -> Resources:
    return {k: v for k, v in resources.items() if v["Type"] == resource_type}


def function_id(resources: Resources, handler: str) -> str:
    (logical_id,) = (
        k
        for k, v in of_type(resources, "AWS::Lambda::Function").items()
        if v["Properties"]["Handler"] == handler
    )
    return logical_id


def function_props(resources: Resources, handler: str) -> dict[str, Any]:
    props: dict[str, Any] = resources[function_id(resources, handler)]["Properties"]
    return props


def role_statements(resources: Resources, handler: str) -> Iterator[dict[str, Any]]:
    """Every statement of every inline policy attached to the function's role."""
    role_id = function_props(resources, handler)["Role"]["Fn::GetAtt"][0]
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            yield from policy["Properties"]["PolicyDocument"]["Statement"]
    yield from (
        statement
        for inline in resources[role_id]["Properties"].get("Policies", [])
        for statement in inline["PolicyDocument"]["Statement"]
    )


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def dynamodb_statements(resources: Resources, handler: str) -> list[dict[str, Any]]:
    return [
        s
        for s in role_statements(resources, handler)
        if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]


def actions_on(statements: list[dict[str, Any]], resource: Any) -> set[str]:
    """Every action the statements allow on exactly ``resource`` (a template value)."""
    return {
        action
        for s in statements
        if s["Effect"] == "Allow" and resource in as_list(s["Resource"])
        for action in as_list(s["Action"])
    }


def asset_dir(outdir: Path, resources: Resources, handler: str) -> Path:
    """The staged code asset of a function, found through its S3 key (``<hash>.zip``)."""
    key: str = function_props(resources, handler)["Code"]["S3Key"]
    return outdir / f"asset.{key.removesuffix('.zip')}"
