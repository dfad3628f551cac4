"""The ``/_local/*`` API of ``leadwire local``: what only a laptop has (drain, the simulated
clock, the outbox, what a recipient does to a sent email or text, replaying failures).

Each body is parsed into a model; a bad one is a 400 naming the field, as the admin API answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leadwire.core.errors import InvalidRequest, LeadwireError
from leadwire.local.apigw import HttpResponse

if TYPE_CHECKING:
    from leadwire.local.runtime import LocalRuntime

Body = TypeVar("Body", bound=BaseModel)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ClockMove(_Request):
    """``{"advance": DURATION}`` or ``{"to": ISO8601}``: exactly one."""

    advance: str | None = Field(default=None, max_length=32)
    to: datetime | None = None

    @field_validator("to")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @model_validator(mode="after")
    def _one(self) -> ClockMove:
        if (self.advance is None) == (self.to is None):
            raise ValueError('send exactly one of {"advance": DURATION} or {"to": ISO8601}')
        return self


class EmailEngagement(_Request):
    """What the recipient of a sent email does: an open, or a click on a link."""

    message_id: str = Field(alias="messageId", min_length=1, max_length=256)
    type: Literal["open", "click"]
    link: str | None = Field(default=None, max_length=2048)


class SmsReply(_Request):
    """A reply from a phone number (STOP opts it out)."""

    sender: str = Field(alias="from", min_length=1, max_length=32)
    body: str = Field(max_length=1600)


class ReplayRequest(_Request):
    """``leadwire replay --local``: which consumer's failures, whether to only list them, how many."""

    consumer: str = "all"
    dry_run: bool = Field(default=False, alias="dryRun", strict=True)
    max: int | None = Field(default=None, ge=1, strict=True)


def parse(model: type[Body], body: bytes) -> Body:
    """The body as ``model``, or ``InvalidRequest`` naming the first field that is wrong."""
    try:
        document = json.loads(body or b"{}")
    except json.JSONDecodeError:
        raise InvalidRequest("body is not valid JSON", {"field": "body"}) from None
    if not isinstance(document, dict):
        raise InvalidRequest("body must be a JSON object", {"field": "body"})
    try:
        return model.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidRequest(
            f"{field}: {message}" if field != "body" else message, {"field": field}
        ) from None


def _json(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, json.dumps(body).encode())


Route = Callable[["LocalRuntime", bytes], Any]


def _replay(runtime: LocalRuntime, body: bytes) -> Any:
    from leadwire.local.replay import replay_request

    return replay_request(runtime, parse(ReplayRequest, body))


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/_local/drain"): lambda runtime, body: runtime.drain(),
    ("POST", "/_local/clock"): lambda runtime, body: runtime.move_clock(parse(ClockMove, body)),
    ("GET", "/_local/outbox"): lambda runtime, body: {"messages": runtime.outbox()},
    ("POST", "/_local/email-events"): lambda runtime, body: runtime.email_event(parse(EmailEngagement, body)),
    ("POST", "/_local/sms-inbound"): lambda runtime, body: runtime.sms.inbound(parse(SmsReply, body)),
    ("GET", "/_local/sms"): lambda runtime, body: {"messages": runtime.sms.sent},
    ("POST", "/_local/replay"): _replay,
}


def handle(runtime: LocalRuntime, method: str, path: str, body: bytes) -> HttpResponse:
    route = ROUTES.get((method, path))
    if route is None:
        return _json(
            404, {"error": {"code": "not_found", "message": f"no route for {method} {path}", "details": None}}
        )
    try:
        return _json(200, route(runtime, body))
    except LeadwireError as error:
        return _json(error.status, error.to_body())
