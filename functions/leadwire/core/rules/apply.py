"""``apply_events``: fold a lead's new events into its state; pure, idempotent, order-insensitive.

Every aggregate is a sum, a min/max, a last-writer-wins map, a set, or "the newest N of a set",
so applying the same events in any order, in any batches, gives the same state (except the
approximations listed in ``scoring`` and the dedupe window, which records arrival order).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import datetime

from leadwire.core.rules import counters, distinct, sequences, visits
from leadwire.core.rules.aggregates import AggregatePlan
from leadwire.core.rules.clock import epoch_millis, epoch_seconds, utc_day
from leadwire.core.rules.consent import consent_signals, event_consent, record_consent, suppressed_channel
from leadwire.core.rules.dedupe import RecentMessages
from leadwire.core.rules.definitions import Definitions, Scoring
from leadwire.core.rules.events import LeadEvent
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.scoring import CAP_RETENTION_DAYS, add_points, granted_points, trait_points
from leadwire.core.rules.sequences import SequenceState
from leadwire.core.rules.traits import link_account, merge_group_traits, merge_traits

VISITS_AGGREGATE = "visits"  # how ``untracked_aggregates`` names the visit state


def apply_events(
    state: LeadState, events: Iterable[LeadEvent], definitions: Definitions, *, now: datetime | None = None
) -> LeadState:
    """A new state with ``events`` applied; events already in the dedupe window change nothing.

    The state keeps exactly the aggregates ``definitions`` need: aggregates of definitions no
    longer loaded are dropped, new ones start empty (see ``untracked_aggregates``). With ``now``
    (the processing clock), an event stamped later than ``now`` counts as stamped ``now``, so a
    client clock running ahead cannot push the lead into the future and prune its windows.
    """
    plan = definitions.plan
    draft = state.model_copy(deep=True)
    _fit_to_plan(draft, plan)
    recent = RecentMessages(draft.recent)
    for event in sorted(events, key=lambda event: (event.timestamp, event.message_id)):
        if recent.first_time(event.message_id):
            stamp = event.timestamp if now is None else min(event.timestamp, now)
            _apply(draft, event, stamp, definitions.scoring, plan)
    draft.recent = recent.stored()
    if draft.last_seen_at is not None:
        _prune(draft, plan, draft.last_seen_at)
    return draft


class IncrementalApply:
    """``apply_events`` one event at a time, for replays that evaluate after every event
    (previews): the state is copied once for the whole run, not once per event, and ``state`` is
    that one object, changed in place by each ``apply``. ``finish`` writes the dedupe window."""

    def __init__(self, state: LeadState, definitions: Definitions, *, now: datetime | None = None) -> None:
        self._definitions = definitions
        self._now = now
        self.state = state.model_copy(deep=True)
        _fit_to_plan(self.state, definitions.plan)
        self._recent = RecentMessages(self.state.recent)

    def apply(self, event: LeadEvent) -> None:
        draft, plan = self.state, self._definitions.plan
        if self._recent.first_time(event.message_id):
            stamp = event.timestamp if self._now is None else min(event.timestamp, self._now)
            _apply(draft, event, stamp, self._definitions.scoring, plan)
        if draft.last_seen_at is not None:
            _prune(draft, plan, draft.last_seen_at)

    def finish(self) -> LeadState:
        self.state.recent = self._recent.stored()
        return self.state


def untracked_aggregates(state: LeadState, definitions: Definitions) -> frozenset[str]:
    """Aggregates the definitions need that this (non-new) state has not fully kept.

    Non-empty after a reload that added ``performed``, ``sequence`` or ``visits`` nodes (or changed
    the visit gap), or that widened what an existing counter, distinct-value set or visit state
    must keep (a longer ``within``, a higher count threshold, an "ever" use, another bucket window
    or ``min_duration``: its recorded coverage is less than the plan, see ``counters``), and for a
    counter stored before coverage was recorded. Such aggregates only see events from now on;
    an adapter can rebuild exactly by replaying the lead's stored events into ``LeadState.new``.
    Call it before ``apply_events``, which starts tracking new aggregates (a widened counter stays
    listed until rebuilt). A sequence's kept candidates cannot grow under the same id: its window
    is part of its id and ``CANDIDATES_PER_STEP`` is fixed. Narrowing needs no rebuild.
    """
    if state.first_seen_at is None:
        return frozenset()
    plan = definitions.plan
    counters_missing = {
        key
        for key, counter in plan.counters.items()
        if key not in state.counters or not counters.covers(state.counters[key], counter)
    }
    distinct_missing = {
        key
        for key, values in plan.distinct.items()
        if key not in state.distinct or not distinct.covers(state.distinct[key], values)
    }
    visits_missing = (
        {VISITS_AGGREGATE}
        if plan.visits is not None and (state.visits is None or not visits.covers(state.visits, plan.visits))
        else set()
    )
    return frozenset(
        counters_missing | distinct_missing | visits_missing | (set(plan.sequences) - set(state.sequences))
    )


def _fit_to_plan(draft: LeadState, plan: AggregatePlan) -> None:
    draft.counters = {
        key: counters.fitted(draft.counters.get(key), counter) for key, counter in plan.counters.items()
    }
    draft.sequences = {key: draft.sequences.get(key, SequenceState()) for key in plan.sequences}
    draft.distinct = {
        key: distinct.fitted(draft.distinct.get(key), values) for key, values in plan.distinct.items()
    }
    draft.visits = None if plan.visits is None else visits.fitted(draft.visits, plan.visits)
    capped = {rule.rule_id for rule in plan.rules if rule.max_per_day is not None}
    draft.score.used = {key: days for key, days in draft.score.used.items() if key in capped}


def _apply(
    draft: LeadState, event: LeadEvent, stamp: datetime, scoring: Scoring, plan: AggregatePlan
) -> None:
    at, at_ms = epoch_seconds(stamp), epoch_millis(stamp)
    draft.first_seen_at = at if draft.first_seen_at is None else min(draft.first_seen_at, at)
    draft.last_seen_at = newest = at if draft.last_seen_at is None else max(draft.last_seen_at, at)
    if event.is_activity:
        draft.last_activity_at = at if draft.last_activity_at is None else max(draft.last_activity_at, at)
        if draft.visits is not None and plan.visits is not None:
            visits.record(draft.visits, plan.visits, at)
    if event.type == "identify":
        merge_traits(draft.traits, draft.trait_stamps, event.traits, at_ms)
        record_consent(draft.consent, consent_signals(event.traits), at_ms)
    elif event.type == "group":
        merge_group_traits(draft.traits, draft.trait_stamps, event.traits, at_ms)
        link_account(draft, event.group_id, at_ms)
    points = 0.0
    name = event.name
    if name is not None:
        for counter in plan.counters_by_event.get(name, ()):
            if counter.filter.matches(event):
                counters.record(draft.counters[counter.counter_id], counter, at)
        for values in plan.distinct_by_event.get(name, ()):
            if values.performed.matches(event):
                distinct.record(draft.distinct[values.distinct_id], values, event, at)
        for sequence in plan.sequences_by_event.get(name, ()):
            sequences.record(draft.sequences[sequence.sequence_id], sequence, event, at_ms)
        for rule in plan.rules_by_event.get(name, ()):
            if rule.matches(event):
                points += granted_points(draft.score, rule, at, newest)
        record_consent(draft.consent, event_consent(event), at_ms)
        channel = suppressed_channel(event)
        if channel is not None and channel not in draft.suppressed:
            bisect.insort(draft.suppressed, channel)
    add_points(draft.score, scoring, at, points, trait_points(draft.traits, scoring))


def _prune(draft: LeadState, plan: AggregatePlan, horizon: int) -> None:
    for key, counter in plan.counters.items():
        counters.prune(draft.counters[key], counter, horizon)
    for key, sequence in plan.sequences.items():
        sequences.prune(draft.sequences[key], sequence, horizon * 1000)
    for key, values in plan.distinct.items():
        distinct.prune(draft.distinct[key], values, horizon)
    if draft.visits is not None and plan.visits is not None:
        visits.prune(draft.visits, plan.visits, horizon)
    oldest_day = utc_day(horizon) - CAP_RETENTION_DAYS
    draft.score.used = {
        key: kept
        for key, days in draft.score.used.items()
        if (kept := {day: used for day, used in days.items() if day > oldest_day})
    }
