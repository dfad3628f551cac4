"""The demo story's visits line, read from the explain trace of Returning Visitors."""

from leadwire.local.demo.report import returning_line


def calls(member, visits, history=()):
    def call(method, path):
        assert method == "GET"
        if path == "/segments/returning-visitors/explain/u1":
            return {"member": member, "tree": {"node": "visits", "value": visits}}
        assert path == "/leads/u1/history"
        return {"history": list(history)}

    return call


def test_a_returning_lead_says_how_many_visits_and_since_when():
    history = [
        {"segmentId": "hot-leads", "enteredAt": "2026-09-01T10:00:00.000Z"},
        {"segmentId": "returning-visitors", "enteredAt": "2026-09-03T08:15:02.000Z"},
    ]
    line = returning_line(calls(True, 5, history), "u1")
    assert line == "visits: 5 (runs of activity with gaps under 30 minutes), returning since 2026-09-03T08:15"


def test_a_single_visit_lead_is_not_yet_returning():
    assert returning_line(calls(False, 1), "u1").startswith("visits: 1 so far")
