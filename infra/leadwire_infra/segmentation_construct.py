"""Segmentation: the stream consumer that scores and segments leads, and the re-evaluation job.

The stream consumer reads INSERTs of event items only (``leadwire.schema.EVENT_INSERT_FILTER``),
so the engine's own writes (lead state, membership, history) never re-trigger it. Its event source
mapping states every setting that matters, because the defaults are wrong for this workload:

- parallelization factor 1: one batch per shard at a time, so a lead's events apply in order;
- bounded retries (the default is infinite, which blocks the shard until the record expires),
  bisect on error and partial batch responses, so one bad record is isolated and retried alone;
- an on-failure destination: an SQS queue that receives, for each batch given up on, the shard
  and sequence-number range (not the records). Replay must read the stream within its 24-hour
  retention, so the queue alarms on its first message.

The re-evaluation job applies changed definitions to every lead: it pages through the sparse
``leads`` index shard by shard (see ``leadwire.schema``) and never scans events. A job outlives one
invocation: shortly before its timeout the function records its position in the job item and
invokes itself asynchronously to resume.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Acknowledgment, Duration, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from leadwire import schema
from leadwire_infra.data_construct import index_arn
from leadwire_infra.lambda_factory import LambdaFactory

SEGMENTATION_HANDLER: Final = "leadwire.segmentation.handler.lambda_handler"
REEVALUATE_HANDLER: Final = "leadwire.segmentation.reevaluate_handler.lambda_handler"

# Lead state, memberships and history: read once, written once (a conditional put, then the
# outbox's member and history items) per lead per batch. Item-level actions on the table only:
# no Scan, no index.
ENGINE_TABLE_ACTIONS: Final = (
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)

# A lead gets at most one batch's worth of events applied per invocation, with one state write:
# the batch size bounds per-lead work, and must not exceed the engine's dedupe window so that a
# redelivered batch is recognised whole.
STREAM_BATCH_SIZE: Final = 100
STREAM_BATCHING_WINDOW: Final = Duration.seconds(1)
STREAM_RETRY_ATTEMPTS: Final = 5
STREAM_MAX_RECORD_AGE: Final = Duration.days(1)


class SegmentationConstruct(Construct):
    """Stream consumer, its failure queue and alarms, and the re-evaluation function."""

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
            memory_size=1024,  # more memory is more CPU: evaluation is CPU-bound
            timeout=Duration.seconds(60),
            unscoped_actions_reason="the stream event source mapping needs dynamodb:ListStreams, "
            "which supports no resource-level permissions (the stream reads themselves are "
            "scoped to this table's stream ARN)",
        )
        iam.Grant.add_to_principal(
            grantee=self.function, actions=list(ENGINE_TABLE_ACTIONS), resource_arns=[table.table_arn]
        )

        self.dead_letter_queue = sqs.Queue(
            self,
            "StreamFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is itself the on-failure destination of the segmentation stream "
                "consumer; its messages are read by operators for replay, never by a consumer "
                "that could fail, so a queue behind it would only hide them.",
            )
        )

        self.function.add_event_source(
            event_sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=STREAM_BATCH_SIZE,
                max_batching_window=STREAM_BATCHING_WINDOW,
                parallelization_factor=1,
                report_batch_item_failures=True,
                bisect_batch_on_error=True,
                retry_attempts=STREAM_RETRY_ATTEMPTS,
                max_record_age=STREAM_MAX_RECORD_AGE,
                on_failure=event_sources.SqsDlq(self.dead_letter_queue),
                filters=[lambda_.FilterCriteria.filter(schema.EVENT_INSERT_FILTER)],
            )
        )

        self.dead_letter_alarm = cloudwatch.Alarm(
            self,
            "StreamFailuresAlarm",
            alarm_description="Segmentation gave up on a stream batch: replay it from the shard and "
            "sequence numbers in the message within 24 hours, or its events are never segmented.",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.errors_alarm = cloudwatch.Alarm(
            self,
            "SegmentationErrorsAlarm",
            alarm_description="The segmentation function failed whole invocations (crash, timeout or "
            "throttling); failed records are retried, then sent to the stream failure queue.",
            metric=self.function.metric_errors(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

        self.reevaluate_function = functions.function(
            self,
            "Reevaluate",
            handler=REEVALUATE_HANDLER,
            description="Leadwire re-evaluation: applies changed definitions to every lead, shard by shard",
            memory_size=1024,
            timeout=Duration.minutes(15),
        )
        iam.Grant.add_to_principal(
            grantee=self.reevaluate_function,
            actions=list(ENGINE_TABLE_ACTIONS),
            resource_arns=[table.table_arn],
        )
        iam.Grant.add_to_principal(
            grantee=self.reevaluate_function,
            actions=["dynamodb:Query"],
            resource_arns=[index_arn(table, schema.LEADS_INDEX)],
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
