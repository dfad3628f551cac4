"""Segment HTTP Tracking API messages: validation, clock-skew correction and the stored shape.

Pure: no boto3, no clock. The ingestion handler passes ``received_at``.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from datetime import UTC, datetime, timedelta
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
# Nesting of a message's JSON (properties in properties...): enough for any real payload, and far
# below what would make a JSON encoder or validator recurse too deep.
MAX_NESTING = 32

# The instants an event may have once clock skew is corrected. Earlier ones are clock bugs, not
# history: an unset device clock (1970), Go's zero time (year 1), a default "0000" date; no lead
# of this product acted before 2000. Later ones are wrong clocks too; a year of slack leaves room
# for scheduled imports and test clocks. Keeping instants to years 2000..9998 also keeps every
# stored instant a 4-digit, zero-padded ISO string that sorts, parses back, and leaves room for
# any window arithmetic the engine does (a "within P1Y" never overflows).
EARLIEST_EVENT_AT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_AFTER_ARRIVAL = timedelta(days=366)

MessageType = Literal["identify", "track", "page", "screen", "group", "alias"]
MESSAGE_TYPES: tuple[str, ...] = ("identify", "track", "page", "screen", "group", "alias")

# Event names the engine sees for page and screen calls (DESIGN.md, "Event names").
PAGE_EVENT = "page_viewed"
SCREEN_EVENT = "screen_viewed"

# The context fields worth keeping: what rules, audits and time zones need, not every client detail.
_KEPT_CONTEXT = ("page", "campaign", "timezone", "locale", "library", "channel")
_KEPT_PAGE = ("path", "url", "title", "referrer", "search")


def _id_to_string(value: Any) -> Any:
    """Segment allows numeric ids; they are the same lead as their string form. (An int is never
    turned into a float: 10**400 would overflow, and a long numeric id would lose digits.)"""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else str(value)
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
    # Position in the request that carried it: the tie-breaker between equal instants, so events
    # of one batch keep the order the client sent them in.
    sequence: int = 0


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


def instant_problem(moment: datetime, received_at: datetime) -> str | None:
    """Why ``moment`` cannot be an event's instant (None: it can). See ``EARLIEST_EVENT_AT``."""
    latest = min(received_at + LATEST_AFTER_ARRIVAL, datetime(9998, 12, 31, tzinfo=UTC))
    if moment < EARLIEST_EVENT_AT or moment > latest:
        return (
            f"{_text(moment)} is outside the accepted range {_text(EARLIEST_EVENT_AT)} .. "
            f"{_text(latest)} (one year after arrival)"
        )
    return None


def _text(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def corrected_timestamp(
    message: TrackingMessage, received_at: datetime, batch_sent_at: datetime | None, field: str = "body"
) -> datetime:
    """Segment's clock-skew correction: ``receivedAt - (sentAt - originalTimestamp)``.

    The device clock may be wrong, but the interval between the event and its sending is right.
    Without ``sentAt`` (server-side imports, curl) the given timestamp is trusted as is; without
    any timestamp the event happened when it arrived. An instant outside the accepted range
    (``instant_problem``), or one the arithmetic cannot even represent, raises ``FieldError``
    naming the timestamp field.
    """
    name = "originalTimestamp" if message.originalTimestamp is not None else "timestamp"
    original = message.originalTimestamp or message.timestamp
    sent_at = message.sentAt or batch_sent_at
    if original is None:
        return received_at
    how = "" if sent_at is None else ", after clock-skew correction with sentAt,"
    try:
        corrected = (
            _aware(original) if sent_at is None else received_at - (_aware(sent_at) - _aware(original))
        )
    except OverflowError:
        raise FieldError(
            f"{field}.{name}", f"the event time{how} falls outside the dates a calendar can hold"
        ) from None
    problem = instant_problem(corrected, received_at)
    if problem is not None:
        raise FieldError(f"{field}.{name}", f"the event time{how} {problem}")
    return corrected


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
    field: str = "body",
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
        timestamp=corrected_timestamp(message, received_at, batch_sent_at, field),
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


class Unrepresentable:
    """A JSON number this service cannot hold (an integer of thousands of digits), kept in place by
    the body parser so that only the event holding it is refused."""

    def __init__(self, text: str) -> None:
        self.text = text


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def unstorable_value(value: Any, path: str, depth: int = 0) -> tuple[str, str] | None:
    """The first value in a message that no store or client could take back, as (field, problem):
    NaN and infinities (not JSON), numbers too long to represent, lone UTF-16 surrogates (not
    UTF-8), and nesting deeper than ``MAX_NESTING``."""
    if isinstance(value, float) and not math.isfinite(value):
        return path, "must be a finite number (NaN and infinities are not JSON numbers)"
    if isinstance(value, Unrepresentable):
        return path, f"is a number of {len(value.text)} digits; send it as a string"
    if isinstance(value, str):
        return (
            (path, "holds a lone UTF-16 surrogate, which is not valid Unicode")
            if _has_surrogate(value)
            else None
        )
    if isinstance(value, dict | list):
        if depth >= MAX_NESTING:
            return path, f"nests deeper than {MAX_NESTING} levels"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and _has_surrogate(key):
                return path, "has a key holding a lone UTF-16 surrogate, which is not valid Unicode"
            found = unstorable_value(
                item, f"{path}.{key}" if isinstance(value, dict) else f"{path}[{key}]", depth + 1
            )
            if found is not None:
                return found
    return None


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
    unstorable = unstorable_value(raw, field)
    if unstorable is not None:
        raise FieldError(*unstorable)
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
        message,
        message_id=message_id,
        received_at=received_at,
        batch_sent_at=batch_sent_at,
        source=source,
        field=field,
    )


def parse_sent_at(raw: Any, field: str) -> datetime | None:
    if raw is None:
        return None
    try:
        return _aware(_DATETIME.validate_python(raw))
    except ValidationError:
        raise FieldError(field, "must be an ISO 8601 date-time") from None
    except OverflowError:  # year 1 with a positive offset, say: no UTC instant
        raise FieldError(field, "falls outside the dates a calendar can hold") from None
