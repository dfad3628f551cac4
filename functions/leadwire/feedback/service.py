"""One SQS message of SES feedback: unwrap, parse, store the lead event, confirm the delivery."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from leadwire.core.email.feedback import event_type_of, parse_record, unwrap
from leadwire.core.tracking import StoredEvent


class EventWriter(Protocol):
    def put_events(self, events: list[StoredEvent]) -> None: ...


class Confirmer(Protocol):
    def confirm(self, lead_id: str, delivery_id: str, ses_message_id: str, at: datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class FeedbackOutcome:
    event_type: str  # normalised SES eventType
    ignored: bool  # no leadwire tags: someone else's mail through the same configuration set
    events: tuple[str, ...] = ()  # names of the lead events written
    confirmed: bool | None = None  # None: nothing confirmed by this record


class FeedbackService:
    def __init__(self, events: EventWriter, confirmations: Confirmer) -> None:
        self._events = events
        self._confirmations = confirmations

    def handle(
        self, body: str, *, received_at: datetime, confirmed: set[tuple[str, str]] | None = None
    ) -> FeedbackOutcome:
        """Handle one message body (an SNS notification or a raw SES record).

        ``confirmed`` holds the deliveries already confirmed in this batch (a Send and a Delivery
        of one message often arrive together): each is updated once per batch. Raises
        ``MalformedFeedback`` naming the field when the body is not an SES record.
        """
        record = unwrap(body)
        feedback = parse_record(record, received_at=received_at)
        if feedback is None:
            return FeedbackOutcome(event_type_of(record), ignored=True)
        if feedback.events:
            self._events.put_events(list(feedback.events))
        result: bool | None = None
        confirmation = feedback.confirmation
        if confirmation is not None:
            key = (confirmation.lead_id, confirmation.delivery_id)
            if confirmed is None or key not in confirmed:
                result = self._confirmations.confirm(
                    confirmation.lead_id,
                    confirmation.delivery_id,
                    confirmation.ses_message_id,
                    confirmation.at,
                )
                if confirmed is not None:
                    confirmed.add(key)
        return FeedbackOutcome(
            feedback.event_type,
            ignored=False,
            events=tuple(_names(feedback.events)),
            confirmed=result,
        )


def _names(events: Iterable[StoredEvent]) -> Iterable[str]:
    return (event.event or "" for event in events)
