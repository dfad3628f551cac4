"""The trigger use case: events and segment moves start trigger instances.

A trigger without ``wait``/``delay`` fires at once (a FIRE item, idempotent by its id). One with
them claims a timer item for its key (trigger, lead, match values) and schedules a wake-up at
its deadline; an awaited event marks the timer satisfied in event time, and the timer fires
only if it is still waiting when it wakes: its state machine marks it fired, and this consumer
writes the FIRE item when that change reaches it (``on_timer_fired``). Anniversary triggers
are armed from the lead's traits. Events older than a trigger's horizon (imports, replays) build
state but start nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from leadwire.core.fires import Fire
from leadwire.core.tracking import StoredEvent
from leadwire.core.triggers import (
    Claimed,
    Satisfied,
    TimerKey,
    Trigger,
    anniversary_triggers,
    awaiting,
    deadline,
    execution_name,
    horizon_allows,
    next_anniversary,
    overtaken_key,
    timer_key,
    triggers_for_change,
    triggers_for_event,
)

DEFAULT_TIME_ZONE = "UTC"


class TimerPort(Protocol):
    def claim(
        self, key: TimerKey, started_at: datetime, deadline: datetime, execution: str, cause: str
    ) -> Claimed | None: ...

    def satisfy(self, key: TimerKey, at: datetime) -> Satisfied | None: ...


class SchedulePort(Protocol):
    def schedule(self, key: TimerKey, due: datetime, execution: str, fire: Fire) -> None: ...

    def cancel(self, execution: str, why: Literal["satisfied", "overtaken"]) -> bool:
        """Stop a wake-up that can no longer fire (it would only find its timer satisfied or taken
        over, at two state transitions more); True if one was stopped. Best effort: a wake-up
        left running still does nothing."""
        ...


class FirePort(Protocol):
    def put_fire(self, fire: Fire) -> bool: ...


@dataclass
class TriggerReport:
    fired: int = 0
    scheduled: int = 0
    satisfied: int = 0
    beyond_horizon: int = 0
    erased: int = 0  # work dropped because its lead was erased
    stopped: int = 0  # wake-ups stopped early: their timer was satisfied or taken over


class ErasedCheck(Protocol):
    def erased(self, lead_id: str) -> bool: ...


class ChangeGuard(Protocol):
    def allowed(self, triggers: list[Trigger], segment_id: str) -> list[Trigger]: ...


class TriggerService:
    def __init__(
        self,
        triggers: list[Trigger],
        timers: TimerPort,
        scheduler: SchedulePort,
        fires: FirePort,
        now: Callable[[], datetime],
        default_time_zone: str = DEFAULT_TIME_ZONE,
        guard: ErasedCheck | None = None,
        spikes: ChangeGuard | None = None,
    ) -> None:
        self._guard = guard
        self._spikes = spikes
        # Highest priority first: the fires of one cause are written, and so acted on, in that order.
        self._triggers = sorted(triggers, key=lambda trigger: -trigger.priority)
        self._timers = timers
        self._scheduler = scheduler
        self._fires = fires
        self._now = now
        self._default_time_zone = default_time_zone

    def _erased(self, lead_id: str, report: TriggerReport) -> bool:
        if self._guard is not None and self._guard.erased(lead_id):
            report.erased += 1
            return True
        return False

    def on_event(self, event: StoredEvent, report: TriggerReport) -> None:
        now = self._now()
        acts = event.event is not None and (
            awaiting(self._triggers, event.event, event.properties)
            or triggers_for_event(self._triggers, event.event, event.properties)
        )
        arms = event.type == "identify" and bool(event.traits) and bool(anniversary_triggers(self._triggers))
        if (acts or arms) and self._erased(event.lead_id, report):
            return
        if event.event is not None:
            for waiting in awaiting(self._triggers, event.event, event.properties):
                key = TimerKey(waiting.trigger.id, event.lead_id, waiting.match_values)
                satisfied = self._timers.satisfy(key, event.timestamp)
                if satisfied is None:
                    continue
                report.satisfied += 1
                if satisfied.execution is not None:
                    report.stopped += self._scheduler.cancel(satisfied.execution, "satisfied")
            for trigger in triggers_for_event(self._triggers, event.event, event.properties):
                self._start(
                    trigger, event.lead_id, event.message_id, event.timestamp, event.properties, now, report
                )
        if event.type == "identify" and event.traits:
            timezone = event.traits.get("timezone") or event.context.get("timezone")
            for trigger in anniversary_triggers(self._triggers):
                self.arm_anniversary(
                    trigger, event.lead_id, event.traits, timezone, max(now, event.timestamp), report
                )

    def on_timer_fired(self, fire: Fire, report: TriggerReport) -> None:
        """A timer woke still waiting and its state machine marked it fired: write its FIRE item
        (once: a redelivered change writes nothing), unless its lead was erased meanwhile."""
        if self._erased(fire.lead_id, report):
            return
        report.fired += self._fires.put_fire(fire)

    def on_change(
        self,
        lead_id: str,
        segment_id: str,
        kind: str,
        at: datetime,
        change_id: str,
        report: TriggerReport,
        *,
        lead_version: int = 0,
    ) -> None:
        """A membership change; ``lead_version``: the state version saved with it, which the
        fire carries (the actions then know how new a copy of the lead they need)."""
        now = self._now()
        triggers = triggers_for_change(self._triggers, segment_id, kind)  # type: ignore[arg-type]
        if self._spikes is not None:
            triggers = self._spikes.allowed(triggers, segment_id)  # spike alerts pause them
        for trigger in triggers:
            if self._erased(lead_id, report):
                return
            self._start(trigger, lead_id, change_id, at, {}, now, report, lead_version=lead_version)

    def arm_anniversary(
        self,
        trigger: Trigger,
        lead_id: str,
        traits: Mapping[str, Any],
        timezone: str | None,
        after: datetime,
        report: TriggerReport,
    ) -> datetime | None:
        """Schedule the next anniversary after ``after`` (the fire re-arms the following one)."""
        on = trigger.on
        trait = getattr(on, "anniversary", None)
        if trait is None:
            return None
        value = traits.get(trait.trait)
        if not isinstance(value, str) or self._erased(lead_id, report):
            return None
        due = next_anniversary(value, trait.at, timezone, self._default_time_zone, after)
        if due is None:
            return None
        occurrence = f"anniversary:{due.isoformat()}"
        key = TimerKey(trigger.id, lead_id, (due.date().isoformat(),))
        self._wait(key, after, Fire.of(trigger.id, lead_id, occurrence, due), report)
        return due

    def defer(self, fire: Fire, until: datetime) -> bool:
        """Fire ``fire`` again at ``until`` (quiet hours end, or a send must be confirmed first),
        on the same timer machinery as a delay; once per (root fire, instant). True if scheduled."""
        report = TriggerReport()
        if self._erased(fire.lead_id, report):
            return False
        key = TimerKey(fire.trigger_id, fire.lead_id, ("defer", fire.root_id, until.isoformat()))
        self._wait(key, self._now(), fire.deferred_until(until), report, due=until)
        return report.scheduled > 0

    def _start(
        self,
        trigger: Trigger,
        lead_id: str,
        cause: str,
        at: datetime,
        properties: Mapping[str, Any],
        now: datetime,
        report: TriggerReport,
        *,
        lead_version: int = 0,
    ) -> None:
        if not horizon_allows(trigger, at, now):
            report.beyond_horizon += 1
            return
        if trigger.wait is None and trigger.delay is None:
            report.fired += self._fires.put_fire(
                Fire.of(trigger.id, lead_id, cause, at, lead_version=lead_version)
            )
            return
        key = timer_key(trigger, lead_id, properties)
        paths = trigger.wait.until.match if trigger.wait is not None else []
        match = dict(zip(paths, key.match_values, strict=True))
        self._wait(key, at, Fire.of(trigger.id, lead_id, cause, deadline(trigger, at), match), report)

    def _wait(
        self,
        key: TimerKey,
        started_at: datetime,
        fire: Fire,
        report: TriggerReport,
        due: datetime | None = None,
    ) -> None:
        """Claim the instance's timer and, if this start owns it, schedule its wake-up at ``due``
        (default ``fire.at``: a delay or wait fires at its deadline)."""
        wake = due or fire.at
        name = execution_name(key, fire.cause)
        claim = self._timers.claim(key, started_at, wake, name, fire.cause)
        if claim is None:
            return
        self._scheduler.schedule(key, wake, name, fire)
        report.scheduled += 1
        if (old := claim.overtaken) is not None:
            # Its wake-up would find the item taken and do nothing (it is stopped): it waits on
            # under a key of its own (same fire id, so it still fires at most once).
            detached = Fire.of(fire.trigger_id, fire.lead_id, old.cause, old.deadline, fire.match)
            self._wait(overtaken_key(key, old.cause), old.started_at, detached, report)
            if old.execution is not None:
                report.stopped += self._scheduler.cancel(old.execution, "overtaken")
