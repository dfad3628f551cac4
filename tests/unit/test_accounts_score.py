"""The account score from its leads' parts: sum by ADD-able deltas, avg, max, decay, rebasing."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.accounts import (
    AccountTotals,
    Contribution,
    account_score,
    delta,
    needs_rebase,
    rebased,
    unchanged,
)
from leadwire.core.rules import parse_definitions
from leadwire.core.rules.clock import epoch_seconds

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DAY = 86400
DECAYING = parse_definitions({"scoring": {"decay": {"half_life": "P1D"}}})


def defs(mode: str, decay: bool = True):
    scoring = {"decay": {"half_life": "P1D"}} if decay else {}
    return parse_definitions({"scoring": scoring, "accounts": {"score": mode}})


def part(points: float, days: float = 0, level: float = 0.0) -> Contribution:
    return Contribution(points=points, at=epoch_seconds(T0) + int(days * DAY), level=level)


def totals_of(parts, ref: int, definitions) -> AccountTotals:
    totals = AccountTotals(ref=ref)
    for p in parts:
        weighted, level, leads = delta(None, p, ref, definitions.scoring)
        totals = totals.model_copy(
            update={
                "weighted": totals.weighted + weighted,
                "level": totals.level + level,
                "leads": totals.leads + leads,
            }
        )
    return totals


PARTS = [part(40, days=0), part(80, days=1, level=5), part(10, days=2)]


@pytest.mark.parametrize("mode", ["sum", "avg", "max"])
def test_the_account_score_is_the_mode_of_its_leads_decayed_scores(mode):
    definitions = defs(mode)
    now = T0 + timedelta(days=3)
    totals = totals_of(PARTS, epoch_seconds(T0), definitions)
    each = [p.score(definitions.scoring, now) for p in PARTS]

    expected = {"sum": sum(each), "avg": sum(each) / 3, "max": max(each)}[mode]

    assert account_score(totals, definitions, lambda: PARTS, now) == pytest.approx(expected)
    assert each == pytest.approx([5.0, 25.0, 5.0])  # 40 and 80 three and two half-lives on; 10 one


def test_the_sum_does_not_depend_on_the_reference_instant():
    now = T0 + timedelta(days=3)
    early = totals_of(PARTS, epoch_seconds(T0) - 5 * DAY, DECAYING)
    late = totals_of(PARTS, epoch_seconds(T0) + 9 * DAY, DECAYING)

    assert early.score("sum", DECAYING.scoring, now) == pytest.approx(
        late.score("sum", DECAYING.scoring, now)
    )


def test_a_lead_update_adds_only_its_difference():
    ref = epoch_seconds(T0)
    before = totals_of(PARTS, ref, DECAYING)
    changed = part(100, days=2)
    weighted, level, leads = delta(PARTS[2], changed, ref, DECAYING.scoring)
    after = before.model_copy(update={"weighted": before.weighted + weighted, "level": before.level + level})

    expected = totals_of([PARTS[0], PARTS[1], changed], ref, DECAYING)

    assert leads == 0
    assert after.weighted == pytest.approx(expected.weighted)


def test_leaving_the_account_subtracts_the_lead_and_its_count():
    assert delta(part(40, days=1), None, epoch_seconds(T0), DECAYING.scoring) == (-80.0, 0.0, -1)


def test_decay_alone_is_no_change_and_new_points_are():
    ref = epoch_seconds(T0)
    later_same_score = part(20, days=1)  # 40 at T0, decayed one half-life, no new points

    assert unchanged(part(40), later_same_score, ref, DECAYING.scoring)
    assert not unchanged(part(40), part(21, days=1), ref, DECAYING.scoring)
    assert not unchanged(part(40), part(40, level=5), ref, DECAYING.scoring)
    assert not unchanged(None, part(0), ref, DECAYING.scoring)


def test_without_decay_the_score_is_the_plain_sum():
    definitions = defs("sum", decay=False)
    totals = totals_of(PARTS, 0, definitions)

    assert totals.score("sum", definitions.scoring, T0 + timedelta(days=300)) == pytest.approx(135.0)


def test_rebasing_keeps_the_score_and_is_needed_only_far_from_the_reference():
    ref = epoch_seconds(T0)
    totals = totals_of(PARTS, ref, DECAYING)
    now = T0 + timedelta(days=3)
    moved = rebased(totals, ref + 250 * DAY, DECAYING.scoring)

    assert moved.score("sum", DECAYING.scoring, now) == pytest.approx(
        totals.score("sum", DECAYING.scoring, now)
    )
    assert needs_rebase(ref, part(1, days=250), DECAYING.scoring)
    assert not needs_rebase(ref, part(1, days=100), DECAYING.scoring)
    assert not needs_rebase(ref, part(1, days=10_000), defs("sum", decay=False).scoring)
