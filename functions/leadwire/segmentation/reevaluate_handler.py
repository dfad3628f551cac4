"""Jobs Lambda (re-evaluation and migration): invoked asynchronously with ``{"jobId"}``; runs
the job until about a minute before its timeout, then invokes itself again to resume from the
job item."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from leadwire import clock
from leadwire.core.jobs import JobConflict
from leadwire.dal.metering import PROCESS_METER
from leadwire.observability import logger, metrics
from leadwire.segmentation import wiring
from leadwire.segmentation.jobs import LambdaJobStarter
from leadwire.segmentation.reevaluate import run_job

RESERVE_MILLIS = 60_000


class JobRequest(BaseModel):
    jobId: str = Field(min_length=1, max_length=128)  # noqa: N815 -- the invocation payload's name


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job_id = JobRequest.model_validate(event).jobId
    logger.append_keys(job_id=job_id)
    pending_preview = wiring.preview_job(job_id)
    if pending_preview is not None:  # one replay, well within an invocation
        preview = wiring.run_preview_job(pending_preview)
        metrics.add_metric(name="PreviewJobsFinished", unit=MetricUnit.Count, value=1)
        return {"jobId": job_id, "status": preview.status}
    try:
        job = run_job(
            job_id,
            wiring.lead_store(),
            wiring.fresh_engine,
            wiring.job_store(),
            lambda: context.get_remaining_time_in_millis() > RESERVE_MILLIS,
            now=clock.now,
            meter=PROCESS_METER,
        )
    except JobConflict:  # a duplicate delivery: the other runner carries on, this one stops
        return {"jobId": job_id, "status": "superseded"}
    if not job.finished:
        LambdaJobStarter(boto3.client("lambda"), context.function_name).start(job_id)
        logger.info(
            "job continues in a new invocation", extra={"shard": job.shard, "leads_done": job.leads_done}
        )
        metrics.add_metric(name="JobContinuations", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="JobsFinished", unit=MetricUnit.Count, value=1)
        if job.kind == "migrate":
            metrics.add_metric(name="JobItemsMigrated", unit=MetricUnit.Count, value=job.items_migrated)
        else:
            metrics.add_metric(name="JobLeadsReevaluated", unit=MetricUnit.Count, value=job.leads_done)
    return {"jobId": job_id, "status": job.status}
