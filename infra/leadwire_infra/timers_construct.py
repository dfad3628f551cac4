"""Time: the sweep that re-evaluates leads when time flips a condition, and the delayed-trigger timer.

The sweep runs every minute from an EventBridge schedule and reads only the leads that are due
(the sparse ``due`` index). It keeps a forward-only checkpoint, so a failed or dropped run costs
nothing: the next minute's run starts from the same checkpoint. Hence no retries of the
asynchronous invocation, and no reserved concurrency (two overlapping sweeps do no harm).

The timer is a Step Functions Standard state machine (Express cannot wait past 5 minutes) whose
definition is ``functions/leadwire/timers/timer.asl.json``, the same file ``leadwire local`` runs on
moto (``leadwire.timers.asl`` names the file and its table placeholder). It waits until
``$.deadline`` and marks the TIMER item fired if it still waits for this instance, writing the
fire's fields with the mark, through a direct DynamoDB integration (no Lambda in the loop); the
reactions consumer writes the FIRE item from that change. Erasure, and the reactions when a timer
is satisfied or taken over, stop executions (``grant_timer_stops``).
"""

from __future__ import annotations

import json
from typing import Final

from aws_cdk import Acknowledgment, Duration, Fn, Stack, Validations
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from leadwire import schema
from leadwire.deployment import MEMORY_MB
from leadwire.timers.asl import DEFINITION_PATH, TABLE_NAME_PLACEHOLDER
from leadwire_infra.alarms import alarm_above
from leadwire_infra.data_construct import grant_table_access
from leadwire_infra.lambda_factory import LambdaFactory
from leadwire_infra.segmentation_construct import ENGINE_TABLE_ACTIONS

SWEEP_HANDLER: Final = "leadwire.timers.sweep_handler.lambda_handler"
SWEEP_RATE: Final = Duration.minutes(1)
# A sweep event that waited longer than one period is superseded by the next period's run.
SWEEP_MAX_EVENT_AGE: Final = Duration.minutes(1)

# The definition's one Task state marks the timer fired, writing the fire's fields into it (the
# reactions consumer writes the FIRE item from that change).
TIMER_TABLE_ACTIONS: Final = ("dynamodb:UpdateItem",)


def grant_timer_stops(function: iam.IGrantable, timer: sfn.IStateMachine, why: str) -> None:
    """``states:StopExecution`` on the timer's executions and nothing else, acknowledged for
    cdk-nag (the wildcard is the execution name, known only at run time)."""
    timer.grant_execution(function, "states:StopExecution")
    stack = Stack.of(timer)
    # The name as grant_execution spells it in the policy (the ARN's seventh field).
    timer_name = json.dumps(
        stack.resolve(Fn.select(6, Fn.split(":", timer.state_machine_arn))), separators=(",", ":")
    )
    Validations.of(function.grant_principal).acknowledge(  # type: ignore[arg-type]
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:"
            f"<AWS::AccountId>:execution:{timer_name}:*]",
            reason=f"{why}, whose execution names are only known at run time: StopExecution is "
            "granted on the executions of the timer state machine and nothing else.",
        )
    )


class TimersConstruct(Construct):
    """The every-minute sweep function and its schedule; the timer state machine and its logs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.ITable,
        functions: LambdaFactory,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)

        self.sweep_function = functions.function(
            self,
            "Sweep",
            handler=SWEEP_HANDLER,
            description="Leadwire sweep: re-evaluates the leads whose time-based conditions are due",
            memory_size=MEMORY_MB["sweep"],
            timeout=Duration.minutes(5),  # catching up after an outage is bounded per run
        )
        self.sweep_function.configure_async_invoke(retry_attempts=0, max_event_age=SWEEP_MAX_EVENT_AGE)
        # The engine's item actions (lead state, membership, history; events to rebuild
        # aggregates; the checkpoint), and Query on the due index only.
        grant_table_access(self.sweep_function, table, ENGINE_TABLE_ACTIONS, query_indexes=[schema.DUE_INDEX])
        self.sweep_schedule = events.Rule(
            self,
            "SweepSchedule",
            description="Leadwire: run the sweep every minute",
            schedule=events.Schedule.rate(SWEEP_RATE),
            targets=[
                targets.LambdaFunction(
                    self.sweep_function, retry_attempts=0, max_event_age=SWEEP_MAX_EVENT_AGE
                )
            ],
        )
        self.sweep_errors_alarm = alarm_above(
            self,
            "SweepErrorsAlarm",
            description="The sweep failed whole runs: time-based segment changes (dormant, "
            "stalled, decay) are late until a run succeeds; each run resumes from the checkpoint.",
            metric=self.sweep_function.metric_errors(
                period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM
            ),
            threshold=0,
        )

        timer_logs = logs.LogGroup(self, "TimerLogs", retention=log_retention)
        self.timer = sfn.StateMachine(
            self,
            "Timer",
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(DEFINITION_PATH)),
            definition_substitutions={TABLE_NAME_PLACEHOLDER: table.table_name},
            # ERROR only, without execution data: inputs carry lead ids (PII), and a failure is
            # what an operator acts on; execution history holds every transition for 90 days.
            logs=sfn.LogOptions(
                destination=timer_logs, level=sfn.LogLevel.ERROR, include_execution_data=False
            ),
            tracing_enabled=True,
        )
        grant_table_access(self.timer, table, TIMER_TABLE_ACTIONS)
        Validations.of(self.timer).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SF1",
                reason="Timer executions log ERROR events only: ALL would copy every Wait and Task "
                "transition of every timer, with lead ids (PII), into CloudWatch Logs; Step "
                "Functions execution history already keeps the full trace for 90 days.",
            )
        )
        Validations.of(self.timer.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Step Functions log delivery (logs:CreateLogDelivery and the other vended-logs "
                "actions) and X-Ray tracing support no resource-level permissions; the table "
                "actions are on the table ARN only.",
            )
        )
        self.timer_failures_alarm = alarm_above(
            self,
            "TimerFailuresAlarm",
            description="Timer executions failed: their delayed triggers did not fire. Their "
            "TIMER items are still 'waiting': redrive the failed executions within 14 days.",
            metric=self.timer.metric_failed(period=Duration.minutes(5), statistic=cloudwatch.Stats.SUM),
            threshold=0,
        )
