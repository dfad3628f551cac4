"""``evaluate``: which segments a lead is in at ``now``, and when time alone could change that.

A member stays until ``exit_when`` holds (or, without ``exit_when``, until ``condition`` stops
holding); a non-member enters when ``condition`` holds; a static segment holds its member list.
Segments are evaluated in dependency order, so ``in_segment`` reads the membership just decided.

``next_flip_at`` is the earliest instant after ``now`` at which a time-based leaf that can matter
changes value: a counted event (a distinct value, a visit) leaving a ``within``, an
``older_than`` threshold passing, a ``last_activity``/``first_seen``/``sequence`` window ending,
decay taking the score across a threshold. ``all``/``any`` prune leaves that cannot change
their result (an ``all`` with a false leaf that time cannot turn true never flips by time). It
may be early (re-evaluating then changes nothing and yields a later instant) but never late. A
sweep that finds ``next_flip_at <= wall clock`` should evaluate with ``now=next_flip_at`` and
repeat, so each change is recorded at the instant it happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from leadwire.core.rules import counters, distinct, sequences, visits
from leadwire.core.rules.account_facts import AccountFacts
from leadwire.core.rules.account_view import AccountView
from leadwire.core.rules.aggregates import reading
from leadwire.core.rules.clock import (
    epoch_millis,
    epoch_seconds,
    from_epoch_millis,
    from_epoch_seconds,
    require_aware,
)
from leadwire.core.rules.comparisons import NumberComparison, holds
from leadwire.core.rules.conditions import (
    AccountNode,
    AccountTraitNode,
    AllNode,
    AnyNode,
    FirstSeenNode,
    InSegmentNode,
    LastActivityNode,
    LeadsNode,
    MaxScoreNode,
    Node,
    NotNode,
    PerformedNode,
    Recency,
    ScoreNode,
    SequenceNode,
    SubscribedNode,
    TraitNode,
    VisitsNode,
    children,
)
from leadwire.core.rules.consent import is_subscribed
from leadwire.core.rules.counters import CounterState
from leadwire.core.rules.definitions import Definitions, Segment
from leadwire.core.rules.distinct import DistinctState
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.lookup import lookup
from leadwire.core.rules.scoring import next_crossing, score_at, trait_points
from leadwire.core.rules.sequences import SequenceState
from leadwire.core.rules.visits import VisitState


class Evaluation(BaseModel):
    model_config = ConfigDict(frozen=True)

    at: AwareDatetime
    memberships: dict[str, AwareDatetime]  # segment id -> entered at
    next_flip_at: AwareDatetime | None
    score: float

    @property
    def segments(self) -> frozenset[str]:
        return frozenset(self.memberships)


class MembershipChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    segment_id: str
    kind: Literal["entered", "exited"]
    at: AwareDatetime


@dataclass(frozen=True)
class Verdict:
    value: bool
    changes_at: datetime | None  # earliest instant time alone could change the value
    observed: Any = None  # what a leaf read to decide (the explain trace shows it)


@dataclass(frozen=True)
class Trace:
    """One judged node, as the tracing mode records it: the verdict and its children's traces."""

    node: Node
    verdict: Verdict
    children: list[Trace]


@dataclass
class _Context:
    state: LeadState
    definitions: Definitions
    now: datetime
    traits_total: float
    score: float
    segments: dict[str, Verdict] = field(default_factory=dict)
    trace: list[Trace] | None = None  # tracing mode: every node judged is appended here
    account: AccountView | None = None
    # Account level: the account judged (its members and id stand in ``state``), not a lead.
    facts: AccountFacts | None = None


def evaluate(
    state: LeadState, definitions: Definitions, now: datetime, account: AccountView | None = None
) -> Evaluation:
    require_aware(now)
    traits_total = trait_points(state.traits, definitions.scoring)
    score = score_at(state.score, definitions.scoring, traits_total, now.timestamp())
    context = _Context(state, definitions, now, traits_total, score, account=account)
    return _evaluation(definitions.segment_order, context)


def evaluate_account(facts: AccountFacts, definitions: Definitions, now: datetime) -> Evaluation:
    """Which account segments the account is in at ``now``, and when decay alone could change
    that: the same judging as a lead's, with account-level leaves (``score``, ``trait``, ``leads``)."""
    require_aware(now)
    return _evaluation(definitions.account_segments, _account_context(facts, definitions, now))


def holds_account_condition(
    facts: AccountFacts, definitions: Definitions, condition: Node, now: datetime
) -> bool:
    """Whether an account-level ``condition`` (an account trigger's ``only_if``) holds at ``now``."""
    require_aware(now)
    return _judge(condition, _account_context(facts, definitions, now)).value


def _account_context(facts: AccountFacts, definitions: Definitions, now: datetime) -> _Context:
    stand_in = LeadState(lead_id=facts.account_id, members=dict(facts.members))
    score = facts.score_at(definitions.scoring, now)
    return _Context(stand_in, definitions, now, 0.0, score, facts=facts)


def _evaluation(segments: list[Segment], context: _Context) -> Evaluation:
    memberships: dict[str, datetime] = {}
    flips: list[datetime] = []
    for segment in segments:
        verdict = _segment(segment, context)
        context.segments[segment.id] = verdict
        if verdict.value:
            entered = context.state.members.get(segment.id)
            memberships[segment.id] = context.now if entered is None else from_epoch_seconds(entered)
        if verdict.changes_at is not None:
            flips.append(verdict.changes_at)
    return Evaluation(
        at=context.now, memberships=memberships, next_flip_at=min(flips, default=None), score=context.score
    )


def holds_condition(
    state: LeadState,
    definitions: Definitions,
    condition: Node,
    now: datetime,
    account: AccountView | None = None,
) -> bool:
    """Whether ``condition`` (a trigger's ``only_if``, say) holds for the lead at ``now``; its
    ``in_segment`` nodes read the segments as they evaluate at ``now``."""
    require_aware(now)
    traits_total = trait_points(state.traits, definitions.scoring)
    score = score_at(state.score, definitions.scoring, traits_total, now.timestamp())
    context = _Context(state, definitions, now, traits_total, score, account=account)
    for segment in definitions.segment_order:
        context.segments[segment.id] = _segment(segment, context)
    return _judge(condition, context).value


@dataclass(frozen=True)
class SegmentTrace:
    member: bool  # what the engine decides at ``now``
    condition: Trace | None  # None for a static segment
    exit_when: Trace | None


def trace_segment(
    state: LeadState,
    definitions: Definitions,
    segment_id: str,
    now: datetime,
    account: AccountView | None = None,
) -> SegmentTrace:
    """The membership ``evaluate`` decides for one segment at ``now``, with every node's verdict:
    the same judging code runs, in tracing mode, so an explanation cannot disagree with the engine."""
    require_aware(now)
    traits_total = trait_points(state.traits, definitions.scoring)
    score = score_at(state.score, definitions.scoring, traits_total, now.timestamp())
    context = _Context(state, definitions, now, traits_total, score, account=account)
    return _traced(definitions.segment_order, context, segment_id)


def trace_account_segment(
    facts: AccountFacts, definitions: Definitions, segment_id: str, now: datetime
) -> SegmentTrace:
    """``trace_segment`` for an account segment: what ``evaluate_account`` decides, node by node."""
    require_aware(now)
    return _traced(definitions.account_segments, _account_context(facts, definitions, now), segment_id)


def _traced(segments: list[Segment], context: _Context, segment_id: str) -> SegmentTrace:
    for segment in segments:
        if segment.id == segment_id:
            context.trace = []
            verdict = _segment(segment, context)
            traces = context.trace
            condition = traces[0] if traces else None
            exit_when = traces[1] if len(traces) > 1 else None
            return SegmentTrace(member=verdict.value, condition=condition, exit_when=exit_when)
        context.segments[segment.id] = _segment(segment, context)
    raise KeyError(segment_id)


def diff(old: Mapping[str, datetime], new: Evaluation) -> list[MembershipChange]:
    """Exits (at the evaluation instant) then entries (at their entry instant), each by segment id."""
    exited = [
        MembershipChange(segment_id=key, kind="exited", at=new.at)
        for key in sorted(old)
        if key not in new.memberships
    ]
    entered = [
        MembershipChange(segment_id=key, kind="entered", at=new.memberships[key])
        for key in sorted(new.memberships)
        if key not in old
    ]
    return exited + entered


def _segment(segment: Segment, context: _Context) -> Verdict:
    if segment.type == "static":
        return Verdict(context.state.lead_id in segment.member_ids, None)
    assert segment.condition is not None  # a dynamic segment always has one (validated)
    condition = _judge(segment.condition, context)
    exit_when = None if segment.exit_when is None else _judge(segment.exit_when, context)
    if exit_when is not None and segment.id in context.state.members:
        member = not exit_when.value
    else:
        member = condition.value
    # What can change the membership next: exit_when for a member that has one, else the condition.
    watched = exit_when if member and exit_when is not None else condition
    return Verdict(member, watched.changes_at)


def _judge(node: Node, context: _Context) -> Verdict:
    if context.trace is None:
        return _decide(node, context)
    parent, context.trace = context.trace, []
    verdict = _decide(node, context)
    parent.append(Trace(node, verdict, context.trace))
    context.trace = parent
    return verdict


def _decide(node: Node, context: _Context) -> Verdict:
    if isinstance(node, AllNode | AnyNode):
        verdicts = [_judge(child, context) for child in children(node)]
        return _combine(verdicts, conjunction=isinstance(node, AllNode))
    if isinstance(node, NotNode):
        inner = _judge(node.not_, context)
        return Verdict(not inner.value, inner.changes_at)
    return _leaf(node, context)


def _combine(verdicts: list[Verdict], conjunction: bool) -> Verdict:
    """``all`` (conjunction) or ``any`` over child verdicts.

    The result changes when a deciding child does: for a true ``all`` (false ``any``) the first
    child to change; for a false ``all`` (true ``any``) only once every child that decides it has
    changed, so not before the last of them, and never if one of them cannot change.
    """
    value = all(v.value for v in verdicts) if conjunction else any(v.value for v in verdicts)
    if value == conjunction:
        return Verdict(value, min((v.changes_at for v in verdicts if v.changes_at), default=None))
    deciding = [v.changes_at for v in verdicts if v.value == value]
    if any(instant is None for instant in deciding):
        return Verdict(value, None)
    return Verdict(value, max(instant for instant in deciding if instant is not None))


def _leaf(node: Node, context: _Context) -> Verdict:
    if context.facts is not None:
        return _account_leaf(node, context.facts, context)
    state, now = context.state, context.now
    scoring = context.definitions.scoring
    if isinstance(node, ScoreNode):
        flip = next_crossing(state.score, scoring, context.traits_total, node.score, now)
        return Verdict(holds(node.score, context.score), flip, context.score)
    if isinstance(node, MaxScoreNode):
        highest = max(state.score.max, context.score)
        return Verdict(holds(node.max_score, highest), None, highest)
    if isinstance(node, TraitNode):
        value = lookup(state.traits, node.trait.name)
        return Verdict(holds(node.trait, value), None, value)
    if isinstance(node, SubscribedNode):
        subscribed = is_subscribed(state.consent, state.suppressed, node.subscribed)
        return Verdict(subscribed, None, subscribed)
    if isinstance(node, InSegmentNode):
        member = context.segments[node.in_segment]
        return Verdict(member.value, member.changes_at, member.value)
    if isinstance(node, LastActivityNode):
        return _recency(node.last_activity, state.last_activity_at, now)
    if isinstance(node, FirstSeenNode):
        return _recency(node.first_seen, state.first_seen_at, now)
    if isinstance(node, PerformedNode) and node.performed.distinct is not None:
        return _distinct(node, state.distinct.get(node.performed.distinct_id, DistinctState()), now)
    if isinstance(node, PerformedNode):
        return _performed(node, state.counters.get(node.performed.filter_id, CounterState()), now)
    if isinstance(node, VisitsNode):
        return _visits(node, state.visits or VisitState(), now)
    if isinstance(node, SequenceNode):
        progress = state.sequences.get(node.sequence.sequence_id, SequenceState())
        now_ms = epoch_millis(now)
        ends = sequences.expires_at(progress, node.sequence, now_ms)
        return Verdict(
            sequences.holds(progress, node.sequence, now_ms),
            None if ends is None else from_epoch_millis(ends),
            progress,
        )
    if isinstance(node, AccountNode | AccountTraitNode):
        return _account(node, context.account, now)
    if isinstance(node, LeadsNode):  # account segments only (validated); a lead is no account
        return Verdict(False, None)
    raise TypeError(f"no evaluation for {type(node).__name__}")


def _account_leaf(node: Node, facts: AccountFacts, context: _Context) -> Verdict:
    """A leaf of an account segment: the account's score (decaying), traits, or lead counts."""
    if isinstance(node, ScoreNode):
        flip = facts.crossing(context.definitions.scoring, node.score, context.now)
        return Verdict(holds(node.score, context.score), flip, context.score)
    if isinstance(node, TraitNode):
        value = lookup(facts.traits, node.trait.name)
        return Verdict(holds(node.trait, value), None, value)
    if isinstance(node, LeadsNode):
        count = facts.counts.get(node.leads.in_segment, 0)
        return Verdict(holds(node.leads.count, count), None, count)
    raise TypeError(f"{type(node).__name__} is not an account node")  # refused at validation


def _account(node: AccountNode | AccountTraitNode, account: AccountView | None, now: datetime) -> Verdict:
    """Other leads move the account, so time alone is not tracked here: the lead's own next
    evaluation (an event, a flip, a sweep) reads the account again."""
    if account is None:
        return Verdict(False, None)
    if isinstance(node, AccountNode):
        value = account.score(now)
        return Verdict(holds(node.account.score, value), None, value)
    trait = lookup(account.traits, node.account_trait.name)
    return Verdict(holds(node.account_trait, trait), None, trait)


def _recency(test: Recency, at: int | None, now: datetime) -> Verdict:
    """``within``: ``now < at + within``; ``older_than``: ``now >= at + older_than``; never without ``at``."""
    if at is None:
        return Verdict(False, None)
    window = test.within or test.older_than
    assert window is not None  # exactly one is set (validated)
    seen = from_epoch_seconds(at)
    boundary = seen + window
    inside = now < boundary
    return Verdict(inside if test.within else not inside, boundary if inside else None, seen)


def _performed(node: PerformedNode, counter: CounterState, now: datetime) -> Verdict:
    use = reading(node.performed)
    if use.part == "total":
        return Verdict(holds(node.performed.count, counter.total), None, counter.total)
    return _windowed_count(node.performed.count, counters.expiries(counter, use, epoch_seconds(now)))


def _distinct(node: PerformedNode, values: DistinctState, now: datetime) -> Verdict:
    """How many distinct values (of those kept, see ``distinct``) were seen, ever or in the window."""
    performed = node.performed
    if performed.within is None:
        return Verdict(holds(performed.count, len(values.seen)), None, len(values.seen))
    window = int(performed.within.total_seconds())
    return _windowed_count(performed.count, distinct.expiries(values, window, epoch_seconds(now)))


def _visits(node: VisitsNode, state: VisitState, now: datetime) -> Verdict:
    use = visits.use_of(node.visits)
    if not use.window:
        count = visits.ever(state, use)
        return Verdict(holds(node.visits.count, count), None, count)
    return _windowed_count(node.visits.count, visits.expiries(state, use, epoch_seconds(now)))


def _windowed_count(test: NumberComparison, leaving: list[tuple[int, int]]) -> Verdict:
    """A count inside a window, given ``(instant, how many)`` leaving it in order: its verdict, and
    the first instant the count's leaving changes it."""
    remaining = counted = sum(how_many for _instant, how_many in leaving)
    value = holds(test, remaining)
    for instant, how_many in sorted(leaving):
        remaining -= how_many
        if holds(test, remaining) != value:
            return Verdict(value, from_epoch_seconds(instant), counted)
    return Verdict(value, None, counted)
