"""Segment HTTP Tracking API messages: validation, clock-skew correction and the stored shape.

Pure: no boto3, no clock. The ingestion handler passes ``received_at``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_EVENTS = 2500
MAX_ID_LENGTH = 256
MAX_MESSAGE_ID_LENGTH = 128
MAX_EVENT_NAME_LENGTH = 200

MessageType = Literal["identify", "track", "page", "screen", "group", "alias"]
MESSAGE_TYPES: tuple[str, ...] = ("identify", "track", "page", "screen", "group", "alias")

# Event names the engine sees for page and screen calls (DESIGN.md, "Event names").
PAGE_EVENT = "page_viewed"
SCREEN_EVENT = "screen_viewed"

# The context fields worth keeping: what rules, audits and time zones need, not every client detail.
_KEPT_CONTEXT = ("page", "campaign", "timezone", "locale", "library", "channel")
_KEPT_PAGE = ("path", "url", "title", "referrer", "search")


def _id_to_string(value: Any) -> Any:
    """Segment allows numeric ids; they are the same lead as their string form."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


Identifier = Annotated[
    str,
    BeforeValidator(_id_to_string),
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID_LENGTH),
]
MessageId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_ID_LENGTH)
]
EventName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_EVENT_NAME_LENGTH)
]


_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)


class TrackingMessage(BaseModel):
    """One Segment message as a client sends it. Unknown top-level fields are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)

    type: MessageType
    messageId: MessageId | None = None
    userId: Identifier | None = None
    anonymousId: Identifier | None = None
    timestamp: datetime | None = None
    originalTimestamp: datetime | None = None
    sentAt: datetime | None = None
    event: EventName | None = None
    name: Annotated[str, StringConstraints(max_length=MAX_EVENT_NAME_LENGTH)] | None = None
    category: Annotated[str, StringConstraints(max_length=MAX_EVENT_NAME_LENGTH)] | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    groupId: Identifier | None = None
    previousId: Identifier | None = None


def _missing_field(message: TrackingMessage) -> tuple[str, str] | None:
    """The Segment spec's per-type requirements, as (field, problem)."""
    if message.userId is None and message.anonymousId is None:
        return "userId", "userId or anonymousId is required"
    required = {"track": "event", "group": "groupId", "alias": "previousId"}.get(message.type)
    if required is not None and getattr(message, required) is None:
        return required, f"{required} is required for {message.type} calls"
    return None


class StoredEvent(BaseModel):
    """What one event item holds: enough for scoring, segments and audits, and small."""

    message_id: str
    type: MessageType
    lead_id: str
    event: str | None
    timestamp: datetime
    received_at: datetime
    source: str
    user_id: str | None = None
    anonymous_id: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    group_id: str | None = None
    previous_id: str | None = None


class Rejection(BaseModel):
    """One event of a batch that was not stored, and why (the response names the field)."""

    index: int
    message_id: str | None = Field(serialization_alias="messageId")
    field: str
    message: str


class FieldError(ValueError):
    """Bad input, with the field it concerns (for the client's error message)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def corrected_timestamp(
    message: TrackingMessage, received_at: datetime, batch_sent_at: datetime | None
) -> datetime:
    """Segment's clock-skew correction: ``receivedAt - (sentAt - originalTimestamp)``.

    The device clock may be wrong, but the interval between the event and its sending is right.
    Without ``sentAt`` (server-side imports, curl) the given timestamp is trusted as is; without
    any timestamp the event happened when it arrived.
    """
    original = message.originalTimestamp or message.timestamp
    sent_at = message.sentAt or batch_sent_at
    if original is None:
        return received_at
    if sent_at is None:
        return _aware(original)
    return received_at - (_aware(sent_at) - _aware(original))


def derive_message_id(raw: dict[str, Any]) -> str:
    """A message without ``messageId`` gets one.

    With a timestamp the id is a hash of the content (minus transport fields), so a client that
    resends the same event is still deduplicated; without one, two identical calls may be two real
    events, so each gets a fresh id.
    """
    if raw.get("timestamp") is None and raw.get("originalTimestamp") is None:
        return f"lw-{uuid.uuid4()}"
    content = {k: v for k, v in raw.items() if k not in ("sentAt", "writeKey", "messageId", "receivedAt")}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return f"lw-{digest[:32]}"


def _engine_event_name(message: TrackingMessage) -> str | None:
    if message.type == "track":
        return message.event
    if message.type == "page":
        return PAGE_EVENT
    if message.type == "screen":
        return SCREEN_EVENT
    return None


def _page_properties(message: TrackingMessage) -> dict[str, Any]:
    """Page and screen calls: the page's properties plus ``name`` and ``category``."""
    properties = dict(message.properties)
    page = message.context.get("page")
    if isinstance(page, dict):
        for key in _KEPT_PAGE:
            if key in page and key not in properties:
                properties[key] = page[key]
    if message.name is not None:
        properties.setdefault("name", message.name)
    if message.category is not None:
        properties.setdefault("category", message.category)
    return properties


def _traits(message: TrackingMessage) -> dict[str, Any]:
    """identify/group traits; rudder-sdk-python sends identify traits in ``context.traits``."""
    if message.type not in ("identify", "group"):
        return {}
    context_traits = message.context.get("traits")
    if isinstance(context_traits, dict):
        return {**context_traits, **message.traits}
    return message.traits


def _kept_context(context: dict[str, Any]) -> dict[str, Any]:
    kept = {key: context[key] for key in _KEPT_CONTEXT if key in context}
    page = kept.get("page")
    if isinstance(page, dict):
        kept["page"] = {key: page[key] for key in _KEPT_PAGE if key in page}
    return kept


def to_stored_event(
    message: TrackingMessage,
    *,
    message_id: str,
    received_at: datetime,
    batch_sent_at: datetime | None,
    source: str,
) -> StoredEvent:
    properties = message.properties
    if message.type in ("page", "screen"):
        properties = _page_properties(message)
    # A known user's events belong to the known lead; anonymous ones to the anonymous lead until
    # an identify or alias merges them.
    lead_id = message.userId or message.anonymousId
    assert lead_id is not None  # parse_message refuses a message with neither id
    return StoredEvent(
        message_id=message_id,
        type=message.type,
        lead_id=lead_id,
        event=_engine_event_name(message),
        timestamp=corrected_timestamp(message, received_at, batch_sent_at),
        received_at=received_at,
        source=source,
        user_id=message.userId,
        anonymous_id=message.anonymousId,
        properties=properties,
        traits=_traits(message),
        context=_kept_context(message.context),
        group_id=message.groupId,
        previous_id=message.previousId,
    )


def _error_field(error: dict[str, Any], prefix: str) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()))
    return f"{prefix}.{location}" if location else prefix


def _readable(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def encoded_size(raw: Any) -> int:
    return len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))


def parse_message(
    raw: Any,
    *,
    field: str,
    received_at: datetime,
    batch_sent_at: datetime | None,
    source: str,
    default_type: str | None = None,
) -> StoredEvent:
    """Validate one raw message. Raises ``FieldError`` naming the field and the problem."""
    if not isinstance(raw, dict):
        raise FieldError(field, "must be a JSON object")
    if encoded_size(raw) > MAX_EVENT_BYTES:
        raise FieldError(field, f"event is larger than {MAX_EVENT_BYTES // 1024} KB")
    if default_type is not None:
        if raw.get("type", default_type) != default_type:
            raise FieldError(f"{field}.type", f"must be '{default_type}' on this endpoint")
        raw = {**raw, "type": default_type}
    try:
        message = TrackingMessage.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FieldError(_error_field(dict(first), field), _readable(dict(first))) from None
    missing = _missing_field(message)
    if missing is not None:
        raise FieldError(f"{field}.{missing[0]}", missing[1])
    message_id = message.messageId or derive_message_id(raw)
    return to_stored_event(
        message, message_id=message_id, received_at=received_at, batch_sent_at=batch_sent_at, source=source
    )


def parse_sent_at(raw: Any, field: str) -> datetime | None:
    if raw is None:
        return None
    try:
        return _aware(_DATETIME.validate_python(raw))
    except ValidationError:
        raise FieldError(field, "must be an ISO 8601 date-time") from None
