"""The flip guard: a change is held when its flips exceed the share of leads and the floor."""

import pytest

from leadwire.admin.change_guard import ConfirmationRequired, FlipGuard, stored_members
from leadwire.admin.previews import ProposedMembers


def change(before, after, leads=10):
    """The preview's members ``after`` and the stored members ``before`` of segment "s"."""
    return set(before), ProposedMembers(segment_id="s", members=sorted(after), leads=leads)


def guard(found, share=0.2, min_flips=2):
    before, proposed = found
    stored = {"s": before}
    return FlipGuard(
        lambda document: proposed,
        lambda segment_id: stored.get(segment_id, set()),
        share=share,
        min_flips=min_flips,
    )


@pytest.mark.parametrize(
    ("before", "after", "held"),
    [
        (["a", "b"], ["a", "b"], False),  # no flip
        ([], ["a", "b"], False),  # 2 of 10: 20% is not more than 20%
        ([], ["a", "b", "c"], True),  # 3 of 10
        (["a", "b"], ["c"], True),  # 2 exit and 1 enters: 3 flips
    ],
)
def test_held_only_above_the_share(before, after, held):
    check = guard(change(before, after)).check
    if held:
        with pytest.raises(ConfirmationRequired) as raised:
            check({"id": "s"})
        assert raised.value.status == 409
        assert raised.value.details["flips"] == len(set(before) ^ set(after))
    else:
        check({"id": "s"})


def test_a_change_under_the_floor_applies_even_above_the_share():
    guard(change([], ["a"], leads=2), min_flips=2).check({"id": "s"})  # 50% but a single flip


def test_the_details_name_counts_and_samples():
    with pytest.raises(ConfirmationRequired) as raised:
        guard(change(["x"], ["a", "b"], leads=4)).check({"id": "s"})
    assert raised.value.details == {
        "segmentId": "s",
        "leads": 4,
        "flips": 3,
        "share": 0.75,
        "threshold": 0.2,
        "membersBefore": 1,
        "membersAfter": 2,
        "entering": 2,
        "exiting": 1,
        "sample": {"entering": ["a", "b"], "exiting": ["x"]},
    }
    assert "?confirm=true" in str(raised.value)


class _Members:
    """A member index of 2,500 leads, paged as the lead store pages it."""

    def __init__(self, leads):
        self.leads = sorted(leads)
        self.calls = 0

    def members(self, segment_id, limit, after_lead):
        self.calls += 1
        start = 0 if after_lead is None else self.leads.index(after_lead) + 1
        page = self.leads[start : start + limit]
        more = start + limit < len(self.leads)
        return [{"leadId": lead, "enteredAt": "2026-11-01T00:00:00Z"} for lead in page], (
            page[-1] if more else None
        )


def test_stored_members_reads_every_page():
    store = _Members([f"lead-{n:04d}" for n in range(2500)])
    assert stored_members(store, "s") == set(store.leads)
    assert store.calls == 3


def test_the_guard_compares_the_preview_with_the_stored_members_of_that_segment():
    asked = []

    def current(segment_id):
        asked.append(segment_id)
        return {"a", "b"}

    found = FlipGuard(
        lambda document: ProposedMembers("s", ["b", "c"], 10), current, share=0.2, min_flips=1
    ).compare({"id": "s"})
    assert asked == ["s"]
    assert (found.entering, found.exiting) == (["c"], ["a"])


def test_an_account_segment_is_applied_without_the_lead_replay():
    # The same flips would hold a lead segment; an account segment's members follow its leads.
    held = guard(change([], ["a", "b", "c"]))
    with pytest.raises(ConfirmationRequired):
        held.check({"id": "s"})
    held.check({"id": "s", "level": "account"})
