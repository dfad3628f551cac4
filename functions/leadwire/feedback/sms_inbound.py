"""SMS feedback Lambda: End User Messaging -> SNS -> here; STOP replies and delivery outcomes
become lead events.

Each SNS record's ``Message`` is either an inbound message's JSON (two-way SMS:
``originationNumber``, ``destinationNumber``, ``messageBody``, ``inboundMessageId``) or a delivery
event of the configuration set (``eventType``, ``messageId``, ``context``). A STOP
(``core.sms.inbound``) from a number Leadwire texted (``PHONE#<e164>``) writes an
``sms_unsubscribed`` event for that lead, which suppresses its ``sms`` channel; a final delivery
outcome writes ``sms_delivered`` or ``sms_failed`` (``core.sms.delivery_events``). Other replies,
interim outcomes and numbers never texted are ignored; a malformed message is logged and skipped
without costing its neighbours. Events of an erased lead are dropped, as for SES feedback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import boto3

from leadwire import clock
from leadwire.actions.ports import EventSinkPort, PhoneBookPort
from leadwire.container import cached
from leadwire.core.sms.delivery_events import delivery_event, is_delivery_event
from leadwire.core.sms.inbound import InboundSmsError, parse_inbound, unsubscribe_event
from leadwire.dal.event_store import EventStore
from leadwire.dal.phone_book import PhoneBook
from leadwire.dal.suppression_store import SuppressionStore
from leadwire.observability import logger
from leadwire.privacy.suppression import SuppressingSink
from leadwire.settings import table_settings

STOPPED = "stopped"
RECORDED = "delivery_recorded"
IGNORED = "ignored"
UNKNOWN_NUMBER = "unknown_number"
INVALID = "invalid"


class SmsInboundService:
    def __init__(self, phones: PhoneBookPort, events: EventSinkPort, now: Callable[[], datetime]) -> None:
        self._phones = phones
        self._events = events
        self._now = now

    def handle(self, message: Mapping[str, Any], at: datetime | None = None) -> str:
        """What one message did: ``stopped``, ``delivery_recorded``, ``ignored`` or
        ``unknown_number``; raises ``InboundSmsError`` for a malformed one."""
        if is_delivery_event(message):
            event = delivery_event(message, at or self._now())
            if event is None:
                return IGNORED
            self._events.put_events([event])
            return RECORDED
        inbound = parse_inbound(message)
        if not inbound.is_stop:
            return IGNORED
        lead_id = self._phones.lead_for(inbound.origination)
        if lead_id is None:
            return UNKNOWN_NUMBER
        self._events.put_events([unsubscribe_event(inbound, lead_id, at or self._now())])
        return STOPPED


@cached
def inbound_service() -> SmsInboundService:
    client = boto3.client("dynamodb")
    table = table_settings().table_name
    # A STOP or an outcome for an erased lead is dropped like its other events (counted on its
    # suppression item; this function publishes no metrics).
    events = SuppressingSink(EventStore(client, table), SuppressionStore(client, table), lambda n: None)
    return SmsInboundService(PhoneBook(client, table), events, clock.now)


def _sent_at(record: Mapping[str, Any]) -> datetime | None:
    """SNS's timestamp: the same on every redelivery, so a re-put event item is identical."""
    stamp = (record.get("Sns") or {}).get("Timestamp")
    try:
        return datetime.fromisoformat(str(stamp).replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None


def lambda_handler(
    event: dict[str, Any], context: Any, service: SmsInboundService | None = None
) -> dict[str, int]:
    """``service`` is the test seam; else the container's."""
    service = service or inbound_service()
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
