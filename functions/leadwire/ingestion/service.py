"""The ingestion use case: authenticate, validate each message, store the valid ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from leadwire.core.errors import InvalidEvent, InvalidRequest, PayloadTooLarge, Unauthorized
from leadwire.core.tracking import (
    MAX_BATCH_EVENTS,
    FieldError,
    Rejection,
    StoredEvent,
    parse_message,
    parse_sent_at,
)
from leadwire.settings import hash_write_key


class EventSink(Protocol):
    def put_events(self, events: list[StoredEvent]) -> None: ...


@dataclass
class IngestResult:
    accepted: int
    rejected: list[Rejection] = field(default_factory=list)
    duplicates_in_request: int = 0

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"success": True, "accepted": self.accepted}
        if self.rejected:
            body["rejected"] = [r.model_dump(by_alias=True) for r in self.rejected]
        return body


def _untimed(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("timestamp") is None and raw.get("originalTimestamp") is None


class IngestionService:
    def __init__(self, sink: EventSink, write_key_hashes: Mapping[str, str]) -> None:
        self._sink = sink
        self._sources = dict(write_key_hashes)

    def authenticate(self, header_key: str | None, body: Mapping[str, Any]) -> str:
        """Source name for the write key (Basic-auth username, else ``writeKey`` in the body)."""
        candidates = [header_key, body.get("writeKey")]
        for key in candidates:
            if isinstance(key, str) and key:
                source = self._sources.get(hash_write_key(key))
                if source is not None:
                    return source
        if not any(isinstance(key, str) and key for key in candidates):
            raise Unauthorized(
                "missing write key: send it as the Basic-auth username or as writeKey in the body",
                {"field": "writeKey"},
            )
        raise Unauthorized("unknown write key", {"field": "writeKey"})

    def ingest(self, kind: str, body: dict[str, Any], source: str, received_at: datetime) -> IngestResult:
        if kind == "batch":
            return self._ingest_batch(body, source, received_at)
        try:
            event = parse_message(
                body,
                field="body",
                received_at=received_at,
                batch_sent_at=None,
                source=source,
                default_type=kind,
            )
        except FieldError as exc:
            raise InvalidEvent(exc.message, {"field": exc.field}) from None
        self._sink.put_events([event])
        return IngestResult(accepted=1)

    def _ingest_batch(self, body: dict[str, Any], source: str, received_at: datetime) -> IngestResult:
        messages = body.get("batch")
        if not isinstance(messages, list):
            raise InvalidRequest("batch must be a list of messages", {"field": "batch"})
        if len(messages) > MAX_BATCH_EVENTS:
            raise PayloadTooLarge(
                f"batch holds {len(messages)} events; the limit is {MAX_BATCH_EVENTS}",
                {"field": "batch", "limit": MAX_BATCH_EVENTS},
            )
        try:
            sent_at = parse_sent_at(body.get("sentAt"), "sentAt")
        except FieldError as exc:
            raise InvalidRequest(exc.message, {"field": exc.field}) from None
        accepted: dict[str, StoredEvent] = {}
        rejected: list[Rejection] = []
        duplicates = 0
        untimed: list[str] = []
        for index, raw in enumerate(messages):
            try:
                event = parse_message(
                    raw,
                    field=f"batch[{index}]",
                    received_at=received_at,
                    batch_sent_at=sent_at,
                    source=source,
                )
            except FieldError as exc:
                message_id = raw.get("messageId") if isinstance(raw, dict) else None
                rejected.append(
                    Rejection(
                        index=index,
                        message_id=message_id if isinstance(message_id, str) else None,
                        field=exc.field,
                        message=exc.message,
                    )
                )
                continue
            if event.message_id in accepted:
                duplicates += 1  # same messageId twice in one request: one event
                continue
            accepted[event.message_id] = event.model_copy(update={"sequence": index})
            if _untimed(raw):
                untimed.append(event.message_id)
        # Events without a time of their own happened in the order they were sent, by the time the
        # request arrived: a millisecond apart, ending at arrival, so that a sequence condition
        # (strictly increasing instants) sees them in that order.
        for rank, message_id in enumerate(untimed):
            earlier = timedelta(milliseconds=len(untimed) - 1 - rank)
            accepted[message_id] = accepted[message_id].model_copy(
                update={"timestamp": received_at - earlier}
            )
        if accepted:
            self._sink.put_events(list(accepted.values()))
        return IngestResult(accepted=len(accepted), rejected=rejected, duplicates_in_request=duplicates)
