"""Which triggers an event or a membership change starts, and which waits an event ends."""

from typing import Any

import pytest

from leadwire.core.triggers import (
    Awaiting,
    anniversary_triggers,
    awaiting,
    triggers_for_change,
    triggers_for_event,
)

from .builders import cart_abandonment, trigger

BIG_CARTS = trigger("big-carts", on={"event": "cart_added", "where": {"cart.total": {"gte": 100}}})
ANY_CART = trigger("any-cart", on={"event": "cart_added"})
PRO_SIGNUPS = trigger(
    "pro", on={"event": "signed_up", "where": {"plan": {"in": ["pro", "team"]}, "trial": {"ne": True}}}
)
ENTER_HOT = trigger("enter-hot", on={"enter": "hot-leads"})
EXIT_HOT = trigger("exit-hot", on={"exit": "hot-leads"})
ENTER_VIPS = trigger("enter-vips", on={"enter": "vips"})
BIRTHDAY = trigger("birthday", on={"anniversary": {"trait": "birthday"}})
ALL = [BIG_CARTS, ANY_CART, PRO_SIGNUPS, ENTER_HOT, EXIT_HOT, ENTER_VIPS, BIRTHDAY]


def _ids(found: list[Any]) -> list[str]:
    return [item.id for item in found]


@pytest.mark.parametrize(
    ("name", "properties", "expected"),
    [
        ("cart_added", {"cart": {"total": 150}}, ["big-carts", "any-cart"]),
        ("cart_added", {"cart": {"total": "100"}}, ["big-carts", "any-cart"]),
        ("cart_added", {"cart": {"total": 99.5}}, ["any-cart"]),
        ("cart_added", {"cart.total": 120}, ["big-carts", "any-cart"]),
        ("cart_added", {}, ["any-cart"]),
        ("signed_up", {"plan": "pro"}, ["pro"]),
        ("signed_up", {"plan": "team", "trial": False}, ["pro"]),
        ("signed_up", {"plan": "pro", "trial": True}, []),
        ("signed_up", {"plan": "free"}, []),
        ("Signed_Up", {"plan": "pro"}, []),
        ("purchase", {"cart": {"total": 500}}, []),
    ],
)
def test_event_starts_triggers_whose_on_and_where_hold(
    name: str, properties: dict[str, Any], expected: list[str]
) -> None:
    assert _ids(triggers_for_event(ALL, name, properties)) == expected


@pytest.mark.parametrize(
    ("segment_id", "kind", "expected"),
    [
        ("hot-leads", "enter", ["enter-hot"]),
        ("hot-leads", "exit", ["exit-hot"]),
        ("vips", "enter", ["enter-vips"]),
        ("vips", "exit", []),
        ("trial-users", "enter", []),
    ],
)
def test_membership_change_starts_enter_or_exit_triggers_of_that_segment(
    segment_id: str, kind: Any, expected: list[str]
) -> None:
    assert _ids(triggers_for_change(ALL, segment_id, kind)) == expected


def test_anniversary_triggers_are_listed_for_scheduling() -> None:
    assert _ids(anniversary_triggers(ALL)) == ["birthday"]


def test_awaited_event_ends_the_wait_with_its_match_values() -> None:
    # Given the cart-abandonment trigger waiting for a purchase of the same cart
    cart = cart_abandonment()
    # When a purchase of cart c-1 arrives
    found = awaiting([cart, ANY_CART], "purchase", {"cart_id": "c-1", "total": 20})
    # Then it satisfies that trigger's wait, for cart c-1
    assert found == [Awaiting(cart, ("c-1",))]


@pytest.mark.parametrize(
    ("name", "properties"),
    [("cart_added", {"cart_id": "c-1"}), ("purchased", {"cart_id": "c-1"}), ("page_viewed", {})],
)
def test_other_events_end_no_wait(name: str, properties: dict[str, Any]) -> None:
    assert awaiting([cart_abandonment()], name, properties) == []


@pytest.mark.parametrize(("status", "expected"), [("paid", 1), ("failed", 0)])
def test_awaited_event_must_pass_its_where(status: str, expected: int) -> None:
    cart = cart_abandonment(
        wait={
            "until": {"event": "purchase", "match": ["cart_id"], "where": {"status": {"eq": "paid"}}},
            "timeout": "PT1H",
        }
    )
    assert len(awaiting([cart], "purchase", {"cart_id": "c-1", "status": status})) == expected


def test_awaited_event_without_the_match_property_carries_an_empty_value() -> None:
    found = awaiting([cart_abandonment()], "purchase", {"total": 20})
    assert [item.match_values for item in found] == [("",)]


def test_triggers_without_a_wait_are_never_awaiting() -> None:
    assert awaiting([trigger(on={"event": "purchase"}, delay="PT1H")], "purchase", {}) == []
