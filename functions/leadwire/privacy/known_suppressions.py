"""Suppression answers a container keeps while the suppression list stands still.

Ingestion asks about every id of every event it is posted, and each consumer about every lead of
its batch: half a read unit each, although the answer is almost always "not erased" and changes
only when someone erases or unsuppresses a lead. The list has one epoch item that every change
moves after its own writes (``SuppressionStore.epoch``), so a round of questions (one request,
one invocation) reads the epoch once and keeps the answers of earlier rounds while it has not
moved; when it has, they are forgotten and asked again.

The guarantee is the one the eventually consistent reads gave: a round that started before an
erasure's epoch move may still treat that lead as not erased, as a round that read its
suppression item a moment earlier would have; the erasure's read-again passes remove what such a
round writes (``privacy/erase.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

# Answers kept per container: ids of a few hundred bytes, so about 10 MB at most.
MAX_KNOWN = 50_000


class SuppressionSource(Protocol):
    def epoch(self) -> int: ...

    def is_suppressed(self, lead_id: str) -> bool: ...

    def suppressed(self, lead_ids: Iterable[str]) -> set[str]: ...

    def count_dropped(self, lead_id: str, events: int) -> None: ...


class KnownSuppressions:
    """A ``SuppressionList`` (ingestion's) whose every ``suppressed`` call is one round."""

    def __init__(self, source: SuppressionSource, *, max_known: int = MAX_KNOWN) -> None:
        self._source = source
        self._max_known = max_known
        self._epoch: int | None = None
        self._answers: dict[str, bool] = {}

    def round(self) -> SuppressionRound:
        """Questions asked together (one invocation): the epoch is read once, at the first."""
        return SuppressionRound(self)

    def suppressed(self, lead_ids: Iterable[str]) -> set[str]:
        return self.round().suppressed(lead_ids)

    def count_dropped(self, lead_id: str, events: int) -> None:
        self._source.count_dropped(lead_id, events)

    def _sync(self) -> None:
        epoch = self._source.epoch()
        if epoch != self._epoch:
            self._answers.clear()
            self._epoch = epoch

    def _lookup(self, lead_ids: Iterable[str]) -> set[str]:
        unknown = [lead_id for lead_id in dict.fromkeys(lead_ids) if lead_id not in self._answers]
        if len(unknown) == 1:
            self._remember({unknown[0]: self._source.is_suppressed(unknown[0])})
        elif unknown:
            found = self._source.suppressed(unknown)
            self._remember({lead_id: lead_id in found for lead_id in unknown})
        return {lead_id for lead_id in lead_ids if self._answers.get(lead_id)}

    def _remember(self, answers: dict[str, bool]) -> None:
        if len(self._answers) + len(answers) > self._max_known:
            self._answers.clear()  # a full cache starts again: rare, and only costs reads
        self._answers.update(answers)


class SuppressionRound:
    """One round of questions (a ``SuppressionCheck`` for ``LeadGuard``)."""

    def __init__(self, known: KnownSuppressions) -> None:
        self._known = known
        self._synced = False

    def _start(self) -> None:
        if not self._synced:
            self._known._sync()
            self._synced = True

    def is_suppressed(self, lead_id: str) -> bool:
        self._start()
        return lead_id in self._known._lookup([lead_id])

    def suppressed(self, lead_ids: Iterable[str]) -> set[str]:
        ids = list(lead_ids)
        if not ids:
            return set()
        self._start()
        return self._known._lookup(ids)
