"""Jobs Lambda (re-evaluation, migration, erasure and previews): invoked asynchronously with
``{"jobId"}``; runs the job until about a minute before its timeout, then invokes itself again to
resume from the job item. A preview runs whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from leadwire.core.jobs import Job, JobConflict
from leadwire.jobs import wiring
from leadwire.jobs.starter import JobStarter, LambdaJobStarter
from leadwire.observability import logger, metrics

RESERVE_MILLIS = 60_000

JobRun = Callable[[str, Callable[[], bool]], Job]


class JobRequest(BaseModel):
    jobId: str = Field(min_length=1, max_length=128)  # noqa: N815 -- the invocation payload's name


def _count(job: Job) -> None:
    if job.kind == "preview":
        metrics.add_metric(name="PreviewJobsFinished", unit=MetricUnit.Count, value=1)
        return
    metrics.add_metric(name="JobsFinished", unit=MetricUnit.Count, value=1)
    if job.kind == "migrate":
        metrics.add_metric(name="JobItemsMigrated", unit=MetricUnit.Count, value=job.items_migrated)
    else:
        metrics.add_metric(name="JobLeadsReevaluated", unit=MetricUnit.Count, value=job.leads_done)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(
    event: dict[str, Any],
    context: LambdaContext,
    run: JobRun | None = None,
    resume: JobStarter | None = None,
) -> dict[str, Any]:
    """``run`` and ``resume`` are the test seams; else the container's runner, and this function
    invoked again."""
    job_id = JobRequest.model_validate(event).jobId
    logger.append_keys(job_id=job_id)
    try:
        job = (run or wiring.run)(job_id, lambda: context.get_remaining_time_in_millis() > RESERVE_MILLIS)
    except JobConflict:  # a duplicate delivery: the other runner carries on, this one stops
        return {"jobId": job_id, "status": "superseded"}
    if job.finished:
        _count(job)
    else:
        (resume or LambdaJobStarter(boto3.client("lambda"), context.function_name)).start(job_id)
        logger.info(
            "job continues in a new invocation", extra={"shard": job.shard, "leads_done": job.leads_done}
        )
        metrics.add_metric(name="JobContinuations", unit=MetricUnit.Count, value=1)
    return {"jobId": job_id, "status": job.status}
