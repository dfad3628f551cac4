"""Consent and suppression per channel: ``subscribed: CHANNEL`` = consent given and not suppressed.

Conventions (shared with ingestion and actions; constants below):

* identify trait ``subscriptions: {"email": true, "sms": false}`` gives or withdraws consent per
  channel; trait ``unsubscribed: true|false`` withdraws or gives ``email`` consent.
* a track event in ``WITHDRAWING_EVENTS`` (``email_unsubscribed``) withdraws consent for the
  channel in its ``channel`` property, default ``email``.
* a track event in ``SUPPRESSING_EVENTS`` suppresses its channel for good (SES complaint, or a
  bounce whose ``bounce_type``/``bounceType`` is ``Permanent``; ``sms_unsubscribed``, an inbound
  STOP reply, suppresses ``sms``); only an admin lifts suppression.

Without any consent signal a channel is not subscribed. Consent is last-writer-wins by event
time (ties: withdrawal wins), so late events do not undo newer choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadwire.core.rules.events import LeadEvent

SUBSCRIPTIONS_TRAIT = "subscriptions"
UNSUBSCRIBED_TRAIT = "unsubscribed"
DEFAULT_CHANNEL = "email"
WITHDRAWING_EVENTS = frozenset({"email_unsubscribed"})
SMS_CHANNEL = "sms"
SMS_UNSUBSCRIBED = "sms_unsubscribed"  # the number replied STOP (core.sms.inbound)
SUPPRESSING_EVENTS = frozenset({"email_complained", "email_bounced", SMS_UNSUBSCRIBED})
PERMANENT_BOUNCE = "permanent"


def consent_signals(traits: Mapping[str, Any]) -> dict[str, bool]:
    signals: dict[str, bool] = {}
    if isinstance(traits.get(UNSUBSCRIBED_TRAIT), bool):
        signals[DEFAULT_CHANNEL] = not traits[UNSUBSCRIBED_TRAIT]
    subscriptions = traits.get(SUBSCRIPTIONS_TRAIT)
    if isinstance(subscriptions, Mapping):
        signals.update({str(ch): given for ch, given in subscriptions.items() if isinstance(given, bool)})
    return signals


def record_consent(consent: dict[str, tuple[bool, int]], signals: Mapping[str, bool], at_ms: int) -> None:
    for channel, given in signals.items():
        old = consent.get(channel)
        if old is None or at_ms > old[1] or (at_ms == old[1] and not given):
            consent[channel] = (given, at_ms)


def event_consent(event: LeadEvent) -> dict[str, bool]:
    if event.name in WITHDRAWING_EVENTS:
        return {str(event.properties.get("channel") or DEFAULT_CHANNEL): False}
    return {}


def suppressed_channel(event: LeadEvent) -> str | None:
    if event.name not in SUPPRESSING_EVENTS:
        return None
    if event.name == "email_bounced":
        bounce = event.properties.get("bounce_type", event.properties.get("bounceType"))
        return DEFAULT_CHANNEL if str(bounce).lower() == PERMANENT_BOUNCE else None
    if event.name == SMS_UNSUBSCRIBED:
        return SMS_CHANNEL
    return DEFAULT_CHANNEL


def is_subscribed(consent: Mapping[str, tuple[bool, int]], suppressed: list[str], channel: str) -> bool:
    given = consent.get(channel)
    return given is not None and given[0] and channel not in suppressed
