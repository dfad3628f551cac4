"""Re-evaluation after a definition change, through the local runtime: leads follow without new events."""

from datetime import timedelta

import pytest

from leadwire import wiring
from leadwire.jobs.starter import start_job
from leadwire.local.runtime import LocalRuntime
from leadwire.segmentation.reevaluate import run_job
from leadwire.segmentation.wiring import fresh_engine

from .local_api import NOW, WRITE_KEY, LocalApi, page, track

DOCS_READERS = {
    "id": "docs-readers",
    "name": "Docs readers",
    "condition": {"performed": {"event": "page_viewed", "where": {"path": {"starts_with": "/docs"}}}},
}


@pytest.fixture
def api():
    runtime = LocalRuntime({WRITE_KEY: "website"}, clock_start=NOW)
    yield LocalApi(runtime)
    runtime.close()


@pytest.fixture
def evaluated(api):
    """Three leads evaluated under the default config: two read the docs, one only the pricing page."""
    earlier = (NOW - timedelta(days=3)).isoformat()
    api.send(
        page("reader-1", "/docs/start", timestamp=earlier),
        page("reader-2", "/docs/api", timestamp=earlier),
        page("reader-2", "/docs/api/auth", timestamp=earlier),
        page("browser", "/pricing", timestamp=earlier),
    )
    api.drain()
    return api


def event_count(api, lead):
    return len(api.get(f"/leads/{lead}/events")[1]["events"])


def test_a_new_segments_members_appear_without_new_events(evaluated):
    # Given leads evaluated before the segment existed (no counter tracked /docs views)
    before = {lead: event_count(evaluated, lead) for lead in ("reader-1", "reader-2", "browser")}
    # When a segment on /docs views is created and the job has run
    status, _ = evaluated.post("/segments", DOCS_READERS)
    evaluated.drain()
    # Then the readers are members (counted from their stored events), and no event was added
    assert status == 201
    assert sorted(m["leadId"] for m in evaluated.all_members("docs-readers")) == ["reader-1", "reader-2"]
    assert {lead: event_count(evaluated, lead) for lead in before} == before


def test_entries_made_by_the_job_have_the_cause_definitions(evaluated):
    evaluated.post("/segments", DOCS_READERS)
    evaluated.drain()
    _, body = evaluated.get("/leads/reader-1/history")
    (entry,) = [h for h in body["history"] if h["segmentId"] == "docs-readers"]
    assert entry["cause"] == {"entered": "definitions", "exited": None}
    assert entry["enteredAt"] == "2026-11-02T09:00:00.000Z"


def test_the_job_reports_done_with_the_lead_count(evaluated):
    _, created = evaluated.post("/segments", DOCS_READERS)
    evaluated.drain()
    status, job = evaluated.get(f"/jobs/{created['job']['jobId']}")
    assert status == 200
    assert (job["status"], job["leadsDone"], job["changes"], job["failures"]) == ("done", 3, 2, 0)
    assert job["finishedAt"] == "2026-11-02T09:00:00.000Z"


# webinar-registrants: a config segment that no other segment reads (deleting one that is read is refused)
@pytest.mark.parametrize("segment_id", ["docs-readers", "webinar-registrants"])
def test_deleting_a_segment_exits_its_members_with_the_cause_definitions(evaluated, segment_id):
    # Given a segment with members: created through the API, or from the config
    if segment_id == "docs-readers":
        evaluated.post("/segments", DOCS_READERS)
    else:
        evaluated.send(track("reader-1", "webinar_registered"))
    evaluated.drain()
    members = [m["leadId"] for m in evaluated.all_members(segment_id)]
    assert members
    # When it is deleted and the job has run
    status, _, _ = evaluated.delete(f"/segments/{segment_id}")
    evaluated.drain()
    # Then its members left: no lead lists it, and every interval is closed by the definitions
    assert status == 204
    for lead in members:
        _, view = evaluated.get(f"/leads/{lead}")
        assert segment_id not in view["segments"]
        _, body = evaluated.get(f"/leads/{lead}/history")
        closed = [h for h in body["history"] if h["segmentId"] == segment_id]
        assert [(h["exitedAt"], h["cause"]["exited"]) for h in closed] == [
            ("2026-11-02T09:00:00.000Z", "definitions")
        ]
    assert evaluated.get(f"/segments/{segment_id}/members")[0] == 404


READERS = ["reader-1", "reader-2"]


@pytest.mark.parametrize(
    ("newer_activity", "window", "members"),
    [
        (False, "P2D", []),
        (False, "P7D", READERS),
        (True, "P7D", READERS),
    ],
)
def test_a_put_that_widens_a_window_backfills_from_stored_events(evaluated, newer_activity, window, members):
    # Given a segment on /docs views within a day, which the three-day-old views do not meet
    # (and, in one variant, newer activity, so the one-day window has pruned the older views)
    recent = {
        **DOCS_READERS,
        "condition": {"performed": {**DOCS_READERS["condition"]["performed"], "within": "P1D"}},
    }
    evaluated.post("/segments", recent)
    evaluated.drain()
    if newer_activity:
        evaluated.send(*[page(lead, "/pricing") for lead in ("reader-1", "reader-2", "browser")])
        evaluated.drain()
    assert evaluated.all_members("docs-readers") == []
    # When the window is widened
    wider = {**recent, "condition": {"performed": {**recent["condition"]["performed"], "within": window}}}
    status, _ = evaluated.put("/segments/docs-readers", wider)
    evaluated.drain()
    # Then the leads whose stored views fall in the new window are members
    assert status == 200
    assert sorted(m["leadId"] for m in evaluated.all_members("docs-readers")) == members


def test_an_anonymous_lead_merged_into_a_known_one_is_skipped_and_its_events_count(api):
    # Given docs read anonymously, then the visitor identified
    api.send(page("anon-7", "/docs/start", anonymous=True, timestamp=(NOW - timedelta(hours=1)).isoformat()))
    api.drain()
    api.send({"type": "identify", "userId": "u7", "anonymousId": "anon-7"})
    api.drain()
    # When the docs segment is created
    _, created = api.post("/segments", DOCS_READERS)
    api.drain()
    # Then the known lead is a member through its alias's events, and the alias was skipped
    assert [m["leadId"] for m in api.all_members("docs-readers")] == ["u7"]
    _, job = api.get(f"/jobs/{created['job']['jobId']}")
    assert (job["leadsDone"], job["leadsSkipped"]) == (1, 1)


class Unstarted:
    def start(self, job_id):
        pass


@pytest.mark.parametrize("pages_per_run", [1, 4])
def test_a_job_that_runs_out_of_time_resumes_from_its_item(api, pages_per_run):
    # Given 20 leads, and a segment stored whose job has not run
    leads = [f"lead-{n:02d}" for n in range(20)]
    api.send(*[page(lead, "/docs/start") for lead in leads])
    api.drain()
    api.post("/segments", DOCS_READERS)
    job = start_job(wiring.job_store(), Unstarted(), "test", NOW)
    # When it runs in slices of a few one-lead pages, each slice resuming from the job item
    slices = 0
    while not job.finished:
        budget = iter(range(pages_per_run))
        job = run_job(
            job.job_id,
            wiring.lead_store(),
            fresh_engine,
            wiring.job_store(),
            lambda budget=budget: next(budget, None) is not None,
            now=lambda: NOW,
            page_size=1,
        )
        slices += 1
    # Then it visited every lead exactly once, over several slices
    assert (job.status, job.leads_done, job.failures) == ("done", 20, 0)
    assert slices > 1
    assert sorted(m["leadId"] for m in api.all_members("docs-readers")) == leads
