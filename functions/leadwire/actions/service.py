"""The actions use case: a fired trigger runs its actions, once each, for a lead.

Each action of a fire has a delivery id (root fire id + position): a redelivered fire repeats
nothing, and a deferred fire (quiet hours, a send waiting for SES's confirmation) acts under its
root fire's ids. ``only_if`` is checked again at fire time; a held-out lead (A/B holdout) is
logged and sent nothing. An anniversary fire arms next year's.

``emit_event`` writes a derived event (deduped by its message id). Email, webhook, EventBridge,
Slack, HubSpot and on-site actions go through the ``DeliveryGate``: the delivery policy and
exactly-once sends. A transient
failure is logged ``failed`` and, once the other actions ran, raised as ``ActionsFailed``, so the
consumer reports the record and Lambda retries it (then its on-failure destination gets it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from leadwire.actions.channels import (
    HUBSPOT_API_URL,
    FireContext,
    Refused,
    email_sendable,
    eventbridge_sendable,
    hubspot_sendable,
    onsite_sendable,
    slack_sendable,
    sms_sendable,
    webhook_sendable,
)
from leadwire.actions.gate import CapContention, DeliveryGate, Outcome, Sendable
from leadwire.actions.ports import (
    AccountsPort,
    DeliveryLogPort,
    EmailPort,
    ErasedLeadsPort,
    EventBusPort,
    EventSinkPort,
    EventSourcePort,
    HttpPort,
    LeadsPort,
    OnsitePort,
    PhoneBookPort,
    SendLogPort,
    SmsPort,
    WebhookPort,
)
from leadwire.core.accounts import account_score
from leadwire.core.delivery.decisions import Recipient
from leadwire.core.delivery.line import Ticket
from leadwire.core.delivery.policy import DeliveryPolicy
from leadwire.core.delivery.statuses import FAILED, FINAL, HELD_OUT, SENT, SKIPPED
from leadwire.core.email.templates import CompiledTemplate
from leadwire.core.email.unsubscribe import UnsubscribeLinks
from leadwire.core.fires import Fire
from leadwire.core.handoff import account_why, handoff_why, qualifying_leads
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import Definitions, holds_condition
from leadwire.core.rules.account_facts import AccountFacts
from leadwire.core.rules.evaluator import holds_account_condition
from leadwire.core.rules.scoring import score_at, trait_points
from leadwire.core.sms.templates import SmsTemplate
from leadwire.core.tracking import StoredEvent
from leadwire.core.triggers import EmitEventAction, Trigger, choose_variant
from leadwire.core.triggers.models import (
    HANDOFF_TYPES,
    Action,
    EmailAction,
    EventBridgeAction,
    HubspotAction,
    OnsiteAction,
    SlackAction,
    SmsAction,
    WebhookAction,
)
from leadwire.core.triggers.references import ACCOUNT_ACTION_TYPES
from leadwire.schema import ACCOUNT_SUBJECT_PREFIX
from leadwire.triggers.service import TriggerReport, TriggerService

DERIVED_SOURCE = "leadwire"
HOLDOUT = "holdout"
LEAD_ERASED = "lead erased"
NO_ACCOUNT = "account gone"


class ActionsFailed(RuntimeError):
    """Some actions of a fire failed transiently: the fire must be retried."""

    def __init__(self, message: str, outcome: FireOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass
class FireOutcome:
    """What one fire did: a summary for the logs, and each action's outcome for the metrics."""

    trigger_id: str
    summary: str
    deliveries: list[Outcome] = field(default_factory=list)
    variant: str | None = None  # the A/B arm, "holdout", or None when no arm was chosen

    @property
    def repeat(self) -> bool:
        """Every action was done before: a redelivered fire."""
        return bool(self.deliveries) and all(delivery.repeat for delivery in self.deliveries)


@dataclass(frozen=True)
class AccountFire:
    """What an account trigger's fire reads of its account: the facts its ``only_if`` judges, and
    the payload its handoffs carry (``core.handoff.account_why``)."""

    facts: AccountFacts
    why: dict[str, Any]


@dataclass(frozen=True)
class Channels:
    """The senders this deployment has (a missing one logs its actions ``skipped``)."""

    webhooks: WebhookPort | None = None
    event_bus: EventBusPort | None = None
    email: EmailPort | None = None
    templates: Mapping[str, CompiledTemplate] = field(default_factory=dict)
    configuration_set: str | None = None
    unsubscribe: UnsubscribeLinks | None = None  # one-click unsubscribe links in marketing email
    http: HttpPort | None = None  # Slack and HubSpot handoffs
    resolve_secret: Callable[[str], str] | None = None  # their references (Slack URL, HubSpot token)
    hubspot_api_url: str = HUBSPOT_API_URL
    onsite: OnsitePort | None = None  # where pending on-site messages are stored
    sms: SmsPort | None = None  # End User Messaging SMS
    sms_templates: Mapping[str, SmsTemplate] = field(default_factory=dict)
    phones: PhoneBookPort | None = None  # numbers texted, for inbound STOP replies


class ActionsService:
    def __init__(
        self,
        triggers: Mapping[str, Trigger],
        definitions: Definitions,
        leads: LeadsPort,
        events: EventSinkPort,
        log: DeliveryLogPort,
        trigger_service: TriggerService,
        now: Callable[[], datetime],
        *,
        channels: Channels | None = None,
        policy: DeliveryPolicy | None = None,
        send_log: SendLogPort | None = None,
        event_source: EventSourcePort | None = None,
        guard: ErasedLeadsPort | None = None,
        accounts: AccountsPort | None = None,
    ) -> None:
        self._guard = guard
        self._accounts = accounts
        self._triggers = triggers
        self._definitions = definitions
        self._leads = leads
        self._events = events
        self._log = log
        self._trigger_service = trigger_service
        self._now = now
        self._channels = channels or Channels()
        self._policy = policy or DeliveryPolicy()
        self._event_source = event_source
        self._gate = DeliveryGate(log, self._policy, trigger_service, send_log)

    def handle(self, fire: Fire) -> FireOutcome:
        """Run the fire's actions; raises ``ActionsFailed`` after the others ran if one must be retried."""
        now = self._now()
        if self._guard is not None and self._guard.erased(fire.lead_id):
            self._guard.discard(fire)  # nothing is sent, logged or emitted for an erased lead
            return FireOutcome(fire.trigger_id, LEAD_ERASED)
        trigger = self._triggers.get(fire.trigger_id)
        root = fire.root_id
        if trigger is None:
            self._skip(fire, f"{root}-trigger", SKIPPED, now, {"reason": "trigger removed"})
            return FireOutcome(fire.trigger_id, "trigger removed")
        account: AccountFire | None = None
        record: LeadRecord | None = None
        if fire.lead_id.startswith(ACCOUNT_SUBJECT_PREFIX):
            account = self._account(fire.lead_id.removeprefix(ACCOUNT_SUBJECT_PREFIX), trigger, now)
            if account is None:
                self._skip(fire, f"{root}-account", SKIPPED, now, {"reason": NO_ACCOUNT})
                return FireOutcome(fire.trigger_id, NO_ACCOUNT)
        else:
            record = self._leads.read(fire.lead_id, at_least=fire.lead_version)
        if trigger.only_if is not None and not self._holds(trigger, record, account, now):
            self._skip(fire, f"{root}-only-if", SKIPPED, now, {"reason": "only_if"})
            return FireOutcome(fire.trigger_id, "only_if false")
        variant = choose_variant(trigger, fire.lead_id)
        if variant is None:
            self._skip(fire, f"{root}-holdout", HELD_OUT, now, {})
            return FireOutcome(fire.trigger_id, "held out", variant=HOLDOUT)
        outcome = FireOutcome(fire.trigger_id, "fired", variant=variant.name)
        # Only email and SMS templates and handoffs read the triggering event: no read for other fires.
        handoff = any(action.type in HANDOFF_TYPES for action in variant.actions)
        needs_event = handoff or any(
            isinstance(action, EmailAction | SmsAction) for action in variant.actions
        )
        event = self._triggering_event(trigger, fire) if needs_event else None
        event_properties = {**(event.properties if event else {}), **fire.match}
        why = (
            handoff_why(record.state, self._definitions, now, event)
            if handoff and record is not None
            else None
        )
        for index, action in enumerate(variant.actions):
            delivery_id = f"{root}-{index}"
            if account is not None:
                context = self._context(fire, delivery_id, variant.name, None, {}, now, account.why)
                context = replace(context, account=account.why)
                if action.type not in ACCOUNT_ACTION_TYPES:  # validation refuses these; older overrides
                    reason = f"{action.type} needs a lead; an account trigger's fire has none"
                    outcome.deliveries.append(
                        self._refused(fire, context, action.type, Refused(SKIPPED, reason))
                    )
                    continue
                outcome.deliveries.append(self._deliver(fire, trigger, action, context, None))
                continue
            if isinstance(action, EmitEventAction):
                outcome.deliveries.append(self._emit(fire, action, delivery_id, variant.name, now))
                continue
            context = self._context(fire, delivery_id, variant.name, record, event_properties, now, why)
            outcome.deliveries.append(self._deliver(fire, trigger, action, context, record))
        if record is not None and trigger.kind == "anniversary" and not fire.is_deferred:
            timezone = record.state.traits.get("timezone")
            self._trigger_service.arm_anniversary(
                trigger, fire.lead_id, record.state.traits, timezone, fire.at, TriggerReport()
            )
        failures = [o.retry_error for o in outcome.deliveries if o.retry_error]
        if failures:
            raise ActionsFailed(f"fire {fire.fire_id}: " + "; ".join(failures), outcome)
        return outcome

    def _account(self, account_id: str, trigger: Trigger, now: datetime) -> AccountFire | None:
        """The account as its trigger's fire sees it now: score, traits, segments, and the leads
        that make it a member of the trigger's segment (one read of its lead links)."""
        if self._accounts is None:
            return None
        accounts = self._accounts
        stored = accounts.get(account_id)
        if stored is None:
            return None
        linked = list(accounts.linked(account_id))
        parts = [part for _lead_id, part in linked]
        definitions = self._definitions
        score = account_score(stored.totals, definitions, lambda: parts, now)
        leads = qualifying_leads(definitions, trigger.segment_id or "", linked, now)
        why = account_why(account_id, stored.traits, score, stored.members, definitions, leads, len(linked))
        return AccountFire(stored.facts(definitions, lambda: parts), why)

    def _holds(
        self, trigger: Trigger, record: LeadRecord | None, account: AccountFire | None, now: datetime
    ) -> bool:
        """``only_if`` at fire time: on the account for an account trigger, else on the lead."""
        assert trigger.only_if is not None
        if account is not None:
            return holds_account_condition(account.facts, self._definitions, trigger.only_if, now)
        return record is not None and holds_condition(record.state, self._definitions, trigger.only_if, now)

    def _deliver(
        self, fire: Fire, trigger: Trigger, action: Action, context: FireContext, record: LeadRecord | None
    ) -> Outcome:
        try:
            sendable = self._sendable(trigger, action, context)
        except Refused as refused:
            return self._refused(fire, context, action.type, refused)
        if sendable is None:
            details = {"reason": f"no {action.type} sender is configured", "variant": context.variant}
            return self._refused(fire, context, action.type, Refused(SKIPPED, details["reason"], details))
        recipient = None
        if record is not None:
            state = record.state
            recipient = Recipient(traits=state.traits, consent=state.consent, suppressed=state.suppressed)
        try:
            ticket = Ticket(context.delivery_id, trigger.priority, fire.at, fire.at + trigger.expires)
            return self._gate.deliver(fire, context.delivery_id, sendable, recipient, context.now, ticket)
        except CapContention as exc:
            return Outcome(sendable.channel, FAILED, retry_error=str(exc))

    def _sendable(self, trigger: Trigger, action: Action, context: FireContext) -> Sendable | None:
        channels = self._channels
        if isinstance(action, WebhookAction) and channels.webhooks is not None:
            return webhook_sendable(action, context, channels.webhooks)
        if isinstance(action, EventBridgeAction) and channels.event_bus is not None:
            return eventbridge_sendable(action, context, channels.event_bus, trigger)
        if isinstance(action, SlackAction) and channels.http is not None:
            return slack_sendable(action, context, channels.http, channels.resolve_secret)
        if isinstance(action, HubspotAction) and channels.http is not None:
            return hubspot_sendable(
                action,
                context,
                channels.http,
                channels.resolve_secret,
                self._policy.email.recipient_trait,
                channels.hubspot_api_url,
            )
        if isinstance(action, OnsiteAction) and channels.onsite is not None:
            return onsite_sendable(action, context, channels.onsite)
        if isinstance(action, SmsAction) and channels.sms is not None:
            return sms_sendable(
                action, context, channels.sms_templates, self._policy.sms, channels.sms, channels.phones
            )
        if isinstance(action, EmailAction) and channels.email is not None:
            return email_sendable(
                action,
                context,
                channels.templates,
                self._policy.email,
                channels.email,
                channels.configuration_set,
                channels.unsubscribe,
            )
        return None

    def _refused(self, fire: Fire, context: FireContext, channel: str, refused: Refused) -> Outcome:
        """An action that cannot be prepared: logged once (unless something final is logged already).
        A first attempt writes without reading, as the delivery gate does."""
        details = {**refused.details, "reason": refused.reason}
        record = (fire, context.delivery_id, channel, refused.status, context.now, details)
        if not fire.is_deferred and self._log.record_delivery(*record, only_new=True):
            return Outcome(channel, refused.status)
        prior = self._log.get_delivery(fire.lead_id, context.delivery_id)
        if prior is not None and prior["status"] in FINAL:
            return Outcome(channel, prior["status"], repeat=True)
        self._log.record_delivery(*record)
        return Outcome(channel, refused.status)

    def _skip(
        self, fire: Fire, delivery_id: str, status: str, now: datetime, details: dict[str, Any]
    ) -> None:
        self._log.record_delivery(fire, delivery_id, "none", status, now, details)

    def _context(
        self,
        fire: Fire,
        delivery_id: str,
        variant: str,
        record: LeadRecord | None,
        event_properties: Mapping[str, Any],
        now: datetime,
        why: Mapping[str, Any] | None = None,
    ) -> FireContext:
        traits: Mapping[str, Any] = {}
        score: float | None = None
        if record is not None:
            scoring = self._definitions.scoring
            traits = record.state.traits
            score = score_at(record.state.score, scoring, trait_points(traits, scoring), now.timestamp())
        return FireContext(fire, delivery_id, variant, traits, score, event_properties, now, why)

    def _triggering_event(self, trigger: Trigger, fire: Fire) -> StoredEvent | None:
        """The event that started an event trigger's fire (one read), for templates and handoffs."""
        if self._event_source is None or trigger.kind != "event" or not fire.origin_cause:
            return None
        return self._event_source.get_event(fire.lead_id, fire.origin_cause)

    def _emit(
        self, fire: Fire, action: EmitEventAction, delivery_id: str, variant: str, now: datetime
    ) -> Outcome:
        """A derived event re-enters the pipeline at the fire's event time (cart_abandoned at the
        deadline), so it scores and moves segments like any other event."""
        prior = self._log.get_delivery(fire.lead_id, delivery_id) if fire.is_deferred else None
        if prior is not None and prior["status"] == SENT:
            return Outcome("event", SENT, repeat=True)
        properties = {**fire.match, **(action.properties or {}), "trigger_id": fire.trigger_id}
        event = StoredEvent(
            message_id=f"lw-fire-{delivery_id}",
            type="track",
            lead_id=fire.lead_id,
            event=action.event,
            timestamp=fire.at,
            received_at=now,
            source=DERIVED_SOURCE,
            user_id=fire.lead_id,
            properties=properties,
        )
        self._events.put_events([event])
        self._log.record_delivery(
            fire,
            delivery_id,
            "event",
            SENT,
            now,
            {"event": action.event, "properties": properties, "variant": variant},
        )
        return Outcome("event", SENT)
