"""Send, defer or refuse: the delivery policy applied to one action for one lead, at send time.

Checked in this order, so that each outcome says the most useful thing:

1. suppression (email): a hard bounce or a complaint suppressed the address: ``suppressed``;
2. consent (marketing email): the lead never opted in, or opted out: ``no_consent``.
   Transactional email needs no marketing consent, but is never sent to a suppressed address.
   SMS needs ``subscribed: sms``, and a number that replied STOP is ``suppressed``;
3. quiet hours in the lead's time zone: ``deferred`` until the window ends (dropped only when the
   window ends after the message's expiry);
4. frequency caps: a send that would exceed a cap waits for the next open slot (``deferred_cap``,
   served by priority: ``line.py``), or is ``expired`` when that slot comes after its expiry.
   Caps are checked after quiet hours, so a deferred message is counted against the caps of the
   moment it is really sent. Without a ticket (previews) a send over a cap is ``capped``.

A message past its expiry (``Ticket.expires_at``) is ``expired`` before quiet hours or caps are
looked at, and one whose quiet hours end after its expiry is ``expired`` at once.

On-site messages are shown on the customer's own site to a visitor who is there: they need no
opt-in, but a lead who opted out (``subscriptions: {"onsite": false}``) gets none (``no_consent``).

Webhooks and bus events go to systems, not to the lead: only quiet hours and caps apply to them
when configured for their channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadwire.core.delivery.line import MAX_WAITING, Ticket, Waiting, place
from leadwire.core.delivery.policy import DeliveryPolicy, FrequencyCap, QuietHours
from leadwire.core.delivery.statuses import CAPPED, DEFERRED, DEFERRED_CAP, EXPIRED
from leadwire.core.rules.consent import DEFAULT_CHANNEL, SMS_CHANNEL, is_subscribed
from leadwire.core.rules.lookup import lookup
from leadwire.core.triggers.anniversary import first_valid_instant

ONSITE_CHANNEL = "onsite"


@dataclass(frozen=True, slots=True)
class SentRecord:
    """A send that counts against the caps: remembered per lead for the longest cap's window."""

    delivery_id: str
    channel: str
    category: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class SendLine:
    """A lead's send log as read: the sends the caps count, the messages waiting for a slot, and
    the version a write must find to replace it."""

    sends: list[SentRecord] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    version: int = 0


@dataclass(frozen=True, slots=True)
class Send:
    pass


@dataclass(frozen=True, slots=True)
class Defer:
    until: datetime
    reason: str
    status: str = DEFERRED  # deferred (quiet hours) | deferred_cap (waiting for a cap slot)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refuse:
    status: str  # suppressed | no_consent | capped | expired
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


Decision = Send | Defer | Refuse


@dataclass(frozen=True, slots=True)
class Recipient:
    """What the policy needs to know about the lead at send time."""

    traits: Mapping[str, Any]
    consent: Mapping[str, tuple[bool, int]]
    suppressed: Sequence[str]


def decide(
    policy: DeliveryPolicy,
    channel: str,
    category: str | None,
    recipient: Recipient,
    recent: Sequence[SentRecord],
    delivery_id: str,
    now: datetime,
    ticket: Ticket | None = None,
    waiting: Sequence[Waiting] = (),
) -> Decision:
    if channel == "email":
        if DEFAULT_CHANNEL in recipient.suppressed:
            return Refuse("suppressed", "the address is suppressed after a hard bounce or a complaint")
        subscribed = is_subscribed(recipient.consent, list(recipient.suppressed), DEFAULT_CHANNEL)
        if category == "marketing" and not subscribed:
            return Refuse("no_consent", "the lead has not consented to marketing email")
    if channel == SMS_CHANNEL:
        if SMS_CHANNEL in recipient.suppressed:
            return Refuse("suppressed", "the number replied STOP")
        if not is_subscribed(recipient.consent, list(recipient.suppressed), SMS_CHANNEL):
            return Refuse("no_consent", "the lead has not consented to SMS (subscriptions.sms)")
    if channel == ONSITE_CHANNEL and not recipient.consent.get(ONSITE_CHANNEL, (True, 0))[0]:
        return Refuse("no_consent", "the lead opted out of on-site messages")
    if ticket is not None and now > ticket.expires_at:
        return _expired(ticket, "now", now)
    quiet = policy.quiet_hours
    if quiet is not None and quiet.applies(channel, category):
        until = quiet_until(quiet, recipient.traits, now)
        if until is not None:
            if ticket is not None and until > ticket.expires_at:
                return _expired(ticket, "the end of quiet hours", until)
            return Defer(until, f"quiet hours {quiet.start:%H:%M}-{quiet.end:%H:%M} in the lead's time zone")
    if ticket is not None:
        return _in_line(policy, channel, category, recent, waiting, ticket, now)
    for cap in policy.frequency_caps:
        if cap.counts(channel, category):
            refused = _cap_refusal(cap, channel, category, recent, delivery_id, now)
            if refused is not None:
                return refused
    return Send()


def _in_line(
    policy: DeliveryPolicy,
    channel: str,
    category: str | None,
    recent: Sequence[SentRecord],
    waiting: Sequence[Waiting],
    ticket: Ticket,
    now: datetime,
) -> Decision:
    placement = place(policy, channel, category, recent, waiting, ticket, now)
    if placement.until is None or placement.cap is None:
        return Send()
    if placement.until > ticket.expires_at:
        return _expired(ticket, f"the next open slot ({_cap_text(placement.cap, channel)})", placement.until)
    if sum(w.live(now) and w.ticket.delivery_id != ticket.delivery_id for w in waiting) >= MAX_WAITING:
        return Refuse(CAPPED, f"{_cap_text(placement.cap, channel)}, and {MAX_WAITING} messages already wait")
    details = {
        "priority": ticket.priority,
        "ahead": placement.ahead,
        "expiresAt": ticket.expires_at.isoformat(),
    }
    return Defer(
        placement.until, f"waiting for a slot: {_cap_text(placement.cap, channel)}", DEFERRED_CAP, details
    )


def _expired(ticket: Ticket, what: str, at: datetime) -> Refuse:
    """Refused for good: ``what`` (now, the end of quiet hours, the next open slot) is too late."""
    expires = ticket.expires_at.isoformat()
    details = {"expiresAt": expires, "priority": ticket.priority, "nextPossibleAt": at.isoformat()}
    return Refuse(EXPIRED, f"{what} ({at.isoformat()}) is after its expiry ({expires})", details)


def _cap_text(cap: FrequencyCap, channel: str) -> str:
    what = f"{cap.category} {channel}" if cap.category else channel
    return f"at most {cap.max} {what} per {_duration_text(cap.per)}"


def _cap_refusal(
    cap: FrequencyCap,
    channel: str,
    category: str | None,
    recent: Sequence[SentRecord],
    delivery_id: str,
    now: datetime,
) -> Refuse | None:
    window_start = now - cap.per
    inside = sorted(
        sent.at
        for sent in recent
        if sent.delivery_id != delivery_id
        and cap.counts(sent.channel, sent.category)
        and sent.at > window_start
    )
    if len(inside) < cap.max:
        return None
    return Refuse(
        CAPPED,
        _cap_text(cap, channel),
        {"nextAllowedAt": (inside[-cap.max] + cap.per).isoformat(), "sentInWindow": len(inside)},
    )


def quiet_until(quiet: QuietHours, traits: Mapping[str, Any], now: datetime) -> datetime | None:
    """When the quiet window that ``now`` falls in ends (UTC), or None outside the window."""
    zone = _lead_zone(lookup(traits, quiet.timezone_trait), quiet.default_timezone)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside = quiet.start <= clock < quiet.end
        end_day = local.date()
    else:  # the window spans midnight (21:00-08:00)
        inside = clock >= quiet.start or clock < quiet.end
        end_day = local.date() + timedelta(days=1) if clock >= quiet.start else local.date()
    if not inside:
        return None
    return first_valid_instant(datetime.combine(end_day, quiet.end), zone).astimezone(UTC)


def _lead_zone(name: Any, default: str) -> ZoneInfo:
    if isinstance(name, str) and name.strip():
        try:
            return ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass  # a bad trait must not block sending: the default zone applies
    return ZoneInfo(default)


def _duration_text(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def prune(recent: Sequence[SentRecord], keep: timedelta, now: datetime) -> list[SentRecord]:
    """The sends still inside the longest cap window."""
    return [sent for sent in recent if sent.at > now - keep]
