"""``account`` and ``account_trait`` lead conditions, linking by ``group`` calls, and their validation."""

import pytest

from leadwire.core.rules import DefinitionError, LeadEvent, evaluate, merge_states, parse_definitions
from leadwire.core.rules.account_view import AccountView, reads_account

from .builders import LEAD_ID, T0, at, lead, one_segment


def joined(account_id: str, when=T0, **traits) -> LeadEvent:
    return LeadEvent(
        message_id=f"g-{account_id}-{when.isoformat()}",
        type="group",
        timestamp=when,
        traits=traits,
        group_id=account_id,
    )


def view(score: float = 0.0, **traits) -> AccountView:
    return AccountView(account_id="acme", traits=traits, score=lambda _now: score)


@pytest.mark.parametrize(
    ("condition", "account", "expected"),
    [
        ({"account": {"score": {"gte": 100}}}, view(120), True),
        ({"account": {"score": {"gte": 100}}}, view(99.5), False),
        ({"account_trait": {"name": "plan", "eq": "enterprise"}}, view(plan="enterprise"), True),
        ({"account_trait": {"name": "plan", "eq": "enterprise"}}, view(plan="starter"), False),
        ({"account_trait": {"name": "address.country", "eq": "FR"}}, view(address={"country": "FR"}), True),
        ({"account_trait": {"name": "plan", "exists": True}}, None, False),
        ({"account": {"score": {"gte": 0}}}, None, False),
    ],
)
def test_account_nodes_read_the_account_view(condition, account, expected):
    defs = one_segment(condition)
    state = lead([joined("acme")], defs)

    evaluation = evaluate(state, defs, at(hours=1), account)

    assert ("seg" in evaluation.segments) is expected
    assert evaluation.next_flip_at is None


def test_the_newest_group_call_by_event_time_decides_the_account_whatever_the_arrival_order():
    defs = one_segment({"score": {"gte": 0}})
    calls = [joined("acme", at(minutes=5)), joined("globex", at(minutes=1))]

    in_order = lead(calls, defs)
    reversed_order = lead(list(reversed(calls)), defs)

    assert in_order.account == reversed_order.account == "acme"


def test_a_merge_keeps_the_newer_account_of_the_two_leads():
    defs = one_segment({"score": {"gte": 0}})
    known = lead([joined("acme", at(minutes=1))], defs)
    anonymous = lead([joined("globex", at(minutes=9))], defs).model_copy(update={"lead_id": "anon-1"})

    merged = merge_states(known, anonymous, defs)

    assert merged.lead_id == LEAD_ID
    assert merged.account == "globex"


def test_the_account_survives_the_stored_json():
    defs = one_segment({"score": {"gte": 0}})
    state = lead([joined("acme")], defs)

    assert type(state).from_json(state.to_json()).account == "acme"


def test_reads_account_finds_nested_account_nodes():
    nested = one_segment(
        {"all": [{"score": {"gte": 1}}, {"not": {"account_trait": {"name": "plan", "eq": "x"}}}]}
    )
    plain = one_segment({"score": {"gte": 1}})

    assert reads_account([s.condition for s in nested.segments]) is True
    assert reads_account([s.condition for s in plain.segments]) is False


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        ({"accounts": {"score": "median"}}, "accounts.score"),
        ({"accounts": {"scores": "sum"}}, "accounts.scores"),
        (
            {"segments": [{"id": "s", "name": "S", "condition": {"account": {"score": {"gte": "many"}}}}]},
            "segments[0].condition.account.score.gte",
        ),
        (
            {"segments": [{"id": "s", "name": "S", "condition": {"account_trait": {"eq": "x"}}}]},
            "segments[0].condition.account_trait.name",
        ),
    ],
)
def test_bad_account_definitions_are_refused_naming_the_field(raw, path):
    with pytest.raises(DefinitionError) as error:
        parse_definitions(raw)

    assert path in [problem["path"] for problem in error.value.problems]


def test_the_account_score_mode_defaults_to_sum():
    assert parse_definitions({}).accounts.score == "sum"
    assert parse_definitions({"accounts": {"score": "max"}}).accounts.score == "max"
