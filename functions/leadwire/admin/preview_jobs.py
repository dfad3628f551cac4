"""Previews and backtests as jobs: when the stored history is too large for one admin API request
(API Gateway answers within 30 s), ``POST /segments/preview`` and ``POST /triggers/preview`` store
a ``preview`` job and answer 202; the jobs function replays the same way, and ``GET /jobs/{id}``
then holds the same body the synchronous route would have answered.

The size is judged from the known-leads counter (one small read): a replay reads every known
lead's events, so past ``SYNC_MAX_LEADS`` leads the route starts a job. ``?mode=job`` asks for one
whatever the size, ``?mode=sync`` answers in the request whatever the size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from leadwire.core.jobs import Job
from leadwire.observability import logger
from leadwire.segmentation.reevaluate import JobStorePort

SYNC_MAX_LEADS = 5_000
PreviewKind = Literal["segment", "trigger"]
PreviewMode = Literal["auto", "sync", "job"]


def as_job(mode: PreviewMode, known_leads: Callable[[], int]) -> bool:
    if mode != "auto":
        return mode == "job"
    return known_leads() > SYNC_MAX_LEADS


def preview_request(kind: PreviewKind, definition: dict[str, Any], since: str) -> dict[str, Any]:
    return {"kind": kind, "definition": definition, "since": since}


def run_preview_job(
    job: Job,
    store: JobStorePort,
    replay: Callable[[PreviewKind, dict[str, Any], str], BaseModel],
    now: Callable[[], datetime],
) -> Job:
    """Replay the job's request and store the answer (or why it failed); a finished job is left as is."""
    if job.finished:
        return job
    started = now()
    job = store.save(
        job.model_copy(update={"status": "running", "started_at": started, "updated_at": started})
    )
    request = job.request or {}
    try:
        body = replay(request["kind"], request["definition"], request["since"])
    except Exception as error:  # a definition refused, a bad window, a store that failed: say why
        logger.info("preview job failed", extra={"job_id": job.job_id, "error": type(error).__name__})
        detail = getattr(error, "details", None)
        message = f"{error}" + (f" {detail}" if detail else "")
        finished = now()
        return store.save(
            job.model_copy(
                update={"status": "failed", "error": message, "updated_at": finished, "finished_at": finished}
            )
        )
    finished = now()
    return store.save(
        job.model_copy(
            update={
                "status": "done",
                "result": body.model_dump(mode="json", by_alias=True),
                "updated_at": finished,
                "finished_at": finished,
            }
        )
    )
