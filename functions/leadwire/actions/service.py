"""The actions use case: a fired trigger runs its actions, once each, for a lead.

Each action of a fire has a delivery id (fire id + position), so a redelivered fire repeats
nothing: a derived event keeps its message id (the event store dedupes it), and the delivery log
is keyed by delivery id. ``only_if`` is checked again now, at fire time; a held-out lead (A/B
holdout) is logged and sent nothing. An anniversary fire arms next year's.

Webhook and EventBridge actions check the delivery log first: one already ``sent`` is not sent
again. A transient failure (webhook 5xx/429/network after every attempt, PutEvents errors, a
secret that cannot be read) is logged ``failed`` and, once the other actions ran, raised as
``ActionsFailed``, so the consumer reports the record and Lambda retries it (then its on-failure
destination gets it); the webhook id is the delivery id, the same on every retry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from leadwire.core.fires import Fire
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import Definitions, holds_condition
from leadwire.core.rules.scoring import score_at, trait_points
from leadwire.core.tracking import StoredEvent
from leadwire.core.triggers import EmitEventAction, Trigger, choose_variant
from leadwire.core.triggers.definitions import EventBridgeAction, WebhookAction
from leadwire.triggers.service import TriggerReport, TriggerService

DERIVED_SOURCE = "leadwire"
WEBHOOK_EVENT_TYPE = "leadwire.trigger.fired"


class ActionsFailed(RuntimeError):
    """Some actions of a fire failed transiently: the fire must be retried."""


class EventSinkPort(Protocol):
    def put_events(self, events: list[StoredEvent]) -> None: ...


class LeadsPort(Protocol):
    def load(self, lead_id: str) -> LeadRecord | None: ...


class DeliveryLogPort(Protocol):
    def record_delivery(
        self, fire: Fire, delivery_id: str, channel: str, status: str, at: datetime, details: dict[str, Any]
    ) -> None: ...

    def get_delivery(self, lead_id: str, delivery_id: str) -> dict[str, Any] | None: ...


class WebhookResultLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def retryable(self) -> bool: ...
    @property
    def details(self) -> dict[str, Any]: ...


class WebhookPort(Protocol):
    def send(
        self, url: str, secret_ref: str, msg_id: str, payload: Mapping[str, Any], *, allow_private: bool
    ) -> WebhookResultLike: ...


class EventBusPort(Protocol):
    bus_name: str

    def put(self, detail_type: str, detail: Mapping[str, Any]) -> str: ...


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
        webhooks: WebhookPort | None = None,
        event_bus: EventBusPort | None = None,
    ) -> None:
        self._webhooks = webhooks
        self._event_bus = event_bus
        self._triggers = triggers
        self._definitions = definitions
        self._leads = leads
        self._events = events
        self._log = log
        self._trigger_service = trigger_service
        self._now = now

    def handle(self, fire: Fire) -> str:
        """Run the fire's actions; returns what happened (for logs and metrics)."""
        now = self._now()
        trigger = self._triggers.get(fire.trigger_id)
        if trigger is None:
            self._log.record_delivery(
                fire, f"{fire.fire_id}-trigger", "none", "skipped", now, {"reason": "trigger removed"}
            )
            return "trigger removed"
        record = self._leads.load(fire.lead_id)
        if trigger.only_if is not None and (
            record is None or not holds_condition(record.state, self._definitions, trigger.only_if, now)
        ):
            self._log.record_delivery(
                fire, f"{fire.fire_id}-only-if", "none", "skipped", now, {"reason": "only_if"}
            )
            return "only_if false"
        variant = choose_variant(trigger, fire.lead_id)
        if variant is None:
            self._log.record_delivery(fire, f"{fire.fire_id}-holdout", "none", "held_out", now, {})
            return "held out"
        failures: list[str] = []
        for index, action in enumerate(variant.actions):
            delivery_id = f"{fire.fire_id}-{index}"
            if isinstance(action, EmitEventAction):
                self._emit(fire, action, delivery_id, variant.name, now)
            elif isinstance(action, WebhookAction) and self._webhooks is not None:
                if not self._already_sent(fire, delivery_id):
                    failures += self._webhook(fire, action, delivery_id, variant.name, record, now)
            elif isinstance(action, EventBridgeAction) and self._event_bus is not None:
                if not self._already_sent(fire, delivery_id):
                    failures += self._put_event(fire, action, delivery_id, variant.name, now)
            else:
                self._log.record_delivery(
                    fire,
                    delivery_id,
                    action.type,
                    "not_sent",
                    now,
                    {"reason": f"{action.type} actions are not available yet", "variant": variant.name},
                )
        if record is not None and trigger.kind == "anniversary":
            timezone = record.state.traits.get("timezone")
            self._trigger_service.arm_anniversary(
                trigger, fire.lead_id, record.state.traits, timezone, fire.at, TriggerReport()
            )
        if failures:
            raise ActionsFailed(f"fire {fire.fire_id}: " + "; ".join(failures))
        return "fired"

    def _already_sent(self, fire: Fire, delivery_id: str) -> bool:
        previous = self._log.get_delivery(fire.lead_id, delivery_id)
        return previous is not None and previous.get("status") == "sent"

    def _fire_data(self, fire: Fire) -> dict[str, Any]:
        return {
            "triggerId": fire.trigger_id,
            "leadId": fire.lead_id,
            "fireId": fire.fire_id,
            "cause": fire.cause,
            "at": fire.at.isoformat(),
            "match": fire.match,
        }

    def _webhook(
        self,
        fire: Fire,
        action: WebhookAction,
        delivery_id: str,
        variant: str,
        record: LeadRecord | None,
        now: datetime,
    ) -> list[str]:
        assert self._webhooks is not None
        data = self._fire_data(fire)
        if record is not None:
            scoring = self._definitions.scoring
            traits = record.state.traits
            score = score_at(record.state.score, scoring, trait_points(traits, scoring), now.timestamp())
            data["lead"] = {"traits": traits, "score": score}
        payload = {"type": WEBHOOK_EVENT_TYPE, "timestamp": now.isoformat(), "data": data}
        try:
            result = self._webhooks.send(
                action.url, action.secret, delivery_id, payload, allow_private=action.allow_private
            )
        except Exception as exc:  # the secret could not be read: log it, retry the fire
            details = {"url": action.url, "webhookId": delivery_id, "attempts": 0, "error": str(exc)}
            self._log.record_delivery(
                fire, delivery_id, "webhook", "failed", now, {**details, "variant": variant}
            )
            return [f"webhook {delivery_id}: {exc}"]
        self._log.record_delivery(
            fire, delivery_id, "webhook", result.status, now, {**result.details, "variant": variant}
        )
        if result.status != "sent" and result.retryable:
            return [f"webhook {delivery_id}: {result.details.get('error')}"]
        return []

    def _put_event(
        self, fire: Fire, action: EventBridgeAction, delivery_id: str, variant: str, now: datetime
    ) -> list[str]:
        assert self._event_bus is not None
        details: dict[str, Any] = {
            "detailType": action.detail_type,
            "eventBusName": self._event_bus.bus_name,
            "variant": variant,
        }
        try:
            event_id = self._event_bus.put(action.detail_type, self._fire_data(fire))
        except Exception as exc:
            self._log.record_delivery(
                fire, delivery_id, "eventbridge", "failed", now, {**details, "error": str(exc)}
            )
            return [f"eventbridge {delivery_id}: {exc}"]
        self._log.record_delivery(
            fire, delivery_id, "eventbridge", "sent", now, {**details, "eventId": event_id}
        )
        return []

    def _emit(
        self, fire: Fire, action: EmitEventAction, delivery_id: str, variant: str, now: datetime
    ) -> None:
        """A derived event re-enters the pipeline at the fire's event time (cart_abandoned at the
        deadline), so it scores and moves segments like any other event."""
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
            "sent",
            now,
            {"event": action.event, "properties": properties, "variant": variant},
        )
