"""The actions use case: a fired trigger runs its actions, once each, for a lead.

Each action of a fire has a delivery id (fire id + position), so a redelivered fire repeats
nothing: a derived event keeps its message id (the event store dedupes it), and the delivery log
is keyed by delivery id. ``only_if`` is checked again now, at fire time; a held-out lead (A/B
holdout) is logged and sent nothing. An anniversary fire arms next year's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from leadwire.core.fires import Fire
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import Definitions, holds_condition
from leadwire.core.tracking import StoredEvent
from leadwire.core.triggers import EmitEventAction, Trigger, choose_variant
from leadwire.triggers.service import TriggerReport, TriggerService

DERIVED_SOURCE = "leadwire"


class EventSinkPort(Protocol):
    def put_events(self, events: list[StoredEvent]) -> None: ...


class LeadsPort(Protocol):
    def load(self, lead_id: str) -> LeadRecord | None: ...


class DeliveryLogPort(Protocol):
    def record_delivery(
        self, fire: Fire, delivery_id: str, channel: str, status: str, at: datetime, details: dict[str, Any]
    ) -> None: ...


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
    ) -> None:
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
        for index, action in enumerate(variant.actions):
            delivery_id = f"{fire.fire_id}-{index}"
            if isinstance(action, EmitEventAction):
                self._emit(fire, action, delivery_id, variant.name, now)
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
        return "fired"

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
