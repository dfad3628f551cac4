"""SES event-publishing records, parsed into models (the shapes SES documents for each event type).

Only what Leadwire reads is modelled; SES adds fields over time, and they are ignored. A record
that does not parse raises ``MalformedFeedback`` naming the first field at fault, as a path
(``mail.messageId``, ``subscription.newTopicPreferences.topicSubscriptionStatus[0].topicName``).

Pure: no boto3.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from leadwire.core.tracking import FieldError


class MalformedFeedback(FieldError):
    """A record (or its envelope) that is not what SES or SNS publishes; names the field."""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Instant = Annotated[datetime, AfterValidator(_utc)]
Text = Annotated[str, StringConstraints(min_length=1)]
Tags = dict[str, list[str]]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Mail(_Part):
    message_id: Text = Field(alias="messageId")
    timestamp: Instant


class TaggedMail(_Part):
    """What decides whether a record is Leadwire's at all: its tags (``{name: [values]}``)."""

    tags: Tags = Field(default_factory=dict)

    def first(self, name: str) -> str | None:
        values = self.tags.get(name)
        return values[0] if values else None


class Delivery(_Part):
    timestamp: Instant
    processing_time_ms: int | None = Field(default=None, alias="processingTimeMillis")


class Open(_Part):
    timestamp: Instant
    user_agent: str | None = Field(default=None, alias="userAgent")
    ip_address: str | None = Field(default=None, alias="ipAddress")


class Click(Open):
    link: Text
    link_tags: dict[str, Any] = Field(default_factory=dict, alias="linkTags")


class Bounce(_Part):
    timestamp: Instant
    bounce_type: Text = Field(alias="bounceType")
    bounce_sub_type: str | None = Field(default=None, alias="bounceSubType")


class Complaint(_Part):
    timestamp: Instant
    feedback_type: str | None = Field(default=None, alias="complaintFeedbackType")


class TopicStatus(_Part):
    topic_name: Text = Field(alias="topicName")
    subscription_status: Text = Field(alias="subscriptionStatus")


class TopicPreferences(_Part):
    unsubscribe_all: bool | None = Field(default=None, alias="unsubscribeAll")
    topics: list[TopicStatus] = Field(default_factory=list, alias="topicSubscriptionStatus")


class Subscription(_Part):
    timestamp: Instant
    contact_list: str | None = Field(default=None, alias="contactList")
    source: str | None = None
    preferences: TopicPreferences = Field(default_factory=TopicPreferences, alias="newTopicPreferences")


class Reject(_Part):
    reason: str | None = None


class RenderingFailure(_Part):
    error_message: str | None = Field(default=None, alias="errorMessage")
    template_name: str | None = Field(default=None, alias="templateName")


class DeliveryDelay(_Part):
    timestamp: Instant
    delay_type: str | None = Field(default=None, alias="delayType")


Part = TypeVar("Part", bound=BaseModel)


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def parse_part(model: type[Part], record: Mapping[str, Any], key: str) -> Part:
    """``record[key]`` as ``model``; ``MalformedFeedback`` naming ``key.field`` otherwise."""
    value = record.get(key)
    if not isinstance(value, Mapping):
        raise MalformedFeedback(key, "is required and must be an object")
    try:
        return model.model_validate(value)
    except ValidationError as error:
        first = error.errors()[0]
        raise MalformedFeedback(_path((key, *first["loc"])), str(first["msg"])) from None
