"""Each action type prepared for the delivery gate: what it logs, and how it sends.

The payloads carry the delivery id, which is the same on every retry of one delivery: it is the
``webhook-id`` header, ``deliveryId`` in a bus event's detail, and the ``leadwire-delivery`` SES
message tag that maps opens, clicks and bounces back to the lead and the trigger.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadwire.actions.gate import Sendable, SendResult
from leadwire.actions.ports import (
    EmailPort,
    EventBusPort,
    HttpPort,
    OnsitePort,
    PhoneBookPort,
    SmsPort,
    WebhookPort,
    WebhookResultLike,
)
from leadwire.actions.secrets import SecretError
from leadwire.core.delivery.policy import EmailSettings, SmsSettings
from leadwire.core.delivery.statuses import FAILED, REJECTED, SENT
from leadwire.core.email.message import EmailMessage, EmailRejected, message_tags
from leadwire.core.email.templates import CompiledTemplate, TemplateRenderError, email_context, render_text
from leadwire.core.email.unsubscribe import UnsubscribeLinks
from leadwire.core.fires import Fire
from leadwire.core.handoff import hubspot_company_upsert, hubspot_upsert
from leadwire.core.rules.lookup import MISSING, lookup
from leadwire.core.sms.message import SmsMessage, SmsRejected, message_context
from leadwire.core.sms.phones import e164
from leadwire.core.sms.templates import SmsTemplate
from leadwire.core.triggers.models import (
    EmailAction,
    EventBridgeAction,
    HubspotAction,
    OnsiteAction,
    SlackAction,
    SmsAction,
    Trigger,
    WebhookAction,
)

WEBHOOK_EVENT_TYPE = "leadwire.trigger.fired"
MARKETING = "marketing"  # EmailAction.channel: the email that needs consent and an unsubscribe link
# SES publishes a Send event within seconds of accepting a message; past this, an unconfirmed
# "sending" mark means the message never reached SES.
EMAIL_CONFIRM_WINDOW = timedelta(minutes=5)
HUBSPOT_API_URL = "https://api.hubapi.com"
HUBSPOT_UPSERT_PATH = "/crm/v3/objects/contacts/batch/upsert"
HUBSPOT_COMPANY_UPSERT_PATH = "/crm/v3/objects/companies/batch/upsert"


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
    why: Mapping[str, Any] | None = None  # core.handoff: segments, score, the triggering event
    # An account trigger's fire: the account (core.handoff.account_why), not a lead.
    account: Mapping[str, Any] | None = None

    def template_variables(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        """What an email or a handoff's text template renders with (``email_context``)."""
        fire = self.fire
        return email_context(
            fire.lead_id,
            self.traits,
            self.event_properties,
            fire.trigger_id,
            self.delivery_id,
            self.score,
            extra=extra,
        )

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
        if self.why is not None:
            data["why"] = dict(self.why)
        if self.account is not None:
            data["accountId"] = self.account["accountId"]
            data["account"] = dict(self.account)
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


def _http_result(result: WebhookResultLike, label: str) -> SendResult:
    """An HTTP handoff's outcome: sent, retried later (429, 5xx, network), or refused for good."""
    if result.status == SENT:
        return SendResult(SENT, result.details)
    if result.retryable:
        return SendResult(FAILED, result.details, f"{label}: {result.details.get('error')}")
    return SendResult(REJECTED, result.details)


def _resolved(reference: str, resolve: Callable[[str], str] | None, base: Mapping[str, Any]) -> str:
    if resolve is None:
        raise Refused(REJECTED, "no secret resolver is configured", base)
    try:
        return resolve(reference)
    except SecretError as exc:  # a reference that does not exist: configuration, not retries, fixes it
        raise Refused(REJECTED, str(exc), base) from None


def slack_sendable(
    action: SlackAction, context: FireContext, http: HttpPort, resolve: Callable[[str], str] | None
) -> Sendable:
    """Raises ``Refused`` when the text cannot render for this lead or the URL is not configured."""
    base = {"variant": context.variant}
    variables = context.template_variables(
        {"why": dict(context.why or {}), "account": dict(context.account or {})}
    )
    try:
        text = render_text(f"triggers.{context.fire.trigger_id}.slack", action.text, variables)
    except TemplateRenderError as exc:
        raise Refused(REJECTED, str(exc), base) from None
    url = _resolved(action.url, resolve, base)
    payload = {"text": text}

    def send() -> SendResult:
        return _http_result(http.post_json(url, payload, {}), f"slack {context.delivery_id}")

    return Sendable("slack", None, {**base, "text": text}, send)


def hubspot_sendable(
    action: HubspotAction,
    context: FireContext,
    http: HttpPort,
    resolve: Callable[[str], str] | None,
    email_trait: str,
    api_url: str,
) -> Sendable:
    """Raises ``Refused`` when the lead has no email (HubSpot's id) or the token is not configured.
    An account trigger upserts the account as a company instead (by ``leadwire_account_id``)."""
    base = {"variant": context.variant}
    if context.account is not None:
        return _hubspot_company(action, context, http, resolve, api_url)
    address = lookup(context.traits, email_trait)
    if not isinstance(address, str) or "@" not in address:
        raise Refused("skipped", f"the lead has no email address in trait '{email_trait}'", base)
    token = _resolved(action.token, resolve, base)
    body = hubspot_upsert(address, dict(context.why or {}), context.fire.at)
    headers = {"authorization": f"Bearer {token}"}

    def send() -> SendResult:
        result = http.post_json(api_url.rstrip("/") + HUBSPOT_UPSERT_PATH, body, headers)
        return _http_result(result, f"hubspot {context.delivery_id}")

    return Sendable("hubspot", None, {**base, "email": address}, send)


def _hubspot_company(
    action: HubspotAction,
    context: FireContext,
    http: HttpPort,
    resolve: Callable[[str], str] | None,
    api_url: str,
) -> Sendable:
    assert context.account is not None
    base = {"variant": context.variant}
    token = _resolved(action.token, resolve, base)
    body = hubspot_company_upsert(dict(context.account), context.fire.at)
    headers = {"authorization": f"Bearer {token}"}

    def send() -> SendResult:
        result = http.post_json(api_url.rstrip("/") + HUBSPOT_COMPANY_UPSERT_PATH, body, headers)
        return _http_result(result, f"hubspot {context.delivery_id}")

    return Sendable("hubspot", None, {**base, "accountId": context.account["accountId"]}, send)


def onsite_sendable(action: OnsiteAction, context: FireContext, store: OnsitePort) -> Sendable:
    """A pop-up stored for the lead's next page views, from the moment it is delivered (after
    quiet hours) for ``ttl``; its id is the delivery id, so a retried delivery rewrites one item."""
    expires_at = context.now + action.ttl
    fire = context.fire

    def send() -> SendResult:
        try:
            store.put_message(
                fire.lead_id, context.delivery_id, action.message, context.now, expires_at, fire.trigger_id
            )
        except Exception as exc:  # throttling, a network error: retry the fire
            return SendResult(FAILED, {"error": str(exc)}, f"onsite {context.delivery_id}: {exc}")
        return SendResult(SENT, {"messageId": context.delivery_id})

    details = {"title": action.message.title, "until": expires_at.isoformat(), "variant": context.variant}
    return Sendable("onsite", None, details, send)


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
    variables = context.template_variables(extra)
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


def sms_sendable(
    action: SmsAction,
    context: FireContext,
    templates: Mapping[str, SmsTemplate],
    settings: SmsSettings,
    sender: SmsPort,
    phones: PhoneBookPort | None,
) -> Sendable:
    """Raises ``Refused`` when the lead has no E.164 number or the template cannot render.

    The number is remembered for the lead before the text goes out (``PHONE#<e164>``), so a STOP
    reply finds the lead. A crash between the send and its record leaves the delivery ``sending``:
    like email it is looked at again after ``EMAIL_CONFIRM_WINDOW`` and then sent again (End User
    Messaging's delivery events do not confirm it yet; see the README)."""
    base = {"template": action.template, "category": MARKETING, "variant": context.variant}
    raw = lookup(context.traits, settings.recipient_trait)
    if raw is MISSING or raw == "":
        raise Refused("skipped", f"the lead has no phone number in trait '{settings.recipient_trait}'", base)
    phone = e164(raw)
    if phone is None:
        reason = f"trait '{settings.recipient_trait}' is not an E.164 phone number such as +14155550100"
        raise Refused(REJECTED, reason, base)
    template = templates.get(action.template)
    if template is None:
        raise Refused(REJECTED, f"SMS template '{action.template}' does not exist", base)
    try:
        body = template.render(context.template_variables({}))
    except TemplateRenderError as exc:
        raise Refused(REJECTED, str(exc), base) from None
    fire = context.fire
    message = SmsMessage(
        to=phone,
        body=body,
        context=message_context(fire.lead_id, fire.trigger_id, context.delivery_id),
        origination_identity=settings.origination_identity,
        configuration_set=settings.configuration_set,
    )

    def send() -> SendResult:
        try:
            if phones is not None:
                phones.remember(phone, fire.lead_id, context.now)
            message_id = sender.send(message)
        except SmsRejected as exc:
            return SendResult(REJECTED, {"error": str(exc)})
        except Exception as exc:  # throttling, a quota, 5xx, the network: retry the fire
            return SendResult(FAILED, {"error": str(exc)}, f"sms {context.delivery_id}: {exc}")
        return SendResult(SENT, {"smsMessageId": message_id})

    details = {**base, "to": phone, "text": body}
    return Sendable("sms", MARKETING, details, send, confirm_window=EMAIL_CONFIRM_WINDOW)
