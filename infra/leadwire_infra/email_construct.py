"""Email: the SES configuration set the actions send through, and its engagement feedback loop.

SES publishes every sending event of the configuration set (send, delivery, open, click, bounce,
complaint, reject, rendering failure, list-management unsubscribe) to an SNS topic; an SQS queue
subscribed to it feeds the feedback Lambda, which turns each record into a lead event (so a hard
bounce or a complaint suppresses the lead's email channel) and confirms the delivery it belongs
to. A record the Lambda cannot handle is retried, then parked in the queue's dead-letter queue,
which alarms on its first message.

The actions function may send only as the sender's domain identity and only through this
configuration set (``grant_send``).
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Final

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from leadwire.deployment import MEMORY_MB
from leadwire_infra.alarms import alarm_above
from leadwire_infra.data_construct import grant_table_access
from leadwire_infra.lambda_factory import LambdaFactory

FEEDBACK_HANDLER: Final = "leadwire.feedback.handler.lambda_handler"
# Lead events go through the suppression hook (BatchGetItem on erased ids, UpdateItem to count
# what it drops) into the event store (BatchWriteItem); a confirmation is an UpdateItem on the
# delivery item.
FEEDBACK_TABLE_ACTIONS: Final = ("dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem")
FEEDBACK_EVENTS: Final = (
    ses.EmailSendingEvent.SEND,
    ses.EmailSendingEvent.DELIVERY,
    ses.EmailSendingEvent.OPEN,
    ses.EmailSendingEvent.CLICK,
    ses.EmailSendingEvent.BOUNCE,
    ses.EmailSendingEvent.COMPLAINT,
    ses.EmailSendingEvent.REJECT,
    ses.EmailSendingEvent.RENDERING_FAILURE,
    ses.EmailSendingEvent.SUBSCRIPTION,
)
FEEDBACK_TIMEOUT: Final = Duration.seconds(30)
FEEDBACK_BATCH_SIZE: Final = 10
FEEDBACK_MAX_RECEIVES: Final = 5


def sender_domain(email_from: str) -> str:
    """The domain of ``Name <user@domain>`` or ``user@domain``: the SES identity that sends."""
    address = parseaddr(email_from)[1]
    return address.rpartition("@")[2].lower()


class EmailConstruct(Construct):
    """The configuration set, its event destination (SNS -> SQS) and the feedback function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        functions: LambdaFactory,
        email_from: str,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.email_from = email_from

        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            reputation_metrics=True,
            sending_enabled=True,
            tls_policy=ses.ConfigurationSetTlsPolicy.REQUIRE,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
        )
        self.configuration_set_name = self.configuration_set.configuration_set_name
        self.configuration_set_arn = stack.format_arn(
            service="ses", resource="configuration-set", resource_name=self.configuration_set_name
        )
        self.identity_arn = stack.format_arn(
            service="ses", resource="identity", resource_name=sender_domain(email_from)
        )

        # SES publishes to an encrypted topic only with a customer managed key it may use.
        key = kms.Key(
            self,
            "FeedbackKey",
            description="Leadwire: encrypts the SES feedback topic (SES publishes, SNS delivers to SQS)",
            enable_key_rotation=True,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("ses.amazonaws.com")],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )
        self.topic = sns.Topic(
            self, "Feedback", display_name="Leadwire SES feedback", master_key=key, enforce_ssl=True
        )
        self.configuration_set.add_event_destination(
            "ToFeedbackTopic",
            destination=ses.EventDestination.sns_topic(self.topic),
            events=list(FEEDBACK_EVENTS),
        )

        self.dead_letter_queue = sqs.Queue(
            self,
            "FeedbackFailures",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        Validations.of(self.dead_letter_queue).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SQS3",
                reason="This queue is itself the dead-letter queue of the SES feedback queue; "
                "operators read it and redrive its records once the cause is fixed.",
            )
        )
        self.queue = sqs.Queue(
            self,
            "FeedbackQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # Lambda's guidance: at least six times the function timeout.
            visibility_timeout=Duration.seconds(FEEDBACK_TIMEOUT.to_seconds() * 6),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=FEEDBACK_MAX_RECEIVES
            ),
        )
        self.topic.add_subscription(subscriptions.SqsSubscription(self.queue))

        self.function = functions.function(
            self,
            "FeedbackFunction",
            handler=FEEDBACK_HANDLER,
            memory_size=MEMORY_MB["feedback"],
            description="Leadwire SES feedback: engagement events into leads, deliveries confirmed",
            timeout=FEEDBACK_TIMEOUT,
        )
        grant_table_access(self.function, table, FEEDBACK_TABLE_ACTIONS)
        self.function.add_event_source(
            event_sources.SqsEventSource(
                self.queue,
                batch_size=FEEDBACK_BATCH_SIZE,
                max_batching_window=Duration.seconds(1),
                report_batch_item_failures=True,
            )
        )

        self.dead_letter_alarm = alarm_above(
            self,
            "FeedbackFailuresAlarm",
            description="SES feedback records failed five times and were parked in the dead-letter "
            "queue: bounces or complaints in it have not suppressed their leads yet. Fix the cause "
            "and redrive the queue.",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
        )
        self.errors_alarm = alarm_above(
            self,
            "FeedbackErrorsAlarm",
            description="The SES feedback function failed whole invocations (crash, timeout or "
            "throttling); its messages are retried, then dead-lettered.",
            metric=self.function.metric_errors(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=0,
        )

    def connect_sender(self, function: lambda_.Function) -> None:
        """Let ``function`` send as the sender's identity through this configuration set, and
        tell it both (``EMAIL_FROM``, ``SES_CONFIGURATION_SET``)."""
        function.add_environment("EMAIL_FROM", self.email_from)
        function.add_environment("SES_CONFIGURATION_SET", self.configuration_set_name)
        iam.Grant.add_to_principal(
            grantee=function,
            actions=["ses:SendEmail"],
            resource_arns=[self.identity_arn, self.configuration_set_arn],
        )
