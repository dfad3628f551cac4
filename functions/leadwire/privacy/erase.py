"""Erasing a lead: everything keyed to it or to its merged ids, then its ids suppressed.

Order matters. The ids are suppressed first, so from then on ingestion drops their events and
every consumer drops late work for them (a stream record already in flight, a timer that wakes, a
replayed batch: see ``privacy.guard``). Then the waiting timers are stopped and their items
deleted, and the partitions are emptied: events, state, history, fires, send log; deliveries are
kept for the trigger's statistics but moved out of the lead's partition with their personal
fields removed. Member items go last. The partitions are read again after the deletes, up to
``PASSES`` times, for what a consumer that held the lead at that instant may still have written.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from leadwire import schema
from leadwire.core.errors import NotFound
from leadwire.core.instants import iso
from leadwire.core.jobs import Job
from leadwire.core.leads import LeadRecord
from leadwire.dal.lead_items import is_history_page, page_changes, state_from_item
from leadwire.timers.stopper import TimerStopper

Item = dict[str, dict[str, Any]]
PASSES = 3
MAX_MERGE_HOPS = 3
ERASED_LEAD = "(erased)"
ERASURE_REASON = "lead erased"
# What an erased delivery keeps: enough for a trigger's counts, nothing about the person.
KEPT_DELIVERY_ATTRIBUTES = (
    "deliveryId",
    "channel",
    "triggerId",
    "fireId",
    "status",
    "at",
    "firedAt",
    schema.DELIVERY_INDEX_PK,
    schema.DELIVERY_INDEX_SK,
)
KEPT_DELIVERY_DETAILS = ("variant", "tries")


class LeadsPort(Protocol):
    def load(self, lead_id: str) -> LeadRecord | None: ...


class PartitionPort(Protocol):
    def items(self, lead_id: str) -> list[Item]: ...

    def timers(self, trigger_ids: Iterable[str], lead_id: str) -> list[Item]: ...

    def member_items(self, segment_ids: Iterable[str], lead_id: str) -> list[Item]: ...

    def phone_items(self, numbers: Iterable[str], lead_ids: Iterable[str]) -> list[Item]: ...

    def put(self, items: list[Item]) -> None: ...

    def delete(self, keys: list[Item]) -> None: ...


class SuppressPort(Protocol):
    def suppress(self, lead_id: str, merged_ids: Iterable[str], at: datetime, job_id: str) -> None: ...


class AccountsPort(Protocol):
    def unlink(self, account_id: str, lead_id: str) -> None:
        """Take the lead out of its account (its link item, and its part of the aggregate)."""
        ...


class JobsPort(Protocol):
    def save(self, job: Job) -> Job: ...


@dataclass(frozen=True)
class Erasure:
    lead_id: str
    job: Job
    ids: int  # the lead and its merged ids
    counts: dict[str, int]  # items erased, by kind


def item_kind(item: Item) -> str:
    sk = item[schema.SK]["S"]
    for prefix, kind in (
        (schema.EVENT_PREFIX, "events"),
        (schema.HISTORY_PREFIX, "history"),
        (schema.DELIVERY_PREFIX, "deliveries"),
        (schema.FIRE_PREFIX, "fires"),
    ):
        if sk.startswith(prefix):
            return kind
    return {schema.STATE_SK: "state", schema.SEND_LOG_SK: "sendLog"}.get(sk, "other")


def anonymised_delivery(item: Item, erasure_id: str) -> Item:
    """The delivery without the person: out of the lead's partition, details reduced to the arm."""
    details = json.loads(item.get("details", {}).get("S") or "{}")
    kept_details = {name: details[name] for name in KEPT_DELIVERY_DETAILS if name in details}
    return {
        schema.PK: {"S": f"{schema.ERASED_PREFIX}{erasure_id}"},
        schema.SK: item[schema.SK],
        "leadId": {"S": ERASED_LEAD},
        **{name: item[name] for name in KEPT_DELIVERY_ATTRIBUTES if name in item},
        "details": {"S": json.dumps({**kept_details, "erased": True}, separators=(",", ":"), sort_keys=True)},
    }


def texted_numbers(items: Iterable[Item]) -> set[str]:
    """The numbers the lead's SMS deliveries went to (each has a ``PHONE#`` item naming a lead)."""
    numbers: set[str] = set()
    for item in items:
        if item_kind(item) == "deliveries" and item.get("channel", {}).get("S") == "sms":
            to = json.loads(item.get("details", {}).get("S") or "{}").get("to")
            if isinstance(to, str) and to:
                numbers.add(to)
    return numbers


def segments_of(items: Iterable[Item]) -> set[str]:
    """The segments a lead's items say it was ever in (its state and its history)."""
    found: set[str] = set()
    for item in items:
        kind = item_kind(item)
        if kind == "history" and is_history_page(item):
            found.update(t.change.segment_id for t in page_changes(item))
        elif kind == "history" and "seg" in item:
            found.add(item["seg"]["S"])
        elif kind == "state":
            found.update(state_from_item(item).memberships)
    return found


def lead_ids(leads: LeadsPort, lead_id: str) -> list[str]:
    """The lead an id resolves to (an anonymous id merged into a known lead is that lead), then
    every id merged into it."""
    record = leads.load(lead_id)
    for _ in range(MAX_MERGE_HOPS):
        if record is None or record.merged_into is None:
            break
        record = leads.load(record.merged_into)
    if record is None:
        return [lead_id]
    return [record.lead_id, *(i for i in record.aliases if i != record.lead_id)]


class LeadEraser:
    def __init__(
        self,
        leads: LeadsPort,
        partition: PartitionPort,
        suppressions: SuppressPort,
        jobs: JobsPort,
        stopper: TimerStopper | None,
        segment_ids: Callable[[], Iterable[str]],
        trigger_ids: Callable[[], Iterable[str]],
        now: Callable[[], datetime],
        *,
        accounts: AccountsPort | None = None,
    ) -> None:
        self._accounts = accounts
        self._leads = leads
        self._partition = partition
        self._suppressions = suppressions
        self._jobs = jobs
        self._stopper = stopper
        self._segment_ids = segment_ids
        self._trigger_ids = trigger_ids
        self._now = now

    def erase(self, lead_id: str) -> Erasure:
        ids = lead_ids(self._leads, lead_id)
        first_pass = {i: self._partition.items(i) for i in ids}
        if not any(first_pass.values()):
            raise NotFound(f"no lead {lead_id!r}", {"leadId": lead_id})
        started = self._now()
        job = Job(
            job_id=f"erase-{uuid.uuid4().hex}",
            kind="erase",
            status="running",
            reason=ERASURE_REASON,
            created_at=started,
            started_at=started,
            updated_at=started,
        )
        self._suppressions.suppress(ids[0], ids[1:], started, job.job_id)
        job = self._jobs.save(job)
        counts: Counter[str] = Counter()
        for i in ids:
            counts["timers"] += self._erase_timers(i, counts)
        self._erase_account_links(ids, counts)
        segments = set(self._segment_ids()) | segments_of(
            item for items in first_pass.values() for item in items
        )
        # Members before the partitions (a DELETE that resumes a failed one finds the lead by its
        # state, which goes last), and again after, for what a consumer wrote meanwhile.
        self._erase_members(ids, segments, counts)
        for _ in range(PASSES):
            items = [
                item for i in reversed(ids) for item in first_pass.pop(i, None) or self._partition.items(i)
            ]
            if not items:
                break
            segments |= segments_of(items)
            self._erase_items(items, job.job_id, counts, ids)
        self._erase_members(ids, segments, counts)
        finished = self._now()
        job = self._jobs.save(
            job.model_copy(
                update={
                    "status": "done",
                    "leads_done": len(ids),
                    "changes": sum(n for kind, n in counts.items() if kind != "executionsStopped"),
                    "updated_at": finished,
                    "finished_at": finished,
                }
            )
        )
        return Erasure(lead_id=ids[0], job=job, ids=len(ids), counts=dict(sorted(counts.items())))

    def _erase_account_links(self, ids: list[str], counts: Counter[str]) -> None:
        """Before the state goes (it names the account): the lead's link item on its account."""
        if self._accounts is None:
            return
        for i in ids:
            record = self._leads.load(i)
            if record is not None and record.state.account is not None:
                self._accounts.unlink(record.state.account, i)
                counts["accountLinks"] += 1

    def _erase_members(self, ids: list[str], segments: set[str], counts: Counter[str]) -> None:
        for i in ids:
            members = self._partition.member_items(segments, i)
            self._partition.delete(members)
            counts["members"] += len(members)

    def _erase_timers(self, lead_id: str, counts: Counter[str]) -> int:
        timers = self._partition.timers(self._trigger_ids(), lead_id)
        for timer in timers:
            execution = timer.get("execution", {}).get("S")
            if self._stopper is not None and execution and timer.get("status", {}).get("S") == "waiting":
                counts["executionsStopped"] += self._stopper.stop(execution)
        self._partition.delete(timers)
        return len(timers)

    def _erase_items(self, items: list[Item], erasure_id: str, counts: Counter[str], ids: list[str]) -> None:
        deliveries = [item for item in items if item_kind(item) == "deliveries"]
        # The number -> lead items of the numbers it was texted at (a number since texted for
        # another lead names that one, and stays): before the deliveries that name them go.
        phones = self._partition.phone_items(texted_numbers(deliveries), ids)
        if phones:
            self._partition.delete(phones)
            counts["phoneNumbers"] += len(phones)
        self._partition.put([anonymised_delivery(item, erasure_id) for item in deliveries])
        # State items last (the lead's own after its aliases'): an erasure stopped part way (a
        # timeout, throttling) is resumed by the next DELETE, which finds the merged ids there.
        self._partition.delete(sorted(items, key=lambda item: item_kind(item) == "state"))
        counts.update(item_kind(item) for item in items)


def erased_at(erasure: Erasure) -> str:
    return iso(erasure.job.finished_at or erasure.job.created_at)
