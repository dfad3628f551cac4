"""A job over every lead: re-evaluation after the definitions changed (``reevaluate``), or the
migration of items an older release wrote to the current item shapes (``migrate``); or one preview
of a definition over stored events that is too large for the admin API's request (``preview``).

The job item is the whole truth about a run: where it is (shard and cursor), what it did, and a
``version`` that every progress write checks, so a second runner of the same job (an async
invocation delivered twice) stops at its first write instead of doing the work again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from leadwire.core.errors import LeadwireError

JobStatus = Literal["pending", "running", "done", "failed"]
JobKind = Literal["reevaluate", "migrate", "erase", "preview"]
StartableJobKind = Literal["reevaluate", "migrate"]  # what an operator starts; erasure has its route
MAX_FAILED_LEADS_KEPT = 20


class Job(BaseModel):
    job_id: str
    status: JobStatus = "pending"
    kind: JobKind = "reevaluate"
    reason: str = ""  # what changed, e.g. "segment hot-leads replaced"
    shard: int = 0  # the leads-index shard being paged (0 .. LEAD_SHARDS - 1)
    cursor: str | None = None  # the last lead id done within ``shard``
    leads_done: int = 0
    leads_skipped: int = 0  # anonymous leads merged into a known one
    changes: int = 0  # membership changes (entries plus exits)
    entered: int = 0  # of ``changes``: entries
    exited: int = 0  # of ``changes``: exits
    read_units: float = 0.0  # capacity the job consumed, as the adapters metered it
    write_units: float = 0.0
    items_migrated: int = 0  # migrate: items rewritten in the current shape
    failures: int = 0
    failed_leads: list[str] = Field(default_factory=list)  # the first few, for the operator
    error: str | None = None
    request: dict[str, Any] | None = None  # preview: what to replay ({"kind", "definition", "since"})
    result: dict[str, Any] | None = None  # preview: the body the synchronous route answers
    created_at: datetime
    started_at: datetime | None = None
    updated_at: datetime
    finished_at: datetime | None = None
    version: int = 0  # 0: not stored yet

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


class JobNotFound(LeadwireError):
    status = 404
    code = "not_found"


class JobConflict(Exception):
    """Another runner wrote the job since it was read: this runner stops."""
