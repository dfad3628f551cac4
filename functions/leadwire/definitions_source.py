"""Where a function gets its definitions: the bundled document plus the admin API's overrides
(segments and triggers), validated, cached per container by the definitions' version.

Every admin write bumps one version item; once the cache period has passed (or this process wrote
definitions itself), a function reads that item (one ``GetItem``) and reloads the overrides only
when the version moved. A query of
both partitions per invocation would cost reads in AWS and, on moto, walk the whole table. A
segment change also starts a re-evaluation job, so a stale cache cannot leave a lead wrong for long."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from leadwire.config_loader import definitions_of, triggers_of
from leadwire.core.definitions_doc import SegmentOverride, TriggerOverride, effective_document
from leadwire.core.rules import Definitions
from leadwire.core.triggers import Trigger


class OverridePort(Protocol):
    def version(self) -> int: ...

    def overrides(self) -> list[SegmentOverride]: ...

    def trigger_overrides(self) -> list[TriggerOverride]: ...


class DefinitionsSource:
    def __init__(
        self,
        bundled: dict[str, Any],
        store: OverridePort,
        *,
        cache_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        written_here: Callable[[], int] = lambda: 0,
    ) -> None:
        """``written_here`` counts this process's own definition writes: one of them ends the
        cache period at once, so a process reads its own writes (``leadwire local`` is one
        process: admin API and consumers alike)."""
        self._bundled = bundled
        self._store = store
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._written_here = written_here
        self._seen_writes = written_here()
        self._cached: tuple[float, int, Definitions, dict[str, Any]] | None = None
        self._triggers: tuple[dict[str, Any], list[Trigger]] | None = None

    def current(self) -> Definitions:
        return self._load()[0]

    def document(self) -> dict[str, Any]:
        return self._load()[1]

    def triggers(self) -> list[Trigger]:
        """The live triggers (bundled, with the admin API's on top), validated against the live
        segments; parsed once per loaded document, so they follow the same cache."""
        definitions, document = self._load()
        if self._triggers is None or self._triggers[0] is not document:
            self._triggers = (document, triggers_of(document, definitions))
        return self._triggers[1]

    def invalidate(self) -> None:
        self._cached = None

    def _load(self) -> tuple[Definitions, dict[str, Any]]:
        now = self._monotonic()
        cached = self._cached
        writes = self._written_here()
        if cached is not None and now - cached[0] < self._cache_seconds and writes == self._seen_writes:
            return cached[2], cached[3]
        self._seen_writes = writes
        version = self._store.version()  # read before the overrides: a write in between reloads later
        if cached is not None and cached[1] == version:
            self._cached = (now, version, cached[2], cached[3])
            return cached[2], cached[3]
        document = effective_document(self._bundled, self._store.overrides(), self._store.trigger_overrides())
        definitions = definitions_of(document)
        self._cached = (now, version, definitions, document)
        return definitions, document
