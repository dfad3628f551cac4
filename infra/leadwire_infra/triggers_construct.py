"""Triggers: the reactions function, the stream consumer that turns new events and membership
changes into fires and timers, and carries out the fires (``ActionsConstruct`` adds what the
actions need to this same function: DynamoDB Streams serves two readers per shard, segmentation
and this one).

It reads INSERTs of event items (event triggers, and the awaited events that satisfy a waiting
timer) and INSERTs and MODIFYs of membership history (an interval opened: enter; closed: exit),
each filter a constant of ``leadwire.schema`` that the local stream pump applies too. An immediate
trigger writes a FIRE item; a delayed one writes a TIMER item and starts an execution of the timer
state machine, named after the timer so that a retried start finds the first one.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from leadwire.deployment import MEMORY_MB
from leadwire.stream_consumers import REACTIONS
from leadwire_infra.data_construct import grant_table_access
from leadwire_infra.lambda_factory import LambdaFactory
from leadwire_infra.stream_consumer import LIST_STREAMS_REASON, StreamConsumer
from leadwire_infra.timers_construct import grant_timer_stops

TRIGGER_HANDLER: Final = REACTIONS.handler
# Trigger definitions, TIMER items (guarded puts and updates), FIRE items, re-entry state.
TRIGGER_TABLE_ACTIONS: Final = (
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)


class TriggersConstruct(Construct):
    """The trigger consumer, allowed to start executions of ``timer`` (and stop them) and of nothing
    else."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        functions: LambdaFactory,
        timer: sfn.IStateMachine,
    ) -> None:
        super().__init__(scope, construct_id)

        self.function = functions.function(
            self,
            "Trigger",
            handler=TRIGGER_HANDLER,
            description="Leadwire reactions: triggers on events and segment moves, timers, fired actions",
            memory_size=MEMORY_MB["reactions"],
            timeout=Duration.seconds(60),
            environment={"STATE_MACHINE_ARN": timer.state_machine_arn},
            unscoped_actions_reason=LIST_STREAMS_REASON,
        )
        grant_table_access(self.function, table, TRIGGER_TABLE_ACTIONS)
        timer.grant_start_execution(self.function)
        grant_timer_stops(
            self.function, timer, "A timer satisfied or taken over has its waiting execution stopped"
        )

        self.stream = StreamConsumer(
            self,
            "Stream",
            function=self.function,
            table=table,
            spec=REACTIONS,
            name="The trigger consumer",
            lost="its events and segment moves start no triggers",
        )
        self.dead_letter_queue = self.stream.dead_letter_queue
