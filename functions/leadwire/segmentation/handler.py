"""Segmentation Lambda on the table stream (INSERTs of event items only, by filter).

Records are grouped by lead so each lead is read and written once per batch; Powertools'
BatchProcessor then reports the records of any failed lead as partial batch failures.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import wiring
from leadwire.core.tracking import StoredEvent
from leadwire.observability import logger, metrics
from leadwire.segmentation.batch import group_by_lead, process_groups
from leadwire.segmentation.engine import SegmentationEngine
from leadwire.segmentation.wiring import stream_engine
from leadwire.stream_poison import PoisonQueue

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


class LeadNotProcessed(Exception):
    """Reported per record so Lambda retries from the first record of a failed lead."""


def _log_failure(lead_id: str, error: Exception) -> None:
    logger.exception("lead failed", extra={"lead_id": lead_id, "error": type(error).__name__})
    metrics.add_metric(name="LeadsFailed", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext,
    engine: SegmentationEngine | None = None,
    poison: PoisonQueue | None = None,
) -> PartialItemFailureResponse:
    """``engine`` and ``poison`` are the test seams; else the container's."""
    engine = engine or stream_engine()
    groups = group_by_lead(event["Records"])
    flips = 0

    def process(lead_id: str, events: list[StoredEvent]) -> None:
        nonlocal flips
        flips += len(engine.process(lead_id, events).transitions)

    with engine.held_writes():
        failed = process_groups(groups, process, _log_failure)
    metrics.add_metric(name="SegmentChanges", unit=MetricUnit.Count, value=flips)
    failed |= (poison or wiring.poison_queue()).send(groups.poison, context.invoked_function_arn)
    if groups.poison:
        metrics.add_metric(name="PoisonRecords", unit=MetricUnit.Count, value=len(groups.poison))
    metrics.add_metric(
        name="EventsSegmented",
        unit=MetricUnit.Count,
        value=len(event["Records"]) - len(failed) - len(groups.poison),
    )
    metrics.add_metric(name="LeadsProcessed", unit=MetricUnit.Count, value=len(groups.events))

    def record_handler(record: DynamoDBRecord) -> None:
        if record.dynamodb is not None and record.dynamodb.sequence_number in failed:
            raise LeadNotProcessed(record.dynamodb.sequence_number)

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
