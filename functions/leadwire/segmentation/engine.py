"""The segmentation use case: apply a lead's new events, evaluate, record membership changes.

No boto3 here: the lead store and the event history are ports, the clock is a function.

Per lead and stream batch: one state read, events applied in event-time order, memberships
evaluated after each event at that event's instant (so a flip is recorded when it happened, with
the event that caused it), time-based flips between events evaluated at their own due instants,
and one conditional write. A conflicting writer makes the whole lead start again from a reload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from leadwire.core.account_segments import counted_segments
from leadwire.core.accounts import Contribution, contribution
from leadwire.core.leads import LeadRecord, Transition, VersionConflict, next_due
from leadwire.core.rules import (
    Definitions,
    Evaluation,
    LeadEvent,
    LeadState,
    MembershipChange,
    apply_events,
    diff,
    evaluate,
    merge_states,
    untracked_aggregates,
)
from leadwire.core.rules.account_view import AccountView, reads_account
from leadwire.core.rules.canonical import short_id
from leadwire.core.rules.clock import epoch_millis
from leadwire.core.tracking import StoredEvent

TIME_CAUSE = "time"
MERGE_CAUSE = "merge"
REEVALUATION_CAUSE = "definitions"
MAX_FLIPS_PER_ADVANCE = 1000
# Membership changes per save: bounds the outbox carried in the lead-state item.
MAX_TRANSITIONS_PER_SAVE = 40


class LeadPort(Protocol):
    def load(self, lead_id: str, *, fresh: bool = False) -> LeadRecord | None:
        """``fresh``: read the stored item even if the port remembers the lead."""
        ...

    def save(self, record: LeadRecord, transitions: list[Transition]) -> LeadRecord: ...


@runtime_checkable
class HoldsWrites(Protocol):
    """A lead port that can hold its batchable writes to the end of a block (``LeadStore``)."""

    def batched(self) -> AbstractContextManager[None]: ...

    def flush_held(self) -> None: ...


class EventHistoryPort(Protocol):
    def lead_events(self, lead_id: str) -> Iterable[StoredEvent]: ...


class ErasedCheck(Protocol):
    def erased(self, lead_id: str) -> bool: ...


class AccountPort(Protocol):
    def view(self, account_id: str, definitions: Definitions) -> AccountView | None: ...

    def merge_traits(self, account_id: str, traits: dict[str, object], at_ms: int) -> None: ...

    def link(
        self, account_id: str, lead_id: str, part: Contribution | None, definitions: Definitions
    ) -> bool:
        """Make the lead's part of the account ``part`` (``None``: take it out); True if written."""
        ...

    def settle(
        self, account_id: str, definitions: Definitions, now: datetime, cause: str, versions: dict[str, str]
    ) -> list[Transition]:
        """Re-evaluate the account's segments after one of its leads moved it."""
        ...

    def advance(
        self, account_id: str, definitions: Definitions, now: datetime, versions: dict[str, str]
    ) -> list[Transition]:
        """The flips decay brought the account since its due instant (the sweep's call)."""
        ...


class LeadUnresolvable(Exception):
    """A merge chain longer than identity allows (a loop written by hand, say)."""


def to_lead_event(event: StoredEvent) -> LeadEvent:
    return LeadEvent(
        message_id=event.message_id,
        type=event.type,
        event=event.event,
        timestamp=event.timestamp,
        properties=event.properties,
        traits=event.traits,
        group_id=event.group_id if event.type == "group" else None,
    )


def definition_versions(definitions: Definitions) -> dict[str, str]:
    """A short hash per segment: history records which version of a definition decided."""
    return {
        segment.id: short_id(segment.model_dump(mode="json", by_alias=True))
        for segment in definitions.segments
    }


def identity_sources(events: Iterable[StoredEvent]) -> list[tuple[str, datetime]]:
    """Anonymous ids that these events say belong to their known lead (alias, identify with both),
    each with the instant it was first said."""
    sources: dict[str, datetime] = {}
    for event in sorted(events, key=lambda e: e.timestamp):
        if event.type == "alias" and event.previous_id:
            candidate = event.previous_id
        elif event.type == "identify" and event.user_id and event.anonymous_id:
            candidate = event.anonymous_id
        else:
            continue
        if candidate != event.lead_id:
            sources.setdefault(candidate, event.timestamp)
    return list(sources.items())


def without_instant_intervals(transitions: list[Transition]) -> list[Transition]:
    """Drop intervals opened and closed at the same instant within one save: noise, not history.
    (An interval opened in an earlier save is always closed, whatever its length.)"""
    opened = {(t.change.segment_id, t.entered_at) for t in transitions if t.change.kind == "entered"}
    instant = {
        (t.change.segment_id, t.entered_at)
        for t in transitions
        if t.change.kind == "exited" and t.change.at == t.entered_at
    } & opened
    return [t for t in transitions if (t.change.segment_id, t.entered_at) not in instant]


@dataclass
class Outcome:
    lead_id: str
    applied: int = 0
    transitions: list[Transition] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    rebuilt: bool = False
    erased: bool = False  # the lead was erased: its late events were dropped


@dataclass
class _Work:
    """A lead being processed: its record, the evaluation instant, changes not yet saved."""

    record: LeadRecord
    state: LeadState
    evaluated_at: datetime | None
    pending: list[Transition] = field(default_factory=list)
    outcome: Outcome = field(default_factory=lambda: Outcome(lead_id=""))
    accounts: dict[str, AccountView | None] = field(default_factory=dict)  # read once per attempt
    linked_account: str | None = None  # the account the lead belonged to when loaded
    synced_segments: frozenset[str] = frozenset()  # counted segments last written to the account
    # The last evaluation that changed nothing: (state, instant, account view, next flip). The
    # state it judged is the state kept, so judging it again at that instant gives that answer.
    settled: tuple[LeadState, datetime, AccountView | None, datetime | None] | None = None


class SegmentationEngine:
    def __init__(
        self,
        leads: LeadPort,
        history: EventHistoryPort,
        definitions: Definitions,
        now: Callable[[], datetime],
        *,
        max_attempts: int = 5,
        guard: ErasedCheck | None = None,
        accounts: AccountPort | None = None,
    ) -> None:
        self._leads = leads
        self._accounts = accounts
        self._reads_account = reads_account(
            [c for segment in definitions.segment_order for c in (segment.condition, segment.exit_when)]
        )
        self._counted = counted_segments(definitions)
        self._guard = guard
        self._history = history
        self._definitions = definitions
        self._versions = definition_versions(definitions)
        self._now = now
        self._max_attempts = max_attempts

    # -- entry points ----------------------------------------------------------------------------
    def held_writes(self) -> AbstractContextManager[None]:
        """A block (a stream batch, a sweep) whose batchable store writes land at its end."""
        return self._leads.batched() if isinstance(self._leads, HoldsWrites) else nullcontext()

    def flush_held(self) -> None:
        """Write what the block holds so far (a sweep before it moves its checkpoint)."""
        if isinstance(self._leads, HoldsWrites):
            self._leads.flush_held()

    def process(self, lead_id: str, events: list[StoredEvent]) -> Outcome:
        """Apply ``events`` (all of one lead, any order, duplicates allowed) and save."""
        return self._retrying(lambda: self._process_once(lead_id, events))

    def advance(self, lead_id: str, cause: str = TIME_CAUSE) -> Outcome:
        """Re-evaluate a lead with no new events: due time-based flips, or changed definitions."""
        return self._retrying(lambda: self._process_once(lead_id, [], cause=cause))

    def advance_account(self, account_id: str) -> list[Transition]:
        """Settle an account the sweep found due: decay may have moved its score across a threshold."""
        if self._accounts is None:
            return []
        return self._accounts.advance(account_id, self._definitions, self._now(), self._versions)

    def _retrying(self, attempt: Callable[[], Outcome]) -> Outcome:
        for _ in range(self._max_attempts - 1):
            try:
                return attempt()
            except VersionConflict:
                continue
        return attempt()

    # -- one attempt ---------------------------------------------------------------------------
    def _process_once(self, lead_id: str, events: list[StoredEvent], cause: str = TIME_CAUSE) -> Outcome:
        now = self._now()
        # Without events, a lead read as absent is left alone: make sure it is (a store that
        # reads eventually consistently may not see a lead saved a moment ago).
        record = self._resolve(lead_id, sure=not events)
        if not events and record.version == 0:
            return Outcome(lead_id=record.lead_id)  # nothing stored, nothing to advance
        if record.version == 0 and self._guard is not None and self._guard.erased(lead_id):
            # An erased lead has no state: only a new lead can be one. Its late events (in flight
            # at the erasure, or replayed) must not create it again.
            return Outcome(lead_id=lead_id, erased=True)
        work = _Work(
            record=record,
            state=record.state,
            evaluated_at=record.evaluated_at,
            linked_account=record.state.account,
        )
        work.outcome.lead_id = record.lead_id
        for source_id, said_at in identity_sources(events):
            self._merge(work, source_id, min(said_at, now))
        if untracked_aggregates(work.state, self._definitions):
            work.state = self._rebuild(work.record, work.state)
            work.outcome.rebuilt = True
        for event in sorted(events, key=lambda e: (e.timestamp, e.received_at, e.sequence, e.message_id)):
            at = min(event.timestamp, now)
            if work.evaluated_at is not None:
                at = max(at, work.evaluated_at)
            self._flips_until(work, at)
            work.state = apply_events(work.state, [to_lead_event(event)], self._definitions, now=now)
            self._evaluate_at(work, at, event.message_id)
            work.outcome.applied += 1
            if len(work.pending) >= MAX_TRANSITIONS_PER_SAVE:
                self._save(work, next_flip_at=None)
        moved = self._sync_account(work, events)
        self._flips_until(work, now)
        final = self._evaluate_at(
            work, now if work.evaluated_at is None else max(now, work.evaluated_at), cause
        )
        moved |= self._sync_counted(work)
        self._save(work, next_flip_at=final.next_flip_at)
        self._settle_accounts(moved, now, work.record.lead_id)
        return work.outcome

    def _resolve(self, lead_id: str, *, sure: bool = False) -> LeadRecord:
        """The lead's record, following an anonymous id to the known lead it was merged into;
        ``sure``: an absent lead is read again as stored before it counts as absent."""
        seen = [lead_id]
        record = self._load(lead_id, sure)
        while record is not None and record.merged_into is not None:
            if record.merged_into in seen or len(seen) > 3:
                raise LeadUnresolvable(" -> ".join([*seen, record.merged_into]))
            seen.append(record.merged_into)
            record = self._load(record.merged_into, sure)
        return record or LeadRecord.new(seen[-1])

    def _load(self, lead_id: str, sure: bool) -> LeadRecord | None:
        record = self._leads.load(lead_id)
        if record is None and sure:
            record = self._leads.load(lead_id, fresh=True)
        return record

    def _evaluate_at(self, work: _Work, at: datetime, cause: str) -> Evaluation:
        account = self._account_of(work)
        evaluation = evaluate(work.state, self._definitions, at, account)
        before = work.state.memberships
        changes = diff(before, evaluation)
        for change in changes:
            # The lead state keeps membership instants in whole seconds; so do history keys.
            change = change.model_copy(update={"at": change.at.replace(microsecond=0)})
            entered_at = change.at if change.kind == "entered" else before[change.segment_id]
            work.pending.append(
                Transition(
                    change=change,
                    cause=cause,
                    entered_at=entered_at,
                    definition_version=self._versions.get(change.segment_id, "removed"),
                )
            )
        if changes:
            work.state = work.state.with_memberships(evaluation.memberships)
            work.settled = None
        else:
            work.settled = (work.state, at, account, evaluation.next_flip_at)
        work.evaluated_at = at
        return evaluation

    def _flips_until(self, work: _Work, until: datetime) -> None:
        """Time-based flips due before ``until``, each evaluated and recorded at its own instant."""
        if work.evaluated_at is None:
            return
        for _ in range(MAX_FLIPS_PER_ADVANCE):
            upcoming = self._next_flip(work, work.evaluated_at)
            if upcoming is None or upcoming > until:
                return
            self._evaluate_at(work, upcoming, TIME_CAUSE)

    def _next_flip(self, work: _Work, at: datetime) -> datetime | None:
        """When time alone next changes a membership of the lead as it stands at ``at``: the
        answer of the evaluation that just settled it, or a new one (after a flip, new events or
        a changed account, the state is another)."""
        account = self._account_of(work)
        settled = work.settled
        if settled is not None and settled[0] is work.state and settled[1] == at and settled[2] is account:
            return settled[3]
        return evaluate(work.state, self._definitions, at, account).next_flip_at

    def _save(self, work: _Work, next_flip_at: datetime | None) -> None:
        due_at = next_due(work.record.due_at, next_flip_at, work.evaluated_at or self._now())
        record = work.record.model_copy(
            update={
                "state": work.state,
                "evaluated_at": work.evaluated_at,
                "next_flip_at": next_flip_at,
                "due_at": due_at,
            }
        )
        work.pending = without_instant_intervals(work.pending)
        work.record = self._leads.save(record, work.pending)
        work.outcome.transitions.extend(work.pending)
        work.pending = []

    # -- accounts ------------------------------------------------------------------------------
    def _account_of(self, work: _Work) -> AccountView | None:
        """The lead's account as its conditions read it (read once per attempt, when needed)."""
        account_id = work.state.account
        if account_id is None or self._accounts is None or not self._reads_account:
            return None
        if account_id not in work.accounts:
            work.accounts[account_id] = self._accounts.view(account_id, self._definitions)
        return work.accounts[account_id]

    def _sync_account(self, work: _Work, events: list[StoredEvent]) -> set[str]:
        """Before the final evaluation: ``group`` traits onto their accounts, the lead's part of
        its account (score, counted segments) brought up to date (idempotent: a retry finds it
        done), the lead taken out of the account it left. The final evaluation then reads the
        account with this lead's batch in it. Returns the accounts whose aggregate moved."""
        moved: set[str] = set()
        if self._accounts is None:
            return moved
        for event in events:
            if event.type == "group" and event.group_id and event.traits:
                self._accounts.merge_traits(event.group_id, event.traits, epoch_millis(event.timestamp))
                moved.add(event.group_id)
        lead_id, account_id = work.record.lead_id, work.state.account
        previous = work.linked_account
        left = previous is not None and previous != account_id
        if left and previous is not None and self._accounts.link(previous, lead_id, None, self._definitions):
            moved.add(previous)
        if account_id is not None:
            part = contribution(work.state, self._definitions.scoring, self._counted)
            work.synced_segments = part.segments
            if self._accounts.link(account_id, lead_id, part, self._definitions):
                moved.add(account_id)
        work.accounts.clear()
        return moved

    def _sync_counted(self, work: _Work) -> set[str]:
        """After the final evaluation: the lead's counted segments again, if it just flipped one."""
        account_id = work.state.account
        if self._accounts is None or account_id is None:
            return set()
        part = contribution(work.state, self._definitions.scoring, self._counted)
        if part.segments == work.synced_segments:
            return set()
        return (
            {account_id}
            if self._accounts.link(account_id, work.record.lead_id, part, self._definitions)
            else set()
        )

    def _settle_accounts(self, moved: set[str], now: datetime, lead_id: str) -> None:
        if self._accounts is None or not self._definitions.account_segments:
            return
        for account_id in sorted(moved):
            self._accounts.settle(account_id, self._definitions, now, lead_id, self._versions)

    # -- identity ------------------------------------------------------------------------------
    def _merge(self, work: _Work, source_id: str, at: datetime) -> None:
        """Fold an anonymous lead into the known one, close its memberships, mark it merged."""
        if source_id == work.record.lead_id:
            return
        # Read as stored: merging a remembered but replaced record would fold in a stale state.
        source = self._leads.load(source_id, fresh=True)
        if source is None:
            if source_id not in work.record.aliases:
                work.record = work.record.model_copy(update={"aliases": [*work.record.aliases, source_id]})
            return
        if source.merged_into is not None:
            return  # merged before (by this lead or, if it says so, another)
        work.state = merge_states(work.state, source.state, self._definitions)
        work.record = work.record.model_copy(
            update={"aliases": sorted({*work.record.aliases, source_id, *source.aliases})}
        )
        work.outcome.merged.append(source_id)
        self._save(work, next_flip_at=work.record.next_flip_at)
        exits = [
            Transition(
                change=MembershipChange(
                    segment_id=segment_id, kind="exited", at=max(at.replace(microsecond=0), entered_at)
                ),
                cause=f"{MERGE_CAUSE}:{work.record.lead_id}",
                entered_at=entered_at,
                definition_version=self._versions.get(segment_id, "removed"),
            )
            for segment_id, entered_at in sorted(source.state.memberships.items())
        ]
        closed = source.model_copy(
            update={
                "merged_into": work.record.lead_id,
                "state": source.state.with_memberships({}),
                "due_at": None,
                "next_flip_at": None,
            }
        )
        self._leads.save(closed, exits)
        if source.state.account is not None and self._accounts is not None:
            self._accounts.link(source.state.account, source_id, None, self._definitions)

    def _rebuild(self, record: LeadRecord, state: LeadState) -> LeadState:
        """Definitions gained aggregates this lead lacks: replay its stored events into new ones."""
        stored: list[StoredEvent] = []
        for lead_id in [record.lead_id, *record.aliases]:
            stored.extend(self._history.lead_events(lead_id))
        rebuilt = apply_events(LeadState.new(record.lead_id), map(to_lead_event, stored), self._definitions)
        return rebuilt.with_memberships(state.memberships)
