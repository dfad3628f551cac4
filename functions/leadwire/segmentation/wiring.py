"""Builds the engine's adapters once per container, for every function that evaluates leads."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from leadwire import clock
from leadwire.config_loader import load_json_config
from leadwire.core.jobs import Job
from leadwire.dal.account_store import AccountStore
from leadwire.dal.definition_store import DefinitionStore, writes_in_this_process
from leadwire.dal.due_index import DueIndex
from leadwire.dal.event_store import EventStore
from leadwire.dal.fire_store import FireStore
from leadwire.dal.job_store import JobStore
from leadwire.dal.lead_store import LeadStore
from leadwire.dal.metering import PROCESS_METER
from leadwire.dal.onsite_store import OnsiteStore
from leadwire.dal.segment_stats import SegmentStats
from leadwire.dal.send_log_store import SendLogStore
from leadwire.dal.suppression_store import SuppressionStore
from leadwire.dal.timer_store import TimerStore
from leadwire.dal.trigger_pauses import TriggerPauses
from leadwire.observability import logger
from leadwire.privacy.guard import LeadGuard
from leadwire.segmentation.accounts import Accounts
from leadwire.segmentation.definitions_source import DefinitionsSource
from leadwire.segmentation.engine import SegmentationEngine
from leadwire.segmentation.jobs import JobStarter, LambdaJobStarter, LocalJobQueue
from leadwire.segmentation.poison import PoisonQueue, UsableHistory
from leadwire.segmentation.reevaluate import run_job
from leadwire.settings import SettingsError, admin_settings, engine_settings

if TYPE_CHECKING:  # the actions' and triggers' adapters load only in the functions that use them
    from leadwire.actions.eventbridge import EventBridgeSender
    from leadwire.actions.ports import EmailPort, SmsPort
    from leadwire.actions.secrets import SecretResolver
    from leadwire.actions.service import ActionsService
    from leadwire.actions.webhooks import WebhookSender
    from leadwire.core.delivery.policy import DeliveryPolicy
    from leadwire.core.email.templates import CompiledTemplate
    from leadwire.core.email.unsubscribe import UnsubscribeLinks
    from leadwire.core.sms.templates import SmsTemplate
    from leadwire.dal.phone_book import PhoneBook
    from leadwire.timers.starter import TimerStarter
    from leadwire.triggers.service import TriggerService
    from leadwire.triggers.spike_guard import SpikeGuard

# Leads the segmentation consumer remembers (a few KB each: about 20 MB at most).
REMEMBERED_LEADS = 5000


@cache
def dynamodb() -> object:
    return boto3.client("dynamodb")


@cache
def lead_store() -> LeadStore:
    return LeadStore(dynamodb(), engine_settings().table_name)


@cache
def stream_lead_store() -> LeadStore:
    """The segmentation consumer's store: it remembers what it saved (see ``LeadStore``)."""
    return LeadStore(dynamodb(), engine_settings().table_name, remember=REMEMBERED_LEADS, now=clock.now)


@cache
def account_store() -> AccountStore:
    return AccountStore(dynamodb(), engine_settings().table_name)


@cache
def event_store() -> EventStore:
    return EventStore(dynamodb(), engine_settings().table_name)


@cache
def due_index() -> DueIndex:
    return DueIndex(dynamodb(), engine_settings().table_name)


@cache
def definition_store() -> DefinitionStore:
    return DefinitionStore(dynamodb(), engine_settings().table_name)


@cache
def definitions_source() -> DefinitionsSource:
    settings = engine_settings()
    bundled = load_json_config(Path(settings.config_path))
    return DefinitionsSource(
        bundled,
        definition_store(),
        cache_seconds=settings.definitions_cache_seconds,
        written_here=writes_in_this_process,
    )


@cache
def suppression_store() -> SuppressionStore:
    return SuppressionStore(dynamodb(), engine_settings().table_name)


def lead_guard() -> LeadGuard:
    """Per invocation: it remembers its answers for one batch only."""
    return LeadGuard(suppression_store(), fire_store())


def engine(leads: LeadStore | None = None) -> SegmentationEngine:
    """An engine on the current definitions (cheap: the adapters and the definitions are cached)."""
    history = UsableHistory(event_store())
    return SegmentationEngine(
        leads or lead_store(),
        history,
        definitions_source().current(),
        clock.now,
        guard=lead_guard(),
        accounts=Accounts(account_store()),
    )


@cache
def poison_queue() -> PoisonQueue:
    return PoisonQueue(lambda: boto3.client("sqs"), engine_settings().stream_failure_queue_url, clock.now)


def stream_engine() -> SegmentationEngine:
    """The segmentation consumer's engine: its own remembering lead store."""
    return engine(stream_lead_store())


def fresh_engine() -> SegmentationEngine:
    """An engine on the definitions as stored now: a job must not run on a container's stale cache."""
    definitions_source().invalidate()
    return engine()


@cache
def job_store() -> JobStore:
    return JobStore(dynamodb(), engine_settings().table_name)


def _run_local_job(job_id: str) -> Job:
    preview = preview_job(job_id)
    if preview is not None:
        return run_preview_job(preview)
    return run_job(
        job_id, lead_store(), fresh_engine, job_store(), lambda: True, now=clock.now, meter=PROCESS_METER
    )


def preview_job(job_id: str) -> Job | None:
    """The job, if it is a preview (read once: the preview runner takes it as read)."""
    job = job_store().get(job_id)
    return job if job is not None and job.kind == "preview" else None


def run_preview_job(job: Job) -> Job:
    """Previews replay through the admin's preview service (imported here only: jobs need it)."""
    from leadwire.admin.insight_routes import replay_preview
    from leadwire.admin.preview_jobs import run_preview_job

    return run_preview_job(job, job_store(), replay_preview, clock.now)


@cache
def job_starter() -> JobStarter:
    """Lambda's async invoke when REEVALUATE_FUNCTION_NAME is set, else the in-process queue."""
    function_name = admin_settings().reevaluate_function_name
    if function_name:
        return LambdaJobStarter(boto3.client("lambda"), function_name)
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        # In Lambda an in-process queue would never run: fail loudly instead of losing jobs.
        raise SettingsError("REEVALUATE_FUNCTION_NAME is required to start re-evaluation jobs in Lambda")
    return LocalJobQueue(_run_local_job)


def run_local_jobs() -> int:
    """Run every queued local job to completion (``leadwire local``'s drain); 0 in AWS."""
    starter = job_starter()
    return starter.run_pending() if isinstance(starter, LocalJobQueue) else 0


@cache
def timer_store() -> TimerStore:
    return TimerStore(dynamodb(), engine_settings().table_name)


@cache
def fire_store() -> FireStore:
    return FireStore(dynamodb(), engine_settings().table_name)


def timer_starter() -> TimerStarter:
    """The local stand-in when leadwire local registered one, else Step Functions."""
    from leadwire.timers import local_timers
    from leadwire.timers.starter import StepFunctionsTimerStarter

    if local_timers.ACTIVE is not None:
        return local_timers.ACTIVE
    arn = engine_settings().state_machine_arn
    if arn is None:
        raise RuntimeError("STATE_MACHINE_ARN is not set: delayed triggers cannot be scheduled")
    return StepFunctionsTimerStarter(boto3.client("stepfunctions"), arn)


def trigger_service() -> TriggerService:
    from leadwire.triggers.scheduling import StateMachineScheduler
    from leadwire.triggers.service import TriggerService

    return TriggerService(
        definitions_source().triggers(),
        timer_store(),
        StateMachineScheduler(timer_starter()),
        fire_store(),
        clock.now,
        guard=lead_guard(),
        spikes=spike_guard(),
    )


def spike_guard() -> SpikeGuard:
    from leadwire.triggers.spike_guard import SpikeGuard

    table = engine_settings().table_name
    return SpikeGuard(
        definitions_source().current().segments,
        SegmentStats(dynamodb(), table),
        TriggerPauses(dynamodb(), table),
        event_bridge_sender(),
        clock.now,
    )


@cache
def secret_resolver() -> SecretResolver:
    from leadwire.actions.secrets import SecretResolver

    return SecretResolver(lambda: boto3.client("ssm"), lambda: boto3.client("secretsmanager"))


@cache
def webhook_sender() -> WebhookSender:
    """Loopback targets (and plain http) only where ALLOW_LOOPBACK_WEBHOOKS=true (leadwire local)."""
    from leadwire.actions.webhooks import WebhookSender

    allow_loopback = os.environ.get("ALLOW_LOOPBACK_WEBHOOKS", "").lower() == "true"
    return WebhookSender(secret_resolver().resolve, allow_loopback=allow_loopback)


@cache
def event_bridge_sender() -> EventBridgeSender:
    from leadwire.actions.eventbridge import EventBridgeSender

    return EventBridgeSender(lambda: boto3.client("events"), os.environ.get("EVENT_BUS_NAME") or "default")


@cache
def email_sender() -> EmailPort:
    """The local SES simulator when leadwire local registered one (it also plays SES's feedback),
    else SESv2."""
    from leadwire.actions.email import SesEmailSender

    simulator = sys.modules.get("leadwire.local.ses_simulator")  # loaded only by leadwire local
    local: EmailPort | None = getattr(simulator, "ACTIVE", None)
    if local is not None:
        return local
    return SesEmailSender(lambda: boto3.client("sesv2"))


@cache
def sms_sender() -> SmsPort:
    """The local SMS simulator when leadwire local registered one, else End User Messaging SMS."""
    from leadwire.actions.sms import SERVICE as SMS_SERVICE
    from leadwire.actions.sms import EndUserMessagingSender

    simulator = sys.modules.get("leadwire.local.sms_simulator")  # loaded only by leadwire local
    local: SmsPort | None = getattr(simulator, "ACTIVE", None)
    if local is not None:
        return local
    return EndUserMessagingSender(lambda: boto3.client(SMS_SERVICE))


@cache
def phone_book() -> PhoneBook:
    from leadwire.dal.phone_book import PhoneBook

    return PhoneBook(dynamodb(), engine_settings().table_name)


_sms_templates: tuple[dict[str, Any], dict[str, SmsTemplate]] | None = None


def sms_templates() -> dict[str, SmsTemplate]:
    """The checked SMS templates of the current document (parsed once per document)."""
    from leadwire.config_loader import sms_templates_of

    global _sms_templates
    document = definitions_source().document()
    if _sms_templates is None or _sms_templates[0] is not document:
        _sms_templates = (document, sms_templates_of(document))
    return _sms_templates[1]


@cache
def send_log_store() -> SendLogStore:
    return SendLogStore(dynamodb(), engine_settings().table_name)


def unsubscribe_links() -> UnsubscribeLinks | None:
    """One-click unsubscribe links for marketing email: the public ingestion URL
    (``PUBLIC_API_URL``) and the signing secret (``UNSUBSCRIBE_SECRET_REF``, a secret reference;
    the resolver caches it). Without either, or when the reference does not resolve (logged), mail
    goes out without the headers and templates fall back to their default link: a deployment
    error must not stop every email. A transient error (Secrets Manager unavailable) is raised,
    so the batch is retried rather than mail sent without a working link."""
    from leadwire.actions.secrets import SecretError
    from leadwire.core.email.unsubscribe import UnsubscribeLinks

    base_url = os.environ.get("PUBLIC_API_URL")
    ref = os.environ.get("UNSUBSCRIBE_SECRET_REF")
    if not base_url or not ref:
        return None
    try:
        secret = secret_resolver().resolve(ref)
    except SecretError as exc:
        logger.error("unsubscribe links are off: the secret does not resolve", extra={"error": str(exc)})
        return None
    return UnsubscribeLinks(base_url, secret.encode("utf-8")) if secret else None


_delivery_config: tuple[dict[str, Any], DeliveryPolicy, dict[str, CompiledTemplate]] | None = None


def delivery_config() -> tuple[DeliveryPolicy, dict[str, CompiledTemplate]]:
    """The delivery policy and the compiled templates of the current document (compiled once per
    document, not per fire). ``EMAIL_FROM`` (the stack's verified sender) and
    ``SMS_CONFIGURATION_SET`` (the stack's, whose delivery events come back) override the config's."""
    from leadwire.config_loader import templates_of
    from leadwire.core.delivery.policy import parse_delivery_policy

    global _delivery_config
    document = definitions_source().document()
    if _delivery_config is None or _delivery_config[0] is not document:
        policy = parse_delivery_policy(document.get("delivery"))
        sender = os.environ.get("EMAIL_FROM")
        if sender:
            policy = policy.model_copy(
                update={"email": policy.email.model_copy(update={"from_address": sender})}
            )
        configuration_set = os.environ.get("SMS_CONFIGURATION_SET")
        if configuration_set:
            policy = policy.model_copy(
                update={"sms": policy.sms.model_copy(update={"configuration_set": configuration_set})}
            )
        _delivery_config = (document, policy, templates_of(document))
    return _delivery_config[1], _delivery_config[2]


def actions_service() -> ActionsService:
    from leadwire.actions.service import ActionsService, Channels

    source = definitions_source()
    policy, templates = delivery_config()
    channels = Channels(
        webhooks=webhook_sender(),
        event_bus=event_bridge_sender(),
        email=email_sender(),
        templates=templates,
        configuration_set=os.environ.get("SES_CONFIGURATION_SET") or None,
        unsubscribe=unsubscribe_links(),
        http=webhook_sender().poster,
        resolve_secret=secret_resolver().resolve,
        hubspot_api_url=engine_settings().hubspot_api_url,
        onsite=OnsiteStore(dynamodb(), engine_settings().table_name),
        sms=sms_sender(),
        sms_templates=sms_templates(),
        phones=phone_book(),
    )
    return ActionsService(
        {trigger.id: trigger for trigger in source.triggers()},
        source.current(),
        lead_store(),
        event_store(),
        fire_store(),
        trigger_service(),
        clock.now,
        channels=channels,
        policy=policy,
        send_log=send_log_store(),
        event_source=event_store(),
        guard=lead_guard(),
        accounts=account_store(),
    )


def reset() -> None:
    """Forget every cached adapter (the local runtime calls this when it starts)."""
    for cached in (
        dynamodb,
        lead_store,
        stream_lead_store,
        event_store,
        account_store,
        definition_store,
        due_index,
        timer_store,
        fire_store,
        definitions_source,
        job_store,
        job_starter,
        secret_resolver,
        webhook_sender,
        event_bridge_sender,
        email_sender,
        send_log_store,
        suppression_store,
        sms_sender,
        phone_book,
    ):
        cached.cache_clear()
    global _delivery_config, _sms_templates
    _delivery_config = None
    _sms_templates = None
