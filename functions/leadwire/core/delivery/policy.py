"""The delivery policy as code: the ``delivery`` section of the config.

```yaml
delivery:
  email:
    from: "Acme <hello@acme.example>"   # a verified SES identity (EMAIL_FROM overrides it in AWS)
    reply_to: sales@acme.example          # optional
    recipient_trait: email                # where the address is read from
  sms:
    recipient_trait: phone                # an E.164 number (+14155550100)
    origination_identity: "+18005550100"  # optional: a phone number, sender id, pool or their ARN
    configuration_set: leadwire           # optional: End User Messaging's, for delivery events
  frequency_caps:                         # a send that would exceed a cap is not sent ("capped")
    - {channel: email, category: marketing, max: 1, per: PT16H}
    - {channel: webhook, max: 20, per: P1D}
  quiet_hours:                            # sends in this local window wait until it ends ("deferred")
    start: "21:00"
    end: "08:00"
    channels: [email, sms]
    categories: [marketing]
    timezone_trait: timezone
    default_timezone: UTC
```

Every part is optional; without a section nothing is capped or deferred. A cap without a
``category`` counts every send of its channel. Categories are the email action's ``channel``
(``marketing`` or ``transactional``); an SMS is ``marketing`` (End User Messaging's PROMOTIONAL);
webhooks and bus events are of no category.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, ValidationError, model_validator

from leadwire.core.rules.conditions import PropertyPath
from leadwire.core.rules.durations import Duration
from leadwire.core.rules.errors import Problem, problems_from, under
from leadwire.core.strict_model import StrictModel
from leadwire.core.triggers.models import ClockTime

Channel = Literal["email", "webhook", "eventbridge", "onsite", "sms"]
Category = Literal["marketing", "transactional"]
CHANNELS: tuple[Channel, ...] = ("email", "webhook", "eventbridge", "onsite", "sms")
DEFAULT_FROM = "Leadwire <hello@leadwire.example>"
_ADDRESS = r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^<>]*<[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+>$"


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"'{name}' is not an IANA time zone such as Europe/Berlin") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(_time_zone)]
Address = Annotated[str, Field(pattern=_ADDRESS, max_length=320)]


class EmailSettings(StrictModel):
    from_address: Address = Field(default=DEFAULT_FROM, alias="from")
    reply_to: Address | None = None
    recipient_trait: PropertyPath = "email"


class SmsSettings(StrictModel):
    recipient_trait: PropertyPath = "phone"
    origination_identity: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    configuration_set: Annotated[str, Field(pattern=r"^[A-Za-z0-9_:/-]{1,256}$")] | None = None


class FrequencyCap(StrictModel):
    channel: Channel
    category: Category | None = None
    max: Annotated[int, Field(ge=1, le=10_000)]
    per: Duration

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.category or '*'}:{self.max}:{int(self.per.total_seconds())}"

    def counts(self, channel: str, category: str | None) -> bool:
        return channel == self.channel and (self.category is None or self.category == category)


class QuietHours(StrictModel):
    start: ClockTime
    end: ClockTime
    channels: list[Channel] = Field(default_factory=lambda: list[Channel](["email", "sms"]), min_length=1)
    categories: list[Category] = Field(default_factory=lambda: list[Category](["marketing"]), min_length=1)
    timezone_trait: PropertyPath = "timezone"
    default_timezone: TimeZoneName = "UTC"

    @model_validator(mode="after")
    def _window(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are equal: the window would be empty (or the whole day)")
        return self

    def applies(self, channel: str, category: str | None) -> bool:
        if channel not in self.channels:
            return False
        return category is None or category in self.categories


class DeliveryPolicy(StrictModel):
    email: EmailSettings = Field(default_factory=EmailSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    frequency_caps: list[FrequencyCap] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None

    @property
    def longest_cap(self) -> timedelta:
        """How long a send must be remembered for the caps to see it."""
        return max((cap.per for cap in self.frequency_caps), default=timedelta(0))


class DeliveryPolicyError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p['path']}: {p['message']}" for p in problems))


def parse_delivery_policy(raw: Any) -> DeliveryPolicy:
    """The ``delivery`` section, or the empty policy when it is absent; problems name their path
    (``delivery.quiet_hours.start``)."""
    if raw is None:
        return DeliveryPolicy()
    try:
        return DeliveryPolicy.model_validate(raw)
    except ValidationError as error:
        raise DeliveryPolicyError(under(("delivery",), problems_from(error))) from None
