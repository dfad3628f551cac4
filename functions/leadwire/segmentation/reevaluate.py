"""Jobs over every lead: after a definition change every lead is evaluated again; after an
upgrade, items an older release wrote are rewritten in the current shape (``kind: migrate``).

No boto3 here: the leads index, the engine and the job item are ports. The job pages the sparse
``leads`` index shard by shard (a Query per page, never a Scan) and asks the engine to advance
each lead with cause ``definitions``: the engine rebuilds aggregates the new definitions need
from the lead's stored events and records the membership changes (a new segment's members
enter, a deleted segment's members exit). Progress is saved after every page, so a run that
runs out of time resumes where it stopped; a second runner of the same job loses at its first
progress write (the job item's version) and stops.

The job item also carries what the job cost: the read and write units its pages consumed, as
the adapters metered them (the difference of the process meter across each page; a Lambda
container runs one invocation at a time, so the difference is this job's).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Protocol

from leadwire import schema
from leadwire.core.capacity import CapacityMeter
from leadwire.core.jobs import MAX_FAILED_LEADS_KEPT, Job, JobConflict, JobKind, JobNotFound
from leadwire.core.leads import LeadRecord
from leadwire.observability import logger
from leadwire.segmentation.engine import REEVALUATION_CAUSE, Outcome

PAGE_SIZE = 25


class LeadIndexPort(Protocol):
    def lead_ids(self, shard: str, after: str | None, limit: int) -> tuple[list[str], str | None]: ...

    def load(self, lead_id: str) -> LeadRecord | None: ...

    def upgrade(self, lead_id: str) -> int:
        """Rewrites the lead's items an older release wrote; returns how many."""
        ...


class EnginePort(Protocol):
    def advance(self, lead_id: str, cause: str = ...) -> Outcome: ...


class JobStorePort(Protocol):
    def get(self, job_id: str) -> Job | None: ...

    def save(self, job: Job) -> Job: ...


def new_job(job_id: str, reason: str, now: datetime, kind: JobKind = "reevaluate") -> Job:
    return Job(job_id=job_id, kind=kind, reason=reason, created_at=now, updated_at=now)


def run_job(
    job_id: str,
    leads_port: LeadIndexPort,
    engine_factory: Callable[[], EnginePort],
    job_store: JobStorePort,
    budget: Callable[[], bool],
    *,
    now: Callable[[], datetime],
    page_size: int = PAGE_SIZE,
    meter: CapacityMeter | None = None,
) -> Job:
    """Run (or resume) a job while ``budget()`` says there is time; returns the job as stored.

    A returned job that is still ``running`` ran out of budget: run it again to resume.
    ``JobConflict`` means another runner wrote the job meanwhile and owns it now: stop there.
    One lead that fails is counted and logged, and the job goes on; anything else marks the job
    ``failed`` and is raised.
    """
    job = job_store.get(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r}", {"jobId": job_id})
    if job.finished:
        return job
    job = job_store.save(
        job.model_copy(
            update={"status": "running", "started_at": job.started_at or now(), "updated_at": now()}
        )
    )
    try:
        return _run(
            job, leads_port, engine_factory, job_store, budget, now, page_size, meter or CapacityMeter()
        )
    except JobConflict:
        logger.info("job taken over by another runner", extra={"job_id": job_id})
        raise
    except Exception as exc:
        latest = job_store.get(job_id) or job
        at = now()
        failed = {
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "updated_at": at,
            "finished_at": at,
        }
        with suppress(JobConflict):
            job_store.save(latest.model_copy(update=failed))
        raise


def _run(
    job: Job,
    leads_port: LeadIndexPort,
    engine_factory: Callable[[], EnginePort],
    job_store: JobStorePort,
    budget: Callable[[], bool],
    now: Callable[[], datetime],
    page_size: int,
    meter: CapacityMeter,
) -> Job:
    while job.shard < schema.LEAD_SHARDS:
        if not budget():
            return job
        before = (meter.read_units, meter.write_units)
        ids, more_after = leads_port.lead_ids(schema.lead_shard_key(job.shard), job.cursor, page_size)
        progress = _Progress(job)
        if job.kind == "migrate":
            for lead_id in ids:
                progress.upgrade(lead_id, leads_port)
        else:
            # An engine per page: if the definitions change again while the job runs, the rest of
            # the leads get the newest ones (the job that change started goes over them all anyway).
            engine = engine_factory()
            for lead_id in ids:
                progress.advance(lead_id, leads_port, engine)
        progress.add_units(meter, before)
        position = {"cursor": more_after} if more_after else {"shard": job.shard + 1, "cursor": None}
        job = job_store.save(job.model_copy(update={**progress.as_update(now()), **position}))
    done = job.model_copy(update={"status": "done", "updated_at": now(), "finished_at": now()})
    return job_store.save(done)


class _Progress:
    """What one page of leads did, folded into the job's counts."""

    def __init__(self, job: Job) -> None:
        self.leads_done = job.leads_done
        self.leads_skipped = job.leads_skipped
        self.changes = job.changes
        self.entered = job.entered
        self.exited = job.exited
        self.read_units = job.read_units
        self.write_units = job.write_units
        self.items_migrated = job.items_migrated
        self.failures = job.failures
        self.failed_leads = list(job.failed_leads)

    def advance(self, lead_id: str, leads_port: LeadIndexPort, engine: EnginePort) -> None:
        try:
            record = leads_port.load(lead_id)
            if record is None or record.merged_into is not None:
                # Its events and memberships live on the known lead, which the job visits itself.
                self.leads_skipped += 1
                return
            outcome = engine.advance(lead_id, cause=REEVALUATION_CAUSE)
        except Exception as exc:  # one bad lead must not stop the re-evaluation of the others
            self._failed(lead_id, exc)
            return
        self.leads_done += 1
        self.changes += len(outcome.transitions)
        kinds = [transition.change.kind for transition in outcome.transitions]
        self.entered += kinds.count("entered")
        self.exited += kinds.count("exited")

    def add_units(self, meter: CapacityMeter, before: tuple[float, float]) -> None:
        """The units the page consumed: the meter's growth since ``before`` (reads, writes)."""
        self.read_units += meter.read_units - before[0]
        self.write_units += meter.write_units - before[1]

    def upgrade(self, lead_id: str, leads_port: LeadIndexPort) -> None:
        try:
            self.items_migrated += leads_port.upgrade(lead_id)
        except Exception as exc:  # one bad lead must not stop the migration of the others
            self._failed(lead_id, exc)
            return
        self.leads_done += 1

    def _failed(self, lead_id: str, exc: Exception) -> None:
        logger.exception("lead not done", extra={"lead_id": lead_id, "error": type(exc).__name__})
        self.failures += 1
        if len(self.failed_leads) < MAX_FAILED_LEADS_KEPT:
            self.failed_leads.append(lead_id)

    def as_update(self, at: datetime) -> dict[str, object]:
        return {
            "leads_done": self.leads_done,
            "leads_skipped": self.leads_skipped,
            "changes": self.changes,
            "entered": self.entered,
            "exited": self.exited,
            "read_units": self.read_units,
            "write_units": self.write_units,
            "items_migrated": self.items_migrated,
            "failures": self.failures,
            "failed_leads": self.failed_leads,
            "updated_at": at,
        }
