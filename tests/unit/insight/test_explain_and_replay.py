"""Explain and replay agree with the engine: same evaluator, same decisions."""

from datetime import UTC, datetime, timedelta

import pytest

from leadwire.core.insight.replay import group, replay
from leadwire.core.rules import apply_events, evaluate
from leadwire.core.rules.explain import explain
from leadwire.core.rules.lead_state import LeadState
from leadwire.core.tracking import StoredEvent
from leadwire.segmentation.engine import SegmentationEngine
from tests.unit.rules.builders import definitions, identify, segment, track
from tests.unit.segmentation.conftest import MemoryLeads

T0 = datetime(2026, 9, 1, tzinfo=UTC)
DEFS = definitions(
    segment({"score": {"gte": 10}}, "hot", exit_when={"score": {"lt": 5}}),
    segment({"performed": {"event": "visit", "within": "P2D", "count": {"gte": 2}}}, "active"),
    segment({"all": [{"in_segment": "hot"}, {"trait": {"name": "plan", "eq": "pro"}}]}, "hot-pro"),
    scoring={"rules": [{"event": "visit", "points": 6}], "decay": {"half_life": "P1D"}},
)


def state_after(events, now):
    state = apply_events(LeadState.new("a"), events, DEFS)
    return state.with_memberships(evaluate(state, DEFS, now).memberships)


def test_explain_shows_observed_values_node_by_node():
    now = T0 + timedelta(hours=1)
    state = state_after(
        [track("visit", T0, "m1"), track("visit", T0, "m2"), identify(T0, "m3", plan="pro")], now
    )
    result = explain(state, DEFS, "hot-pro", now)
    assert (result.member, result.holds) == (True, True)
    in_hot, plan = result.tree["children"]
    assert (in_hot["node"], in_hot["holds"], in_hot["value"], in_hot["expected"]) == (
        "in_segment",
        True,
        True,
        "hot",
    )
    assert plan["value"] == "pro"
    assert plan["expected"] == {"eq": "pro", "name": "plan"}


@pytest.mark.parametrize("hours", [1, 20, 30, 60])
def test_explain_agrees_with_evaluate_at_every_instant(hours):
    now = T0 + timedelta(hours=hours)
    state = state_after([track("visit", T0, "m1"), track("visit", T0, "m2")], T0)
    expected = evaluate(state, DEFS, now).memberships
    for segment_id in ("hot", "active", "hot-pro"):
        assert explain(state, DEFS, segment_id, now).member == (segment_id in expected)


def test_explain_of_a_member_with_exit_when_shows_both_trees():
    now = T0 + timedelta(hours=20)  # 12 points decayed to about 6: under 10 but not under 5
    state = state_after([track("visit", T0, "m1"), track("visit", T0, "m2")], T0)
    result = explain(state, DEFS, "hot", now)
    assert (result.member, result.holds) == (True, False)
    assert result.exit_when is not None
    assert result.exit_when["holds"] is False
    assert result.tree["value"] == pytest.approx(12 * 0.5 ** (20 / 24), abs=0.01)


def stored(lead, name, at, message_id):
    return StoredEvent(
        message_id=message_id,
        type="track",
        lead_id=lead,
        event=name,
        timestamp=at,
        received_at=at,
        source="t",
    )


class _History:
    def __init__(self, events):
        self._events = events

    def lead_events(self, lead_id):
        return [e for e in self._events if e.lead_id == lead_id]


def test_replay_makes_the_same_changes_as_the_engine():
    events = [
        stored("a", "visit", T0, "1"),
        stored("a", "visit", T0 + timedelta(hours=3), "2"),
        stored("b", "visit", T0 + timedelta(hours=1), "3"),
        stored("a", "visit", T0 + timedelta(days=3), "4"),
        stored("b", "visit", T0 + timedelta(days=1), "5"),
    ]
    now = T0 + timedelta(days=6)
    leads = MemoryLeads()
    engine = SegmentationEngine(leads, _History(events), DEFS, lambda: now)
    for lead in ("a", "b"):
        engine.process(lead, [e for e in events if e.lead_id == lead])
    engine_changes = sorted(
        (lead, t.change.segment_id, t.change.kind, t.change.at) for lead, saved in leads.saves for t in saved
    )
    result = replay(group(events), DEFS, now)
    replay_changes = sorted(
        (lead, t.change.segment_id, t.change.kind, t.change.at) for lead, t in result.transitions
    )
    assert replay_changes == engine_changes
    assert len(replay_changes) >= 4
