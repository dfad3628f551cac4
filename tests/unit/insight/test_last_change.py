"""Explain's lastChange comes from history; an alias's interval closed by its merge is no move."""

from datetime import UTC, datetime

from leadwire.admin.insight import SegmentInsight
from leadwire.core.leads import LeadRecord
from leadwire.core.rules import LeadState, parse_definitions

NOW = datetime(2026, 9, 20, tzinfo=UTC)
DEFINITIONS = parse_definitions(
    {"segments": [{"id": "hot", "name": "Hot", "condition": {"score": {"gte": 0}}}]}
)


def interval(entered, exited=None, cause_in="m1", cause_out=None):
    return {
        "segmentId": "hot",
        "enteredAt": entered,
        "exitedAt": exited,
        "cause": {"entered": cause_in, "exited": cause_out},
    }


class Leads:
    def __init__(self):
        state = LeadState.new("known").with_memberships({"hot": NOW})
        self.records = {"known": LeadRecord(lead_id="known", state=state, version=1, aliases=["anon"])}
        self.histories = {
            "known": [interval("2026-09-02T10:00:00.000Z", cause_in="identify-1")],
            "anon": [interval("2026-09-01T10:00:00.000Z", "2026-09-02T10:00:00.000Z", "m0", "merge:known")],
        }

    def load(self, lead_id):
        return self.records.get(lead_id)

    def history(self, lead_id):
        return self.histories.get(lead_id, [])

    def members(self, segment_id, limit, after_lead):
        return [], None


def test_the_last_change_skips_an_alias_closed_by_its_merge():
    insight = SegmentInsight(None, Leads(), None, None, lambda: DEFINITIONS, lambda: NOW)
    view = insight.explain("hot", "known")
    assert view.member is True
    assert view.last_change.model_dump() == {
        "kind": "entered",
        "at": "2026-09-02T10:00:00.000Z",
        "cause": "identify-1",
    }
