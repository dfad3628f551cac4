"""The jobs context's composition root: how the admin starts a job (the jobs function, invoked
asynchronously; or ``leadwire local``'s in-process queue, handed in by its runtime) and how a job
runs (re-evaluation and migration through the segmentation engine, previews through the admin's
preview service). The jobs function depends on both; neither depends back on it."""

from __future__ import annotations

from collections.abc import Callable

import boto3

from leadwire import clock, wiring
from leadwire.core.jobs import Job
from leadwire.dal.metering import PROCESS_METER
from leadwire.jobs.starter import JobStarter, LambdaJobStarter
from leadwire.segmentation.reevaluate import run_job
from leadwire.segmentation.wiring import fresh_engine
from leadwire.settings import SettingsError, admin_settings


@wiring.cached
def job_starter() -> JobStarter:
    """The jobs function (``REEVALUATE_FUNCTION_NAME``), else ``leadwire local``'s queue."""
    settings = admin_settings()
    if settings.reevaluate_function_name:
        return LambdaJobStarter(boto3.client("lambda"), settings.reevaluate_function_name)
    local = wiring.local()
    if local is not None and local.jobs is not None and not settings.in_lambda:
        return local.jobs
    # Without either a job would never run: fail loudly instead of losing it.
    raise SettingsError("REEVALUATE_FUNCTION_NAME is required to start jobs")


def preview_job(job_id: str) -> Job | None:
    """The job, if it is a preview (read once: the preview runner takes it as read)."""
    job = wiring.job_store().get(job_id)
    return job if job is not None and job.kind == "preview" else None


def run_preview_job(job: Job) -> Job:
    from leadwire.admin.preview_jobs import run_preview_job
    from leadwire.admin.wiring import replay_preview

    return run_preview_job(job, wiring.job_store(), replay_preview, clock.now)


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
