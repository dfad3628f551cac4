"""Segmentation: the stream consumer that scores and segments leads, and the re-evaluation job.

The stream consumer reads INSERTs of event items only (``leadwire.schema.EVENT_INSERT_FILTER``),
so the engine's own writes (lead state, membership, history) never re-trigger it; its mapping
settings, failure queue and alarms are those of every consumer (``stream_consumer``).

The re-evaluation job applies changed definitions to every lead: it pages through the sparse
``leads`` index shard by shard (see ``leadwire.schema``) and never scans events. A job outlives one
invocation: shortly before its timeout the function records its position in the job item and
invokes itself asynchronously to resume.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from leadwire import schema
from leadwire.deployment import MEMORY_MB
from leadwire.stream_consumers import SEGMENTATION
from leadwire_infra.data_construct import grant_table_access
from leadwire_infra.lambda_factory import LambdaFactory
from leadwire_infra.stream_consumer import LIST_STREAMS_REASON, StreamConsumer

SEGMENTATION_HANDLER: Final = SEGMENTATION.handler
REEVALUATE_HANDLER: Final = "leadwire.jobs.handler.lambda_handler"

# Lead state, memberships and history: read once, written once (a conditional put, then the
# outbox's member and history items) per lead per batch; a lead's account (its link and account
# items, in one TransactWriteItems, which IAM authorises as these Put/Update/Delete actions).
# Item-level actions on the table only: no Scan, no index.
ENGINE_TABLE_ACTIONS: Final = (
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)


class SegmentationConstruct(Construct):
    """The stream consumer (with its failure queue and alarms) and the re-evaluation function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        functions: LambdaFactory,
    ) -> None:
        super().__init__(scope, construct_id)

        self.function = functions.function(
            self,
            "Segmentation",
            handler=SEGMENTATION_HANDLER,
            description="Leadwire segmentation: scores events and moves leads between segments",
            memory_size=MEMORY_MB["segmentation"],
            timeout=Duration.seconds(60),
            unscoped_actions_reason=LIST_STREAMS_REASON,
        )
        grant_table_access(self.function, table, ENGINE_TABLE_ACTIONS)

        self.stream = StreamConsumer(
            self,
            "Stream",
            function=self.function,
            table=table,
            spec=SEGMENTATION,
            name="Segmentation",
            lost="its events are never segmented",
        )
        self.dead_letter_queue = self.stream.dead_letter_queue

        self.reevaluate_function = functions.function(
            self,
            "Reevaluate",
            handler=REEVALUATE_HANDLER,
            description="Leadwire re-evaluation: applies changed definitions to every lead, shard by shard",
            memory_size=MEMORY_MB["reevaluate"],
            timeout=Duration.minutes(15),
        )
        grant_table_access(
            self.reevaluate_function, table, ENGINE_TABLE_ACTIONS, query_indexes=[schema.LEADS_INDEX]
        )
        # Its own ARN, in a policy of its own: in the role's default policy (which the function
        # depends on) a reference to the function would be a circular dependency.
        assert self.reevaluate_function.role is not None
        iam.Policy(
            self,
            "ReevaluateContinues",
            roles=[self.reevaluate_function.role],
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"],
                    resources=[self.reevaluate_function.function_arn],
                )
            ],
        )
