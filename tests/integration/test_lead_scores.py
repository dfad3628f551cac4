"""``GET /leads/{id}/scores``: a lead's score over time, for the console's lead page, against
numbers worked out by hand on a simulated clock.

``visit`` is 8 points and scores halve every day. ``a`` visits at 09-01 00:00 and 09-02 00:00
(through an anonymous id merged into it on the second visit). Each point is the score at the end of
its interval, events at that instant included: at 09-02 00:00, 8 halved once plus 8 is 12; a day
later 6; then 3.
"""

import json
from datetime import UTC, datetime

import pytest

from leadwire.local.runtime import LocalRuntime
from tests.integration.local_api import WRITE_KEY, LocalApi, track

START = datetime(2026, 9, 1, tzinfo=UTC)
CONFIG = {
    "scoring": {"rules": [{"event": "visit", "points": 8}], "decay": {"half_life": "P1D"}},
    "segments": [{"id": "warm", "name": "Warm", "condition": {"score": {"gte": 5}}}],
}
WINDOW = "from=2026-09-01T00:00:00Z&to=2026-09-04T00:00:00Z&interval=P1D"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "scores.json").write_text(json.dumps(CONFIG))
    runtime = LocalRuntime({WRITE_KEY: "website"}, config_dir=config, clock_start=START)
    api = LocalApi(runtime)
    api.send(track("a", "visit", timestamp="2026-09-01T00:00:00Z"))
    api.drain()
    api.post("/_local/clock", {"to": "2026-09-02T00:00:00Z"})
    anonymous = {
        "type": "track",
        "anonymousId": "anon-a",
        "event": "visit",
        "timestamp": "2026-09-02T00:00:00Z",
        "messageId": "anon-visit",
    }
    api.send(
        anonymous,
        {"type": "identify", "userId": "a", "anonymousId": "anon-a", "timestamp": "2026-09-02T00:00:00Z"},
    )
    api.drain()
    status, body = api.post("/_local/clock", {"to": "2026-09-05T00:00:00Z"})
    assert status == 200, body
    yield api
    runtime.close()


def test_scores_are_the_decayed_score_at_the_end_of_each_day(api):
    status, body = api.get("/leads/a/scores", WINDOW)
    assert status == 200, body
    assert body["leadId"] == "a"
    assert body["at"] == "2026-09-05T00:00:00.000Z"
    assert [(p["at"], p["score"]) for p in body["series"]] == [
        ("2026-09-02T00:00:00.000Z", 12.0),
        ("2026-09-03T00:00:00.000Z", 6.0),
        ("2026-09-04T00:00:00.000Z", 3.0),
    ]


def test_a_merged_id_answers_for_the_lead_it_was_merged_into(api):
    status, body = api.get("/leads/anon-a/scores", WINDOW)
    assert status == 200, body
    assert body["leadId"] == "a"
    assert [p["score"] for p in body["series"]] == [12.0, 6.0, 3.0]


def test_the_default_window_is_the_last_30_days_a_day_at_a_time(api):
    status, body = api.get("/leads/a/scores")
    assert status == 200, body
    assert len(body["series"]) == 30
    assert body["series"][-1]["at"] == "2026-09-05T00:00:00.000Z"
    assert body["series"][0]["score"] == 0.0  # 08-07: before the first visit


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("interval=soon", "interval"),
        ("from=yesterday", "from"),
        (WINDOW + "&to=2026-08-01T00:00:00Z", "from"),
    ],
)
def test_bad_windows_are_refused_naming_the_field(api, query, field):
    status, body = api.get("/leads/a/scores", query)
    assert status == 400, body
    assert field in json.dumps(body)


def test_an_unknown_lead_is_404(api):
    status, body = api.get("/leads/nobody/scores")
    assert status == 404, body
