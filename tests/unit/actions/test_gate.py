"""The delivery gate: exactly one send per delivery id, whatever fails where.

Failure injection at each step of a send, then the retry that Lambda would make; the count that
matters is how many times the provider accepted the message.
"""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.actions.gate import DeliveryGate, Sendable, SendResult
from leadwire.core.delivery.decisions import Recipient, SendLine
from leadwire.core.delivery.line import Ticket, Waiting
from leadwire.core.delivery.policy import parse_delivery_policy
from leadwire.core.fires import Fire

from .fakes import Crash, Deferrals, MemoryLog, MemorySendLog

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FIRE = Fire.of("welcome", "ann", "m1", NOW)
DELIVERY = f"{FIRE.fire_id}-0"
CONSENTED = Recipient(traits={"timezone": "UTC"}, consent={"email": (True, 1)}, suppressed=[])
NO_POLICY = parse_delivery_policy(None)


class Provider:
    """Counts accepted sends; ``fail_before`` raises before accepting, ``crash_after`` dies after."""

    def __init__(self, fail_before=0, crash_after=0):
        self.accepted = []
        self.fail_before = fail_before
        self.crash_after = crash_after

    def sendable(self, channel="email", category="marketing", window=timedelta(minutes=5)):
        def send():
            if self.fail_before:
                self.fail_before -= 1
                return SendResult("failed", {"error": "throttled"}, "throttled")
            self.accepted.append(DELIVERY)
            if self.crash_after:
                self.crash_after -= 1
                raise Crash
            return SendResult("sent", {"sesMessageId": f"ses-{len(self.accepted)}"})

        return Sendable(channel, category, {"template": "welcome"}, send, confirm_window=window)


def gate(log, policy=NO_POLICY, send_log=None, deferrals=None):
    return DeliveryGate(log, policy, deferrals or Deferrals(), send_log)


def test_a_redelivered_fire_sends_nothing_twice():
    log, provider = MemoryLog(), Provider()
    assert gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW).status == "sent"
    again = gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW + timedelta(seconds=3))
    assert (again.status, again.repeat) == ("sent", True)
    assert provider.accepted == [DELIVERY]


def test_a_first_attempt_reads_no_log_and_a_redelivery_reads_it_and_acts_on_it():
    log, provider = MemoryLog(), Provider()
    assert gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW).status == "sent"
    unsubscribed = Recipient(traits={}, consent={"email": (False, 2)}, suppressed=[])
    refused = f"{FIRE.fire_id}-1"
    assert gate(log).deliver(FIRE, refused, provider.sendable(), unsubscribed, NOW).status == "no_consent"
    assert log.reads == 0  # each wrote on condition that no delivery item existed

    again = gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW + timedelta(seconds=3))
    assert (again.status, again.repeat) == ("sent", True)
    # the refusal's redelivery finds it final, even with consent given meanwhile
    later = gate(log).deliver(FIRE, refused, provider.sendable(), CONSENTED, NOW + timedelta(seconds=3))
    assert (later.status, later.repeat) == ("no_consent", True)
    assert log.reads == 2  # the conditional write failed: the log was read, and it decided
    assert provider.accepted == [DELIVERY]


def test_with_a_cap_on_the_channel_the_log_is_read_before_the_slot_is_taken():
    policy = parse_delivery_policy({"frequency_caps": [{"channel": "email", "max": 1, "per": "PT16H"}]})
    log, send_log, provider = MemoryLog(), MemorySendLog(), Provider()
    assert (
        gate(log, policy, send_log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW).status
        == "sent"
    )
    assert log.reads == 1
    webhook = gate(log, policy, send_log).deliver(
        FIRE, f"{FIRE.fire_id}-1", provider.sendable("webhook", None, None), CONSENTED, NOW
    )
    assert (webhook.status, log.reads) == ("sent", 1)  # no cap counts webhooks: no read


def test_failure_before_the_send_is_retried_and_sent_once():
    log, provider = MemoryLog(), Provider(fail_before=1)
    first = gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW)
    assert (first.status, first.retry_error) == ("failed", "throttled")
    second = gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW + timedelta(seconds=5))
    assert second.status == "sent"
    assert provider.accepted == [DELIVERY]
    assert log.items[DELIVERY]["tries"] == 2


def test_a_crash_after_the_send_before_the_record_waits_for_ses_and_never_sends_twice():
    log, provider, deferrals = MemoryLog(), Provider(crash_after=1), Deferrals()
    with pytest.raises(Crash):
        gate(log, deferrals=deferrals).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW)
    assert log.items[DELIVERY]["status"] == "sending"
    # Lambda retries at once: SES has not reported yet, so the delivery is looked at again later.
    retry = gate(log, deferrals=deferrals).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW)
    assert (retry.status, retry.repeat) == ("sending", True)
    assert deferrals.calls == [(FIRE.fire_id, NOW + timedelta(minutes=5))]
    log.confirm(DELIVERY, "ses-1", NOW + timedelta(seconds=2))  # SES's Send event arrives
    later = gate(log, deferrals=deferrals).deliver(
        FIRE.deferred_until(NOW + timedelta(minutes=5)),
        DELIVERY,
        provider.sendable(),
        CONSENTED,
        NOW + timedelta(minutes=5),
    )
    assert later.status == "sent"
    assert log.items[DELIVERY]["confirmedBy"] == "ses"
    assert provider.accepted == [DELIVERY]


def test_a_crash_after_the_claim_before_the_send_is_sent_once_the_window_shows_ses_never_saw_it():
    log, provider = MemoryLog(), Provider()
    log.claim_delivery(FIRE, DELIVERY, "email", NOW, {"template": "welcome"}, None)  # then the crash
    assert gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW).status == "sending"
    assert provider.accepted == []
    late = gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW + timedelta(minutes=5))
    assert late.status == "sent"
    assert provider.accepted == [DELIVERY]


def test_a_failure_while_recording_the_send_does_not_send_again():
    log, provider = MemoryLog(), Provider()
    log.fail_record = {"sent": OSError("DynamoDB unavailable")}
    with pytest.raises(OSError, match="unavailable"):
        gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW)
    log.confirm(DELIVERY, "ses-1", NOW)
    assert (
        gate(log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW + timedelta(seconds=30)).status
        == "sent"
    )
    assert provider.accepted == [DELIVERY]


def test_webhooks_are_sent_again_with_the_same_id_after_a_crash():
    log, provider = MemoryLog(), Provider(crash_after=1)
    with pytest.raises(Crash):
        gate(log).deliver(FIRE, DELIVERY, provider.sendable("webhook", None, None), CONSENTED, NOW)
    assert (
        gate(log).deliver(FIRE, DELIVERY, provider.sendable("webhook", None, None), CONSENTED, NOW).status
        == "sent"
    )
    assert provider.accepted == [DELIVERY, DELIVERY]  # one id: the receiver dedupes on webhook-id


def test_refusals_and_deferrals_are_recorded_and_final_ones_are_not_reconsidered():
    policy = parse_delivery_policy({"quiet_hours": {"start": "11:00", "end": "13:00"}})
    log, provider, deferrals = MemoryLog(), Provider(), Deferrals()
    outcome = gate(log, policy, deferrals=deferrals).deliver(
        FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW
    )
    assert outcome.status == "deferred"
    assert log.items[DELIVERY]["until"] == "2026-11-24T13:00:00+00:00"
    assert deferrals.calls == [(FIRE.fire_id, datetime(2026, 11, 24, 13, 0, tzinfo=UTC))]
    early = gate(log, policy, deferrals=deferrals).deliver(
        FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW
    )
    assert (early.status, early.repeat) == ("deferred", True)
    at_end = NOW + timedelta(hours=1)
    deferred = FIRE.deferred_until(at_end)
    assert (
        gate(log, policy).deliver(deferred, DELIVERY, provider.sendable(), CONSENTED, at_end).status == "sent"
    )
    assert provider.accepted == [DELIVERY]

    unsubscribed = Recipient(traits={}, consent={"email": (False, 2)}, suppressed=[])
    other = f"{FIRE.fire_id}-1"
    assert gate(log).deliver(FIRE, other, provider.sendable(), unsubscribed, NOW).status == "no_consent"
    again = gate(log).deliver(FIRE, other, provider.sendable(), CONSENTED, NOW)
    assert (again.status, again.repeat) == ("no_consent", True)


def test_caps_reserve_a_slot_per_delivery_and_a_retry_keeps_its_own():
    policy = parse_delivery_policy({"frequency_caps": [{"channel": "email", "max": 1, "per": "PT16H"}]})
    log, send_log, provider = MemoryLog(), MemorySendLog(), Provider(fail_before=1)
    first = gate(log, policy, send_log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW)
    assert first.status == "failed"
    assert (
        gate(log, policy, send_log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW).status
        == "sent"
    )
    other = Fire.of("tips", "ann", "m2", NOW)
    capped = gate(log, policy, send_log).deliver(
        other, f"{other.fire_id}-0", provider.sendable(), CONSENTED, NOW
    )
    assert capped.status == "capped"
    assert log.items[f"{other.fire_id}-0"]["reason"] == "at most 1 email per 16 hours"
    assert len(send_log.records) == 1


def test_a_deferred_fire_acts_for_its_root_fire_at_the_root_fires_time():
    later = FIRE.deferred_until(NOW + timedelta(hours=9))
    assert later.fire_id != FIRE.fire_id
    assert (later.root_id, later.at, later.origin_cause) == (FIRE.fire_id, FIRE.at, "m1")
    again = later.deferred_until(NOW + timedelta(hours=10))  # deferred twice: still the root's
    assert (again.root_id, again.at, again.origin_cause) == (FIRE.fire_id, FIRE.at, "m1")


# -- caps that defer by priority --------------------------------------------------------------

ONE_A_DAY = parse_delivery_policy({"frequency_caps": [{"channel": "email", "max": 1, "per": "P1D"}]})
LOW = Fire.of("newsletter", "ann", "m2", NOW)
LOW_DELIVERY = f"{LOW.fire_id}-0"


def tickets(expires=timedelta(days=3)):
    high = Ticket(DELIVERY, 90, NOW, NOW + timedelta(days=3))
    low = Ticket(LOW_DELIVERY, 10, NOW, NOW + expires)
    return high, low


def test_a_message_over_a_cap_waits_in_line_and_is_sent_once_with_its_delivery_id_when_its_slot_opens():
    log, send_log, provider, deferrals = MemoryLog(), MemorySendLog(), Provider(), Deferrals()
    high, low = tickets()
    assert (
        gate(log, ONE_A_DAY, send_log)
        .deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW, high)
        .status
        == "sent"
    )
    waits = gate(log, ONE_A_DAY, send_log, deferrals).deliver(
        LOW, LOW_DELIVERY, provider.sendable(), CONSENTED, NOW, low
    )
    slot = NOW + timedelta(days=1)
    assert waits.status == "deferred_cap"
    assert log.items[LOW_DELIVERY]["until"] == slot.isoformat()
    assert [w.ticket for w in send_log.waiting] == [low]
    assert deferrals.calls == [(LOW.fire_id, slot)]

    early = gate(log, ONE_A_DAY, send_log, deferrals).deliver(
        LOW, LOW_DELIVERY, provider.sendable(), CONSENTED, NOW, low
    )
    assert (early.status, early.repeat) == ("deferred_cap", True)
    woken = LOW.deferred_until(slot)
    for _ in range(2):  # the wake-up, then its redelivery
        gate(log, ONE_A_DAY, send_log).deliver(woken, LOW_DELIVERY, provider.sendable(), CONSENTED, slot, low)
    assert log.items[LOW_DELIVERY]["status"] == "sent"
    assert len(provider.accepted) == 2  # the high one at once, the low one once, a day later
    assert [r.delivery_id for r in send_log.records] == [LOW_DELIVERY]  # the first left the window
    assert send_log.waiting == []


def test_a_crash_between_the_deferral_and_its_wake_up_is_rearmed_by_the_retry():
    log, send_log, provider = MemoryLog(), MemorySendLog(), Provider()
    high, low = tickets()
    gate(log, ONE_A_DAY, send_log).deliver(FIRE, DELIVERY, provider.sendable(), CONSENTED, NOW, high)

    class CrashingDeferrals(Deferrals):
        def defer(self, fire, until):
            if not self.calls:
                self.calls.append("crashed")
                raise Crash
            return super().defer(fire, until)

    deferrals = CrashingDeferrals()
    with pytest.raises(Crash):
        gate(log, ONE_A_DAY, send_log, deferrals).deliver(
            LOW, LOW_DELIVERY, provider.sendable(), CONSENTED, NOW, low
        )
    retry = gate(log, ONE_A_DAY, send_log, deferrals).deliver(
        LOW, LOW_DELIVERY, provider.sendable(), CONSENTED, NOW + timedelta(seconds=5), low
    )
    assert (retry.status, retry.repeat) == ("deferred_cap", True)
    assert deferrals.calls == ["crashed", (LOW.fire_id, NOW + timedelta(days=1))]


def test_a_message_pushed_past_its_expiry_is_expired_leaves_the_line_and_stays_expired():
    log, send_log, provider = MemoryLog(), MemorySendLog(), Provider()
    _, low = tickets(expires=timedelta(hours=30))
    earlier = Fire.of("other", "ann", "m0", NOW - timedelta(hours=1))
    gate(log, ONE_A_DAY, send_log).deliver(earlier, "earlier-0", provider.sendable(), CONSENTED, NOW, None)
    gate(log, ONE_A_DAY, send_log).deliver(LOW, LOW_DELIVERY, provider.sendable(), CONSENTED, NOW, low)
    urgent = Ticket("urgent-0", 90, NOW + timedelta(hours=1), NOW + timedelta(days=3))
    urgent_fire = Fire.of("urgent", "ann", "m3", NOW + timedelta(hours=1))
    queued = gate(log, ONE_A_DAY, send_log).deliver(
        urgent_fire, "urgent-0", provider.sendable(), CONSENTED, NOW + timedelta(hours=1), urgent
    )
    assert queued.status == "deferred_cap"  # goes ahead of the low one: both wake at the slot
    slot = NOW + timedelta(days=1)
    woken = LOW.deferred_until(slot)
    expired = gate(log, ONE_A_DAY, send_log).deliver(
        woken, LOW_DELIVERY, provider.sendable(), CONSENTED, slot, low
    )
    assert expired.status == "expired"
    assert log.items[LOW_DELIVERY]["nextPossibleAt"] == (slot + timedelta(days=1)).isoformat()
    assert [w.ticket.delivery_id for w in send_log.waiting] == ["urgent-0"]
    again = gate(log, ONE_A_DAY, send_log).deliver(
        woken, LOW_DELIVERY, provider.sendable(), CONSENTED, slot, low
    )
    assert (again.status, again.repeat) == ("expired", True)
    assert len(provider.accepted) == 1


def test_a_retry_that_holds_its_slot_keeps_it_even_with_a_higher_message_due_in_line():
    log, send_log = MemoryLog(), MemorySendLog()
    high, low = tickets()
    crashing = Provider(crash_after=1)
    policy = parse_delivery_policy({"frequency_caps": [{"channel": "webhook", "max": 1, "per": "P1D"}]})
    with pytest.raises(Crash):  # the webhook went out, the process died before the record
        gate(log, policy, send_log).deliver(
            LOW, LOW_DELIVERY, crashing.sendable("webhook", None, window=None), CONSENTED, NOW, low
        )
    line = send_log.line_now
    send_log.line_now = SendLine(line.sends, [Waiting(high, "webhook", None, NOW)], line.version)
    retry = gate(log, policy, send_log).deliver(
        LOW,
        LOW_DELIVERY,
        crashing.sendable("webhook", None, window=None),
        CONSENTED,
        NOW + timedelta(seconds=5),
        low,
    )
    assert retry.status == "sent"  # sent again with the same id: the receiver dedupes
    assert [r.delivery_id for r in send_log.records] == [LOW_DELIVERY]
