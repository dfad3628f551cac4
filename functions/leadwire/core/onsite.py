"""On-site messages, the pop-up channel: what an ``onsite`` action leaves for a lead, and what the
visitor's browser is shown now.

A fired ``onsite`` action stores one pending message per delivery (its id is the delivery id),
valid from the moment it was delivered for ``ttl``. ``GET /v1/messages`` returns the lead's
unexpired messages that were not clicked or dismissed, newest first. A click or a dismissal is a
track event (``onsite_clicked`` / ``onsite_dismissed`` with ``properties.message_id``): ingestion
stores it like any event and also writes a closure next to the message, so the next page view no
longer shows it (no stream hop, no read of the lead's events).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeGuard
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from leadwire.core.strict_model import StrictModel
from leadwire.core.tracking import MAX_ID_LENGTH, StoredEvent

ONSITE_SHOWN = "onsite_shown"
ONSITE_CLICKED = "onsite_clicked"
ONSITE_DISMISSED = "onsite_dismissed"
CLOSING_EVENTS = frozenset({ONSITE_CLICKED, ONSITE_DISMISSED})
MESSAGE_ID_PROPERTY = "message_id"
DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=90)
CLOSURE_KEPT = MAX_TTL  # a closure outlives every message it can close
# Message ids are delivery ids (``<fire id>-<action index>``): anything else closes nothing, and
# a visitor's input never becomes a sort key of another shape.
_MESSAGE_ID = re.compile(r"^[0-9a-f]{32}-\d{1,3}$")
_MAX_URL_LENGTH = 2048


def _cta_url(value: Any) -> str:
    """An absolute http(s) URL or a path on the same site (``/cart``): never ``javascript:``."""
    if not isinstance(value, str) or not value or len(value) > _MAX_URL_LENGTH:
        raise PydanticCustomError("cta_url", "a CTA URL is text of 1 to 2048 characters")
    if value.startswith("/") and not value.startswith("//"):
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise PydanticCustomError(
            "cta_url", "'{url}' is not an http or https URL nor a path such as /cart", {"url": value}
        )
    return value


class Cta(StrictModel):
    label: Annotated[str, Field(min_length=1, max_length=80)]
    url: Annotated[str, BeforeValidator(_cta_url)]


class OnsiteMessage(StrictModel):
    """What the pop-up shows: ``{"title", "body", "cta": {"label", "url"}}``."""

    title: Annotated[str, Field(min_length=1, max_length=120)]
    body: Annotated[str, Field(min_length=1, max_length=1000)]
    cta: Cta | None = None


@dataclass(frozen=True)
class PendingMessage:
    """A stored message of one lead."""

    message_id: str
    message: OnsiteMessage
    created_at: datetime
    expires_at: datetime

    def to_body(self) -> dict[str, Any]:
        cta = self.message.cta
        return {
            "id": self.message_id,
            "title": self.message.title,
            "body": self.message.body,
            "cta": None if cta is None else {"label": cta.label, "url": cta.url},
        }


def is_message_id(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and _MESSAGE_ID.match(value) is not None


def visible(messages: Iterable[PendingMessage], closed: Iterable[str], now: datetime) -> list[PendingMessage]:
    """The messages to show at ``now``: delivered, unexpired, not closed; newest first."""
    shut = set(closed)
    open_now = {
        message.message_id: message
        for message in messages
        if message.created_at <= now < message.expires_at and message.message_id not in shut
    }
    return sorted(open_now.values(), key=lambda m: (m.created_at, m.message_id), reverse=True)


@dataclass(frozen=True)
class Closure:
    lead_id: str
    message_id: str
    at: datetime


def closures(events: Iterable[StoredEvent]) -> list[Closure]:
    """The messages that clicks and dismissals among ``events`` close (one per lead and message)."""
    found: dict[tuple[str, str], Closure] = {}
    for event in events:
        if event.type != "track" or event.event not in CLOSING_EVENTS:
            continue
        message_id = (event.properties or {}).get(MESSAGE_ID_PROPERTY)
        if is_message_id(message_id):
            found.setdefault((event.lead_id, message_id), Closure(event.lead_id, message_id, event.timestamp))
    return list(found.values())


class VisitorIdError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def visitor_id(user_id: str | None, anonymous_id: str | None) -> str:
    """The id to look messages up by: ``userId`` wins over ``anonymousId`` (as in tracking)."""
    for field_name, value in (("userId", user_id), ("anonymousId", anonymous_id)):
        if value is not None and value.strip():
            if len(value.strip()) > MAX_ID_LENGTH:
                raise VisitorIdError(field_name, f"{field_name} is longer than {MAX_ID_LENGTH} characters")
            return value.strip()
    raise VisitorIdError("userId", "give the visitor's userId or anonymousId")
