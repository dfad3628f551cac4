"""Exactly-once sends under the delivery policy: the path every email, webhook and bus event takes.

For one action of one fire (its delivery id):

0. a fire's first attempt, when no frequency cap counts its channel, writes without reading the
   log first: the refusal, the deferral or the ``sending`` mark is a write conditional on no
   delivery item existing yet. The stream redelivering a fire finds one; the condition fails
   (billed as a write) and the delivery takes the path below. It saves a consistent read per
   delivery, against a write per redelivery. With a cap, deciding takes a slot in the send log,
   so the log is read first;
1. read the delivery log: a final status (sent, capped, expired, suppressed, ...) is left alone,
   and a deferral that is not due yet waits for its own fire (re-armed: idempotent, in case a
   crash came between the record and the timer);
2. a ``sending`` mark means a previous attempt crashed between the send and its record:
   - email waits for SES's word. The feedback consumer writes SES's ``Send`` event onto the
     delivery; with it the delivery is recorded sent and nothing is resent. Without it, the
     delivery is looked at again when the confirmation window has passed (a deferred fire), and
     sent only if SES still never saw it;
   - webhooks and bus events are sent again with the same id (``webhook-id``, ``deliveryId``
     in the detail), which is what their receivers dedupe on;
3. the policy decides: refuse (recorded), defer (recorded, and the fire is scheduled again for
   when quiet hours end or, over a cap, for its next open slot: ``deferred_cap``), or send;
4. a send reserves its slot under the frequency caps (leaving the line of waiting messages),
   marks the delivery ``sending`` (a conditional write: two workers cannot both send), sends,
   and records the outcome. A deferral over a cap joins the line in the same version-checked
   write, so a message deferred any number of times keeps its delivery id and is sent once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadwire.actions.ports import DeferPort, DeliveryLogPort, SendLogPort
from leadwire.core.delivery.decisions import (
    Decision,
    Defer,
    Recipient,
    Refuse,
    Send,
    SendLine,
    SentRecord,
    decide,
)
from leadwire.core.delivery.line import Ticket, Waiting, queued, without
from leadwire.core.delivery.policy import DeliveryPolicy
from leadwire.core.delivery.statuses import DEFERRED, DEFERRED_CAP, FINAL, SENDING, SENT
from leadwire.core.fires import Fire

CAP_RESERVE_ATTEMPTS = 3
NOBODY = Recipient(traits={}, consent={}, suppressed=[])


@dataclass(frozen=True)
class SendResult:
    status: str  # sent | failed | rejected
    details: dict[str, Any] = field(default_factory=dict)
    retry_error: str | None = None  # a transient failure: the fire is retried


@dataclass(frozen=True)
class Sendable:
    """One prepared action: what to log about it, and how to send it."""

    channel: str
    category: str | None
    details: Mapping[str, Any]
    send: Callable[[], SendResult]
    confirm_window: timedelta | None = None  # email: how long SES takes to report a send


@dataclass(frozen=True)
class Outcome:
    channel: str
    status: str
    repeat: bool = False  # nothing new happened (a redelivered or contended fire)
    retry_error: str | None = None


class DeliveryGate:
    def __init__(
        self,
        log: DeliveryLogPort,
        policy: DeliveryPolicy,
        defer: DeferPort,
        send_log: SendLogPort | None = None,
    ) -> None:
        self._log = log
        self._policy = policy
        self._defer = defer
        self._send_log = send_log

    def deliver(
        self,
        fire: Fire,
        delivery_id: str,
        sendable: Sendable,
        recipient: Recipient | None,
        now: datetime,
        ticket: Ticket | None = None,
    ) -> Outcome:
        """``ticket`` (priority, expiry) lets a message over a cap wait for a slot; without one
        it is ``capped``."""
        attempt = _Attempt(
            fire, delivery_id, sendable, recipient or NOBODY, now, ticket, self._capped(sendable)
        )
        if not fire.is_deferred and not attempt.capped:
            first = self._act(attempt, prior=None, first=True)
            if first is not None:
                return first
        channel = sendable.channel
        prior = self._log.get_delivery(fire.lead_id, delivery_id)
        if prior is not None:
            status = prior["status"]
            if status in FINAL:
                return Outcome(channel, status, repeat=True)
            if status in (DEFERRED, DEFERRED_CAP) and now < (until := datetime.fromisoformat(prior["until"])):
                self._defer.defer(fire, until)
                return Outcome(channel, status, repeat=True)
            if status == SENDING:
                settled = self._settle_sending(attempt, prior)
                if settled is not None:
                    return settled
        outcome = self._act(attempt, prior=prior, first=False)
        if outcome is None:
            raise AssertionError("only a first attempt gives way")
        return outcome

    def _capped(self, sendable: Sendable) -> bool:
        return self._send_log is not None and any(
            c.counts(sendable.channel, sendable.category) for c in self._policy.frequency_caps
        )

    def _act(self, attempt: _Attempt, *, prior: dict[str, Any] | None, first: bool) -> Outcome | None:
        """Decide, record and send. ``first``: the log was not read, so each record is written
        only if no delivery item exists; None when one does (the caller reads it and goes on)."""
        fire, delivery_id, sendable, now = attempt.fire, attempt.delivery_id, attempt.sendable, attempt.now
        channel = sendable.channel
        decision = self._decide(attempt)
        if isinstance(decision, Refuse | Defer):
            wake = {"until": decision.until.isoformat()} if isinstance(decision, Defer) else {}
            details = {**sendable.details, "reason": decision.reason, **wake, **decision.details}
            if not self._log.record_delivery(
                fire, delivery_id, channel, decision.status, now, details, only_new=first
            ):
                return None  # only a first attempt is refused: a delivery item exists after all
            if isinstance(decision, Defer):
                self._defer.defer(fire, decision.until)
            return Outcome(channel, decision.status)
        tries = int((prior or {}).get("tries", 0)) + 1  # invocations that claimed it to send
        claim = {**sendable.details, "tries": tries, "claimedAt": now.isoformat()}
        if not self._log.claim_delivery(fire, delivery_id, channel, now, claim, prior):
            # first: a delivery item exists after all; otherwise another attempt holds it
            return None if first else Outcome(channel, SENDING, repeat=True)
        result = sendable.send()
        self._log.record_delivery(fire, delivery_id, channel, result.status, now, {**claim, **result.details})
        return Outcome(channel, result.status, retry_error=result.retry_error)

    def _settle_sending(self, attempt: _Attempt, prior: Mapping[str, Any]) -> Outcome | None:
        """A crash left the delivery ``sending``. None: send it (again) now."""
        fire, delivery_id, sendable, now = attempt.fire, attempt.delivery_id, attempt.sendable, attempt.now
        window = sendable.confirm_window
        if window is None:
            return None  # receivers dedupe on the delivery id: sending again is safe
        if prior.get("sesMessageId"):
            details = {**sendable.details, "sesMessageId": prior["sesMessageId"], "confirmedBy": "ses"}
            self._log.record_delivery(fire, delivery_id, sendable.channel, SENT, now, details)
            return Outcome(sendable.channel, SENT)
        due = datetime.fromisoformat(str(prior.get("claimedAt") or prior["at"])) + window
        if now < due:
            self._defer.defer(fire, due)
            return Outcome(sendable.channel, SENDING, repeat=True)
        return None  # SES never reported it: it was not sent

    def _decide(self, attempt: _Attempt) -> Decision:
        policy, sendable, recipient = self._policy, attempt.sendable, attempt.recipient
        channel, category, delivery_id, now = (
            sendable.channel,
            sendable.category,
            attempt.delivery_id,
            attempt.now,
        )
        if not attempt.capped or self._send_log is None:
            return decide(policy, channel, category, recipient, [], delivery_id, now, attempt.ticket)
        lead_id, ticket = attempt.fire.lead_id, attempt.ticket
        line = self._send_log.line(lead_id)
        for _ in range(CAP_RESERVE_ATTEMPTS):
            # A retry that already holds its slot (a crash after the reservation) keeps it: no line.
            held = any(sent.delivery_id == delivery_id for sent in line.sends)
            queue = (None, ()) if held else (ticket, line.waiting)
            decision = decide(policy, channel, category, recipient, line.sends, delivery_id, now, *queue)
            after = _line_after(decision, line, SentRecord(delivery_id, channel, category, now), ticket, now)
            if after is None or self._send_log.save(lead_id, after, policy.longest_cap, now):
                return decision
            line = self._send_log.line(lead_id)
        raise CapContention(f"delivery {delivery_id}: the send log kept changing")


@dataclass(frozen=True)
class _Attempt:
    """One delivery attempt, as the gate decides and acts on it."""

    fire: Fire
    delivery_id: str
    sendable: Sendable
    recipient: Recipient
    now: datetime
    ticket: Ticket | None
    capped: bool  # a frequency cap counts the channel: deciding takes a slot of the send log


def _line_after(
    decision: Decision, line: SendLine, send: SentRecord, ticket: Ticket | None, now: datetime
) -> SendLine | None:
    """The send log once ``decision`` is taken (None: unchanged). A send takes its slot and leaves
    the line; a deferral over a cap joins it (a quiet-hours deferral of a message in line moves its
    wake-up); a refusal leaves it."""
    mine = send.delivery_id
    in_line = any(w.ticket.delivery_id == mine for w in line.waiting)
    if isinstance(decision, Send):
        if any(s.delivery_id == mine for s in line.sends) and not in_line:
            return None  # a retry keeps its own reservation
        sends = [s for s in line.sends if s.delivery_id != mine]
        return SendLine([*sends, send], without(line.waiting, mine, now), line.version)
    if isinstance(decision, Defer) and ticket is not None and (decision.status == DEFERRED_CAP or in_line):
        entry = Waiting(ticket, send.channel, send.category, decision.until)
        return SendLine(line.sends, queued(line.waiting, entry, now), line.version)
    if isinstance(decision, Refuse) and in_line:
        return SendLine(line.sends, without(line.waiting, mine, now), line.version)
    return None


class CapContention(RuntimeError):
    """Other sends to the lead kept taking the cap slots: the fire is retried."""
