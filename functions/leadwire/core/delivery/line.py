"""The line for a capped channel: who takes the next open slot, and when a waiting message wakes.

A message over a frequency cap is not dropped: it waits (``deferred_cap``) for the next open slot,
as long as that slot comes before its expiry (else ``expired``). Messages are served by their
trigger's ``priority`` (highest first), then in the order they fired, then by delivery id.

What "takes the slot first" means, precisely:

* a waiting message holds a place in the line, not a slot: nothing is reserved for the future;
* a message may take a free slot now only if more slots are free than there are messages ahead
  of it that are due (waiting, with their wake-up instant reached). A message whose wake-up lies
  ahead (quiet hours, a later slot) does not hold a free slot back from the others;
* a higher-priority message that arrives while lower ones wait goes ahead of them; each lower one,
  when it wakes, finds itself behind and is deferred again (or expires);
* a slot already used by a sent message is never taken back.

Waiting messages are listed in the lead's send log so that others see them; an entry whose
expiry has passed, or that has been due for longer than ``STALE_AFTER`` (its fire was lost, its
trigger removed), no longer counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from leadwire.core.delivery.policy import DeliveryPolicy, FrequencyCap

STALE_AFTER = timedelta(hours=1)
MAX_WAITING = 50  # per lead: bounds the send log item (about 150 bytes an entry)


@dataclass(frozen=True, slots=True)
class Ticket:
    """A message's claim to a place in the line: its trigger's priority, when it fired, and until
    when it is worth sending."""

    delivery_id: str
    priority: int
    fired_at: datetime
    expires_at: datetime

    @property
    def order(self) -> tuple[int, datetime, str]:
        return (-self.priority, self.fired_at, self.delivery_id)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A message deferred by a cap, as the send log lists it: its ticket and when it wakes."""

    ticket: Ticket
    channel: str
    category: str | None
    until: datetime

    def live(self, now: datetime) -> bool:
        return self.ticket.expires_at > now and self.until > now - STALE_AFTER


class Sent(Protocol):
    """A send as the caps count it (``decisions.SentRecord``)."""

    @property
    def delivery_id(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the line puts a message: now (``until`` None), or the instant it should look again."""

    until: datetime | None
    cap: FrequencyCap | None = None  # the cap that holds it back longest
    ahead: int = 0  # messages ahead of it under that cap


def place(
    policy: DeliveryPolicy,
    channel: str,
    category: str | None,
    sent: Sequence[Sent],
    waiting: Sequence[Waiting],
    ticket: Ticket,
    now: datetime,
) -> Placement:
    """Now, or the earliest instant every cap that counts this message could admit it."""
    others = [w for w in waiting if w.ticket.delivery_id != ticket.delivery_id and w.live(now)]
    latest = Placement(None)
    for cap in policy.frequency_caps:
        if not cap.counts(channel, category):
            continue
        taken = sorted(
            s.at
            for s in sent
            if s.delivery_id != ticket.delivery_id
            and cap.counts(s.channel, s.category)
            and s.at > now - cap.per
        )
        ahead = sorted(
            (w for w in others if cap.counts(w.channel, w.category) and w.ticket.order < ticket.order),
            key=lambda w: w.ticket.order,
        )
        due = sum(w.until <= now for w in ahead)
        if cap.max - _inside(taken, now - cap.per, now) > due:
            continue
        for entry in ahead:  # each message ahead takes its slot first, from its own wake-up
            taken = sorted([*taken, earliest_slot(taken, cap, max(now, entry.until))])
        slot = earliest_slot(taken, cap, now)
        if latest.until is None or slot > latest.until:
            latest = Placement(slot, cap, len(ahead))
    return latest


def earliest_slot(taken: Sequence[datetime], cap: FrequencyCap, at: datetime) -> datetime:
    """The first instant from ``at`` at which one more send keeps every window of ``cap.per``
    (ending at any instant) within ``cap.max``, given the sends at ``taken`` (past or planned)."""
    candidates = sorted(
        {at, *(x for x in taken if x > at), *(x + cap.per for x in taken if x + cap.per > at)}
    )
    for instant in candidates:
        if _fits(taken, cap, instant):
            return instant
    return max(taken) + cap.per  # unreachable: after the last send every window has room


def _fits(taken: Sequence[datetime], cap: FrequencyCap, instant: datetime) -> bool:
    ends = [instant, *(x for x in taken if instant <= x < instant + cap.per)]
    return all(_inside(taken, end - cap.per, end) + 1 <= cap.max for end in ends)


def _inside(taken: Sequence[datetime], start: datetime, end: datetime) -> int:
    """Sends in the window (start, end]."""
    return sum(start < x <= end for x in taken)


def queued(waiting: Sequence[Waiting], entry: Waiting, now: datetime) -> list[Waiting]:
    """The line with ``entry`` in it (replacing its earlier place), without dead entries."""
    mine = entry.ticket.delivery_id
    return [*(w for w in waiting if w.ticket.delivery_id != mine and w.live(now)), entry]


def without(waiting: Sequence[Waiting], delivery_id: str, now: datetime) -> list[Waiting]:
    """The line once ``delivery_id`` left it (sent, expired or refused), without dead entries."""
    return [w for w in waiting if w.ticket.delivery_id != delivery_id and w.live(now)]
