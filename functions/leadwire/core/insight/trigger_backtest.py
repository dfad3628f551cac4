"""A trigger's fires and sends over replayed history: pure, nothing sent, nothing written.

Fires come from membership changes (``enter``/``exit``) or matching events (``event``, with
``delay`` or ``wait.until`` resolved against the lead's later events), under the trigger's
reentry policy. Each fire's actions go through the same ``decide`` the actions consumer runs:
consent and suppression, quiet hours (a deferred send goes out when the window ends, and counts
against the caps then), frequency caps over the sends this backtest let through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadwire.core.delivery.decisions import Defer, Recipient, Refuse, SentRecord, decide
from leadwire.core.delivery.policy import DeliveryPolicy
from leadwire.core.rules import LeadEvent
from leadwire.core.rules.lookup import lookup
from leadwire.core.triggers.models import EmailAction, EmitEventAction, OncePer, Trigger, WebhookAction
from leadwire.core.triggers.variants import choose_variant

MAX_DEFERRALS = 3


@dataclass(frozen=True)
class Occurrence:
    """Something that starts the trigger: a membership change or an event, of one lead."""

    lead_id: str
    at: datetime
    interval: str = ""  # the membership interval (entered at), for once-per-membership


def event_occurrences(
    trigger: Trigger, events_by_lead: Mapping[str, Sequence[LeadEvent]], now: datetime
) -> list[Occurrence]:
    """When an ``event`` trigger fires: at the event (+ ``delay``), or at the wait's deadline if the
    awaited event (equal ``match`` properties) did not come first; not after ``now``."""
    on = trigger.on_event
    if on is None:
        return []
    fires: list[Occurrence] = []
    for lead_id, events in events_by_lead.items():
        ordered = sorted(events, key=lambda e: (e.timestamp, e.message_id))
        for index, event in enumerate(ordered):
            if event.name is None or not on.accepts(event.name, event.properties):
                continue
            at = event.timestamp + (trigger.delay or timedelta(0))
            if trigger.wait is not None:
                deadline = event.timestamp + trigger.wait.timeout
                if _awaited(trigger, event, ordered[index + 1 :], deadline):
                    continue
                at = deadline
            if at <= now:
                fires.append(Occurrence(lead_id=lead_id, at=at))
    return fires


def _awaited(trigger: Trigger, started: LeadEvent, later: Iterable[LeadEvent], deadline: datetime) -> bool:
    assert trigger.wait is not None
    until = trigger.wait.until
    for candidate in later:
        if candidate.timestamp > deadline:
            return False
        same = all(
            lookup(candidate.properties, path) == lookup(started.properties, path) for path in until.match
        )
        if candidate.name is not None and until.accepts(candidate.name, candidate.properties) and same:
            return True
    return False


def apply_reentry(trigger: Trigger, occurrences: Iterable[Occurrence]) -> list[Occurrence]:
    """The occurrences the reentry policy lets fire (``once``, ``once_per``, per membership, every time)."""
    policy = trigger.reentry_policy
    fired: list[Occurrence] = []
    last: dict[str, datetime] = {}
    intervals: set[tuple[str, str]] = set()
    for occurrence in sorted(occurrences, key=lambda o: (o.at, o.lead_id)):
        previous = last.get(occurrence.lead_id)
        if policy == "once" and previous is not None:
            continue
        if (
            isinstance(policy, OncePer)
            and previous is not None
            and occurrence.at < previous + policy.once_per
        ):
            continue
        if policy == "once_per_membership":
            key = (occurrence.lead_id, occurrence.interval)
            if key in intervals:
                continue
            intervals.add(key)
        last[occurrence.lead_id] = occurrence.at
        fired.append(occurrence)
    return fired


@dataclass(frozen=True)
class Backtest:
    fires: list[Occurrence]
    sends: dict[str, int]  # channel -> sent (deferred ones included, at the end of quiet hours)
    outcomes: dict[str, int]  # sent, deferred, capped, no_consent, suppressed, held_out


def deliver(
    trigger: Trigger,
    fires: Sequence[Occurrence],
    recipients: Mapping[str, Recipient],
    policy: DeliveryPolicy,
) -> Backtest:
    sends: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    recent: dict[str, list[SentRecord]] = {}
    for number, fire in enumerate(sorted(fires, key=lambda f: (f.at, f.lead_id))):
        variant = choose_variant(trigger, fire.lead_id)
        if variant is None:
            outcomes["held_out"] += 1
            continue
        recipient = recipients.get(fire.lead_id, Recipient(traits={}, consent={}, suppressed=()))
        for position, action in enumerate(variant.actions):
            if isinstance(action, EmitEventAction):
                sends["event"] += 1
                continue
            channel = action.type
            category = action.channel if isinstance(action, EmailAction) else None
            delivery_id = f"{number}.{position}"
            at = fire.at
            for _ in range(MAX_DEFERRALS):
                decision = decide(
                    policy, channel, category, recipient, recent.get(fire.lead_id, []), delivery_id, at
                )
                if not isinstance(decision, Defer):
                    break
                outcomes["deferred"] += 1
                at = decision.until
            if isinstance(decision, Refuse):
                outcomes[decision.status] += 1
                continue
            if isinstance(decision, Defer):
                continue
            outcomes["sent"] += 1
            sends["webhook" if isinstance(action, WebhookAction) else channel] += 1
            recent.setdefault(fire.lead_id, []).append(SentRecord(delivery_id, channel, category, at))
    return Backtest(fires=list(fires), sends=dict(sends), outcomes=dict(outcomes))
