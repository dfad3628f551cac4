"""Send, defer or refuse: the delivery policy applied to one action for one lead, at send time.

Checked in this order, so that each outcome says the most useful thing:

1. suppression (email): a hard bounce or a complaint suppressed the address: ``suppressed``;
2. consent (marketing email): the lead never opted in, or opted out: ``no_consent``.
   Transactional email needs no marketing consent, but is never sent to a suppressed address;
3. quiet hours in the lead's time zone: ``deferred`` until the window ends (never dropped);
4. frequency caps: a send that would exceed a cap is ``capped`` (not sent; the cap says when the
   next one would be allowed). Caps are checked after quiet hours, so a deferred message is
   counted against the caps of the moment it is really sent.

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

from leadwire.core.delivery.policy import DeliveryPolicy, FrequencyCap, QuietHours
from leadwire.core.rules.consent import DEFAULT_CHANNEL, is_subscribed
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
class Send:
    pass


@dataclass(frozen=True, slots=True)
class Defer:
    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Refuse:
    status: str  # suppressed | no_consent | capped
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
) -> Decision:
    if channel == "email":
        if DEFAULT_CHANNEL in recipient.suppressed:
            return Refuse("suppressed", "the address is suppressed after a hard bounce or a complaint")
        subscribed = is_subscribed(recipient.consent, list(recipient.suppressed), DEFAULT_CHANNEL)
        if category == "marketing" and not subscribed:
            return Refuse("no_consent", "the lead has not consented to marketing email")
    if channel == ONSITE_CHANNEL and not recipient.consent.get(ONSITE_CHANNEL, (True, 0))[0]:
        return Refuse("no_consent", "the lead opted out of on-site messages")
    quiet = policy.quiet_hours
    if quiet is not None and quiet.applies(channel, category):
        until = quiet_until(quiet, recipient.traits, now)
        if until is not None:
            return Defer(until, f"quiet hours {quiet.start:%H:%M}-{quiet.end:%H:%M} in the lead's time zone")
    for cap in policy.frequency_caps:
        if cap.counts(channel, category):
            refused = _cap_refusal(cap, channel, category, recent, delivery_id, now)
            if refused is not None:
                return refused
    return Send()


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
    what = f"{cap.category} {channel}" if cap.category else channel
    return Refuse(
        "capped",
        f"at most {cap.max} {what} per {_duration_text(cap.per)}",
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
