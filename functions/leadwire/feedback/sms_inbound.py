"""Inbound SMS Lambda: End User Messaging two-way SMS -> SNS -> here; a STOP becomes a lead event.

Each SNS record's ``Message`` is the inbound message's JSON (``originationNumber``,
``destinationNumber``, ``messageBody``, ``inboundMessageId``). A STOP (``core.sms.inbound``) from a
number Leadwire texted (``PHONE#<e164>``) writes an ``sms_unsubscribed`` event for that lead,
which suppresses its ``sms`` channel. Other replies, and numbers never texted, are ignored; a
malformed message is logged and skipped without costing its neighbours.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

import boto3

from leadwire import clock
from leadwire.actions.ports import EventSinkPort, PhoneBookPort
from leadwire.core.sms.inbound import InboundSmsError, parse_inbound, unsubscribe_event
from leadwire.dal.event_store import EventStore
from leadwire.dal.phone_book import PhoneBook
from leadwire.observability import logger

STOPPED = "stopped"
IGNORED = "ignored"
UNKNOWN_NUMBER = "unknown_number"
INVALID = "invalid"


class SmsInboundService:
    def __init__(self, phones: PhoneBookPort, events: EventSinkPort, now: Callable[[], datetime]) -> None:
        self._phones = phones
        self._events = events
        self._now = now

    def handle(self, message: Mapping[str, Any], at: datetime | None = None) -> str:
        """What one inbound message did: ``stopped``, ``ignored`` or ``unknown_number``; raises
        ``InboundSmsError`` for a malformed one."""
        inbound = parse_inbound(message)
        if not inbound.is_stop:
            return IGNORED
        lead_id = self._phones.lead_for(inbound.origination)
        if lead_id is None:
            return UNKNOWN_NUMBER
        self._events.put_events([unsubscribe_event(inbound, lead_id, at or self._now())])
        return STOPPED


@cache
def inbound_service() -> SmsInboundService:
    client = boto3.client("dynamodb")
    table = os.environ.get("TABLE_NAME", "")
    return SmsInboundService(PhoneBook(client, table), EventStore(client, table), clock.now)


def _sent_at(record: Mapping[str, Any]) -> datetime | None:
    """SNS's timestamp: the same on every redelivery, so a re-put event item is identical."""
    stamp = (record.get("Sns") or {}).get("Timestamp")
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    service = inbound_service()
    counts: dict[str, int] = {}
    for record in event.get("Records") or []:
        try:
            message = json.loads((record.get("Sns") or {}).get("Message") or "")
            if not isinstance(message, dict):
                raise InboundSmsError("Message", "an inbound SMS is a JSON object")
            outcome = service.handle(message, _sent_at(record))
        except (InboundSmsError, json.JSONDecodeError) as exc:
            logger.warning("inbound sms skipped", extra={"error": str(exc)})
            outcome = INVALID
        counts[outcome] = counts.get(outcome, 0) + 1
    logger.info("inbound sms", extra=counts)
    return counts


def reset() -> None:
    inbound_service.cache_clear()
