"""Caps that defer by priority: who takes the next open slot, when a waiting message wakes, when
it expires, and how quiet hours and the line interact (``core/delivery/line.py``)."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.delivery.decisions import Defer, Recipient, Refuse, Send, SentRecord, decide
from leadwire.core.delivery.line import MAX_WAITING, STALE_AFTER, Ticket, Waiting, earliest_slot
from leadwire.core.delivery.policy import parse_delivery_policy

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ONE_A_DAY = parse_delivery_policy({"frequency_caps": [{"channel": "email", "max": 1, "per": "P1D"}]})
QUIET_ONE_A_DAY = parse_delivery_policy(
    {
        "frequency_caps": [{"channel": "email", "max": 1, "per": "P1D"}],
        "quiet_hours": {"start": "21:00", "end": "08:00"},  # UTC: the lead has no time zone trait
    }
)
LEAD = Recipient(traits={}, consent={"email": (True, 1)}, suppressed=[])
SENT_AT_T0 = [SentRecord("earlier", "email", "marketing", T0)]


def ticket(name, priority=50, fired=T0, expires=timedelta(days=3)):
    return Ticket(name, priority, fired, fired + expires)


def waiting(name, until, priority=50, fired=T0, expires=timedelta(days=3)):
    return Waiting(ticket(name, priority, fired, expires), "email", "marketing", until)


def at(now, me, sent=(), line=(), policy=ONE_A_DAY):
    return decide(policy, "email", "marketing", LEAD, list(sent), me.delivery_id, now, me, list(line))


def test_a_free_slot_is_taken_at_once():
    assert at(T0, ticket("me")) == Send()


def test_over_the_cap_a_message_waits_for_the_next_open_slot_instead_of_being_dropped():
    decision = at(T0 + timedelta(hours=2), ticket("me"), SENT_AT_T0)
    assert isinstance(decision, Defer)
    assert (decision.status, decision.until) == ("deferred_cap", T0 + DAY)
    assert decision.reason == "waiting for a slot: at most 1 email per 1 day"
    assert decision.details == {"priority": 50, "ahead": 0, "expiresAt": (T0 + 3 * DAY).isoformat()}


def test_a_higher_priority_message_goes_ahead_of_a_lower_one_already_waiting():
    low = waiting("low", until=T0 + DAY, priority=10)
    high = ticket("high", priority=90, fired=T0 + timedelta(hours=3))
    # the high one arrives later but is served first: it wakes when the slot opens ...
    high_waits = at(T0 + timedelta(hours=3), high, SENT_AT_T0, [low])
    assert isinstance(high_waits, Defer)
    assert high_waits.until == T0 + DAY
    line = [low, waiting("high", T0 + DAY, priority=90, fired=T0 + timedelta(hours=3))]
    # ... and when both wake, the low one finds the high one ahead and waits another day
    low_again = at(T0 + DAY, low.ticket, SENT_AT_T0, line)
    assert isinstance(low_again, Defer)
    assert (low_again.until, low_again.details["ahead"]) == (T0 + 2 * DAY, 1)
    assert at(T0 + DAY, high, SENT_AT_T0, line) == Send()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (ticket("a", fired=T0), ticket("b", fired=T0 + timedelta(minutes=1))),  # equal priority: fired first
        (ticket("a", fired=T0), ticket("b", fired=T0)),  # same instant: by delivery id
        (ticket("a", priority=60, fired=T0 + timedelta(hours=1)), ticket("b", priority=59, fired=T0)),
    ],
)
def test_the_line_is_ordered_by_priority_then_fire_time_then_delivery_id(first, second):
    assert first.order < second.order
    wake = T0 + DAY
    line = [Waiting(first, "email", None, wake), Waiting(second, "email", None, wake)]
    assert at(wake, first, SENT_AT_T0, line) == Send()
    assert isinstance(at(wake, second, SENT_AT_T0, line), Defer)


def test_a_message_ahead_that_is_not_due_yet_does_not_hold_a_free_slot_back():
    # the high one sleeps through quiet hours until 08:00; a free slot at 02:00 goes to the low one
    high = waiting("high", until=T0 + timedelta(hours=22), priority=90)
    assert at(T0 + timedelta(hours=16), ticket("low", priority=10), line=[high]) == Send()


@pytest.mark.parametrize(
    "dead",
    [
        waiting("lost", until=T0 + timedelta(hours=2) - STALE_AFTER - timedelta(seconds=1), priority=90),
        waiting("old", until=T0, priority=90, fired=T0 - 3 * DAY, expires=3 * DAY),
    ],
    ids=["overdue-for-long", "expired"],
)
def test_a_dead_entry_in_the_line_blocks_nobody(dead):
    assert at(T0 + timedelta(hours=2), ticket("me"), line=[dead]) == Send()


def test_a_message_whose_next_slot_comes_after_its_expiry_is_expired_at_once_with_the_reason():
    me = ticket("me", fired=T0 + timedelta(hours=2), expires=timedelta(hours=12))
    decision = at(T0 + timedelta(hours=2), me, SENT_AT_T0)
    assert isinstance(decision, Refuse)
    assert decision.status == "expired"
    assert decision.reason.startswith(
        "the next open slot (at most 1 email per 1 day) (2026-11-25T10:00:00+00:00)"
    )
    assert decision.details["nextPossibleAt"] == (T0 + DAY).isoformat()
    assert decision.details["expiresAt"] == (T0 + timedelta(hours=14)).isoformat()


def test_a_message_pushed_back_past_its_expiry_by_a_higher_one_expires_when_it_wakes():
    low = ticket("low", priority=10, expires=timedelta(days=1, hours=1))
    line = [waiting("high", T0 + DAY, priority=90, fired=T0 + timedelta(hours=1))]
    decision = at(T0 + DAY, low, SENT_AT_T0, line)
    assert isinstance(decision, Refuse)
    assert decision.status == "expired"


def test_a_message_woken_after_its_expiry_is_expired_whatever_the_caps_say():
    me = ticket("me", expires=timedelta(hours=1))
    decision = at(T0 + timedelta(hours=2), me)
    assert isinstance(decision, Refuse)
    assert decision.status == "expired"


def test_a_slot_that_opens_in_quiet_hours_is_taken_when_they_end():
    # sent at 22:00 UTC the day before: the slot opens at 22:00, inside 21:00-08:00
    sent = [SentRecord("earlier", "email", "marketing", T0 + timedelta(hours=12))]
    me = ticket("me", fired=T0 + timedelta(hours=13))
    first = at(T0 + timedelta(hours=13), me, sent, policy=QUIET_ONE_A_DAY)
    assert isinstance(first, Defer)
    assert first.status == "deferred"
    morning = T0 + timedelta(hours=22)  # 08:00: quiet hours over, the cap still full until 22:00
    second = at(morning, me, sent, policy=QUIET_ONE_A_DAY)
    assert isinstance(second, Defer)
    assert (second.status, second.until) == ("deferred_cap", T0 + timedelta(hours=36))
    third = at(T0 + timedelta(hours=36), me, sent, policy=QUIET_ONE_A_DAY)
    assert isinstance(third, Defer)
    assert third.status == "deferred"
    assert third.until == T0 + timedelta(hours=46)
    assert at(third.until, me, sent, policy=QUIET_ONE_A_DAY) == Send()


def test_quiet_hours_that_end_after_the_expiry_expire_the_message():
    me = ticket("me", fired=T0 + timedelta(hours=12), expires=timedelta(hours=4))  # 22:00, until 02:00
    decision = at(T0 + timedelta(hours=12), me, policy=QUIET_ONE_A_DAY)
    assert isinstance(decision, Refuse)
    assert decision.status == "expired"
    assert decision.details["nextPossibleAt"] == (T0 + timedelta(hours=22)).isoformat()


def test_a_full_line_refuses_with_capped():
    line = [waiting(f"w{i}", until=T0 + DAY + timedelta(minutes=i)) for i in range(MAX_WAITING)]
    urgent = ticket("urgent", priority=90, fired=T0 + timedelta(hours=1))  # ahead of all: no expiry
    decision = at(T0 + timedelta(hours=1), urgent, SENT_AT_T0, line)
    assert isinstance(decision, Refuse)
    assert decision.status == "capped"


def test_without_a_ticket_a_send_over_the_cap_is_capped_as_before():
    decision = decide(ONE_A_DAY, "email", "marketing", LEAD, SENT_AT_T0, "me", T0 + timedelta(hours=1))
    assert isinstance(decision, Refuse)
    assert decision.status == "capped"


@pytest.mark.parametrize(
    ("taken_hours", "at_hour", "expected_hour"),
    [
        ([], 5, 5),  # nothing sent: now
        ([0, 10], 12, 24),  # 2 a day, both spent: when the first leaves the window
        ([0], 12, 12),  # one of two spent: now
        ([0, 30], 12, 12),  # a send planned at 30 h: 12 h fits (windows ending at 12, 30 hold two)
        ([0, 20], 12, 24),  # 12 h would make three in the window ending at 20: when 0 h leaves it
    ],
)
def test_earliest_slot_keeps_every_sliding_window_within_the_cap(taken_hours, at_hour, expected_hour):
    cap = parse_delivery_policy({"frequency_caps": [{"channel": "email", "max": 2, "per": "P1D"}]})
    taken = [T0 + timedelta(hours=h) for h in taken_hours]
    slot = earliest_slot(taken, cap.frequency_caps[0], T0 + timedelta(hours=at_hour))
    assert slot == T0 + timedelta(hours=expected_hour)


def test_an_entry_stops_counting_once_overdue_for_long_or_expired():
    entry = waiting("d", until=T0)
    assert entry.live(T0 + STALE_AFTER - timedelta(seconds=1))
    assert not entry.live(T0 + STALE_AFTER + timedelta(seconds=1))  # overdue: its fire was lost
    assert not waiting("e", until=T0, expires=timedelta(hours=1)).live(T0 + timedelta(hours=1))
