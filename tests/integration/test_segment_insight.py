"""Segment insight on the local runtime, on a simulated clock, against numbers worked out by hand.

The fixture (no decay, so scores are sums): ``visit`` is 5 points, ``demo_requested`` 10.
09-01 10:00  a, b, c visit (active: a, b, c; score 5 each); d identifies with plan=pro (vip)
09-02 10:00  a visits again (score 10: big), c requests a demo (score 15: big)
then time alone: b and c leave ``active`` at 09-03 10:00, a at 09-04 10:00. The clock ends at
09-05 00:00. Known leads: 4.
"""

import json
from datetime import UTC, datetime

import pytest

from leadwire.dal.metering import PROCESS_METER
from leadwire.local.runtime import LocalRuntime
from tests.integration.local_api import WRITE_KEY, LocalApi, track

START = datetime(2026, 9, 1, tzinfo=UTC)
CONFIG = {
    "scoring": {
        "rules": [{"event": "visit", "points": 5}, {"event": "demo_requested", "points": 10}],
    },
    "segments": [
        {"id": "active", "name": "Active", "condition": {"performed": {"event": "visit", "within": "P2D"}}},
        {"id": "big", "name": "Big", "condition": {"score": {"gte": 10}}},
        {"id": "vip", "name": "VIP", "condition": {"trait": {"name": "plan", "eq": "pro"}}},
        {"id": "everyone", "name": "Everyone", "condition": {"first_seen": {"within": "P365D"}}},
    ],
}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "insight.json").write_text(json.dumps(CONFIG))
    runtime = LocalRuntime({WRITE_KEY: "website"}, config_dir=config, clock_start=START)
    api = LocalApi(runtime)
    PROCESS_METER.__init__()
    api.post("/_local/clock", {"to": "2026-09-01T10:00:00Z"})
    api.send(
        track("a", "visit", timestamp="2026-09-01T10:00:00Z"),
        track("b", "visit", timestamp="2026-09-01T10:00:00Z"),
        track("c", "visit", timestamp="2026-09-01T10:00:00Z"),
        {"type": "identify", "userId": "d", "traits": {"plan": "pro"}, "timestamp": "2026-09-01T10:00:00Z"},
    )
    api.drain()
    api.post("/_local/clock", {"to": "2026-09-02T10:00:00Z"})
    api.send(
        track("a", "visit", timestamp="2026-09-02T10:00:00Z"),
        track("c", "demo_requested", timestamp="2026-09-02T10:00:00Z"),
    )
    api.drain()
    status, body = api.post("/_local/clock", {"to": "2026-09-05T00:00:00Z"})
    assert status == 200, body
    api.stats_writes = PROCESS_METER.writes_by_kind.get("segment_stats", 0)
    yield api
    runtime.close()


def test_segment_list_carries_size_share_and_warning(api):
    status, body = api.get("/segments")
    assert status == 200, body
    sizes = {s["id"]: (s["memberCount"], s["shareOfLeads"], s["sizeWarning"]) for s in body["segments"]}
    assert sizes == {
        "active": (0, 0.0, "too_small"),
        "big": (2, 0.5, None),
        "vip": (1, 0.25, None),
        "everyone": (4, 1.0, "too_large"),
    }


def test_insight_costs_a_log_pack_per_segment_and_a_counter_update_per_batch(api):
    # 13 flips (active: 3 in, 3 out; big: 2 in; vip: 1 in; everyone: 4 in). Per batch, each segment
    # it moved gets one flip-log pack (under 1 KB: 1 unit), and all the counters it moved (known
    # leads too) one ADD of its shard's counter item (under 1 KB: 1 unit). The 09-01 batch moves
    # active, vip and everyone (3 packs) and adds 4 leads (1 update); the 09-02 batch moves big
    # (1 + 1); the sweep at 09-03 10:00 takes b and c out of active together (1 + 1), the one at
    # 09-04 10:00 takes a out (1 + 1).
    assert api.stats_writes == (3 + 1) + (1 + 1) + (1 + 1) + (1 + 1)


def test_analytics_series_is_the_state_at_the_end_of_each_day(api):
    status, body = api.get(
        "/segments/active/analytics", "from=2026-09-01T00:00:00Z&to=2026-09-05T00:00:00Z&interval=P1D"
    )
    assert status == 200, body
    assert body["memberCount"] == 0
    assert body["averageScore"] is None
    assert [
        (p["at"], p["members"], p["entered"], p["exited"], p["averageScore"]) for p in body["series"]
    ] == [
        ("2026-09-02T00:00:00.000Z", 3, 3, 0, 5.0),
        ("2026-09-03T00:00:00.000Z", 3, 0, 0, 10.0),
        ("2026-09-04T00:00:00.000Z", 1, 0, 2, 10.0),
        ("2026-09-05T00:00:00.000Z", 0, 0, 1, None),
    ]


def test_analytics_top_events_and_conversion(api):
    status, body = api.get(
        "/segments/big/analytics",
        "from=2026-09-01T00:00:00Z&conversion_event=demo_requested&conversion_within=P1D",
    )
    assert status == 200, body
    assert body["segmentId"] == "big"
    assert body["at"] == "2026-09-05T00:00:00.000Z"
    assert (body["memberCount"], body["shareOfLeads"], body["averageScore"]) == (2, 0.5, 12.5)
    assert body["topEvents"] == [
        {"event": "visit", "count": 3, "leads": 2},
        {"event": "demo_requested", "count": 1, "leads": 1},
    ]
    assert body["conversion"] == {
        "event": "demo_requested",
        "within": "P1D",
        "entered": 2,
        "converted": 1,
        "rate": 0.5,
    }


def test_analytics_refuses_a_bad_interval_naming_the_field(api):
    status, body = api.get("/segments/big/analytics", "interval=soon")
    assert status == 400
    assert body["error"]["details"]["field"] == "interval"


def test_members_as_of_a_past_instant_come_from_history(api):
    status, body = api.get("/segments/active/members", "asOf=2026-09-02T12:00:00Z")
    assert status == 200, body
    assert body["members"] == [
        {"leadId": "a", "enteredAt": "2026-09-01T10:00:00.000Z"},
        {"leadId": "b", "enteredAt": "2026-09-01T10:00:00.000Z"},
        {"leadId": "c", "enteredAt": "2026-09-01T10:00:00.000Z"},
    ]
    status, body = api.get("/segments/active/members", "asOf=2026-09-03T12:00:00Z")
    assert [m["leadId"] for m in body["members"]] == ["a"]


def test_explain_shows_the_observed_value_and_the_last_change(api):
    status, body = api.get("/segments/big/explain/a")
    assert status == 200, body
    assert (body["segmentId"], body["leadId"], body["member"], body["holds"]) == ("big", "a", True, True)
    assert body["tree"] == {"node": "score", "holds": True, "value": 10.0, "expected": {"gte": 10.0}}
    assert body["lastChange"]["kind"] == "entered"
    assert body["lastChange"]["at"] == "2026-09-02T10:00:00.000Z"

    status, body = api.get("/segments/active/explain/b")
    assert (body["member"], body["holds"]) == (False, False)
    assert body["tree"]["node"] == "performed"
    assert body["tree"]["value"] == 0
    assert body["tree"]["expected"]["within"] == "P2D"
    assert body["lastChange"] == {"kind": "exited", "at": "2026-09-03T10:00:00.000Z", "cause": "time"}


def test_explain_unknown_lead_is_404(api):
    status, body = api.get("/segments/big/explain/nobody")
    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_segment_preview_replays_stored_events_without_writing(api):
    definition = {
        "id": "repeat",
        "name": "Repeat",
        "condition": {"performed": {"event": "visit", "count": {"gte": 2}}},
    }
    status, body = api.post("/segments/preview", {"segment": definition, "since": "P7D"})
    assert status == 200, body
    assert (body["memberCount"], body["sample"]) == (1, ["a"])
    assert body["events"] == 6
    assert body["leads"] == 4
    series = {p["at"][:10]: (p["entered"], p["exited"]) for p in body["series"]}
    assert len(series) == 8
    assert series["2026-09-02"] == (1, 0)
    assert sum(e for e, _ in series.values()) == 1
    status, body = api.get("/segments/repeat")
    assert status == 404  # nothing was written


def test_trigger_preview_counts_fires_and_sends(api):
    trigger = {"on": {"enter": "big"}, "actions": [{"type": "eventbridge"}]}
    status, body = api.post("/triggers/preview", {"trigger": trigger, "since": "P7D"})
    assert status == 200, body
    assert body["fires"] == 2
    assert body["sends"] == {"eventbridge": 2}
    assert {p["at"][:10]: p["fires"] for p in body["series"] if p["fires"]} == {"2026-09-02": 2}


def test_preview_refuses_an_invalid_definition_with_its_path(api):
    bad = {"id": "bad", "name": "Bad", "condition": {"score": {"between": 3}}}
    status, body = api.post("/segments/preview", {"segment": bad})
    assert status == 400
    assert body["error"]["code"] == "invalid_definition"


def test_snapshot_freezes_past_members_into_a_static_segment(api):
    status, body = api.post(
        "/segments/active/snapshot",
        {"id": "active-sep-2", "name": "Active on Sep 2", "asOf": "2026-09-02T12:00:00Z"},
    )
    assert status == 201, body
    assert body["type"] == "static"
    assert body["members"] == ["a", "b", "c"]
    api.drain()  # the re-evaluation job puts the members in
    assert [m["leadId"] for m in api.all_members("active-sep-2")] == ["a", "b", "c"]
    status, lead = api.get("/leads/b")
    assert "active-sep-2" in lead["segments"]
