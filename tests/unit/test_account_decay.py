"""Account scores in time: the curves ``sum``, ``avg`` and ``max`` evaluate to, the instant decay
takes an account across a threshold (computed here by hand), and the settle that records each
time-based flip at its own instant however late the sweep runs."""

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.account_segments import AccountFacts, Curve, account_evaluation
from leadwire.core.accounts import AccountTotals, Contribution, account_score, score_curves
from leadwire.core.rules import parse_definitions
from leadwire.core.rules.clock import epoch_seconds
from leadwire.dal.account_store import AccountRecord
from leadwire.segmentation.accounts import Accounts

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAY = 86_400
HALF_LIFE_DAYS = 10


def definitions(mode="sum", threshold=40):
    return parse_definitions(
        {
            "segments": [
                {"id": "warm", "name": "Warm", "level": "account", "condition": {"score": {"gte": threshold}}}
            ],
            "scoring": {"decay": {"half_life": f"P{HALF_LIFE_DAYS}D"}},
            "accounts": {"score": mode},
        }
    )


def by_hand(points, threshold, level=0.0):
    """The first whole second at which ``points * 2^(-t / half_life) + level`` is below ``threshold``."""
    seconds = HALF_LIFE_DAYS * DAY * math.log2(points / (threshold - level))
    return NOW + timedelta(seconds=math.floor(seconds) + 1)


PARTS = [
    Contribution(points=60, at=epoch_seconds(NOW), level=0),
    Contribution(points=20, at=epoch_seconds(NOW), level=5),
]
TOTALS = AccountTotals(ref=epoch_seconds(NOW), weighted=80, level=5, leads=2)


@pytest.mark.parametrize("mode", ["sum", "avg", "max"])
@pytest.mark.parametrize("days", [0, 3, 17])
def test_the_curves_give_the_account_score_at_any_instant(mode, days):
    defs = definitions(mode)
    at = NOW + timedelta(days=days)
    facts = AccountFacts("acme", score_curves(TOTALS, defs, lambda: PARTS))

    assert facts.score_at(defs.scoring, at) == pytest.approx(account_score(TOTALS, defs, lambda: PARTS, at))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("sum", by_hand(80, 40, level=5)),  # 80 * 2^-t + 5 < 40
        ("avg", by_hand(40, 20, level=2.5)),  # (80 * 2^-t + 5) / 2 < 20
        ("max", by_hand(60, 40)),  # the 60-point lead is the last above 40
    ],
)
def test_the_account_leaves_a_score_segment_at_the_decay_crossing(mode, expected):
    threshold = 20 if mode == "avg" else 40
    defs = definitions(mode, threshold)
    facts = AccountFacts("acme", score_curves(TOTALS, defs, lambda: PARTS), members={"warm": 0})

    evaluation = account_evaluation(facts, defs, NOW)

    assert "warm" in evaluation.memberships
    assert evaluation.next_flip_at == expected
    later = account_evaluation(facts, defs, expected)
    assert "warm" not in later.memberships
    assert account_evaluation(facts, defs, expected - timedelta(seconds=1)).memberships


def test_a_constant_score_has_no_crossing():
    facts = AccountFacts("acme", (Curve(level=50.0),))

    evaluation = account_evaluation(facts, definitions(), NOW)

    assert "warm" in evaluation.memberships
    assert evaluation.next_flip_at is None


class FakeStore:
    """The account store's port in memory: one record, saves checked against its version."""

    def __init__(self, record):
        self.record = record
        self.saves = []

    def get(self, account_id):
        return self.record

    def parts(self, account_id):
        return iter(PARTS)

    def save_memberships(self, record, members, transitions, due_at=None):
        assert record.members_version == self.record.members_version
        self.record = replace(
            record, members=members, members_version=record.members_version + 1, due_at=due_at
        )
        self.saves.append(transitions)
        return True


def test_settling_schedules_the_crossing_and_a_late_sweep_records_the_exit_at_it():
    defs = definitions()
    store = FakeStore(AccountRecord("acme", totals=TOTALS))
    accounts = Accounts(store)
    crossing = by_hand(80, 40, level=5)

    [entered] = accounts.settle("acme", defs, NOW, "u1", {"warm": "v1"})

    assert entered.change.kind == "entered"
    assert store.record.due_at == crossing
    # The sweep runs two hours late: the exit is still recorded at the crossing, caused by time.
    [exited] = accounts.advance("acme", defs, crossing + timedelta(hours=2), {"warm": "v1"})
    assert (exited.change.kind, exited.change.at, exited.cause) == ("exited", crossing, "time")
    assert store.record.members == {}
    assert store.record.due_at is None  # nothing left for decay to change


def settled_at_now():
    """An account settled once at NOW (it entered 'warm'), its store, and how many saves that took."""
    store = FakeStore(AccountRecord("acme", totals=TOTALS))
    accounts = Accounts(store)
    accounts.settle("acme", definitions(), NOW, "u1", {})
    return accounts, store, len(store.saves)


def test_a_sweep_before_the_due_instant_changes_nothing():
    accounts, store, saves = settled_at_now()

    assert accounts.advance("acme", definitions(), NOW + timedelta(days=1), {}) == []
    assert len(store.saves) == saves


def test_an_unchanged_settle_writes_nothing_while_the_due_instant_stands():
    accounts, store, saves = settled_at_now()

    # More points make the crossing later; the stored (earlier) due instant is kept: no write.
    store.record = replace(store.record, totals=TOTALS.model_copy(update={"weighted": 120.0}))
    assert accounts.settle("acme", definitions(), NOW + timedelta(hours=1), "u2", {}) == []
    assert len(store.saves) == saves


def test_explain_shows_the_decayed_score_and_when_decay_changes_it():
    from leadwire.core.rules.explain import explain_account

    defs = definitions()
    facts = AccountFacts("acme", score_curves(TOTALS, defs, lambda: PARTS), members={"warm": 0})

    result = explain_account(facts, defs, "warm", NOW + timedelta(days=HALF_LIFE_DAYS))

    assert (result.member, result.holds) == (True, True)
    assert result.tree["node"] == "score"
    assert result.tree["value"] == pytest.approx(45.0)  # 80 / 2 + 5, one half-life on
    assert result.tree["expected"] == {"gte": 40}
    assert result.tree["changesAt"] == by_hand(80, 40, level=5).isoformat().replace("+00:00", "Z")


def test_explaining_a_lead_segment_for_an_account_is_a_400_naming_the_segment():
    from leadwire.core.errors import InvalidRequest
    from leadwire.core.rules.explain import explain_account

    defs = parse_definitions(
        {"segments": [{"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}}]}
    )

    with pytest.raises(InvalidRequest) as error:
        explain_account(AccountFacts("acme", 10.0), defs, "hot", NOW)

    assert error.value.details == {"field": "segmentId"}
