"""Actions Lambda on the table stream: FIRE items (a trigger fired, at once or when its timer woke)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire.actions.service import ActionsFailed, ActionsService, FireOutcome
from leadwire.actions.wiring import actions_service
from leadwire.dal.fire_store import fire_from_item
from leadwire.observability import count_delivery, count_fire, logger, metrics
from leadwire.stream_records import TableChange

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _count(trigger_id: str, outcome: FireOutcome, *, completed: bool = True) -> None:
    """Deliveries as they happen; the fire itself once, when it completes for the first time (a
    fire retried after a failure counts when the retry completes)."""
    if completed and outcome.variant is not None and not outcome.repeat:
        count_fire(trigger_id, outcome.variant)
    for delivery in outcome.deliveries:
        if not delivery.repeat:  # a redelivered fire changed nothing
            count_delivery(trigger_id, delivery.channel, delivery.status)


def handle_fire(service: ActionsService, record: DynamoDBRecord) -> None:
    """What the consumer does with one record: a FIRE item's actions, once."""
    image = TableChange.of(record.raw_event).new_image
    if image is None:
        raise ValueError("a FIRE record has its new image")  # the filter passes INSERTs only
    fire = fire_from_item(image)
    try:
        outcome = service.handle(fire)
    except ActionsFailed as failed:
        _count(fire.trigger_id, failed.outcome, completed=False)
        raise
    _count(fire.trigger_id, outcome)
    logger.info(
        "fire handled",
        extra={
            "trigger_id": fire.trigger_id,
            "fire_id": fire.fire_id,
            "outcome": outcome.summary,
            "deliveries": [f"{d.channel}:{d.status}" for d in outcome.deliveries],
        },
    )
    metrics.add_metric(name="FiresHandled", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, service: ActionsService | None = None
) -> PartialItemFailureResponse:
    """``service`` is the test seam; else the container's."""
    service = service or actions_service()
    return process_partial_response(
        event=event,
        record_handler=lambda record: handle_fire(service, record),
        processor=processor,
        context=context,
    )
