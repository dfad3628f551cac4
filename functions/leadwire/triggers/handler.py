"""Trigger Lambda on the table stream: new events (event triggers, awaited events, anniversaries),
membership history (enter and exit triggers) and timers their state machine marked fired (their
FIRE items). Deployed inside the reactions function (``leadwire.reactions.handler``), which reads
these records with the FIRE items."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import schema, wiring
from leadwire.dal.timer_store import fire_of_fired_timer
from leadwire.observability import logger, metrics
from leadwire.stream_poison import usable_event
from leadwire.stream_records import TableChange
from leadwire.triggers.changes import membership_changes
from leadwire.triggers.service import TriggerReport, TriggerService
from leadwire.triggers.wiring import trigger_service

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class PoisonNotSent(Exception):
    """A poison record the failure queue did not take: Lambda retries it."""


def record_handler_for(
    service: TriggerService, report: TriggerReport, function_arn: str
) -> Callable[[DynamoDBRecord], None]:
    """What the consumer does with one record (an event, a membership history change, or a timer
    marked fired). A record no consumer can read goes to the failure queue, its neighbours on."""

    def poison(record: DynamoDBRecord, change: TableChange, reason: str) -> None:
        if wiring.poison_queue().send([(record.raw_event, reason)], function_arn):
            raise PoisonNotSent(change.sequence_number)

    def record_handler(record: DynamoDBRecord) -> None:
        change = TableChange.of(record.raw_event)
        if change.is_a(schema.EVENT_PREFIX):
            stored, reason = usable_event(change.new_image or {})
            if stored is not None:
                service.on_event(stored, report)
            else:
                poison(record, change, reason)
            return
        if change.is_timer():
            try:
                fire = fire_of_fired_timer(change.new_image or {})
            except (KeyError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
                poison(record, change, f"the fired timer's fire does not read back ({type(exc).__name__})")
                return
            service.on_timer_fired(fire, report)
            return
        for membership in membership_changes(change):
            service.on_change(
                membership.lead_id,
                membership.segment_id,
                membership.kind,
                membership.at,
                membership.change_id,
                report,
                lead_version=membership.lead_version,
            )

    return record_handler


def add_metrics(report: TriggerReport) -> None:
    metrics.add_metric(name="TriggersFired", unit=MetricUnit.Count, value=report.fired)
    metrics.add_metric(name="TimersScheduled", unit=MetricUnit.Count, value=report.scheduled)
    metrics.add_metric(name="TimersSatisfied", unit=MetricUnit.Count, value=report.satisfied)
    metrics.add_metric(name="TimersStopped", unit=MetricUnit.Count, value=report.stopped)
    metrics.add_metric(name="TriggersBeyondHorizon", unit=MetricUnit.Count, value=report.beyond_horizon)
    metrics.add_metric(name="TriggerWorkOfErasedLeads", unit=MetricUnit.Count, value=report.erased)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, service: TriggerService | None = None
) -> PartialItemFailureResponse:
    """``service`` is the test seam; else the container's."""
    report = TriggerReport()
    response = process_partial_response(
        event=event,
        record_handler=record_handler_for(service or trigger_service(), report, context.invoked_function_arn),
        processor=processor,
        context=context,
    )
    add_metrics(report)
    return response
