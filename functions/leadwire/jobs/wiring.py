"""The jobs function's composition root: how a job runs (re-evaluation and migration through the
segmentation engine, previews through the admin's preview service). It depends on both; neither
depends on it. How a job starts is shared (``leadwire/wiring.job_starter``): the admin starts
them, and ``leadwire local``'s queue runs them through ``run_to_completion``."""

from __future__ import annotations

from collections.abc import Callable

from leadwire import clock, wiring
from leadwire.core.jobs import Job
from leadwire.dal.metering import PROCESS_METER
from leadwire.segmentation.reevaluate import run_job
from leadwire.segmentation.wiring import fresh_engine


def preview_job(job_id: str) -> Job | None:
    """The job, if it is a preview (read once: the preview runner takes it as read)."""
    job = wiring.job_store().get(job_id)
    return job if job is not None and job.kind == "preview" else None


def run_preview_job(job: Job) -> Job:
    # The admin's preview service loads with the first preview job only (about 50 ms of imports
    # the re-evaluation and migration jobs do not need).
    from leadwire.admin.preview_jobs import run_preview_job as run_preview
    from leadwire.admin.wiring import replay_preview

    return run_preview(job, wiring.job_store(), replay_preview, clock.now)


def run_until(job_id: str, budget: Callable[[], bool]) -> Job:
    """Run (or resume) a re-evaluation or migration job while ``budget()`` says there is time."""
    return run_job(
        job_id,
        wiring.lead_store(),
        fresh_engine,
        wiring.job_store(),
        budget,
        now=clock.now,
        meter=PROCESS_METER,
    )


def run(job_id: str, budget: Callable[[], bool]) -> Job:
    """Run (or resume) any job: a preview whole (one replay fits an invocation), else while
    ``budget()`` says there is time."""
    preview = preview_job(job_id)
    if preview is not None:
        return run_preview_job(preview)
    return run_until(job_id, budget)


def run_to_completion(job_id: str) -> Job:
    """What ``leadwire local``'s queue runs: any job, whole."""
    return run(job_id, lambda: True)
