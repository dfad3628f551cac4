"""The trigger models: a ``Trigger`` is only ever built valid.

The shape rules that span fields (``wait`` xor ``delay``, ``actions`` xor ``variants``, unique
variant names, ``match`` only where there is an ``on`` event to read it from) live in the model.
What needs the whole list or the world around it (unique ids, known segments and templates,
``emit_event`` loops) is ``definitions.parse_triggers``'s, through ``references.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import time, timedelta
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    BeforeValidator,
    Discriminator,
    Field,
    PlainSerializer,
    StrictBool,
    StrictInt,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leadwire.core.onsite import DEFAULT_TTL, MAX_TTL, OnsiteMessage
from leadwire.core.rules.comparisons import Number, StrictModel, holds
from leadwire.core.rules.conditions import (
    NODE_TAG_PREFIX,
    Condition,
    EventFilter,
    EventName,
    PropertyPath,
    SegmentId,
)
from leadwire.core.rules.durations import Duration
from leadwire.core.rules.errors import format_path
from leadwire.core.rules.lookup import lookup
from leadwire.core.secret_reference import FORMS, is_reference
from leadwire.core.triggers.errors import SHAPE_ERROR

DEFAULT_HORIZON = timedelta(days=2)
DEFAULT_PRIORITY = 50
DEFAULT_EXPIRES = timedelta(days=3)
DEFAULT_ANNIVERSARY_AT = time(9, 0)
DEFAULT_TIME_ZONE_TRAIT = "timezone"

TriggerId = SegmentId
TemplateId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]  # SES template names
VariantName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
PositiveNumber = Annotated[Number, Field(gt=0)]
Percent = Annotated[Number, Field(ge=0, lt=100)]
OnKind = Literal["enter", "exit", "event", "anniversary"]

_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_MAX_URL_LENGTH = 2048
_MAX_TEXT_TEMPLATE = 3000  # Slack shows about 3,000 characters of a message's text


# -- value types ------------------------------------------------------------------------------


def _clock_time(value: Any) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    match = _CLOCK_TIME.match(value) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError(
            "clock_time", "{value} is not a 24-hour time HH:MM such as 09:00 or 17:30", {"value": repr(value)}
        )
    return time(int(match[1]), int(match[2]))


ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _CLOCK_TIME.pattern}),
]
"""``"09:00"``: a local wall-clock time, 24-hour, minutes precision."""


def _url(value: Any) -> str:
    if isinstance(value, str) and is_reference(value):
        return value  # a reference (env:, ssm:, Secrets Manager): URLs with tokens are secrets too
    if not isinstance(value, str) or len(value) > _MAX_URL_LENGTH:
        raise PydanticCustomError("url", "a URL is text of at most 2048 characters")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
    if parts.scheme not in {"http", "https"} or not host:
        raise PydanticCustomError("url", "'{url}' is not an http or https URL", {"url": value})
    if parts.username is not None or parts.password is not None:
        raise PydanticCustomError(
            "url", "a webhook URL must not carry credentials; sign with 'secret' instead"
        )
    return value


Url = Annotated[str, BeforeValidator(_url)]


def _secret_reference(value: Any) -> str:
    if isinstance(value, str) and is_reference(value):
        return value
    raise PydanticCustomError(
        "secret_reference", "a secret is a reference, never the secret itself: {forms}", {"forms": FORMS}
    )


ReferenceText = Annotated[str, BeforeValidator(_secret_reference)]
"""A field that holds a ``SecretReference`` as its text (``core.secret_reference``)."""


# -- on ---------------------------------------------------------------------------------------


class EnterOn(StrictModel):
    KIND: ClassVar[OnKind] = "enter"
    enter: SegmentId


class ExitOn(StrictModel):
    KIND: ClassVar[OnKind] = "exit"
    exit: SegmentId


class _NamedEvent(EventFilter):
    """The rule language's event filter, matched against a name and properties (no ``LeadEvent``)."""

    def accepts(self, event_name: str, properties: Mapping[str, Any]) -> bool:
        return event_name == self.event and all(
            holds(test, lookup(properties, path)) for path, test in self.where.items()
        )


class EventOn(_NamedEvent):
    """``{"event": NAME, "where": {prop: CMP}}``."""

    KIND: ClassVar[OnKind] = "event"


class Anniversary(StrictModel):
    trait: PropertyPath
    at: ClockTime = DEFAULT_ANNIVERSARY_AT
    timezone_trait: PropertyPath = DEFAULT_TIME_ZONE_TRAIT


class AnniversaryOn(StrictModel):
    KIND: ClassVar[OnKind] = "anniversary"
    anniversary: Anniversary


ON_KINDS: tuple[OnKind, ...] = ("enter", "exit", "event", "anniversary")


def _on_tag(raw: Any) -> str | None:
    if isinstance(raw, EnterOn | ExitOn | EventOn | AnniversaryOn):
        return NODE_TAG_PREFIX + raw.KIND
    if not isinstance(raw, dict):
        return None
    kinds = [kind for kind in ON_KINDS if kind in raw]
    return NODE_TAG_PREFIX + kinds[0] if len(kinds) == 1 else None


On = Annotated[
    Annotated[EnterOn, Tag(NODE_TAG_PREFIX + "enter")]
    | Annotated[ExitOn, Tag(NODE_TAG_PREFIX + "exit")]
    | Annotated[EventOn, Tag(NODE_TAG_PREFIX + "event")]
    | Annotated[AnniversaryOn, Tag(NODE_TAG_PREFIX + "anniversary")],
    Discriminator(_on_tag, custom_error_type="trigger_on", custom_error_message="not a trigger 'on'"),
]


# -- wait, reentry ----------------------------------------------------------------------------


class Until(_NamedEvent):
    """The awaited event: same lead, equal values of every ``match`` property."""

    match: list[PropertyPath]


class Wait(StrictModel):
    until: Until
    timeout: Duration


class OncePer(StrictModel):
    once_per: Duration


ReentryMode = Literal["once", "every_time"]


def _reentry_tag(raw: Any) -> str | None:
    if isinstance(raw, str):
        return NODE_TAG_PREFIX + "mode"
    if isinstance(raw, dict | OncePer):
        return NODE_TAG_PREFIX + "once_per"
    return None


Reentry = Annotated[
    Annotated[ReentryMode, Tag(NODE_TAG_PREFIX + "mode")]
    | Annotated[OncePer, Tag(NODE_TAG_PREFIX + "once_per")],
    Discriminator(
        _reentry_tag,
        custom_error_type="reentry",
        custom_error_message="reentry is 'once', 'every_time' or {\"once_per\": DURATION}",
    ),
]
ReentryPolicy = Literal["once", "every_time", "once_per_membership"] | OncePer
"""What a trigger does when its ``on`` happens again (see ``Trigger.reentry_policy``)."""


# -- actions ----------------------------------------------------------------------------------


class EmailAction(StrictModel):
    type: Literal["email"]
    template: TemplateId
    channel: Literal["marketing", "transactional"] = "marketing"


class WebhookAction(StrictModel):
    """Signed with Standard Webhooks. Private, loopback and link-local targets are refused at
    send time (the address is only known once the host resolves) unless ``allow_private``.

    ``url`` may itself be a reference (``env:NAME``, ``ssm:/path``, a Secrets Manager ARN),
    resolved at send time: one config serves every stage, and URLs that carry tokens (Slack,
    Zapier) stay out of git."""

    type: Literal["webhook"]
    url: Url
    secret: ReferenceText
    allow_private: StrictBool = False


SEGMENT_ENTERED_DETAIL_TYPE = "leadwire.segment.entered"
SEGMENT_EXITED_DETAIL_TYPE = "leadwire.segment.exited"
TRIGGER_FIRED_DETAIL_TYPE = "leadwire.trigger.fired"


class EventBridgeAction(StrictModel):
    """A ``leadwire`` event on the deployment's bus. Without ``detail_type``, an enter trigger
    puts ``leadwire.segment.entered``, an exit trigger ``leadwire.segment.exited`` and any other
    ``leadwire.trigger.fired`` (the documented detail-types; README "Bus events")."""

    type: Literal["eventbridge"]
    detail_type: Annotated[str, Field(min_length=1, max_length=128)] | None = None

    def detail_type_for(self, kind: OnKind) -> str:
        if self.detail_type is not None:
            return self.detail_type
        if kind == "enter":
            return SEGMENT_ENTERED_DETAIL_TYPE
        if kind == "exit":
            return SEGMENT_EXITED_DETAIL_TYPE
        return TRIGGER_FIRED_DETAIL_TYPE


def _text_template(value: Any) -> str:
    """A Slack message template: Jinja text checked now (syntax, known variables), rendered per fire."""
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT_TEMPLATE:
        raise PydanticCustomError(
            "text_template",
            "a text template is non-empty text of at most {limit} characters",
            {"limit": _MAX_TEXT_TEMPLATE},
        )
    from leadwire.core.email.templates import text_template_problem  # jinja2: only when a text is checked

    problem = text_template_problem(value)
    if problem is not None:
        raise PydanticCustomError("text_template", "{problem}", {"problem": problem})
    return value


TextTemplate = Annotated[str, BeforeValidator(_text_template)]


class SlackAction(StrictModel):
    """A message to a Slack incoming webhook ("alert the enterprise sales team"). The webhook URL
    carries its own token, so ``url`` is a reference, never the URL itself. ``text`` is a template
    with the email templates' variables (``lead``, ``traits``, ``event``, ``trigger``) plus ``why``."""

    type: Literal["slack"]
    url: ReferenceText
    text: TextTemplate


class HubspotAction(StrictModel):
    """Upserts the lead as a HubSpot contact by email (batch upsert, ``idProperty: email``) with
    its score, band, segments and why it is handed over. ``token`` references a private app's
    access token with the ``crm.objects.contacts.write`` scope."""

    type: Literal["hubspot"]
    token: ReferenceText


class OnsiteAction(StrictModel):
    """A pop-up for the lead's next page views (``GET /v1/messages``), valid for ``ttl`` from
    the moment it is delivered (after quiet hours, under the caps and the lead's consent)."""

    type: Literal["onsite"]
    message: OnsiteMessage
    ttl: Duration = DEFAULT_TTL

    @field_validator("ttl")
    @classmethod
    def _ttl(cls, ttl: timedelta) -> timedelta:
        if not timedelta(0) < ttl <= MAX_TTL:
            raise PydanticCustomError("onsite_ttl", "ttl is a duration from PT1S to P90D")
        return ttl


class SmsAction(StrictModel):
    """A text through AWS End User Messaging SMS: ``template`` is an ``sms_templates`` id. Needs
    ``subscribed: sms``; an inbound STOP suppresses the lead's number (``delivery.sms``)."""

    type: Literal["sms"]
    template: TemplateId


class EmitEventAction(StrictModel):
    """A derived event that re-enters the pipeline as the lead's own track event."""

    type: Literal["emit_event"]
    event: EventName
    properties: dict[str, Any] = Field(default_factory=dict)


ACTION_TYPES: tuple[str, ...] = (
    "email",
    "webhook",
    "eventbridge",
    "emit_event",
    "slack",
    "hubspot",
    "onsite",
    "sms",
)
HANDOFF_TYPES: frozenset[str] = frozenset({"webhook", "slack", "hubspot"})
"""Actions that hand the lead to another system: their payload says why (``core.handoff``)."""
REFERENCE_FIELDS: dict[str, tuple[str, ...]] = {
    "webhook": ("url", "secret"),
    "slack": ("url",),
    "hubspot": ("token",),
}
"""Per action type, the fields that hold (or may hold) a secret reference the deployment must read."""


def _action_tag(raw: Any) -> str | None:
    if isinstance(
        raw,
        EmailAction
        | WebhookAction
        | EventBridgeAction
        | EmitEventAction
        | SlackAction
        | HubspotAction
        | OnsiteAction
        | SmsAction,
    ):
        return NODE_TAG_PREFIX + raw.type
    if isinstance(raw, dict) and raw.get("type") in ACTION_TYPES:
        return NODE_TAG_PREFIX + str(raw["type"])
    return None


Action = Annotated[
    Annotated[EmailAction, Tag(NODE_TAG_PREFIX + "email")]
    | Annotated[WebhookAction, Tag(NODE_TAG_PREFIX + "webhook")]
    | Annotated[EventBridgeAction, Tag(NODE_TAG_PREFIX + "eventbridge")]
    | Annotated[EmitEventAction, Tag(NODE_TAG_PREFIX + "emit_event")]
    | Annotated[SlackAction, Tag(NODE_TAG_PREFIX + "slack")]
    | Annotated[HubspotAction, Tag(NODE_TAG_PREFIX + "hubspot")]
    | Annotated[OnsiteAction, Tag(NODE_TAG_PREFIX + "onsite")]
    | Annotated[SmsAction, Tag(NODE_TAG_PREFIX + "sms")],
    Discriminator(_action_tag, custom_error_type="action_type", custom_error_message="not an action"),
]


class Variant(StrictModel):
    name: VariantName
    weight: PositiveNumber
    actions: list[Action] = Field(min_length=1)


DEFAULT_VARIANT = "default"


# -- the trigger ------------------------------------------------------------------------------


class Trigger(StrictModel):
    id: TriggerId
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    on: On
    wait: Wait | None = None
    delay: Duration | None = None
    only_if: Condition | None = None
    reentry: Reentry | None = None
    variants: list[Variant] | None = Field(default=None, min_length=1)
    holdout: Percent = 0
    horizon: Duration = DEFAULT_HORIZON
    priority: Annotated[StrictInt, Field(ge=0, le=100)] = DEFAULT_PRIORITY
    """Who goes first under a frequency cap: 0 (lowest) to 100 (highest)."""
    expires: Duration = DEFAULT_EXPIRES
    """How long after the fire a message may still go out (waiting for a cap slot, quiet hours)."""
    actions: list[Action] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _shape(self) -> Trigger:
        problems = list(self._shape_problems())
        if problems:
            summary = "; ".join(f"{format_path(where)}: {message}" for where, message in problems)
            raise PydanticCustomError(SHAPE_ERROR, "{summary}", {"summary": summary, "problems": problems})
        return self

    def _shape_problems(self) -> Iterator[tuple[list[str | int], str]]:
        if self.wait is not None and self.delay is not None:
            yield (
                ["delay"],
                "'delay' and 'wait' are mutually exclusive: 'wait.timeout' is the delay of a wait",
            )
        if self.actions is None and self.variants is None:
            yield ["actions"], "required"
        if self.actions is not None and self.variants is not None:
            yield ["variants"], "give either 'actions' or 'variants' (each with its own actions), not both"
        first: dict[str, int] = {}
        for index, variant in enumerate(self.variants or []):
            if variant.name in first:
                message = (
                    f"duplicate variant name '{variant.name}' (first at variants[{first[variant.name]}])"
                )
                yield ["variants", index, "name"], message
            first.setdefault(variant.name, index)
        if self.wait is not None:
            yield from self._match_problems(self.wait.until.match)

    def _match_problems(self, match: list[str]) -> Iterator[tuple[list[str | int], str]]:
        if match and self.kind != "event":
            yield (
                ["wait", "until", "match"],
                f"'match' compares properties of the 'on' event, and an '{self.kind}' trigger has none; "
                "use an empty list",
            )
            return
        seen: set[str] = set()
        for index, path in enumerate(match):
            if path in seen:
                yield ["wait", "until", "match", index], f"duplicate property '{path}'"
            seen.add(path)

    @property
    def kind(self) -> OnKind:
        return self.on.KIND

    @property
    def segment_id(self) -> str | None:
        """The segment of an ``enter`` or ``exit`` trigger."""
        if isinstance(self.on, EnterOn):
            return self.on.enter
        if isinstance(self.on, ExitOn):
            return self.on.exit
        return None

    @property
    def on_event(self) -> EventOn | None:
        """The ``on`` of an event trigger."""
        return self.on if isinstance(self.on, EventOn) else None

    @property
    def reentry_policy(self) -> ReentryPolicy:
        """The given ``reentry``, else the default for the kind: ``enter``/``exit`` fire once per
        membership interval, event and anniversary triggers every time."""
        if self.reentry is not None:
            return self.reentry
        return "once_per_membership" if self.kind in {"enter", "exit"} else "every_time"

    @cached_property
    def arms(self) -> tuple[Variant, ...]:
        """The variants, or one ``default`` variant that holds ``actions``."""
        if self.variants is not None:
            return tuple(self.variants)
        return (Variant(name=DEFAULT_VARIANT, weight=1, actions=list(self.actions or [])),)

    def action_paths(self) -> Iterator[tuple[list[str | int], Action]]:
        """Every action with its location inside the trigger (``actions[1]``, ``variants[0].actions[2]``)."""
        for index, action in enumerate(self.actions or []):
            yield ["actions", index], action
        for variant_index, variant in enumerate(self.variants or []):
            for index, action in enumerate(variant.actions):
                yield ["variants", variant_index, "actions", index], action
