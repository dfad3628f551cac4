"""SMS: the End User Messaging configuration set the actions text through, and what comes back.

End User Messaging publishes two things to one encrypted SNS topic: the configuration set's
delivery events (each text's final outcome) and, once an operator points a phone number's two-way
channel at the topic (output ``SmsFeedbackTopicArn``), inbound replies. The SMS feedback function
turns a STOP into ``sms_unsubscribed`` and an outcome into ``sms_delivered``/``sms_failed``
(``leadwire.feedback.sms_inbound``). SNS invokes it asynchronously: two retries, then the
event parks in a dead-letter queue that alarms on its first message.

The actions function may call ``SendTextMessage`` and nothing else of End User Messaging
(``connect_sender``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import Acknowledgment, CfnOutput, Duration, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_smsvoice as smsvoice
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from leadwire.core.sms.delivery_events import PUBLISHED_TYPES
from leadwire.deployment import MEMORY_MB
from leadwire_infra.alarms import alarm_above
from leadwire_infra.data_construct import grant_table_access
from leadwire_infra.lambda_factory import LambdaFactory
from leadwire_infra.queues import dead_letter_queue

SMS_FEEDBACK_HANDLER: Final = "leadwire.feedback.sms_inbound.lambda_handler"
SMS_SERVICE_PRINCIPAL: Final = "sms-voice.amazonaws.com"
SEND_TEXT_ACTION: Final = "sms-voice:SendTextMessage"
IDENTITY_KINDS: Final = ("phone-number", "sender-id", "pool")
# A STOP reads the number's lead (GetItem); events go through the suppression hook (BatchGetItem
# on erased ids, UpdateItem to count what it drops) into the event store (BatchWriteItem).
SMS_FEEDBACK_TABLE_ACTIONS: Final = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:UpdateItem",
)
SMS_FEEDBACK_TIMEOUT: Final = Duration.seconds(30)
SMS_FEEDBACK_RETRIES: Final = 2


def configured_set(bundled_config: Mapping[str, Any]) -> str | None:
    """A configuration set the config names (``delivery.sms.configuration_set``), if any."""
    sms = (bundled_config.get("delivery") or {}).get("sms") or {}
    name = sms.get("configuration_set") if isinstance(sms, Mapping) else None
    return name if isinstance(name, str) and name else None


class SmsConstruct(Construct):
    """The configuration set, the feedback topic and the SMS feedback function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        functions: LambdaFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        condition = {"StringEquals": {"aws:SourceAccount": stack.account}}

        # End User Messaging publishes to an encrypted topic only with a customer managed key it may use.
        key = kms.Key(
            self,
            "FeedbackKey",
            description="Leadwire: encrypts the SMS feedback topic (End User Messaging publishes)",
            enable_key_rotation=True,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(SMS_SERVICE_PRINCIPAL)],
                actions=["kms:GenerateDataKey*", "kms:Decrypt"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions=condition,
            )
        )
        self.topic = sns.Topic(
            self, "Feedback", display_name="Leadwire SMS feedback", master_key=key, enforce_ssl=True
        )
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(SMS_SERVICE_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=condition,
            )
        )

        self.configuration_set = smsvoice.CfnConfigurationSet(
            self,
            "ConfigurationSet",
            event_destinations=[
                smsvoice.CfnConfigurationSet.EventDestinationProperty(
                    enabled=True,
                    event_destination_name="leadwire-feedback",
                    matching_event_types=list(PUBLISHED_TYPES),
                    sns_destination=smsvoice.CfnConfigurationSet.SnsDestinationProperty(
                        topic_arn=self.topic.topic_arn
                    ),
                )
            ],
        )
        self.configuration_set_name = self.configuration_set.ref
        self.configuration_set_arn = stack.format_arn(
            service="sms-voice", resource="configuration-set", resource_name=self.configuration_set_name
        )

        self.dead_letter_queue = dead_letter_queue(
            self,
            "FeedbackFailures",
            reason="This queue is itself the dead-letter queue of the SMS feedback function and "
            "its SNS subscription; operators read it and replay its events once the cause is fixed.",
        )
        self.function = functions.function(
            self,
            "FeedbackFunction",
            handler=SMS_FEEDBACK_HANDLER,
            memory_size=MEMORY_MB["feedback"],
            description="Leadwire SMS feedback: STOP replies and delivery outcomes into lead events",
            timeout=SMS_FEEDBACK_TIMEOUT,
        )
        grant_table_access(self.function, table, SMS_FEEDBACK_TABLE_ACTIONS)
        self.function.configure_async_invoke(
            retry_attempts=SMS_FEEDBACK_RETRIES,
            on_failure=destinations.SqsDestination(self.dead_letter_queue),
        )
        self.topic.add_subscription(
            subscriptions.LambdaSubscription(self.function, dead_letter_queue=self.dead_letter_queue)
        )
        self.dead_letter_alarm = alarm_above(
            self,
            "FeedbackFailuresAlarm",
            description="SMS feedback failed three times and was parked in the dead-letter queue: a "
            "STOP in it has not suppressed its lead yet. Fix the cause and replay the queue.",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
            ),
            threshold=0,
        )
        CfnOutput(
            self,
            "FeedbackTopicArn",
            value=self.topic.topic_arn,
            description="Set it as the two-way channel of the phone number that texts (STOP replies)",
        ).override_logical_id("SmsFeedbackTopicArn")

    def connect_sender(self, function: lambda_.Function, bundled_config: Mapping[str, Any]) -> None:
        """Let ``function`` call ``SendTextMessage`` (only) through this configuration set (or the
        one the config names) from this account and region's origination identities, and tell it
        the set (``SMS_CONFIGURATION_SET``)."""
        function.add_environment("SMS_CONFIGURATION_SET", self.configuration_set_name)
        stack = Stack.of(function)
        base = f"arn:{stack.partition}:sms-voice:{stack.region}:{stack.account}"
        resources = [f"{base}:{kind}/*" for kind in IDENTITY_KINDS] + [self.configuration_set_arn]
        named = configured_set(bundled_config)
        if named is not None:
            resources.append(f"{base}:configuration-set/{named}")
        iam.Grant.add_to_principal(grantee=function, actions=[SEND_TEXT_ACTION], resource_arns=resources)
        for kind in IDENTITY_KINDS:
            Validations.of(function.role).acknowledge(  # type: ignore[arg-type]
                Acknowledgment(
                    id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:"
                    f"<AWS::AccountId>:{kind}/*]",
                    reason="The SMS action's origination identity is named by number or id in the "
                    "config and resolved by End User Messaging at send time: SendTextMessage (only) "
                    "is granted on this account and region's origination identities.",
                )
            )
