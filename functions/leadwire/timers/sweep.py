"""The sweep: re-evaluate the leads whose time-based conditions are due, and only those.

Accounts whose score decay may take them out of (or into) an account segment are in the same
index as ``account:<accountId>``: the sweep settles them at their due instant the same way.

It reads the due index from its checkpoint to now, asks the engine to advance each lead (which
records every flip at its own due instant, however late the sweep runs), and moves the
checkpoint. After an outage it catches up hour by hour, bounded per run; two overlapping sweeps
do no harm (the engine's version check and the forward-only checkpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from leadwire import schema
from leadwire.segmentation.engine import SegmentationEngine

# With no checkpoint (a new deployment), look back this far: nothing can be due before the
# first lead was written, and a day covers a deployment's first hours.
FIRST_LOOKBACK = timedelta(days=1)
MAX_CATCH_UP = timedelta(days=7)


class DuePort(Protocol):
    def due_leads(self, after: datetime, until: datetime) -> Iterator[tuple[datetime, str]]: ...

    def checkpoint(self) -> datetime | None: ...

    def advance_checkpoint(self, through: datetime) -> bool: ...


@dataclass
class SweepReport:
    after: datetime
    through: datetime
    leads: int = 0
    accounts: int = 0
    changes: int = 0
    failed: list[str] = field(default_factory=list)


def run_sweep(
    due: DuePort,
    engine: SegmentationEngine,
    now: datetime,
    on_error: Callable[[str, Exception], None] = lambda lead, error: None,
    before_checkpoint: Callable[[], None] = lambda: None,
) -> SweepReport:
    """Advance every lead due in (checkpoint, now]; ``before_checkpoint`` writes what the engine's
    store holds, so the checkpoint moves on only once the sweep's writes have landed."""
    after = due.checkpoint() or now - FIRST_LOOKBACK
    through = min(now, after + MAX_CATCH_UP)
    report = SweepReport(after=after, through=through)
    seen: set[str] = set()
    for _, lead_id in due.due_leads(after, through):
        if lead_id in seen:
            continue
        seen.add(lead_id)
        try:
            if lead_id.startswith(schema.ACCOUNT_SUBJECT_PREFIX):
                account_id = lead_id.removeprefix(schema.ACCOUNT_SUBJECT_PREFIX)
                transitions = engine.advance_account(account_id)
                report.accounts += 1
            else:
                transitions = engine.advance(lead_id).transitions
                report.leads += 1
        except Exception as exc:  # one lead must not stop the sweep; it stays due and is retried
            report.failed.append(lead_id)
            on_error(lead_id, exc)
            continue
        report.changes += len(transitions)
    before_checkpoint()
    if not report.failed:
        due.advance_checkpoint(through)
    return report
