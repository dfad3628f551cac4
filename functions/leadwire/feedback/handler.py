"""Feedback Lambda: SES event publishing -> SNS -> SQS -> here; lead events and delivery confirmations.

Each SQS message is an SNS notification whose ``Message`` is the SES record (or, with raw message
delivery, the record itself). A record that fails is reported as a batch item failure, retried by
SQS and, after the queue's maxReceiveCount, moved to its dead-letter queue.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadwire import clock
from leadwire.container import cached
from leadwire.dal.delivery_store import DeliveryStore
from leadwire.dal.event_store import EventStore
from leadwire.dal.suppression_store import SuppressionStore
from leadwire.feedback.service import FeedbackOutcome, FeedbackService
from leadwire.observability import count, logger, metrics
from leadwire.privacy.suppression import SuppressingSink
from leadwire.settings import table_settings

processor = BatchProcessor(event_type=EventType.SQS)


@cached
def feedback_service() -> FeedbackService:
    """Built on first use (once per container): settings validated, one DynamoDB client."""
    settings = table_settings()
    client = boto3.client("dynamodb")
    # SES reports on an erased lead's mail (an open days later) are dropped like its other events.
    events = SuppressingSink(
        EventStore(client, settings.table_name),
        SuppressionStore(client, settings.table_name),
        lambda n: metrics.add_metric(name="EventsSuppressed", unit=MetricUnit.Count, value=n),
    )
    return FeedbackService(events, DeliveryStore(client, settings.table_name))


def _received_at(record: SQSRecord) -> datetime:
    """When SQS got the message: the same on every redelivery, so a re-put event item is identical
    (no stream record at all in AWS)."""
    sent = record.attributes.sent_timestamp
    if sent and sent.isdigit():
        return datetime.fromtimestamp(int(sent) / 1000, UTC)
    return clock.now()


def _count(outcome: FeedbackOutcome) -> None:
    """``EmailFeedbackIgnored`` (no Leadwire tags), or ``EmailFeedback`` per SES event type."""
    metrics.add_metric(name="EmailFeedbackRecords", unit=MetricUnit.Count, value=1)
    if outcome.ignored:
        metrics.add_metric(name="EmailFeedbackIgnored", unit=MetricUnit.Count, value=1)
        return
    count("EmailFeedback", {"type": outcome.event_type})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any], context: LambdaContext, service: FeedbackService | None = None
) -> PartialItemFailureResponse:
    """``service`` is the test seam; else the container's."""
    service = service or feedback_service()
    confirmed: set[tuple[str, str]] = set()

    def record_handler(record: SQSRecord) -> None:
        outcome = service.handle(record.body, received_at=_received_at(record), confirmed=confirmed)
        _count(outcome)
        if outcome.confirmed is False:
            logger.warning(
                "SES feedback for a delivery Leadwire has no record of",
                extra={"sqs_message_id": record.message_id, "type": outcome.event_type},
            )
        logger.debug(
            "feedback handled",
            extra={"type": outcome.event_type, "ignored": outcome.ignored, "events": list(outcome.events)},
        )

    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
