"""What the admin API does alike for segments and triggers: the live set as stored now, reads, and
the shape of every change (create, replace, delete as a tombstone), each kind adding its own
checks through hooks (``admin/segments.py``, ``admin/triggers.py``).

Every answer is built from a snapshot of the effective document (bundled config with the stored
overrides applied) and the overrides themselves, read fresh: the admin API never answers from a
container's stale cache. A stored change invalidates the cache of this container; others see it
within their cache period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from leadwire.core.errors import InvalidRequest, NotFound
from leadwire.core.rules.errors import Problem

View = TypeVar("View", bound=BaseModel)


class DocumentPort(Protocol):
    """The live definitions (``DefinitionsSource``)."""

    def document(self) -> dict[str, Any]: ...

    def invalidate(self) -> None: ...


class Override(Protocol):
    @property
    def document(self) -> dict[str, Any] | None: ...  # None: deleted

    @property
    def version(self) -> int: ...


@dataclass(frozen=True)
class Snapshot:
    """The effective document and the stored overrides of one kind (``section``), by id."""

    document: dict[str, Any]
    overrides: dict[str, Override]
    section: str  # "segments" | "triggers"

    @property
    def items(self) -> list[dict[str, Any]]:
        return [item for item in self.document.get(self.section) or [] if isinstance(item, dict)]

    def find(self, item_id: str) -> dict[str, Any] | None:
        return next((item for item in self.items if item.get("id") == item_id), None)

    def version(self, item_id: str) -> int:
        override = self.overrides.get(item_id)
        return override.version if override else 0

    def source(self, item_id: str) -> str:
        """``api`` for what the admin API stored, ``config`` for what came with the bundle."""
        override = self.overrides.get(item_id)
        return "api" if override is not None and override.document is not None else "config"


def item_of(problem: Problem, section: str, items: list[Any]) -> tuple[Any | None, tuple[str | int, ...]]:
    """The item of ``section`` a definition problem is in, and its location inside that item;
    ``(None, ())`` for a problem elsewhere (another section, the document itself)."""
    loc = problem["loc"]
    if len(loc) >= 2 and loc[0] == section and isinstance(loc[1], int) and loc[1] < len(items):
        return items[loc[1]], tuple(loc[2:])
    return None, ()


class DocumentService(Generic[View]):
    """The reads and the skeleton of the changes; a kind says what it stores and checks."""

    section: str  # the document's list: "segments" | "triggers"
    noun: str  # "segment" | "trigger", in messages
    id_field: str  # "segmentId" | "triggerId", in error details
    view_model: type[View]

    def __init__(self, source: DocumentPort) -> None:
        self._source = source

    # -- the kind's store ----------------------------------------------------------------------
    def _overrides(self) -> dict[str, Override]:
        raise NotImplementedError

    def _put(self, item_id: str, document: dict[str, Any] | None, expected_version: int) -> int:
        raise NotImplementedError

    # -- reads ---------------------------------------------------------------------------------
    def list(self) -> list[View]:
        snapshot = self._snapshot()
        return [self._view(snapshot, item) for item in snapshot.items]

    def get(self, item_id: str) -> View:
        snapshot = self._snapshot()
        return self._view(snapshot, self._existing(snapshot, item_id))

    def exists(self, item_id: str) -> bool:
        return self._snapshot().find(item_id) is not None

    # -- helpers for the changes ---------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        """The live definitions as stored now (the admin API never answers from a stale cache)."""
        overrides = self._overrides()
        self._source.invalidate()
        return Snapshot(self._source.document(), overrides, self.section)

    def _view(self, snapshot: Snapshot, item: dict[str, Any]) -> View:
        item_id = str(item["id"])
        return self.view_model.model_validate(
            {**item, "source": snapshot.source(item_id), "version": snapshot.version(item_id)}
        )

    def _existing(self, snapshot: Snapshot, item_id: str) -> dict[str, Any]:
        item = snapshot.find(item_id)
        if item is None:
            raise NotFound(f"no {self.noun} {item_id!r}", {self.id_field: item_id})
        return item

    def _new_id(self, snapshot: Snapshot, document: dict[str, Any], exists: type[Exception]) -> str:
        """The id a create names; ``exists`` (409) when it is taken. Without a string id the
        definition is refused by validation ("id: required"); "" is no valid id."""
        item_id = document["id"] if isinstance(document.get("id"), str) else ""
        if item_id and snapshot.find(item_id) is not None:
            raise exists(
                f"{self.noun} {item_id!r} already exists; PUT /{self.section}/{item_id} replaces it",
                {self.id_field: item_id},
            )
        return item_id

    def _replacement(self, snapshot: Snapshot, item_id: str, document: dict[str, Any]) -> dict[str, Any]:
        """The body of a PUT with the path's id: a different id in the body is refused."""
        body_id = document.get("id", item_id)
        if body_id != item_id:
            raise InvalidRequest(
                f"id {body_id!r} in the body differs from {item_id!r} in the path", {"field": "id"}
            )
        self._existing(snapshot, item_id)
        return {**document, "id": item_id}

    def _write(
        self, snapshot: Snapshot, item_id: str, document: dict[str, Any] | None, expected: int | None = None
    ) -> int:
        """Write the override (a tombstone for ``None``: a config item stays deleted; creating it
        again continues its versions), then drop this container's cached definitions."""
        version = self._put(item_id, document, snapshot.version(item_id) if expected is None else expected)
        self._source.invalidate()
        return version
