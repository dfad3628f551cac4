"""The consumers' check that an erased lead stays erased.

Ingestion drops new events of suppressed ids, but work for a lead may already be on its way when
it is erased: a stream record in flight, a batch on a failure queue that ``leadwire replay``
redelivers, a timer execution that wakes before it is stopped. Each consumer asks this guard
before it would write something about a lead; the answer is remembered for the guard's life (one
invocation), so a batch pays at most one read per lead, and only for leads it would act on.
"""

from __future__ import annotations

from typing import Protocol

from leadwire.core.fires import Fire


class SuppressionCheck(Protocol):
    def is_suppressed(self, lead_id: str) -> bool: ...


class FireDeleter(Protocol):
    def delete_fire(self, fire: Fire) -> None: ...


class LeadGuard:
    def __init__(self, suppressions: SuppressionCheck, fires: FireDeleter | None = None) -> None:
        self._suppressions = suppressions
        self._fires = fires
        self._known: dict[str, bool] = {}
        self.dropped = 0  # pieces of work dropped because their lead was erased

    def erased(self, lead_id: str) -> bool:
        """True if the lead was erased (and not unsuppressed since): drop the work."""
        if lead_id not in self._known:
            self._known[lead_id] = self._suppressions.is_suppressed(lead_id)
        if self._known[lead_id]:
            self.dropped += 1
        return self._known[lead_id]

    def discard(self, fire: Fire) -> None:
        """A fire of an erased lead (a timer woke before it was stopped): its item goes too."""
        if self._fires is not None:
            self._fires.delete_fire(fire)
