"""The admin API through the local runtime (moto, stream pump, simulated clock), in process."""

from datetime import timedelta

import pytest

from leadwire.local.runtime import LocalRuntime

from .local_api import NOW, WRITE_KEY, LocalApi, page, track


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    yield LocalApi(runtime)
    runtime.close()


@pytest.mark.parametrize(
    ("events", "score", "band", "segment"),
    [
        ([track("u1", "demo_requested")], 30.0, "Warm", "warm-leads"),
        ([track("u1", "demo_requested"), track("u1", "trial_signup")], 55.0, "Hot", "hot-leads"),
        ([page("u1", "/pricing/teams")], 11.0, "Cold", "pricing-page-viewers"),
    ],
)
def test_lead_shows_score_band_and_segments_after_drain(api, events, score, band, segment):
    # Given the lead's events are ingested and processed
    api.send(*events)
    api.drain()
    # When the lead is read
    status, lead = api.get("/leads/u1")
    # Then its score, band and segments follow the default config
    assert status == 200
    assert (lead["leadId"], lead["score"], lead["band"]) == ("u1", score, band)
    assert segment in lead["segments"]
    assert lead["firstSeenAt"] == lead["lastActivityAt"] == "2026-11-02T09:00:00.000Z"


def test_score_decays_with_the_clock(api):
    # Given a lead at 55 points
    api.send(track("u1", "demo_requested"), track("u1", "trial_signup"))
    api.drain()
    # When a half-life (P14D) passes
    api.post("/_local/clock", {"advance": "P14D"})
    # Then the score is halved and the peak is kept
    _, lead = api.get("/leads/u1")
    assert (lead["score"], lead["maxScore"], lead["band"]) == (27.5, 55.0, "Warm")


def test_members_are_paged_with_an_opaque_cursor(api):
    # Given five hot leads
    leads = [f"hot-{n}" for n in range(5)]
    api.send(*[e for lead in leads for e in (track(lead, "demo_requested"), track(lead, "trial_signup"))])
    api.drain()
    # When the members of hot-leads are read two at a time
    status, first = api.get("/segments/hot-leads/members", "limit=2")
    members = api.all_members("hot-leads", limit=2)
    # Then the first page has two and a cursor, and paging yields each member once
    assert status == 200
    assert len(first["members"]) == 2
    assert first["cursor"]
    assert sorted(m["leadId"] for m in members) == leads
    assert {m["enteredAt"] for m in members} == {"2026-11-02T09:00:00.000Z"}


def test_history_shows_closed_and_open_intervals_with_their_causes(api):
    # Given a demo request (warm) and, an hour later, a trial signup (hot)
    demo, trial = api.send(
        track("u1", "demo_requested", timestamp=(NOW - timedelta(hours=1)).isoformat()),
        track("u1", "trial_signup"),
    )
    api.drain()
    # When the history is read
    status, body = api.get("/leads/u1/history")
    intervals = {h["segmentId"]: h for h in body["history"]}
    # Then warm-leads closed when the trial signup made the lead hot, and hot-leads is open
    assert status == 200
    assert intervals["warm-leads"]["exitedAt"] == "2026-11-02T09:00:00.000Z"
    assert intervals["warm-leads"]["cause"] == {"entered": demo, "exited": trial}
    assert intervals["hot-leads"]["exitedAt"] is None
    assert intervals["hot-leads"]["cause"]["entered"] == trial


@pytest.fixture
def merged(api):
    """anon-1 browsed anonymously, then identified as u1."""
    api.send(page("anon-1", "/pricing", anonymous=True, timestamp=(NOW - timedelta(hours=2)).isoformat()))
    api.drain()
    api.send({"type": "identify", "userId": "u1", "anonymousId": "anon-1", "traits": {"company_size": 5000}})
    api.drain()
    return api


@pytest.mark.parametrize("asked", ["anon-1", "u1"])
def test_an_anonymous_id_merged_by_identify_resolves_to_the_known_lead(merged, asked):
    status, lead = merged.get(f"/leads/{asked}")
    assert status == 200
    assert (lead["leadId"], lead["aliases"]) == ("u1", ["anon-1"])
    assert {"pricing-page-viewers", "enterprise-prospects"} <= set(lead["segments"])
    assert lead["traits"] == {"company_size": 5000}


@pytest.mark.parametrize("asked", ["anon-1", "u1"])
def test_events_of_a_merged_lead_include_the_anonymous_ones(merged, asked):
    _, body = merged.get(f"/leads/{asked}/events")
    assert [e["type"] for e in body["events"]] == ["page", "identify"]


def test_history_of_a_merged_lead_includes_the_anonymous_intervals_closed_by_the_merge(merged):
    _, body = merged.get("/leads/u1/history")
    anonymous = [h for h in body["history"] if h["leadId"] == "anon-1"]
    assert anonymous
    assert {h["cause"]["exited"] for h in anonymous} == {"merge:u1"}
    assert all(h["exitedAt"] for h in anonymous)


def test_a_segment_goes_through_create_read_replace_delete(api):
    definition = {"id": "docs", "name": "Docs", "condition": {"performed": {"event": "page_viewed"}}}
    # When it is created
    status, created = api.post("/segments", definition)
    assert (status, created["source"], created["version"]) == (201, "api", 1)
    # Then it is listed and readable
    _, listed = api.get("/segments")
    assert ("docs", "api", 1) in [(s["id"], s["source"], s["version"]) for s in listed["segments"]]
    assert api.get("/segments/docs") == (
        200,
        {**definition, "type": "dynamic", "source": "api", "version": 1},
    )
    # When it is replaced
    status, replaced = api.put("/segments/docs", {**definition, "name": "Docs readers", "version": 1})
    assert (status, replaced["name"], replaced["version"]) == (200, "Docs readers", 2)
    # When it is deleted
    status, body, headers = api.delete("/segments/docs")
    assert (status, body) == (204, None)
    assert headers["X-Leadwire-Job"]
    # Then it is gone
    assert api.get("/segments/docs")[0] == 404


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/leads/nobody", "not_found"),
        ("/leads/nobody/history", "not_found"),
        ("/leads/nobody/events", "not_found"),
        ("/segments/nowhere/members", "not_found"),
        ("/jobs/no-such-job", "not_found"),
    ],
)
def test_unknown_ids_are_404(api, path, code):
    status, body = api.get(path)
    assert (status, body["error"]["code"]) == (404, code)


def test_a_job_is_readable_while_pending_and_when_done(api):
    # Given a segment created (its job queued, not yet run)
    _, created = api.post("/segments", {"id": "all", "name": "All", "condition": {"score": {"gte": 0}}})
    job_path = f"/jobs/{created['job']['jobId']}"
    # Then the job is pending until the drain runs it, then done
    assert api.get(job_path)[1]["status"] == "pending"
    assert api.drain()["jobs"] == 1
    status, job = api.get(job_path)
    assert (status, job["status"], job["shardsDone"], job["shards"]) == (200, "done", 16, 16)
    assert job["reason"] == "segment all created"
