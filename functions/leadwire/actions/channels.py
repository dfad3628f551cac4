"""Each action type prepared for the delivery gate: what it logs, and how it sends.

The payloads carry the delivery id, which is the same on every retry of one delivery: it is the
``webhook-id`` header, ``deliveryId`` in a bus event's detail, and the ``leadwire-delivery`` SES
message tag that maps opens, clicks and bounces back to the lead and the trigger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadwire.actions.gate import Sendable, SendResult
from leadwire.actions.ports import EmailPort, EventBusPort, WebhookPort
from leadwire.actions.secrets import SecretError
from leadwire.core.delivery.policy import EmailSettings
from leadwire.core.delivery.statuses import FAILED, REJECTED, SENT
from leadwire.core.email.message import EmailMessage, EmailRejected, message_tags
from leadwire.core.email.templates import CompiledTemplate, TemplateRenderError, email_context
from leadwire.core.email.unsubscribe import UnsubscribeLinks
from leadwire.core.fires import Fire
from leadwire.core.rules.lookup import lookup
from leadwire.core.triggers.definitions import EmailAction, EventBridgeAction, Trigger, WebhookAction

WEBHOOK_EVENT_TYPE = "leadwire.trigger.fired"
MARKETING = "marketing"  # EmailAction.channel: the email that needs consent and an unsubscribe link
# SES publishes a Send event within seconds of accepting a message; past this, an unconfirmed
# "sending" mark means the message never reached SES.
EMAIL_CONFIRM_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class FireContext:
    """Everything an action may say about its fire."""

    fire: Fire
    delivery_id: str
    variant: str
    traits: Mapping[str, Any]
    score: float | None
    event_properties: Mapping[str, Any]
    now: datetime

    def data(self) -> dict[str, Any]:
        """What webhooks and bus events carry: the fire, and the lead as it is now."""
        fire = self.fire
        data: dict[str, Any] = {
            "triggerId": fire.trigger_id,
            "leadId": fire.lead_id,
            "fireId": fire.root_id,
            "deliveryId": self.delivery_id,
            "variant": self.variant,
            "cause": fire.cause,
            "at": fire.at.isoformat(),
            "match": fire.match,
        }
        if self.traits or self.score is not None:
            data["lead"] = {"traits": dict(self.traits), "score": self.score}
        return data


class Refused(Exception):
    """The action cannot be prepared for this lead (no address, a template that cannot render)."""

    def __init__(self, status: str, reason: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.details = dict(details or {})


def webhook_sendable(action: WebhookAction, context: FireContext, webhooks: WebhookPort) -> Sendable:
    data = context.data()
    payload = {"type": WEBHOOK_EVENT_TYPE, "timestamp": context.now.isoformat(), "data": data}

    def send() -> SendResult:
        try:
            result = webhooks.send(
                action.url, action.secret, context.delivery_id, payload, allow_private=action.allow_private
            )
        except SecretError as exc:  # a reference that does not exist: configuration, not retries, fixes it
            return SendResult(REJECTED, {"attempts": 0, "error": str(exc)})
        except Exception as exc:  # SSM or Secrets Manager unavailable: retry the fire
            return SendResult(
                FAILED, {"attempts": 0, "error": str(exc)}, f"webhook {context.delivery_id}: {exc}"
            )
        if result.status == SENT:
            return SendResult(SENT, result.details)
        if result.retryable:
            return SendResult(
                FAILED, result.details, f"webhook {context.delivery_id}: {result.details.get('error')}"
            )
        return SendResult(REJECTED, result.details)

    details = {"url": action.url, "webhookId": context.delivery_id, "variant": context.variant}
    return Sendable("webhook", None, details, send)


def eventbridge_sendable(
    action: EventBridgeAction, context: FireContext, bus: EventBusPort, trigger: Trigger
) -> Sendable:
    detail = context.data()
    if trigger.segment_id is not None:
        detail["segmentId"] = trigger.segment_id
    detail_type = action.detail_type_for(trigger.kind)

    def send() -> SendResult:
        try:
            event_id = bus.put(detail_type, detail)
        except Exception as exc:
            return SendResult(FAILED, {"error": str(exc)}, f"eventbridge {context.delivery_id}: {exc}")
        return SendResult(SENT, {"eventId": event_id})

    details = {"detailType": detail_type, "eventBusName": bus.bus_name, "variant": context.variant}
    return Sendable("eventbridge", None, details, send)


def email_sendable(
    action: EmailAction,
    context: FireContext,
    templates: Mapping[str, CompiledTemplate],
    settings: EmailSettings,
    sender: EmailPort,
    configuration_set: str | None,
    unsubscribe: UnsubscribeLinks | None = None,
) -> Sendable:
    """Raises ``Refused`` when there is no address or the template cannot render.

    Marketing email gets a one-click unsubscribe link (Gmail and Yahoo require it of bulk
    senders): ``List-Unsubscribe`` + ``List-Unsubscribe-Post`` headers, and ``unsubscribe_url``
    for the template's footer. Without ``unsubscribe`` (no public URL or secret configured) the
    template's own default applies. Transactional email carries no unsubscribe link."""
    base = {"template": action.template, "category": action.channel, "variant": context.variant}
    address = lookup(context.traits, settings.recipient_trait)
    if not isinstance(address, str) or "@" not in address:
        raise Refused("skipped", f"the lead has no email address in trait '{settings.recipient_trait}'", base)
    template = templates.get(action.template)
    if template is None:
        raise Refused(REJECTED, f"template '{action.template}' does not exist", base)
    headers: dict[str, str] = {}
    extra: dict[str, Any] = {}
    if unsubscribe is not None and action.channel == MARKETING:
        try:
            url = unsubscribe.url(context.fire.lead_id, context.delivery_id)
        except ValueError as exc:  # a lead id no token can carry: do not send without a working link
            raise Refused(REJECTED, f"no unsubscribe link: {exc}", base) from None
        headers = unsubscribe.headers(url)
        extra["unsubscribe_url"] = url
    variables = email_context(
        context.fire.lead_id,
        context.traits,
        context.event_properties,
        context.fire.trigger_id,
        context.delivery_id,
        context.score,
        extra=extra,
    )
    try:
        rendered = template.render(variables)
    except TemplateRenderError as exc:
        raise Refused(REJECTED, str(exc), base) from None
    try:
        tags = message_tags(context.fire.lead_id, context.fire.trigger_id, context.delivery_id)
    except ValueError as exc:  # a lead id too long for an SES tag: engagement could not map back
        raise Refused(REJECTED, str(exc), base) from None
    message = EmailMessage(
        to=address,
        from_address=settings.from_address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        tags=tags,
        configuration_set=configuration_set,
        reply_to=settings.reply_to,
        headers=headers,
    )

    def send() -> SendResult:
        try:
            message_id = sender.send(message)
        except EmailRejected as exc:
            return SendResult(REJECTED, {"error": str(exc)})
        except Exception as exc:  # throttling, a network error, 5xx: retry the fire
            return SendResult(FAILED, {"error": str(exc)}, f"email {context.delivery_id}: {exc}")
        return SendResult(SENT, {"sesMessageId": message_id})

    details = {**base, "to": address, "subject": rendered.subject}
    return Sendable("email", action.channel, details, send, confirm_window=EMAIL_CONFIRM_WINDOW)
