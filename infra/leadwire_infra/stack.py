"""The one Leadwire stack: a construct per context, composed here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_cdk import Aspects, CfnOutput, Stack, Tags
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from leadwire_infra.actions_construct import ActionsConstruct
from leadwire_infra.api_construct import ApiConstruct
from leadwire_infra.checkov import CheckovAcknowledgements
from leadwire_infra.config_bundle import webhook_secret_references
from leadwire_infra.data_construct import DataConstruct
from leadwire_infra.email_construct import EmailConstruct
from leadwire_infra.lambda_factory import LambdaFactory
from leadwire_infra.operations_construct import OperationsConstruct
from leadwire_infra.segmentation_construct import SegmentationConstruct
from leadwire_infra.sms_construct import SmsConstruct
from leadwire_infra.stream_consumer import StreamConsumer
from leadwire_infra.timers_construct import TimersConstruct, grant_timer_stops
from leadwire_infra.triggers_construct import TriggersConstruct
from leadwire_infra.unsubscribe_construct import UnsubscribeConstruct


class LeadwireStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        write_key_hashes: Mapping[str, str],
        bundled_config: Mapping[str, Any],
        throttle_rate_limit: int,
        throttle_burst_limit: int,
        email_from: str = "Leadwire <hello@leadwire.example>",
        alarm_email: str = "",
        powertools_layer_arn: str | None = None,
        admin_environment: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        Tags.of(self).add("project", "leadwire")
        Aspects.of(self).add(CheckovAcknowledgements())

        # The secret stores webhooks read: granted to the actions function, and all an API-written
        # trigger may name.
        granted_references = webhook_secret_references(bundled_config)
        data = DataConstruct(self, "Data")
        functions = LambdaFactory(
            self,
            "Functions",
            environment={"TABLE_NAME": data.table.table_name},
            bundled_config=bundled_config,
            powertools_layer_arn=powertools_layer_arn,
        )
        segmentation = SegmentationConstruct(self, "Segmentation", table=data.table, functions=functions)
        timers = TimersConstruct(self, "Timers", table=data.table, functions=functions)
        triggers = TriggersConstruct(
            self, "Triggers", table=data.table, functions=functions, timer=timers.timer
        )
        actions = ActionsConstruct(
            self,
            "Actions",
            table=data.table,
            function=triggers.function,
            webhook_secrets=granted_references,
        )
        # Spike alerts: the trigger consumer pauses triggers and announces it on the same bus.
        triggers.function.add_environment("EVENT_BUS_NAME", actions.event_bus.event_bus_name)
        actions.event_bus.grant_put_events_to(triggers.function)
        email = EmailConstruct(self, "Email", table=data.table, functions=functions, email_from=email_from)
        email.connect_sender(actions.function)
        sms = SmsConstruct(self, "Sms", table=data.table, functions=functions)
        sms.connect_sender(actions.function, bundled_config)
        api = ApiConstruct(
            self,
            "Api",
            table=data.table,
            functions=functions,
            reevaluate_function=segmentation.reevaluate_function,
            write_key_hashes=write_key_hashes,
            throttle_rate_limit=throttle_rate_limit,
            throttle_burst_limit=throttle_burst_limit,
        )
        # Triggers written through the admin API may name only the references the actions may read.
        api.admin_function.add_environment(
            "GRANTED_SECRET_REFERENCES",
            json.dumps(granted_references, separators=(",", ":")),
        )
        for name, value in (admin_environment or {}).items():  # e.g. the safe-change thresholds
            api.admin_function.add_environment(name, value)
        # Erasing a lead stops its waiting timers: StopExecution on the timer's executions only.
        api.admin_function.add_environment("STATE_MACHINE_ARN", timers.timer.state_machine_arn)
        grant_timer_stops(api.admin_function, timers.timer, "Erasing a lead stops its waiting timers")
        # After the API: the actions need its URL for the links (the API does not depend on them).
        UnsubscribeConstruct(
            self, "Unsubscribe", signer=actions.function, checker=api.ingestion_function, public_url=api.url
        )

        # Last, so that it sees every function, consumer and alarm the constructs above made.
        consumers = [c for c in self.node.find_all() if isinstance(c, StreamConsumer)]
        operations = OperationsConstruct(
            self,
            "Operations",
            http_api=api.http_api,
            functions=functions.functions,
            stream_consumers=consumers,
            dead_letter_queues={
                **{f"{c.name} stream failures": c.dead_letter_queue for c in consumers},
                "SES feedback failures": email.dead_letter_queue,
                "SMS feedback failures": sms.dead_letter_queue,
            },
            timer=timers.timer,
            alarm_email=alarm_email,
        )
        operations.notify(c for c in self.node.find_all() if isinstance(c, cloudwatch.Alarm))

        CfnOutput(
            self,
            "AlarmTopicArn",
            value=operations.topic.topic_arn,
            description="Every alarm notifies this topic (ALARM and OK); the AlarmEmail parameter subscribes",
        )
        CfnOutput(
            self,
            "DashboardName",
            value=operations.dashboard.dashboard_name,
            description="The CloudWatch dashboard: ingestion, streams, segments, sends, timers, functions",
        )
        # leadwire doctor reads these three: the sender, the write keys, the secret references.
        CfnOutput(self, "EmailSender", value=email_from, description="The SES sender of email actions")
        CfnOutput(
            self,
            "IngestionFunctionName",
            value=api.ingestion_function.function_name,
            description="The ingestion function (its WRITE_KEY_HASHES are the deployed write keys)",
        )
        CfnOutput(
            self,
            "SecretReferences",
            value=" ".join(granted_references) or "none",
            description="SSM parameters and secrets the bundled actions name (webhook, Slack, HubSpot)",
        )
        CfnOutput(
            self, "ApiUrl", value=api.url, description="Base URL: ingestion at /v1/..., admin at /segments..."
        )
        CfnOutput(self, "TableName", value=data.table.table_name, description="The Leadwire DynamoDB table")
        CfnOutput(
            self,
            "EventBusName",
            value=actions.event_bus.event_bus_name,
            description="Leadwire's bus: rules on source 'leadwire' (detail-types in the README)",
        )
        CfnOutput(
            self,
            "StreamFailuresQueueUrl",
            value=segmentation.dead_letter_queue.queue_url,
            description="Stream batches segmentation gave up on (shard and sequence range, for replay)",
        )
        CfnOutput(
            self,
            "ReactionStreamFailuresQueueUrl",
            value=triggers.dead_letter_queue.queue_url,
            description="Stream batches the reactions consumer (triggers and actions) gave up on",
        )
        # leadwire replay finds each consumer's failure queue (above) and function here.
        for output_id, construct, who in (
            ("SegmentationFunctionName", segmentation, "segmentation"),
            ("ReactionFunctionName", triggers, "reactions (triggers and actions)"),
        ):
            CfnOutput(
                self,
                output_id,
                value=construct.function.function_name,
                description=f"The {who} stream consumer: leadwire replay re-delivers failed batches to it",
            )
        CfnOutput(
            self,
            "EmailConfigurationSet",
            value=email.configuration_set_name,
            description="SES configuration set the actions send through (events feed back into leads)",
        )
        CfnOutput(
            self,
            "EmailFeedbackFailuresQueueUrl",
            value=email.dead_letter_queue.queue_url,
            description="SES feedback records the feedback function gave up on (redrive when fixed)",
        )
        CfnOutput(
            self,
            "TimerStateMachineArn",
            value=timers.timer.state_machine_arn,
            description="Delayed triggers: one execution per waiting timer, named after it",
        )
