"""Starting re-evaluation jobs: a port and its two adapters.

In AWS the admin function invokes the re-evaluation function asynchronously (``Event``), which
returns at once; locally the job waits in an in-process queue that ``POST /_local/drain`` runs
to completion. Either way the job item is written first, so ``GET /jobs/{id}`` answers at once.
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from leadwire.core.jobs import Job, JobKind
from leadwire.observability import logger
from leadwire.segmentation.reevaluate import JobStorePort, new_job


class JobStarter(Protocol):
    def start(self, job_id: str) -> None: ...


class LambdaJobStarter:
    """Asynchronous invocation of the re-evaluation function with ``{"jobId"}``."""

    def __init__(self, client: Any, function_name: str) -> None:
        self._client = client
        self._function_name = function_name

    def start(self, job_id: str) -> None:
        self._client.invoke(
            FunctionName=self._function_name,
            InvocationType="Event",
            Payload=json.dumps({"jobId": job_id}).encode(),
        )


class LocalJobQueue:
    """Jobs queued in process; the local runtime's drain runs every one of them to completion."""

    def __init__(self, runner: Callable[[str], Job]) -> None:
        self._runner = runner
        self._pending: deque[str] = deque()

    def start(self, job_id: str) -> None:
        self._pending.append(job_id)

    @property
    def pending(self) -> list[str]:
        return list(self._pending)

    def run_pending(self) -> int:
        """Run queued jobs (and any they queue) until none is left; returns how many ran.

        A job that fails is marked ``failed`` in its item (``GET /jobs/{id}`` shows why); the
        drain goes on with the next one, as the next Lambda invocation would.
        """
        ran = 0
        while self._pending:
            job_id = self._pending.popleft()
            try:
                self._runner(job_id)
            except Exception as exc:
                logger.exception("job failed", extra={"job_id": job_id, "error": type(exc).__name__})
            ran += 1
        return ran


def start_job(
    store: JobStorePort,
    starter: JobStarter,
    reason: str,
    now: datetime,
    job_id: str | None = None,
    kind: JobKind = "reevaluate",
    request: dict[str, Any] | None = None,
) -> Job:
    """Store a pending job, then start it: the job exists before anything can run it."""
    pending = new_job(job_id or str(uuid.uuid4()), reason, now, kind)
    job = store.save(pending.model_copy(update={"request": request}))
    starter.start(job.job_id)
    return job
