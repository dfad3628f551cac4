"""Timer keys, Step Functions execution names, deadlines, the horizon and reentry."""

import random
import re
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from leadwire.core.triggers import (
    TimerKey,
    deadline,
    execution_name,
    horizon_allows,
    reentry_allows,
    timer_key,
)

from .builders import at, cart_abandonment, trigger

VALID_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
LEAD = "lead-1"


def _name(properties: dict[str, Any], lead_id: str = LEAD) -> str:
    return execution_name(timer_key(cart_abandonment(), lead_id, properties))


# -- keys --------------------------------------------------------------------------------------


def test_key_holds_trigger_lead_and_match_values() -> None:
    key = timer_key(cart_abandonment(), LEAD, {"cart_id": "c-1", "total": 20})
    assert key == TimerKey("cart-abandonment", LEAD, ("c-1",))


def test_same_cart_gives_the_same_key_and_name() -> None:
    # Given the cart_added that started the wait, and the purchase of the same cart
    started = timer_key(cart_abandonment(), LEAD, {"cart_id": "c-1", "total": 20})
    purchased = timer_key(cart_abandonment(), LEAD, {"cart_id": "c-1", "order": "o-9"})
    # Then both name the same instance
    assert started == purchased
    assert execution_name(started) == execution_name(purchased)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"cart_id": "c-1"}, {"cart_id": "c-2"}),
        ({"cart_id": "c-1"}, {}),
        ({"cart_id": "007"}, {"cart_id": 7}),
    ],
)
def test_different_cart_gives_a_different_key_and_name(first: dict[str, Any], second: dict[str, Any]) -> None:
    assert timer_key(cart_abandonment(), LEAD, first) != timer_key(cart_abandonment(), LEAD, second)
    assert _name(first) != _name(second)


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({}, ""),
        ({"cart_id": None}, ""),
        ({"cart_id": ""}, ""),
        ({"cart_id": 5}, "5"),
        ({"cart_id": 5.0}, "5"),
        ({"cart_id": "5"}, "5"),
        ({"cart_id": 5.25}, "5.25"),
        ({"cart_id": True}, "true"),
        ({"cart_id": {"b": 1, "a": 2}}, '{"a":2,"b":1}'),
        ({"cart_id": ["x", 1]}, '["x",1]'),
        ({"cart_id": "Ünïcode"}, "Ünïcode"),
    ],
)
def test_match_value_is_text_and_missing_is_empty(properties: dict[str, Any], expected: str) -> None:
    assert timer_key(cart_abandonment(), LEAD, properties).match_values == (expected,)


def test_match_values_follow_the_match_list_and_dotted_paths() -> None:
    multi = cart_abandonment(
        wait={"until": {"event": "purchase", "match": ["store", "cart.id"]}, "timeout": "PT1H"}
    )
    key = timer_key(multi, LEAD, {"cart": {"id": "c-1"}, "store": "eu"})
    assert key.match_values == ("eu", "c-1")


def test_trigger_without_wait_keys_one_instance_per_lead() -> None:
    delayed = trigger("welcome", delay="PT1H")
    assert timer_key(delayed, LEAD, {"cart_id": "c-1"}) == TimerKey("welcome", LEAD, ())


def test_match_key_is_stable_and_short() -> None:
    key = TimerKey("t", LEAD, ("c-1", "eu"))
    assert key.match_key == TimerKey("other", "lead-2", ("c-1", "eu")).match_key
    assert re.fullmatch(r"[0-9a-f]{20}", key.match_key)
    assert key.match_key != TimerKey("t", LEAD, ("c-1eu",)).match_key


# -- execution names ---------------------------------------------------------------------------


def test_execution_name_keeps_the_trigger_id_readable() -> None:
    name = _name({"cart_id": "c-1"})
    assert re.fullmatch(r"cart-abandonment-[0-9a-f]{32}", name)


def test_execution_name_never_spells_out_the_lead_id() -> None:
    name = _name({"cart_id": "c-1"}, lead_id="jane@example.com")
    assert "jane" not in name
    assert "c-1" not in name


@pytest.mark.parametrize(
    "other",
    [
        TimerKey("cart-abandonment", "lead-2", ("c-1",)),
        TimerKey("cart-abandonment-2", LEAD, ("c-1",)),
        TimerKey("cart-abandonment", LEAD, ("c-1", "")),
        TimerKey("cart-abandonment", LEAD + "c", ("-1",)),
    ],
)
def test_execution_name_differs_when_any_part_differs(other: TimerKey) -> None:
    assert execution_name(TimerKey("cart-abandonment", LEAD, ("c-1",))) != execution_name(other)


def test_occurrence_gives_a_new_name_for_a_later_wait_of_the_same_key() -> None:
    # Given a key whose first wait ended (Step Functions keeps a name for 90 days)
    key = TimerKey("cart-abandonment", LEAD, ("c-1",))
    # When the same cart waits again, started by another event
    first, again, retried = (execution_name(key, occurrence) for occurrence in ("msg-1", "msg-2", "msg-1"))
    # Then the new wait has its own name, and a retry of the first start keeps the first name
    assert len({first, again, execution_name(key)}) == 3
    assert retried == first


@pytest.mark.parametrize(
    ("trigger_id", "prefix"),
    [("cart.abandonment:v2", "cart_abandonment_v2-"), ("x" * 128, "x" * 47 + "-"), ("ünï", "_n_-")],
)
def test_execution_name_sanitises_and_cuts_the_trigger_id(trigger_id: str, prefix: str) -> None:
    name = execution_name(TimerKey(trigger_id, LEAD, ()))
    assert name.startswith(prefix)
    assert VALID_NAME.match(name)


def test_execution_name_without_a_usable_prefix_is_the_digest() -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", execution_name(TimerKey("", LEAD, ())))


def _random_text(rng: random.Random) -> str:
    alphabet = string.printable + "üß漢字🙂\u0000\u200b#/:*?[]{}<>\"' "
    return "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 5, 40, 200])))


def test_execution_names_are_always_valid_and_unique_per_key() -> None:
    # Given 500 random keys (seeded): any characters, empty, very long
    rng = random.Random(20261030)
    keys = {
        TimerKey(
            _random_text(rng), _random_text(rng), tuple(_random_text(rng) for _ in range(rng.randint(0, 3)))
        )
        for _ in range(500)
    }
    # When each is named
    names = {key: execution_name(key) for key in keys}
    # Then every name is a valid Step Functions name, the same on a second call, and unique
    assert all(VALID_NAME.match(name) for name in names.values())
    assert all(execution_name(key) == name for key, name in names.items())
    assert len(set(names.values())) == len(keys)


# -- deadlines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"wait": {"until": {"event": "purchase", "match": ["cart_id"]}, "timeout": "PT1H"}}, at(hours=1)),
        ({"delay": "P1DT30M"}, at(days=1, minutes=30)),
        ({}, at()),
    ],
)
def test_deadline_is_event_time_plus_timeout_or_delay(fields: dict[str, Any], expected: datetime) -> None:
    assert deadline(trigger(**fields), at()) == expected


def test_deadline_is_in_utc_whatever_the_event_offset() -> None:
    tokyo = timezone(timedelta(hours=9))
    due = deadline(trigger(delay="PT1H"), datetime(2026, 11, 2, 21, 0, tzinfo=tokyo))
    assert (due, due.tzinfo) == (datetime(2026, 11, 2, 13, 0, tzinfo=UTC), UTC)


def test_deadline_refuses_a_naive_event_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline(trigger(delay="PT1H"), datetime(2026, 11, 2, 12, 0))


# -- horizon -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(0), True),
        (timedelta(hours=47, minutes=59), True),
        (timedelta(days=2), True),
        (timedelta(days=2, seconds=1), False),
        (timedelta(days=400), False),
        (timedelta(minutes=-5), True),
    ],
)
def test_default_horizon_sends_for_events_up_to_two_days_old(age: timedelta, expected: bool) -> None:
    now = at(days=10)
    assert horizon_allows(trigger(), now - age, now) is expected


@pytest.mark.parametrize(("age_hours", "expected"), [(5, True), (6, True), (7, False)])
def test_horizon_is_per_trigger(age_hours: int, expected: bool) -> None:
    now = at(days=10)
    assert horizon_allows(trigger(horizon="PT6H"), now - timedelta(hours=age_hours), now) is expected


# -- reentry -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "since_previous", "expected"),
    [
        ({}, timedelta(seconds=1), True),
        ({"reentry": "every_time"}, timedelta(seconds=1), True),
        ({"reentry": "once"}, timedelta(days=3650), False),
        ({"reentry": {"once_per": "P7D"}}, timedelta(days=6, hours=23), False),
        ({"reentry": {"once_per": "P7D"}}, timedelta(days=7), True),
        ({"on": {"enter": "vips"}}, timedelta(seconds=1), True),
    ],
)
def test_reentry_after_a_previous_start(
    fields: dict[str, Any], since_previous: timedelta, expected: bool
) -> None:
    assert reentry_allows(trigger(**fields), at(), at() + since_previous) is expected


@pytest.mark.parametrize("reentry", ["once", "every_time", {"once_per": "P7D"}])
def test_first_start_is_always_allowed(reentry: Any) -> None:
    assert reentry_allows(trigger(reentry=reentry), None, at()) is True
