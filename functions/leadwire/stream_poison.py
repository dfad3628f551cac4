"""Poison records: stream records of event items that no consumer can ever process.

An event item that does not read back (a hand-edited or truncated item), or whose instant lies
outside what ingestion accepts (an item stored before that range was enforced, such as year 1),
would fail its lead's batch on every retry until the whole batch reached the failure queue, and
would fail the lead's later batches too. Instead it goes to the consumer's failure queue once,
alone, with its keys and the reason, and the lead's other records are processed. The queue alarms
on the first message; ``leadwire replay`` lists such a message as malformed (it has no
``DDBStreamBatchInfo``) and keeps it for the operator to read.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from leadwire.core.instants import iso
from leadwire.core.tracking import StoredEvent, instant_problem
from leadwire.dal.event_store import from_item
from leadwire.observability import logger

POISON_CONDITION = "PoisonRecord"


def usable_event(image: dict[str, Any]) -> tuple[StoredEvent | None, str]:
    """The event of a stream image, or None and why no consumer can process it."""
    try:
        event = from_item(image)
    except (KeyError, TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        return None, f"the event item does not read back ({type(exc).__name__})"
    problem = instant_problem(event.timestamp, event.received_at)
    if problem is not None:
        return None, f"timestamp {problem}"
    return event, ""


class UsableHistory:
    """A lead's stored events without those no consumer can process (the engine's history port)."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def lead_events(self, lead_id: str) -> Iterator[StoredEvent]:
        for event in self._store.lead_events(lead_id):
            if instant_problem(event.timestamp, event.received_at) is None:
                yield event


def failure_message(record: dict[str, Any], reason: str, function_arn: str, now: datetime) -> dict[str, Any]:
    """Shaped like Lambda's on-failure record (requestContext, responseContext, version,
    timestamp) with the one record's coordinates and keys instead of a batch range."""
    dynamodb = record.get("dynamodb") or {}
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": POISON_CONDITION,
            "approximateInvokeCount": 1,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": POISON_CONDITION,
        },
        "version": "1.0",
        "timestamp": iso(now),
        "poisonRecord": {
            "eventID": record.get("eventID"),
            "eventSourceARN": record.get("eventSourceARN"),
            "sequenceNumber": dynamodb.get("SequenceNumber"),
            "keys": dynamodb.get("Keys"),
            "reason": reason,
        },
    }


class PoisonQueue:
    """Sends poison records to the consumer's failure queue (``STREAM_FAILURE_QUEUE_URL``)."""

    def __init__(self, sqs: Callable[[], Any], queue_url: str | None, now: Callable[[], datetime]) -> None:
        self._sqs_factory = sqs
        self._sqs: Any = None
        self._queue_url = queue_url
        self._now = now

    def send(self, poison: Iterable[tuple[dict[str, Any], str]], function_arn: str) -> set[str]:
        """Sends each; returns the sequence numbers it could not send (to be retried by Lambda)."""
        unsent: set[str] = set()
        for record, reason in poison:
            sequence_number = str((record.get("dynamodb") or {}).get("SequenceNumber"))
            logger.error("poison record", extra={"sequence_number": sequence_number, "reason": reason})
            if self._queue_url is None:
                unsent.add(sequence_number)  # no queue configured: Lambda's retries and destination
                continue
            if self._sqs is None:
                self._sqs = self._sqs_factory()
            message = failure_message(record, reason, function_arn, self._now())
            try:
                self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps(message))
            except Exception:
                logger.exception("poison record not sent", extra={"sequence_number": sequence_number})
                unsent.add(sequence_number)
        return unsent
