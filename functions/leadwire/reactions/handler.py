"""The reactions Lambda: the table stream's second (and last) reader, for triggers and actions.

DynamoDB Streams serves two readers per shard without throttling; segmentation is one, this is
the other. It gets what the trigger consumer and the actions consumer each got (new events,
membership history changes, new FIRE items) in stream order, and hands each record to the one
that owns it, under one BatchProcessor: partial batch failures, bisect on error, bounded retries
and the on-failure destination apply to both, as they did apart. A FIRE item written by a trigger
arrives in a later batch, exactly as it did when the actions read the stream themselves. The
actions' adapters (SES, webhooks, templates) are built only for batches that hold a fire.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import schema
from leadwire.observability import logger, metrics
from leadwire.stream_records import TableChange
from leadwire.triggers.handler import add_metrics, record_handler_for
from leadwire.triggers.service import TriggerReport, TriggerService
from leadwire.triggers.wiring import trigger_service

if TYPE_CHECKING:
    from leadwire.actions.service import ActionsService

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _actions_service() -> ActionsService:
    from leadwire.actions.wiring import actions_service  # its adapters load with the first fire

    return actions_service()


def _is_fire(event: dict[str, Any]) -> bool:
    return TableChange.of(event).is_a(schema.FIRE_PREFIX)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext,
    triggers: TriggerService | None = None,
    actions_factory: Callable[[], ActionsService] | None = None,
) -> PartialItemFailureResponse:
    """``triggers`` and ``actions_factory`` are the test seams; else the container's (the actions
    service is built only for a batch that holds a fire)."""
    report = TriggerReport()
    on_trigger_record = record_handler_for(
        triggers or trigger_service(), report, context.invoked_function_arn
    )
    actions: list[Any] = []  # the actions service, built once, on the batch's first fire

    def record_handler(record: DynamoDBRecord) -> None:
        if not _is_fire(record.raw_event):
            on_trigger_record(record)
            return
        from leadwire.actions.handler import handle_fire

        if not actions:
            actions.append((actions_factory or _actions_service)())
        handle_fire(actions[0], record)

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    add_metrics(report)
    return response
