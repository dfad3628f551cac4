"""The actions context's composition root: the channels (webhooks, the event bus, SES, SMS, CRM,
on-site), the delivery policy and templates of the current document, and the actions service.

``leadwire local`` hands in its SES and SMS simulators (``wiring.use_local``); everything else
is read from ``ActionsSettings``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from leadwire import clock, wiring
from leadwire.actions.ports import EmailPort, SmsPort
from leadwire.actions.secrets import SecretError, SecretResolver
from leadwire.actions.service import ActionsService, Channels
from leadwire.actions.webhooks import WebhookSender
from leadwire.config_loader import sms_templates_of, templates_of
from leadwire.core.delivery.policy import DeliveryPolicy, parse_delivery_policy
from leadwire.core.email.unsubscribe import UnsubscribeLinks
from leadwire.dal.onsite_store import OnsiteStore
from leadwire.dal.phone_book import PhoneBook
from leadwire.dal.send_log_store import SendLogStore
from leadwire.observability import logger
from leadwire.settings import actions_settings, engine_settings
from leadwire.triggers.wiring import trigger_service

if TYPE_CHECKING:
    from leadwire.core.email.templates import CompiledTemplate
    from leadwire.core.sms.templates import SmsTemplate


@wiring.cached
def secret_resolver() -> SecretResolver:
    return SecretResolver(lambda: boto3.client("ssm"), lambda: boto3.client("secretsmanager"))


@wiring.cached
def webhook_sender() -> WebhookSender:
    """Loopback targets (and plain http) only where ALLOW_LOOPBACK_WEBHOOKS=true (leadwire local)."""
    return WebhookSender(secret_resolver().resolve, allow_loopback=actions_settings().allow_loopback_webhooks)


@wiring.cached
def email_sender() -> EmailPort:
    """``leadwire local``'s SES simulator when its runtime handed one in, else SESv2."""
    from leadwire.actions.email import SesEmailSender

    local = wiring.local()
    if local is not None and local.email is not None:
        return local.email
    return SesEmailSender(lambda: boto3.client("sesv2"))


@wiring.cached
def sms_sender() -> SmsPort:
    """``leadwire local``'s SMS simulator when its runtime handed one in, else End User Messaging."""
    from leadwire.actions.sms import SERVICE as SMS_SERVICE
    from leadwire.actions.sms import EndUserMessagingSender

    local = wiring.local()
    if local is not None and local.sms is not None:
        return local.sms
    return EndUserMessagingSender(lambda: boto3.client(SMS_SERVICE))


@wiring.cached
def phone_book() -> PhoneBook:
    return PhoneBook(wiring.dynamodb(), wiring.table())


@wiring.cached
def send_log_store() -> SendLogStore:
    return SendLogStore(wiring.dynamodb(), wiring.table())


def unsubscribe_links() -> UnsubscribeLinks | None:
    """One-click unsubscribe links for marketing email: the public ingestion URL
    (``PUBLIC_API_URL``) and the signing secret (``UNSUBSCRIBE_SECRET_REF``, a secret reference;
    the resolver caches it). Without either, or when the reference does not resolve (logged), mail
    goes out without the headers and templates fall back to their default link: a deployment
    error must not stop every email. A transient error (Secrets Manager unavailable) is raised,
    so the batch is retried rather than mail sent without a working link."""
    settings = actions_settings()
    if not settings.public_api_url or not settings.unsubscribe_secret_ref:
        return None
    try:
        secret = secret_resolver().resolve(settings.unsubscribe_secret_ref)
    except SecretError as exc:
        logger.error("unsubscribe links are off: the secret does not resolve", extra={"error": str(exc)})
        return None
    return UnsubscribeLinks(settings.public_api_url, secret.encode("utf-8")) if secret else None


class _PerDocument:
    """What is derived from the definitions document once per document, not per fire."""

    def __init__(self) -> None:
        self.document: dict[str, Any] | None = None
        self.policy: DeliveryPolicy | None = None
        self.templates: dict[str, CompiledTemplate] = {}
        self.sms_templates: dict[str, SmsTemplate] = {}

    def of(self, document: dict[str, Any]) -> _PerDocument:
        if document is not self.document:
            self.policy = _policy(document)
            self.templates = templates_of(document)
            self.sms_templates = sms_templates_of(document)
            self.document = document
        return self


def _policy(document: dict[str, Any]) -> DeliveryPolicy:
    """The document's delivery policy, with the stack's verified sender (``EMAIL_FROM``) and its
    SMS configuration set (``SMS_CONFIGURATION_SET``, whose delivery events come back)."""
    policy = parse_delivery_policy(document.get("delivery"))
    settings = actions_settings()
    if settings.email_from:
        policy = policy.model_copy(
            update={"email": policy.email.model_copy(update={"from_address": settings.email_from})}
        )
    if settings.sms_configuration_set:
        policy = policy.model_copy(
            update={
                "sms": policy.sms.model_copy(update={"configuration_set": settings.sms_configuration_set})
            }
        )
    return policy


@wiring.cached
def _per_document() -> _PerDocument:
    return _PerDocument()


def delivery_config() -> tuple[DeliveryPolicy, dict[str, CompiledTemplate]]:
    """The delivery policy and the compiled templates of the current document."""
    derived = _per_document().of(wiring.definitions_source().document())
    assert derived.policy is not None
    return derived.policy, derived.templates


def sms_templates() -> dict[str, SmsTemplate]:
    """The checked SMS templates of the current document."""
    return _per_document().of(wiring.definitions_source().document()).sms_templates


def actions_service() -> ActionsService:
    source = wiring.definitions_source()
    policy, templates = delivery_config()
    settings = actions_settings()
    channels = Channels(
        webhooks=webhook_sender(),
        event_bus=wiring.event_bridge_sender(),
        email=email_sender(),
        templates=templates,
        configuration_set=settings.ses_configuration_set,
        unsubscribe=unsubscribe_links(),
        http=webhook_sender().poster,
        resolve_secret=secret_resolver().resolve,
        hubspot_api_url=engine_settings().hubspot_api_url,
        onsite=OnsiteStore(wiring.dynamodb(), wiring.table()),
        sms=sms_sender(),
        sms_templates=sms_templates(),
        phones=phone_book(),
    )
    return ActionsService(
        {trigger.id: trigger for trigger in source.triggers()},
        source.current(),
        wiring.lead_store(),
        wiring.event_store(),
        wiring.delivery_store(),
        trigger_service(),
        clock.now,
        channels=channels,
        policy=policy,
        send_log=send_log_store(),
        event_source=wiring.event_store(),
        guard=wiring.lead_guard(),
        accounts=wiring.account_store(),
    )
