"""``merge_states``: identity merge, when an anonymous visitor turns out to be a known user.

An ``alias``, or an ``identify`` carrying both ids, makes the anonymous lead's history (the
*source*) the known lead's (the *target*). The result is, aggregate by aggregate, the state one
lead would have after every event of both: ``merge_states(apply(A), apply(B)) == apply(A + B)``
with the exceptions listed below. It keeps the target's ``lead_id`` and ``members``: the caller
evaluates the merged state and diffs against them, as after ``apply_events``. Both states are
read as applied under ``definitions``; an aggregate one of them never kept counts as empty
(see ``untracked_aggregates``).

Exact:

* ``first_seen_at`` (min), ``last_seen_at`` and ``last_activity_at`` (max);
* traits, last-writer-wins per key by trait stamp (ties: the greater canonical JSON), group
  traits per ``group.`` key; consent, last-writer-wins per channel (ties: withdrawal); the
  suppressed channels, their union;
* counters: ``total`` summed; ``latest`` the newest ``cap`` of both timestamp lists together;
  ``buckets`` summed per bucket; then pruned at the merged lead's newest event. This is what
  recording both leads' events in one counter gives (the per-lead caps and prunes never drop
  anything the merged one keeps, since its horizon is the later of the two). The merged counter
  covers what both counters covered (the minimum, see ``counters``), and nothing when either
  lead had not tracked it (``untracked_aggregates``), so the lead is rebuilt;
* distinct-value sets: both leads' values with the newest instant each, bounded as one lead's
  are (exact, see ``distinct``); visits: both leads' kept visits as one timeline, visits less
  than the gap apart joined, retired counts summed (exact while neither lead retired visits;
  otherwise see ``visits.merged``). Either covers what both covered, as counters do;
* sequences: per step both leads' candidates together (newest ``CANDIDATES_PER_STEP`` kept),
  and ``completed_start`` the max of both leads' and of the latest start of a run through all
  those candidates, so a run that starts on the anonymous lead and ends on the known one
  completes (for a sequence without ``within``, the start of a run either lead or the merge
  completed: any one makes it hold for ever). Exact while no step has more than
  ``CANDIDATES_PER_STEP`` matching events inside the window on one lead (the bound
  ``sequences`` documents; past it, a run through a candidate that lead already dropped is
  missed, where one lead receiving the events in time order would have found it);
* score points without capped rules: both decayed to the later ``at`` and summed (decay is
  linear), floored at 0;
* daily caps: ``used`` per rule per UTC day is ``min(cap, used_target + used_source)``, which is
  what one lead granting both leads' events in time order uses. Every day the merged state keeps
  (the ``CAP_RETENTION_DAYS`` before its newest event) is known to both leads (a lead that no
  longer keeps such a day has no event on it), so the clamp applies on all of them;
* the dedupe window: the union of both windows, bounded to ``DEDUPE_WINDOW`` by interleaving
  both from their newest ends (``dedupe.union``), so a redelivered anonymous event that now
  resolves to the known lead is still recognised. A merge marker for the source's lead id is
  added as the newest entry.

Approximate:

* the points a cap clamps away (``excess = used_target + used_source - cap``) were granted at
  instants the state no longer has; they are subtracted as if granted at the latest instant
  ``g`` they can have been (the end of their UTC day, or the newest event ``at`` if sooner), so
  with non-negative points the merged score is never above ``apply(A + B)``'s and, with decay,
  at most ``excess * 2^(-(at - g) / half_life) * (1 - 2^(-1 day / half_life))`` below it per
  rule and day (under 10% of the excess for a 7-day half-life); without decay it is exact;
* older cap days cannot be clamped: a lead keeps its usage only for the ``CAP_RETENTION_DAYS``
  before its own newest event. If both leads earned a capped rule's points on a UTC day more
  than ``CAP_RETENTION_DAYS`` before the later lead's newest event (the user active on both
  devices that day, identified a week or more later), that day keeps each lead's own cap: the
  score is above ``apply(A + B)``'s by at most one cap per such rule and day, decayed from at
  least ``CAP_RETENTION_DAYS - 1`` days before ``at``;
* ``max_score``: the greater of both leads' maxima and the merged score at the merged ``at``.
  While points only add up (no cap clamped, no negative points, no trait that matched on one
  lead and a newer write of the other stopped matching) the combined score at any instant is at
  least either lead's, so this is a lower bound of the combined history's maximum (and ``max_at``
  the instant of the chosen maximum). Otherwise it can exceed that maximum by at most what the
  clamp, those points or that trait took away at the instant of a lead's maximum;
* the floor at 0 applies to each lead's points before merging (as ``scoring`` notes, negative
  points make the floored total depend on order);
* a group trait set both as an ``identify`` trait ``group`` and by ``group`` calls merges as
  ``apply_events`` does across batches (the order of the two kinds of write matters there too);
* the same message applied to both leads (its id in both dedupe windows, ``k`` such ids): it is
  recognised where both leads still hold its instant, in a counter's ``latest`` list or a
  sequence step's candidates. There an instant both hold is taken for such an event and kept
  once (newest first, at most ``k`` per list), and the counter's ``total`` and buckets lose as
  many. Elsewhere it counts twice: in a ``total`` or buckets when its instant is no longer among
  the counter's newest ``cap`` (or the counter keeps no ``latest`` list), and in the score
  (capped rules stay within their cap); at most ``k`` events each. Two distinct events of the
  two leads on the same second (millisecond, for a step) of one counter, while ``k > 0``, count
  once. An id either window has already forgotten (they hold ``DEDUPE_WINDOW`` ids) is not
  recognised.

Idempotence: merging the same source again changes nothing while its merge marker is among the
target's last ``DEDUPE_WINDOW`` message ids (counts, bucket counts, score points and cap usage
are sums; the rest would absorb a repeat anyway). Beyond that window a second merge would count
the source's sums twice, so the caller records the source as merged (``LeadRecord.merged_into``,
so its ids resolve to the target from then on) and never merges it twice. Merging a lead into
itself changes nothing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

from leadwire.core.rules import dedupe, distinct, visits
from leadwire.core.rules.aggregates import CounterPlan
from leadwire.core.rules.apply import VISITS_AGGREGATE, apply_events
from leadwire.core.rules.clock import SECONDS_PER_DAY
from leadwire.core.rules.conditions import Sequence
from leadwire.core.rules.consent import record_consent
from leadwire.core.rules.counters import CounterState, narrowed_to, uncovered
from leadwire.core.rules.definitions import Definitions, Scoring
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.rules.scoring import ScoreState, decay_factor, trait_points
from leadwire.core.rules.sequences import CANDIDATES_PER_STEP, SequenceState, latest_start
from leadwire.core.rules.traits import GROUP_TRAIT, link_account, merge_group_traits, merge_traits

MERGE_MARKER_PREFIX = "leadwire:merged:"


def merge_marker(lead_id: str) -> str:
    """The pseudo message id a merge of ``lead_id`` leaves in the target's dedupe window."""
    return MERGE_MARKER_PREFIX + lead_id


def merge_states(target: LeadState, source: LeadState, definitions: Definitions) -> LeadState:
    """A new state: ``target`` with ``source``'s history folded in (see the module docstring)."""
    merged = apply_events(target, [], definitions)  # a copy fitted to the definitions' aggregates
    marker = dedupe.token(merge_marker(source.lead_id))
    if source.lead_id == target.lead_id or marker in dedupe.tokens(merged.recent):
        return merged
    blind = _never_kept(target, definitions) | _never_kept(source, definitions)
    other = apply_events(source, [], definitions)
    shared = len(set(dedupe.tokens(merged.recent)) & set(dedupe.tokens(other.recent)))
    plan = definitions.plan

    merged.first_seen_at = _pick(min, merged.first_seen_at, other.first_seen_at)
    merged.last_seen_at = _pick(max, merged.last_seen_at, other.last_seen_at)
    merged.last_activity_at = _pick(max, merged.last_activity_at, other.last_activity_at)
    _merge_traits(merged, other)
    if other.account is not None and other.account_at is not None:
        link_account(merged, other.account, other.account_at)
    for channel, (given, at_ms) in other.consent.items():
        record_consent(merged.consent, {channel: given}, at_ms)
    merged.suppressed = sorted(set(merged.suppressed) | set(other.suppressed))
    merged.counters = {
        key: _merge_counter(merged.counters[key], other.counters[key], counter, shared, key in blind)
        for key, counter in plan.counters.items()
    }
    merged.sequences = {
        key: _merge_sequence(merged.sequences[key], other.sequences[key], sequence, shared)
        for key, sequence in plan.sequences.items()
    }
    merged.distinct = {
        key: _blinded(distinct.merged(merged.distinct[key], other.distinct[key], values), key in blind)
        for key, values in plan.distinct.items()
    }
    if plan.visits is not None and merged.visits is not None and other.visits is not None:
        merged.visits = visits.merged(merged.visits, other.visits, plan.visits)
        if VISITS_AGGREGATE in blind:
            merged.visits = merged.visits.model_copy(update={"gap": 0})
    scoring = definitions.scoring
    merged.score = _merge_score(merged.score, other.score, scoring, trait_points(merged.traits, scoring))
    recent = dedupe.RecentMessages(dedupe.union(merged.recent, other.recent))
    recent.first_time(merge_marker(source.lead_id))
    merged.recent = recent.stored()
    return apply_events(merged, [], definitions)  # prunes at the merged lead's newest event


def _never_kept(state: LeadState, definitions: Definitions) -> set[str]:
    """The counters, distinct-value sets and visit state the definitions need that this non-new
    state has never kept at all."""
    if state.first_seen_at is None:
        return set()
    plan = definitions.plan
    never = (set(plan.counters) - set(state.counters)) | (set(plan.distinct) - set(state.distinct))
    if plan.visits is not None and state.visits is None:
        never.add(VISITS_AGGREGATE)
    return never


def _blinded(values: distinct.DistinctState, blind: bool) -> distinct.DistinctState:
    """Covering nothing when either lead never kept the set, so the merged lead is rebuilt."""
    return distinct.narrowed(values, 0, 0) if blind else values


def _pick(choose: Callable[[list[int]], int], first: int | None, second: int | None) -> int | None:
    present = [at for at in (first, second) if at is not None]
    return choose(present) if present else None


def _merge_traits(merged: LeadState, source: LeadState) -> None:
    """Replay the source's trait writes, oldest first, through the same last-writer-wins merge."""
    group = source.traits.get(GROUP_TRAIT)
    prefix = GROUP_TRAIT + "."
    for key, stamp in sorted(source.trait_stamps.items(), key=lambda item: (item[1], item[0])):
        if key in source.traits:
            merge_traits(merged.traits, merged.trait_stamps, {key: source.traits[key]}, stamp)
        elif key.startswith(prefix) and isinstance(group, dict) and key[len(prefix) :] in group:
            name = key[len(prefix) :]
            merge_group_traits(merged.traits, merged.trait_stamps, {name: group[name]}, stamp)


def _union(first: list[int], second: list[int], shared: int) -> tuple[list[int], list[int]]:
    """Both timestamp lists as one, and the instants taken for an event both leads applied.

    While the leads share ``shared`` message ids, an instant in both lists is taken for one
    such event and kept once (newest first, at most ``shared``); otherwise the lists add up.
    """
    union = sorted(first + second)
    twice = sorted((Counter(first) & Counter(second)).elements(), reverse=True)[:shared]
    for at in twice:
        union.remove(at)
    return union, twice


def _merge_counter(
    first: CounterState, second: CounterState, plan: CounterPlan, shared: int, blind: bool
) -> CounterState:
    latest, twice = _union(first.latest, second.latest, shared)
    buckets: dict[int, dict[int, int]] = {width: dict(counts) for width, counts in first.buckets.items()}
    for width, counts in second.buckets.items():
        into = buckets.setdefault(width, {})
        for index, n in counts.items():
            into[index] = into.get(index, 0) + n
    for at in twice:
        for width, counts in buckets.items():
            if counts.get(at // width, 0) > 0:
                counts[at // width] -= 1
    counter = CounterState(
        total=max(first.total + second.total - len(twice), 0),
        latest=latest[-plan.latest_cap :] if plan.latest_cap else [],
        buckets={width: {i: n for i, n in counts.items() if n} for width, counts in buckets.items()},
        covers_total=first.covers_total,
        covers_cap=first.covers_cap,
        covers_window=first.covers_window,
        covers_buckets=first.covers_buckets,
    )
    counter = narrowed_to(counter, second)  # covers what both leads kept
    return uncovered(counter) if blind else counter


def _merge_sequence(
    first: SequenceState, second: SequenceState, sequence: Sequence, shared: int
) -> SequenceState:
    starts = [start for start in (first.completed_start, second.completed_start) if start is not None]
    if sequence.within is None and starts:
        return SequenceState(candidates=[], completed_start=max(starts))
    union: list[list[int]] = []
    if first.candidates or second.candidates:
        steps = len(sequence.steps)
        padded = [(side.candidates + [[] for _ in range(steps)])[:steps] for side in (first, second)]
        union = [_union(mine, theirs, shared)[0] for mine, theirs in zip(*padded, strict=True)]
    start = latest_start(union)  # before bounding: a run may go through a candidate the bound drops
    if start is not None:
        starts.append(start)
    completed = max(starts, default=None)
    if sequence.within is None and completed is not None:
        return SequenceState(candidates=[], completed_start=completed)
    return SequenceState(
        candidates=[step[-CANDIDATES_PER_STEP:] for step in union], completed_start=completed
    )


def _merge_score(first: ScoreState, second: ScoreState, scoring: Scoring, traits_total: float) -> ScoreState:
    at = _pick(max, first.at, second.at)
    if at is None:
        return first.model_copy(deep=True)

    def decayed(score: ScoreState) -> float:
        return 0.0 if score.at is None else score.points * decay_factor(scoring, at - score.at)

    points = decayed(first) + decayed(second)
    used: dict[str, dict[int, float]] = {}
    capped = {rule.rule_id: rule for rule in scoring.rules if rule.max_per_day is not None}
    for rule_id, rule in capped.items():
        assert rule.max_per_day is not None
        mine, theirs = first.used.get(rule_id, {}), second.used.get(rule_id, {})
        days: dict[int, float] = {}
        for day in sorted(mine.keys() | theirs.keys()):
            both = mine.get(day, 0.0) + theirs.get(day, 0.0)
            days[day] = min(both, float(rule.max_per_day))
            excess = both - days[day]
            if excess > 0:
                granted_by = min((day + 1) * SECONDS_PER_DAY - 1, at)
                points -= math.copysign(excess, rule.points) * decay_factor(scoring, at - granted_by)
        if days:
            used[rule_id] = days
    points = max(0.0, points)
    peak, peak_at = max(
        [(first.max, first.max_at), (second.max, second.max_at), (max(0.0, points + traits_total), at)],
        key=lambda candidate: candidate[0],
    )
    return ScoreState(points=points, at=at, max=peak, max_at=peak_at, used=used)
