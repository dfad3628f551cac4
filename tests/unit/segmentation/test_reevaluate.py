"""The re-evaluation job with in-memory ports: every lead once, resumable, merged leads skipped."""

from datetime import UTC, datetime

import pytest

from leadwire import schema
from leadwire.core.jobs import Job, JobConflict, JobNotFound
from leadwire.core.leads import LeadRecord, Transition
from leadwire.core.rules import MembershipChange
from leadwire.dal.job_store import job_from_item, job_to_item
from leadwire.jobs import handler as reevaluate_handler
from leadwire.jobs.starter import LambdaJobStarter, LocalJobQueue, start_job
from leadwire.segmentation.engine import Outcome
from leadwire.segmentation.reevaluate import new_job, run_job

NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)


class MemoryIndex:
    """The sparse leads index: ids by shard, in id order, paged like a Query with Limit."""

    def __init__(self, lead_ids, merged=()):
        self.records = {
            lead: LeadRecord.new(lead).model_copy(update={"merged_into": "known" if lead in merged else None})
            for lead in lead_ids
        }
        self.queries = 0

    def lead_ids(self, shard, after, limit):
        self.queries += 1
        ids = sorted(lead for lead in self.records if schema.lead_shard(lead) == shard)
        remaining = [lead for lead in ids if after is None or lead > after]
        page = remaining[:limit]
        return page, (page[-1] if len(page) == limit and page else None)

    def load(self, lead_id):
        return self.records.get(lead_id)


class RecordingEngine:
    def __init__(self, changes=1, failing=()):
        self.advanced = []
        self.changes = changes
        self.failing = set(failing)

    def advance(self, lead_id, cause="time"):
        if lead_id in self.failing:
            raise RuntimeError("boom")
        self.advanced.append((lead_id, cause))
        change = MembershipChange(segment_id="docs", kind="entered", at=NOW)
        transition = Transition(change=change, cause=cause, entered_at=NOW, definition_version="v")
        return Outcome(lead_id=lead_id, transitions=[transition] * self.changes)


class MemoryJobs:
    def __init__(self):
        self.jobs = {}
        self.conflict_on_save = None  # raise on the n-th save from now

    def get(self, job_id):
        return self.jobs.get(job_id)

    def save(self, job):
        if self.conflict_on_save is not None:
            self.conflict_on_save -= 1
            if self.conflict_on_save == 0:
                raise JobConflict(job.job_id)
        current = self.jobs.get(job.job_id)
        if (current.version if current else 0) != job.version:
            raise JobConflict(job.job_id)
        stored = job.model_copy(update={"version": job.version + 1})
        self.jobs[job.job_id] = stored
        return stored


LEADS = [f"lead-{n:03d}" for n in range(60)]


@pytest.fixture
def jobs():
    store = MemoryJobs()
    store.save(new_job("job-1", "segment docs created", NOW))
    return store


def run(index, engine, jobs, budget=lambda: True, page_size=4):
    return run_job("job-1", index, lambda: engine, jobs, budget, now=lambda: NOW, page_size=page_size)


@pytest.mark.parametrize("page_size", [1, 4, 100])
def test_every_lead_of_every_shard_is_advanced_once_for_the_definitions(jobs, page_size):
    # Given 60 leads spread over the index shards
    index, engine = MemoryIndex(LEADS), RecordingEngine(changes=2)
    # When the job runs
    job = run(index, engine, jobs, page_size=page_size)
    # Then each lead was advanced once, with cause "definitions", and the job says so
    assert sorted(engine.advanced) == [(lead, "definitions") for lead in LEADS]
    assert (job.status, job.shard, job.leads_done, job.changes) == ("done", schema.LEAD_SHARDS, 60, 120)
    assert job.finished_at == NOW


def test_a_job_out_of_budget_resumes_where_it_stopped(jobs):
    # Given a budget of three pages per run
    index, engine = MemoryIndex(LEADS), RecordingEngine()
    runs, statuses = 0, []
    while True:
        pages = iter(range(3))
        job = run(index, engine, jobs, budget=lambda pages=pages: next(pages, None) is not None, page_size=2)
        runs += 1
        statuses.append(job.status)
        if job.finished:
            break
    # Then it took several runs, each resuming from the saved shard and cursor, no lead twice
    assert runs > 1
    assert set(statuses[:-1]) == {"running"}
    assert statuses[-1] == "done"
    assert sorted(lead for lead, _ in engine.advanced) == LEADS
    assert jobs.get("job-1").leads_done == 60


def test_merged_anonymous_leads_are_skipped(jobs):
    index, engine = MemoryIndex(LEADS, merged={"lead-001", "lead-002"}), RecordingEngine()
    job = run(index, engine, jobs)
    assert {"lead-001", "lead-002"}.isdisjoint(lead for lead, _ in engine.advanced)
    assert (job.leads_done, job.leads_skipped) == (58, 2)


def test_a_lead_that_fails_is_counted_and_the_job_goes_on(jobs):
    index, engine = MemoryIndex(LEADS), RecordingEngine(failing={"lead-007"})
    job = run(index, engine, jobs)
    assert (job.status, job.leads_done, job.failures, job.failed_leads) == ("done", 59, 1, ["lead-007"])


def test_a_finished_job_is_not_run_again(jobs):
    index = MemoryIndex(LEADS)
    run(index, RecordingEngine(), jobs)
    again = RecordingEngine()
    job = run(index, again, jobs)
    assert (job.status, again.advanced) == ("done", [])


def test_a_second_runner_stops_at_its_first_progress_write(jobs):
    # Given another runner writes the job between this runner's start and its first page
    jobs.conflict_on_save = 2
    engine = RecordingEngine()
    # When this runner runs
    with pytest.raises(JobConflict):
        run(MemoryIndex(LEADS), engine, jobs)
    # Then it stops after one page, leaving the job to the other runner (not marked failed)
    assert jobs.get("job-1").status == "running"
    assert len(engine.advanced) <= 4


def test_an_unexpected_failure_marks_the_job_failed_and_is_raised(jobs):
    index = MemoryIndex(LEADS)
    index.lead_ids = lambda *args: (_ for _ in ()).throw(ConnectionError("index unavailable"))
    with pytest.raises(ConnectionError):
        run(index, RecordingEngine(), jobs)
    failed = jobs.get("job-1")
    assert (failed.status, failed.error) == ("failed", "ConnectionError: index unavailable")


def test_an_unknown_job_is_not_found(jobs):
    with pytest.raises(JobNotFound):
        run_job("nope", MemoryIndex([]), RecordingEngine, jobs, lambda: True, now=lambda: NOW)


def test_start_job_stores_the_job_before_starting_it():
    store, started = MemoryJobs(), []

    class Starter:
        def start(self, job_id):
            started.append((job_id, store.get(job_id).status))

    job = start_job(store, Starter(), "segment docs created", NOW, job_id="job-9")
    assert started == [("job-9", "pending")]
    assert (job.reason, job.version) == ("segment docs created", 1)


def test_the_local_queue_runs_every_queued_job_on_drain():
    ran = []
    queue = LocalJobQueue(lambda job_id: ran.append(job_id))
    queue.start("a")
    queue.start("b")
    assert (queue.run_pending(), ran, queue.pending) == (2, ["a", "b"], [])


def test_the_lambda_starter_invokes_asynchronously_with_the_job_id():
    calls = []

    class Lambda:
        def invoke(self, **kwargs):
            calls.append(kwargs)

    LambdaJobStarter(Lambda(), "leadwire-reevaluate").start("job-1")
    assert calls == [
        {"FunctionName": "leadwire-reevaluate", "InvocationType": "Event", "Payload": b'{"jobId": "job-1"}'}
    ]


class Context:
    function_name = "leadwire-reevaluate"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:leadwire-reevaluate"
    memory_limit_in_mb = 1024
    aws_request_id = "req-1"
    log_group_name = "/aws/lambda/leadwire-reevaluate"
    log_stream_name = "stream"

    def __init__(self, remaining_millis):
        self.remaining_millis = remaining_millis

    def get_remaining_time_in_millis(self):
        return self.remaining_millis


@pytest.mark.parametrize(("remaining", "reinvoked"), [(30_000, ["job-1"]), (600_000, [])])
def test_the_handler_reinvokes_itself_when_near_its_timeout(jobs, remaining, reinvoked):
    # Given a Lambda with ``remaining`` milliseconds left
    started = []

    class Starter:
        def start(self, job_id):
            started.append(job_id)

    def run(job_id, budget):
        return run_job(job_id, MemoryIndex(LEADS), RecordingEngine, jobs, budget, now=lambda: NOW)

    # When the job is invoked
    answer = reevaluate_handler.lambda_handler(
        {"jobId": "job-1"}, Context(remaining), run=run, resume=Starter()
    )
    # Then with under a minute left it saves its place and invokes itself again; else it finishes
    assert started == reinvoked
    assert answer["status"] == ("running" if reinvoked else "done")


def test_job_model_knows_when_it_is_finished():
    job = Job(job_id="j", created_at=NOW, updated_at=NOW)
    assert [
        job.model_copy(update={"status": s}).finished for s in ("pending", "running", "done", "failed")
    ] == [
        False,
        False,
        True,
        True,
    ]


@pytest.mark.parametrize(
    "job",
    [
        Job(job_id="j", created_at=NOW, updated_at=NOW),
        Job(
            job_id="j",
            status="failed",
            reason="segment docs deleted",
            shard=3,
            cursor="lead-9",
            leads_done=40,
            leads_skipped=2,
            changes=7,
            failures=1,
            failed_leads=["lead-4"],
            error="ConnectionError: gone",
            created_at=NOW,
            started_at=NOW,
            updated_at=NOW,
            finished_at=NOW,
            version=5,
        ),
    ],
)
def test_the_job_item_round_trips(job):
    assert job_from_item(job_to_item(job)) == job
