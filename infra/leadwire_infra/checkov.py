"""checkov's findings on the template that are design decisions, acknowledged with their reasons.

checkov reads ``Metadata.checkov.skip`` on each resource (``[{"id", "comment"}]``). Every finding
it reports on this stack is either fixed in the construct or listed here, per resource type,
because each one is a decision about every resource of that type (all functions, all log
groups), not about one of them. The run that produced this list is recorded in docs/DEPLOY.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct

_KMS_COST: Final = (
    "a customer managed key adds a key policy to get right and a KMS request on every read and write"
)

ACKNOWLEDGEMENTS: Final[Mapping[str, Sequence[tuple[str, str]]]] = {
    "AWS::Lambda::Function": (
        (
            "CKV_AWS_117",
            "Leadwire reaches only AWS service endpoints through IAM; a VPC would add NAT gateways "
            "or interface endpoints (a fixed monthly cost) and protect no private resource.",
        ),
        (
            "CKV_AWS_116",
            "A function DLQ covers asynchronous invokes only: stream consumers have SQS on-failure "
            "destinations, the feedback queue has its own DLQ, the API is synchronous, the sweep "
            "resumes from its checkpoint and a re-evaluation job from its job item.",
        ),
        (
            "CKV_AWS_115",
            "Reserved concurrency would throttle ingestion at the worst moment; stream consumers are "
            "already bounded by one batch per shard (parallelization factor 1).",
        ),
        (
            "CKV_AWS_173",
            "Environment variables are encrypted at rest with the AWS managed key and hold no secret: "
            "secrets are references (ssm:/, Secrets Manager ARNs) resolved at run time.",
        ),
    ),
    "AWS::Logs::LogGroup": (
        (
            "CKV_AWS_158",
            "CloudWatch Logs encrypts every log group at rest; the logs hold no personal data by "
            f"design (ids only), and {_KMS_COST}.",
        ),
    ),
    "AWS::SQS::Queue": (
        (
            "CKV_AWS_27",
            "The queue is encrypted at rest with SQS managed keys (SqsManagedSseEnabled), which this "
            "check does not recognise; its messages are stream coordinates or SES event records.",
        ),
    ),
    "AWS::DynamoDB::Table": (
        (
            "CKV_AWS_119",
            f"The table is encrypted at rest with the AWS managed key; {_KMS_COST} on the hot path "
            "(every ingested event).",
        ),
    ),
    "AWS::SecretsManager::Secret": (
        (
            "CKV_AWS_149",
            "The unsubscribe signing key is encrypted with the AWS managed key; exactly two "
            f"function roles may read it, by IAM, and {_KMS_COST}.",
        ),
    ),
}


@jsii.implements(IAspect)
class CheckovAcknowledgements:
    """Adds the acknowledgements above to every resource of the listed types."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        skips = ACKNOWLEDGEMENTS.get(node.cfn_resource_type)
        if skips:
            node.add_metadata("checkov", {"skip": [{"id": i, "comment": reason} for i, reason in skips]})
