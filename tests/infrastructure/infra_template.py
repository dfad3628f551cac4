"""Small readers for a synthesised CloudFormation template (plain dicts, no CDK imports)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

INGESTION_HANDLER = "leadwire.ingestion.handler.lambda_handler"
ADMIN_HANDLER = "leadwire.admin.handler.lambda_handler"
SEGMENTATION_HANDLER = "leadwire.segmentation.handler.lambda_handler"
REEVALUATE_HANDLER = "leadwire.jobs.handler.lambda_handler"
SWEEP_HANDLER = "leadwire.timers.sweep_handler.lambda_handler"
# Triggers and actions run in one function, the stream's second reader.
REACTIONS_HANDLER = "leadwire.reactions.handler.lambda_handler"
TRIGGER_HANDLER = REACTIONS_HANDLER
ACTIONS_HANDLER = REACTIONS_HANDLER
FEEDBACK_HANDLER = "leadwire.feedback.handler.lambda_handler"
SMS_FEEDBACK_HANDLER = "leadwire.feedback.sms_inbound.lambda_handler"
HANDLERS = [
    INGESTION_HANDLER,
    ADMIN_HANDLER,
    SEGMENTATION_HANDLER,
    REEVALUATE_HANDLER,
    SWEEP_HANDLER,
    REACTIONS_HANDLER,
    FEEDBACK_HANDLER,
    SMS_FEEDBACK_HANDLER,
]
STREAM_CONSUMERS = [SEGMENTATION_HANDLER, REACTIONS_HANDLER]

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
    yield from role_id_statements(resources, function_props(resources, handler)["Role"]["Fn::GetAtt"][0])


def role_id_statements(resources: Resources, role_id: str) -> Iterator[dict[str, Any]]:
    """Every statement of every inline policy attached to the role ``role_id``."""
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
    return only_dynamodb(role_statements(resources, handler))


def only_dynamodb(statements: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in statements if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]


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


def event_source_mapping(resources: Resources, handler: str) -> dict[str, Any]:
    (props,) = (
        v["Properties"]
        for v in of_type(resources, "AWS::Lambda::EventSourceMapping").values()
        if v["Properties"]["FunctionName"] == {"Ref": function_id(resources, handler)}
    )
    result: dict[str, Any] = props
    return result


def alarms_on(resources: Resources, namespace: str, metric: str, dimension: Any) -> list[dict[str, Any]]:
    """Properties of every alarm on ``namespace``/``metric`` whose one dimension has value ``dimension``."""
    return [
        v["Properties"]
        for v in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if (v["Properties"]["Namespace"], v["Properties"]["MetricName"]) == (namespace, metric)
        and [d["Value"] for d in v["Properties"]["Dimensions"]] == [dimension]
    ]


def state_machine_definition(outdir: Path, props: dict[str, Any]) -> str:
    """The definition text of a state machine whose definition is a file asset (``from_file``)."""
    key: str = props["DefinitionS3Location"]["Key"]
    return (outdir / f"asset.{key}").read_text(encoding="utf-8")


def states(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, state) for every state, including those inside Parallel branches and Map processors."""
    for name, state in definition["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from states(state[key])
