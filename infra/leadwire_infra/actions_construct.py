"""Actions: what carrying out fired triggers needs, given to the reactions function.

The reactions function (``TriggersConstruct``) reads INSERTs of FIRE items
(``leadwire.schema.FIRE_INSERT_FILTER``) besides the triggers' records: written by the trigger
code for an immediate trigger, or by the timer state machine when a delay ends. Every send is
idempotent on the fire's id, so a redelivered record sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from leadwire.core.secret_reference import SecretReference
from leadwire.stream_consumers import REACTIONS
from leadwire_infra.data_construct import grant_table_access

ACTIONS_HANDLER: Final = REACTIONS.handler
# Delivery records (idempotency, frequency caps), lead traits and consent, derived events (the
# event store writes them with BatchWriteItem, as ingestion does); the fire of an erased lead is
# deleted, not acted on (DeleteItem).
ACTIONS_TABLE_ACTIONS: Final = (
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)


class ActionsConstruct(Construct):
    """The bus and the grants the actions need, on ``function`` (the reactions function)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        function: lambda_.Function,
        webhook_secrets: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, construct_id)

        # Leadwire's own bus: consumers subscribe with rules on it (detail-types in the README:
        # leadwire.segment.entered, leadwire.segment.exited, leadwire.trigger.fired, or the
        # action's own), and the archive lets them replay a week of events after an outage.
        self.event_bus = events.EventBus(self, "Bus", description="Leadwire trigger actions")
        self.event_bus.archive(
            "Archive",
            event_pattern=events.EventPattern(source=["leadwire"]),
            retention=Duration.days(7),
            description="Leadwire bus events, for replay",
        )

        self.function = function
        # STATE_MACHINE_ARN and StartExecution on the timer are the trigger code's already (an
        # anniversary fire arms next year's timer).
        function.add_environment("EVENT_BUS_NAME", self.event_bus.event_bus_name)
        grant_table_access(self.function, table, ACTIONS_TABLE_ACTIONS)
        stack = Stack.of(self)
        self.event_bus.grant_put_events_to(self.function)
        # Exactly the secrets the bundled webhook actions name, nothing else.
        references = [r for text in webhook_secrets if (r := SecretReference.parse(text)) is not None]
        parameters = [
            stack.format_arn(service="ssm", resource="parameter", resource_name=r.parameter_name)
            for r in references
            if r.store == "ssm"
        ]
        secrets = [r.name for r in references if r.store == "secretsmanager"]
        if parameters:
            iam.Grant.add_to_principal(
                grantee=self.function, actions=["ssm:GetParameter"], resource_arns=parameters
            )
        if secrets:
            iam.Grant.add_to_principal(
                grantee=self.function, actions=["secretsmanager:GetSecretValue"], resource_arns=secrets
            )
