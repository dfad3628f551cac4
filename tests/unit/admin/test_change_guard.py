"""The flip guard: a change is held when its flips exceed the share of leads and the floor."""

import pytest

from leadwire.admin.change_guard import ConfirmationRequired, FlipGuard
from leadwire.admin.previews import MembershipChange


def change(before, after, leads=10):
    return MembershipChange(segment_id="s", before=set(before), after=set(after), leads=leads)


def guard(found, share=0.2, min_flips=2):
    return FlipGuard(lambda document: found, share=share, min_flips=min_flips)


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
