"""Deterministic A/B bucketing by a stable hash of (trigger id, lead id)."""

from collections import Counter
from functools import cache
from typing import Any

import pytest

from leadwire.core.triggers import Trigger, choose_variant, is_held_out

from .builders import EMAIL, trigger

LEADS = [f"lead-{i}" for i in range(10_000)]


def _ab(
    trigger_id: str = "welcome-ab", holdout: float = 0, weights: dict[str, float] | None = None
) -> Trigger:
    variants = [
        {"name": name, "weight": weight, "actions": [{"type": "email", "template": f"welcome-{name}"}]}
        for name, weight in (weights or {"a": 1, "b": 1}).items()
    ]
    return trigger(trigger_id, actions=None, variants=variants, holdout=holdout)


def _assignments(subject: Trigger) -> dict[str, str | None]:
    return _bucketed(subject.model_dump_json())


@cache
def _bucketed(definition: str) -> dict[str, str | None]:
    """Assignments of all 10,000 leads, once per distinct trigger (they are reused across tests)."""
    subject = Trigger.model_validate_json(definition)
    return {lead: (variant.name if (variant := choose_variant(subject, lead)) else None) for lead in LEADS}


def _shares(subject: Trigger) -> dict[str | None, float]:
    counts = Counter(_assignments(subject).values())
    return {name: count / len(LEADS) for name, count in counts.items()}


def test_assignment_is_pinned_across_processes_and_releases() -> None:
    # Given the hash is SHA-256 over (trigger id, lead id), never Python's salted hash()
    subject = _ab(holdout=10)
    # Then these leads land where they always have: a change here reshuffles live experiments
    assert [_assignments(subject)[f"lead-{i}"] for i in range(8)] == ["a", "a", "a", "b", None, "b", "b", "a"]


def test_the_same_lead_always_gets_the_same_variant() -> None:
    subject = _ab(weights={"a": 1, "b": 1, "c": 1})
    names = {getattr(choose_variant(subject, "lead-42"), "name", None) for _ in range(20)}
    assert names == {getattr(choose_variant(_ab(weights={"a": 1, "b": 1, "c": 1}), "lead-42"), "name", None)}


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({"a": 1, "b": 1}, {"a": 0.5, "b": 0.5}),
        ({"a": 3, "b": 1}, {"a": 0.75, "b": 0.25}),
        ({"a": 1, "b": 1, "c": 2}, {"a": 0.25, "b": 0.25, "c": 0.5}),
        ({"a": 0.1, "b": 0.9}, {"a": 0.1, "b": 0.9}),
        ({"only": 7}, {"only": 1.0}),
    ],
)
def test_variants_share_leads_by_weight(weights: dict[str, float], expected: dict[str, float]) -> None:
    # Given 10,000 leads
    # When each is bucketed
    shares = _shares(_ab(weights=weights))
    # Then each variant's share is within 1.5 points of its weight's share
    assert set(shares) == set(expected)
    assert all(abs(shares[name] - share) < 0.015 for name, share in expected.items())


@pytest.mark.parametrize("holdout", [5, 10, 33.3])
def test_holdout_share_gets_nothing(holdout: float) -> None:
    shares = _shares(_ab(holdout=holdout))
    assert abs(shares[None] - holdout / 100) < 0.01


def test_without_holdout_nobody_is_held_out() -> None:
    assert None not in _shares(_ab(holdout=0))


def test_variants_split_the_leads_outside_the_holdout_by_weight() -> None:
    assignments = _assignments(_ab(holdout=20, weights={"a": 1, "b": 3}))
    treated = [name for name in assignments.values() if name is not None]
    assert abs(treated.count("a") / len(treated) - 0.25) < 0.015


def test_raising_the_holdout_switches_nobody_between_variants() -> None:
    # Given the same experiment with a 10% and then a 20% holdout
    before, after = _assignments(_ab(holdout=10)), _assignments(_ab(holdout=20))
    # Then the 10% stay held out, and everyone still treated keeps their variant
    assert all(after[lead] is None for lead, name in before.items() if name is None)
    assert all(before[lead] == name for lead, name in after.items() if name is not None)


def test_changing_weights_moves_nobody_into_or_out_of_the_holdout() -> None:
    before = _assignments(_ab(holdout=10, weights={"a": 1, "b": 1}))
    after = _assignments(_ab(holdout=10, weights={"a": 1, "b": 4}))
    assert {lead for lead, name in before.items() if name is None} == {
        lead for lead, name in after.items() if name is None
    }


def test_different_triggers_bucket_independently() -> None:
    first, second = _assignments(_ab("welcome-ab")), _assignments(_ab("pricing-ab"))
    agreeing = sum(first[lead] == second[lead] for lead in LEADS) / len(LEADS)
    assert abs(agreeing - 0.5) < 0.02


def test_plain_actions_are_the_default_variant() -> None:
    subject = trigger("welcome", actions=[EMAIL])
    variant = choose_variant(subject, "lead-1")
    assert variant is not None
    assert (variant.name, variant.actions) == ("default", subject.actions)


def test_plain_actions_honour_the_holdout() -> None:
    shares = _shares(trigger("welcome", actions=[EMAIL], holdout=25))
    assert abs(shares[None] - 0.25) < 0.015


@pytest.mark.parametrize(("holdout", "expected"), [(0, False), (99.99, True)])
def test_is_held_out_follows_the_percentage(holdout: Any, expected: bool) -> None:
    assert is_held_out(_ab(holdout=holdout), "lead-1") is expected
