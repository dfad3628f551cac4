"""Previews as jobs: past the known-leads threshold (or asked for), POST .../preview answers 202
and GET /jobs/{id} holds the same body the synchronous route answers."""

import json
from datetime import UTC, datetime

import pytest

from leadwire.admin import preview_jobs
from leadwire.local.runtime import LocalRuntime
from tests.integration.local_api import WRITE_KEY, LocalApi, track

START = datetime(2026, 9, 1, tzinfo=UTC)
CONFIG = {
    "scoring": {"rules": [{"event": "visit", "points": 5}]},
    "segments": [{"id": "big", "name": "Big", "condition": {"score": {"gte": 10}}}],
}
BIGGER = {"id": "big", "name": "Big", "condition": {"score": {"gte": 5}}}
TRIGGER = {"id": "ping", "on": {"enter": "big"}, "actions": [{"type": "eventbridge", "detail_type": "ping"}]}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    config = tmp_path_factory.mktemp("config")
    (config / "preview.json").write_text(json.dumps(CONFIG))
    runtime = LocalRuntime({WRITE_KEY: "website"}, config_dir=config, clock_start=START)
    api = LocalApi(runtime)
    api.post("/_local/clock", {"to": "2026-09-02T10:00:00Z"})
    api.send(*(track(lead, "visit", timestamp="2026-09-02T09:00:00Z") for lead in ("a", "b", "c")))
    api.send(track("a", "visit", timestamp="2026-09-02T09:30:00Z"))
    api.drain()
    yield api
    runtime.close()


def run_job(api, path, body, query="mode=job"):
    status, started, headers = api.request("POST", path, body, query)
    assert status == 202, started
    assert dict(headers)["Location"] == f"/jobs/{started['jobId']}"
    assert started["kind"] == "preview"
    assert started["status"] == "pending"
    api.drain()  # leadwire local runs queued jobs on its drain (the jobs function in AWS)
    status, job = api.get(f"/jobs/{started['jobId']}")
    assert status == 200
    return job


def test_a_segment_preview_job_holds_the_synchronous_answer(api):
    status, now, _ = api.request(
        "POST", "/segments/preview", {"segment": BIGGER, "since": "P7D"}, "mode=sync"
    )
    assert status == 200, now
    assert now["memberCount"] == 3  # a, b and c reach 5 points
    job = run_job(api, "/segments/preview", {"segment": BIGGER, "since": "P7D"})
    assert job["status"] == "done"
    assert job["result"] == now


def test_a_trigger_backtest_job_holds_the_synchronous_answer(api):
    status, now, _ = api.request(
        "POST", "/triggers/preview", {"trigger": TRIGGER, "since": "P7D"}, "mode=sync"
    )
    assert status == 200, now
    job = run_job(api, "/triggers/preview", {"trigger": TRIGGER, "since": "P7D"})
    assert (job["status"], job["result"]) == ("done", now)


def test_past_the_known_leads_threshold_a_preview_becomes_a_job(api, monkeypatch):
    monkeypatch.setattr(preview_jobs, "SYNC_MAX_LEADS", 2)  # 3 known leads here
    job = run_job(api, "/segments/preview", {"segment": BIGGER, "since": "P7D"}, query="")
    assert job["result"]["memberCount"] == 3
    monkeypatch.setattr(preview_jobs, "SYNC_MAX_LEADS", 3)
    status, body, _ = api.request("POST", "/segments/preview", {"segment": BIGGER, "since": "P7D"})
    assert (status, body["memberCount"]) == (200, 3)


def test_a_job_whose_definition_is_refused_fails_and_says_why(api):
    broken = {"id": "big", "name": "Big", "condition": {"score": {"between": 5}}}
    job = run_job(api, "/segments/preview", {"segment": broken, "since": "P7D"})
    assert job["status"] == "failed"
    assert "score" in job["error"]
    assert job["result"] is None
