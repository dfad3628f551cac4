"""Segment insight through the admin API: sizes, analytics, past members, explain.

Reads only what is stored: member items, the counters and flip log (``dal.segment_stats``),
lead-state items by key (BatchGetItem), and the events of the leads concerned (one Query per
lead: their keys are message ids, unknown beforehand).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from leadwire.admin.deliveries import parse_instant
from leadwire.admin.insight_models import (
    AnalyticsView,
    ConversionView,
    ExplainView,
    LastChange,
    LeadScorePoint,
    LeadScoresView,
    SegmentSummary,
    SeriesPointView,
    TopEventView,
)
from leadwire.admin.models import Member, MembersPage, SegmentView
from leadwire.core.accounts import Contribution
from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.core.insight import analytics
from leadwire.core.insight.size import share_of, size_warning
from leadwire.core.instants import iso
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import Definitions, LeadEvent, parse_duration
from leadwire.core.rules.durations import DurationError, format_duration
from leadwire.core.rules.explain import explain, explain_account
from leadwire.core.rules.scoring import score_at, trait_points
from leadwire.core.tracking import StoredEvent
from leadwire.dal.account_store import AccountRecord, account_subject
from leadwire.dal.segment_stats import Flip
from leadwire.segmentation.engine import MERGE_CAUSE, to_lead_event

DEFAULT_WINDOW = timedelta(days=30)
MERGE_PREFIX = f"{MERGE_CAUSE}:"
MEMBERS_PAGE = 1000


class StatsPort(Protocol):
    def counts(self, segment_ids: Iterable[str]) -> tuple[dict[str, int], int]: ...

    def flips(self, segment_id: str, since: datetime) -> list[Flip]: ...


class LeadsPort(Protocol):
    def load(self, lead_id: str) -> LeadRecord | None: ...

    def history(self, lead_id: str) -> list[dict[str, Any]]: ...

    def members(
        self, segment_id: str, limit: int, after_lead: str | None
    ) -> tuple[list[dict[str, str]], str | None]: ...


class BatchPort(Protocol):
    def load_many(self, lead_ids: Iterable[str]) -> dict[str, LeadRecord]: ...


class EventsPort(Protocol):
    def lead_events(self, lead_id: str) -> Iterable[StoredEvent]: ...


class AccountsPort(Protocol):
    def get(self, account_id: str) -> AccountRecord | None: ...

    def parts(self, account_id: str) -> Iterable[Contribution]: ...

    def history(self, account_id: str) -> list[dict[str, Any]]: ...


def parse_window(value: str | None, field: str, default: timedelta) -> timedelta:
    if value is None:
        return default
    try:
        return parse_duration(value)
    except DurationError as error:
        raise InvalidRequest(f"{field}: {error}", {"field": field}) from None


class SegmentInsight:
    def __init__(
        self,
        stats: StatsPort,
        leads: LeadsPort,
        batch: BatchPort,
        events: EventsPort,
        definitions: Callable[[], Definitions],
        now: Callable[[], datetime],
        accounts: AccountsPort | None = None,
    ) -> None:
        self._accounts = accounts
        self._stats = stats
        self._leads = leads
        self._batch = batch
        self._events = events
        self._definitions = definitions
        self._now = now

    # -- sizes -------------------------------------------------------------------------------------
    def summaries(self, segments: list[SegmentView]) -> list[SegmentSummary]:
        members, leads = self._stats.counts(segment.id for segment in segments)
        summaries = []
        for segment in segments:
            count = members.get(segment.id, 0)
            share = share_of(count, leads)
            summaries.append(
                SegmentSummary.model_validate(
                    {
                        **segment.model_dump(),
                        "memberCount": count,
                        "shareOfLeads": round(share, 4),
                        "sizeWarning": size_warning(share, leads),
                    }
                )
            )
        return summaries

    # -- members -----------------------------------------------------------------------------------
    def current_members(self, segment_id: str) -> dict[str, str]:
        """Every member now: lead id -> entered at (paged member items)."""
        members: dict[str, str] = {}
        after: str | None = None
        while True:
            page, after = self._leads.members(segment_id, MEMBERS_PAGE, after)
            members.update({m["leadId"]: m["enteredAt"] for m in page})
            if after is None:
                return members

    def members_as_of(self, segment_id: str, as_of: datetime) -> MembersPage:
        """The members at ``as_of``: today's, with every later entry and exit undone."""
        if as_of > self._now():
            raise InvalidRequest("asOf is in the future", {"field": "asOf"})
        current = self.current_members(segment_id)
        flips = self._stats.flips(segment_id, as_of)
        members = analytics.members_at(current, _records(flips), as_of)
        stamp = iso(as_of)
        listed = []
        for lead_id in sorted(members):
            # A lead in since before as_of keeps today's entry instant; one that left or re-entered
            # since has its interval in history (one query per such lead only).
            entered = current.get(lead_id)
            if entered is None or entered > stamp:
                entered = self._entered_before(lead_id, segment_id, as_of)
            listed.append(Member(lead_id=lead_id, entered_at=entered or stamp))
        return MembersPage(members=listed, cursor=None)

    def _entered_before(self, lead_id: str, segment_id: str, as_of: datetime) -> str | None:
        stamp = iso(as_of)
        intervals = [
            h
            for h in self._leads.history(lead_id)
            if h["segmentId"] == segment_id and h["enteredAt"] <= stamp and (h["exitedAt"] or "~") > stamp
        ]
        return intervals[-1]["enteredAt"] if intervals else None

    # -- analytics ---------------------------------------------------------------------------------
    def analytics(
        self,
        segment_id: str,
        *,
        start: str | None,
        end: str | None,
        interval: str | None,
        conversion_event: str | None,
        conversion_within: str | None,
    ) -> AnalyticsView:
        at = self._now()
        to = parse_instant(end, "to") if end else at
        since = parse_instant(start, "from") if start else to - DEFAULT_WINDOW
        step = parse_window(interval, "interval", timedelta(days=1))
        within = parse_window(conversion_within, "conversion_within", timedelta(days=30))
        cuts = analytics.intervals(since, to, step)
        definitions = self._definitions()

        current = self.current_members(segment_id)
        flips = _records(self._stats.flips(segment_id, since))
        _, leads_total = self._stats.counts([segment_id])
        leads_total = max(leads_total, len(current))
        at_points = {cut.end: analytics.members_at(current, flips, cut.end) for cut in cuts}
        entries = analytics.first_entries(flips, since, to) if conversion_event else {}
        concerned = set(current) | set(entries) | {lead for members in at_points.values() for lead in members}
        records = self._batch.load_many(concerned)
        events = {lead_id: self._lead_events(lead_id, records.get(lead_id)) for lead_id in concerned}

        score_of: dict[str, dict[datetime, float]] = {}
        for lead_id in concerned:
            instants = [instant for instant, members in at_points.items() if lead_id in members]
            if instants:
                values = analytics.scores_at(events[lead_id], definitions, instants, lead_id)
                score_of[lead_id] = dict(zip(instants, values, strict=True))
        now_scores = [
            _score_now(records[lead_id], definitions, at) for lead_id in current if lead_id in records
        ]
        conversion = None
        if conversion_event:
            result = analytics.conversion(entries, events, conversion_event, within)
            conversion = ConversionView(
                event=result.event,
                within=format_duration(result.within),
                entered=result.entered,
                converted=result.converted,
                rate=result.rate,
            )
        return AnalyticsView(
            segment_id=segment_id,
            at=iso(at),
            member_count=len(current),
            share_of_leads=round(share_of(len(current), leads_total), 4),
            average_score=analytics.mean(now_scores),
            series=[
                SeriesPointView(
                    at=iso(point.at),
                    members=point.members,
                    entered=point.entered,
                    exited=point.exited,
                    average_score=point.average_score,
                )
                for point in analytics.series(cuts, current, flips, score_of)
            ],
            top_events=[
                TopEventView(event=top.event, count=top.count, leads=top.leads)
                for top in analytics.top_events({k: events[k] for k in current}, since, to)
            ],
            conversion=conversion,
        )

    def _lead_events(self, lead_id: str, record: LeadRecord | None) -> list[LeadEvent]:
        owners = [lead_id, *(record.aliases if record else [])]
        return [to_lead_event(event) for owner in owners for event in self._events.lead_events(owner)]

    # -- explain -----------------------------------------------------------------------------------
    def explain(self, segment_id: str, lead_id: str) -> ExplainView:
        """``lead_id`` is an account id when ``segment_id`` is an account segment."""
        definitions = self._definitions()
        if self._accounts is not None and any(
            s.id == segment_id and s.level == "account" for s in definitions.segments
        ):
            return self._explain_account(segment_id, lead_id, definitions)
        record = self._known_lead(lead_id)
        result = explain(record.state, definitions, segment_id, self._now())
        histories = [self._leads.history(owner) for owner in [record.lead_id, *record.aliases]]
        return ExplainView(
            segment_id=segment_id,
            lead_id=record.lead_id,
            member=segment_id in record.state.members,
            holds=result.holds,
            tree=result.tree,
            exit_when=result.exit_when,
            last_change=_last_change([entry for history in histories for entry in history], segment_id),
        )

    def _explain_account(self, segment_id: str, account_id: str, definitions: Definitions) -> ExplainView:
        """The account segment judged now by the engine's evaluator, from the account item (and,
        for a ``max`` score, its leads' parts)."""
        assert self._accounts is not None
        accounts = self._accounts
        record = accounts.get(account_id)
        if record is None:
            raise NotFound(f"no account {account_id!r}", {"accountId": account_id})
        facts = record.facts(definitions, lambda: accounts.parts(account_id))
        result = explain_account(facts, definitions, segment_id, self._now())
        return ExplainView(
            segment_id=segment_id,
            lead_id=account_subject(account_id),
            account_id=account_id,
            member=segment_id in record.members,
            holds=result.holds,
            tree=result.tree,
            exit_when=result.exit_when,
            last_change=_last_change(accounts.history(account_id), segment_id),
        )

    def _known_lead(self, lead_id: str) -> LeadRecord:
        """The lead, or the known lead an anonymous id was merged into."""
        record = self._leads.load(lead_id)
        hops = 0
        while record is not None and record.merged_into is not None and hops < 3:
            record = self._leads.load(record.merged_into)
            hops += 1
        if record is None or record.merged_into is not None:
            raise NotFound(f"no lead {lead_id!r}", {"leadId": lead_id})
        return record

    # -- a lead's score over time ------------------------------------------------------------------
    def lead_scores(
        self, lead_id: str, *, start: str | None, end: str | None, interval: str | None
    ) -> LeadScoresView:
        """The lead's score, decayed, at the end of each interval of [from, to] (default the last
        30 days, a day at a time): its events (and its merged ids') replayed through the rules."""
        record = self._known_lead(lead_id)
        at = self._now()
        to = parse_instant(end, "to") if end else at
        since = parse_instant(start, "from") if start else to - DEFAULT_WINDOW
        step = parse_window(interval, "interval", timedelta(days=1))
        instants = [cut.end for cut in analytics.intervals(since, to, step)]
        events = self._lead_events(record.lead_id, record)
        scores = analytics.scores_at(events, self._definitions(), instants, record.lead_id)
        return LeadScoresView(
            lead_id=record.lead_id,
            at=iso(at),
            series=[
                LeadScorePoint(at=iso(instant), score=round(value, 2))
                for instant, value in zip(instants, scores, strict=True)
            ],
        )


def _last_change(entries: Iterable[dict[str, Any]], segment_id: str) -> LastChange | None:
    """The newest entry into or exit from ``segment_id`` among history intervals."""
    changes: list[LastChange] = []
    for entry in entries:
        if entry["segmentId"] != segment_id:
            continue
        cause = entry["cause"]
        changes.append(LastChange(kind="entered", at=entry["enteredAt"], cause=cause["entered"]))
        # An alias's interval closed by its merge is not a move of the lead: it stays in
        # through the known lead's own interval.
        if entry["exitedAt"] and not (cause["exited"] or "").startswith(MERGE_PREFIX):
            changes.append(LastChange(kind="exited", at=entry["exitedAt"], cause=cause["exited"]))
    return max(changes, key=lambda c: (c.at, c.kind == "exited"), default=None)


def _records(flips: Iterable[Flip]) -> list[analytics.FlipRecord]:
    return [analytics.FlipRecord(lead_id=f.lead_id, kind=f.kind, at=f.at) for f in flips]


def _score_now(record: LeadRecord, definitions: Definitions, at: datetime) -> float:
    state = record.state
    return score_at(
        state.score, definitions.scoring, trait_points(state.traits, definitions.scoring), at.timestamp()
    )


def require_segment(definitions: Definitions, segment_id: str) -> None:
    if not any(segment.id == segment_id for segment in definitions.segments):
        raise NotFound(f"no segment {segment_id!r}", {"segmentId": segment_id})
