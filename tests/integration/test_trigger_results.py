"""GET /triggers/{id}/results on the local runtime: per variant and holdout, with a goal event."""

import json
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from leadwire.local.runtime import LocalRuntime
from tests.integration.local_api import WRITE_KEY, LocalApi, track

START = datetime(2026, 9, 1, 9, tzinfo=UTC)
CONFIG = {
    "segments": [{"id": "anyone", "name": "Anyone", "condition": {"first_seen": {"within": "P365D"}}}],
    "triggers": [
        {
            "id": "signup-ping",
            "on": {"event": "signup"},
            "holdout": 30,
            "variants": [
                {"name": "plain", "weight": 1, "actions": [{"type": "eventbridge", "detail_type": "plain"}]},
                {"name": "loud", "weight": 1, "actions": [{"type": "eventbridge", "detail_type": "loud"}]},
            ],
        }
    ],
}
LEADS = [f"lead-{n:02}" for n in range(20)]
BUYERS = set(LEADS[::2])  # every other lead buys a day after signing up


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "results.json").write_text(json.dumps(CONFIG))
    runtime = LocalRuntime({WRITE_KEY: "website"}, config_dir=config, clock_start=START)
    api = LocalApi(runtime)
    api.send(*(track(lead, "signup", timestamp="2026-09-01T10:00:00Z") for lead in LEADS))
    api.drain()
    api.post("/_local/clock", {"to": "2026-09-02T10:00:00Z"})
    api.send(*(track(lead, "purchase", timestamp="2026-09-02T10:00:00Z") for lead in sorted(BUYERS)))
    api.drain()
    yield api
    runtime.close()


def arms_from_deliveries(api):
    status, body = api.get(
        "/triggers/signup-ping/deliveries", "from=2026-09-01T00:00:00Z&to=2026-09-03T00:00:00Z"
    )
    assert status == 200, body
    arms = defaultdict(set)
    for d in body["deliveries"]:
        arms["holdout" if d["status"] == "held_out" else d["variant"]].add(d["leadId"])
    return arms


def test_results_count_each_arm_s_leads_sends_and_conversions(api):
    arms = arms_from_deliveries(api)
    assert set(arms) == {"plain", "loud", "holdout"}
    assert sum(map(len, arms.values())) == len(LEADS)
    status, body = api.get(
        "/triggers/signup-ping/results",
        "from=2026-09-01T00:00:00Z&to=2026-09-03T00:00:00Z&goal=purchase&within=P2D",
    )
    assert status == 200, body
    by_name = {v["name"]: v for v in body["variants"]}
    assert [v["name"] for v in body["variants"]] == ["loud", "plain", "holdout"]
    holdout_rate = len(arms["holdout"] & BUYERS) / len(arms["holdout"])
    for name, leads in arms.items():
        arm = by_name[name]
        assert (arm["fires"], arm["leads"]) == (len(leads), len(leads))
        assert arm["sends"] == ({} if name == "holdout" else {"eventbridge": len(leads)})
        assert arm["conversions"] == len(leads & BUYERS)
        assert arm["conversionRate"] == round(len(leads & BUYERS) / len(leads), 4)
        if name == "holdout":
            assert arm["liftVsHoldout"] is None
        else:
            lift = (len(leads & BUYERS) / len(leads) - holdout_rate) * 100
            assert arm["liftVsHoldout"] == pytest.approx(lift, abs=0.01)


def test_a_window_too_short_converts_nobody_and_no_goal_leaves_conversions_out(api):
    query = "from=2026-09-01T00:00:00Z&to=2026-09-03T00:00:00Z"
    _, short = api.get("/triggers/signup-ping/results", query + "&goal=purchase&within=PT1H")
    assert {v["conversions"] for v in short["variants"]} == {0}
    _, plain = api.get("/triggers/signup-ping/results", query)
    assert {v["conversions"] for v in plain["variants"]} == {None}


def test_bad_input_names_the_field(api):
    status, body = api.get("/triggers/signup-ping/results", "goal=purchase&within=soon")
    assert status == 400
    assert "within" in json.dumps(body)
    status, _ = api.get("/triggers/no-such-trigger/results")
    assert status == 404
