"""Account segments: evaluation from the account's facts, hysteresis, transitions, and the
level checks that keep lead nodes out of account segments (errors name the field)."""

from datetime import UTC, datetime

import pytest

from leadwire.core.account_segments import (
    AccountFacts,
    account_memberships,
    account_transitions,
    counted_segments,
)
from leadwire.core.accounts import Contribution, count_deltas
from leadwire.core.rules import DefinitionError, parse_definitions
from leadwire.core.rules.clock import epoch_seconds

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
HOT = {"id": "hot", "name": "Hot", "condition": {"score": {"gte": 50}}}
TRIAL = {"id": "trial", "name": "Trial", "condition": {"performed": {"event": "trial_signup"}}}


def account_segment(segment_id, condition, **extra):
    return {"id": segment_id, "name": segment_id, "level": "account", "condition": condition, **extra}


DEFS = parse_definitions(
    {
        "segments": [
            HOT,
            TRIAL,
            account_segment(
                "three-hot",
                {"leads": {"in_segment": "hot", "count": {"gte": 3}}},
                exit_when={"leads": {"in_segment": "hot", "count": {"lt": 2}}},
            ),
            account_segment(
                "enterprise-trial",
                {
                    "all": [
                        {"trait": {"name": "plan", "eq": "enterprise"}},
                        {"leads": {"in_segment": "trial"}},
                    ]
                },
            ),
            account_segment("big", {"score": {"gte": 200}}),
            {"id": "vip", "name": "VIP", "level": "account", "type": "static", "members": ["acme"]},
        ]
    }
)


def facts(score=0.0, counts=None, members=None, **traits):
    return AccountFacts("acme", score, traits, counts or {}, members or {})


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        (facts(counts={"hot": 3}), {"three-hot", "vip"}),
        (facts(counts={"hot": 2}), {"vip"}),
        (facts(counts={"trial": 1}, plan="enterprise"), {"enterprise-trial", "vip"}),
        (facts(counts={"trial": 1}, plan="starter"), {"vip"}),
        (facts(counts={"trial": 0}, plan="enterprise"), {"vip"}),
        (facts(score=250), {"big", "vip"}),
    ],
)
def test_account_segments_read_the_accounts_counts_traits_and_score(account, expected):
    assert set(account_memberships(account, DEFS, NOW)) == expected


def test_exit_when_keeps_a_member_until_it_holds():
    entered = epoch_seconds(NOW) - 3600
    member = facts(counts={"hot": 2}, members={"three-hot": entered})

    assert account_memberships(member, DEFS, NOW)["three-hot"] == entered
    assert "three-hot" not in account_memberships(
        facts(counts={"hot": 1}, members={"three-hot": entered}), DEFS, NOW
    )


def test_lead_segments_are_not_evaluated_for_accounts_nor_account_segments_for_leads():
    assert [s.id for s in DEFS.segment_order] == ["hot", "trial"]
    assert [s.id for s in DEFS.account_segments] == ["three-hot", "enterprise-trial", "big", "vip"]
    assert counted_segments(DEFS) == {"hot", "trial"}


def test_transitions_are_exits_then_entries_with_the_interval_start():
    entered = epoch_seconds(NOW) - 60
    changes = account_transitions(
        {"big": entered}, {"three-hot": epoch_seconds(NOW)}, NOW, "u3", {"big": "v1"}
    )

    assert [(t.change.segment_id, t.change.kind) for t in changes] == [
        ("big", "exited"),
        ("three-hot", "entered"),
    ]
    assert changes[0].entered_at.timestamp() == entered
    assert (changes[0].cause, changes[0].definition_version, changes[1].definition_version) == (
        "u3",
        "v1",
        "removed",
    )


def test_a_lead_counts_once_per_flip_of_a_counted_segment():
    before = Contribution(points=10, at=0, segments=frozenset({"hot"}))
    after = Contribution(points=12, at=0, segments=frozenset({"trial"}))

    assert count_deltas(before, after) == {"trial": 1, "hot": -1}
    assert count_deltas(after, after) == {}
    assert count_deltas(after, None) == {"trial": -1}


@pytest.mark.parametrize(
    ("segments", "path"),
    [
        ([account_segment("a", {"performed": {"event": "x"}})], "segments[0].condition.performed"),
        ([account_segment("a", {"any": [{"in_segment": "a"}]})], "segments[0].condition.any[0].in_segment"),
        (
            [HOT, {**HOT, "id": "l", "condition": {"leads": {"in_segment": "hot"}}}],
            "segments[1].condition.leads",
        ),
        ([account_segment("a", {"leads": {"in_segment": "nope"}})], "segments[0].condition.leads"),
        (
            [
                account_segment("a", {"score": {"gte": 1}}),
                account_segment("b", {"leads": {"in_segment": "a"}}),
            ],
            "segments[1].condition.leads",
        ),
        (
            [account_segment("a", {"score": {"gte": 1}}), {**HOT, "condition": {"in_segment": "a"}}],
            "segments[1].condition.in_segment",
        ),
        (
            [account_segment("a", {"leads": {"in_segment": "hot", "count": {"gte": "x"}}})],
            "segments[0].condition.leads.count.gte",
        ),
        ([{**HOT, "level": "team"}], "segments[0].level"),
    ],
)
def test_level_mistakes_are_refused_naming_the_field(segments, path):
    with pytest.raises(DefinitionError) as error:
        parse_definitions({"segments": segments})

    assert path in [problem["path"] for problem in error.value.problems]


def test_explaining_an_account_segment_for_a_lead_is_a_400_naming_the_segment():
    from leadwire.core.errors import InvalidRequest
    from leadwire.core.rules import LeadState
    from leadwire.core.rules.explain import explain

    with pytest.raises(InvalidRequest) as error:
        explain(LeadState.new("u1"), DEFS, "three-hot", NOW)

    assert error.value.details == {"field": "segmentId"}
