"""Segments through the admin API: read the live set, and change it only into a valid one.

Every change is validated by building the effective document with it and loading that with the
rule engine, so whatever the engine would refuse (an unknown operator, a bad duration, an
unknown ``in_segment`` target, a cycle, a segment still referenced) is refused here, with each
problem's path relative to its segment; a change that would leave a trigger referring to a
segment that is gone is refused naming the trigger (409 ``segment_in_use``). A stored change
invalidates the definitions cache and starts a re-evaluation job, so existing leads follow the
new definitions without new events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from leadwire.admin.models import JobRef, SegmentChange, SegmentView
from leadwire.admin.triggers import new_trigger_problems
from leadwire.config_loader import definitions_of
from leadwire.core.definitions_doc import SegmentOverride, effective_document
from leadwire.core.errors import InvalidRequest, LeadwireError, NotFound
from leadwire.core.jobs import Job
from leadwire.core.rules import DefinitionError

_SEGMENT_PATH = re.compile(r"^segments\[(\d+)\]\.?(.*)$")
SEGMENT_ROOT = "(segment)"


class InvalidDefinition(LeadwireError):
    code = "invalid_definition"


class SegmentExists(LeadwireError):
    status = 409
    code = "already_exists"


class SegmentInUse(LeadwireError):
    status = 409
    code = "segment_in_use"


class DocumentPort(Protocol):
    """The live definitions (``DefinitionsSource``)."""

    def document(self) -> dict[str, Any]: ...

    def invalidate(self) -> None: ...


class OverrideStorePort(Protocol):
    """The admin API's stored segments (``DefinitionStore``)."""

    def overrides(self) -> list[SegmentOverride]: ...

    def put(self, segment_id: str, document: dict[str, Any] | None, expected_version: int) -> int: ...


JobLauncher = Callable[[str], Job]  # reason -> the job started
ChangeGuard = Callable[[dict[str, Any]], None]  # raises when the change needs confirmation


@dataclass(frozen=True)
class _Snapshot:
    document: dict[str, Any]
    overrides: dict[str, SegmentOverride]

    @property
    def segments(self) -> list[dict[str, Any]]:
        return list(self.document.get("segments") or [])

    def find(self, segment_id: str) -> dict[str, Any] | None:
        return next((s for s in self.segments if s.get("id") == segment_id), None)

    def version(self, segment_id: str) -> int:
        override = self.overrides.get(segment_id)
        return override.version if override else 0

    def view(self, segment: dict[str, Any]) -> SegmentView:
        segment_id = str(segment["id"])
        override = self.overrides.get(segment_id)
        source = "api" if override is not None and override.document is not None else "config"
        return SegmentView.model_validate({**segment, "source": source, "version": self.version(segment_id)})


def relative_problems(error: DefinitionError, segments: list[Any]) -> list[dict[str, Any]]:
    """Problems with paths relative to their segment (``condition.all[1].performed.within``)."""
    problems: list[dict[str, Any]] = []
    for problem in error.problems:
        match = _SEGMENT_PATH.match(problem["path"])
        segment_id: str | None = None
        path = problem["path"]
        if match is not None and int(match[1]) < len(segments):
            segment = segments[int(match[1])]
            segment_id = segment.get("id") if isinstance(segment, dict) else None
            path = match[2] or SEGMENT_ROOT
        problems.append({"path": path, "message": problem["message"], "segmentId": segment_id})
    return problems


class SegmentAdmin:
    def __init__(
        self,
        source: DocumentPort,
        store: OverrideStorePort,
        launch_job: JobLauncher,
        guard: ChangeGuard | None = None,
    ) -> None:
        self._source = source
        self._store = store
        self._launch_job = launch_job
        self._guard = guard

    # -- reads -------------------------------------------------------------------------------
    def list(self) -> list[SegmentView]:
        snapshot = self._snapshot()
        return [snapshot.view(segment) for segment in snapshot.segments]

    def get(self, segment_id: str) -> SegmentView:
        snapshot = self._snapshot()
        return snapshot.view(self._existing(snapshot, segment_id))

    # -- changes -------------------------------------------------------------------------------
    def create(self, document: dict[str, Any], *, confirm: bool = False) -> SegmentChange:
        snapshot = self._snapshot()
        # Without a string id the definition is refused below ("id: required"); "" is no valid id.
        segment_id = document["id"] if isinstance(document.get("id"), str) else ""
        if snapshot.find(segment_id) is not None:
            raise SegmentExists(
                f"segment {segment_id!r} already exists; PUT /segments/{segment_id} replaces it",
                {"segmentId": segment_id},
            )
        self._validate(snapshot, segment_id, document)
        self._unless_confirmed(document, confirm)
        # A segment deleted before leaves a tombstone: creating it again continues its versions.
        version = self._store.put(segment_id, document, expected_version=snapshot.version(segment_id))
        return self._changed(segment_id, document, version, "created")

    def replace(
        self,
        segment_id: str,
        document: dict[str, Any],
        expected_version: int | None,
        *,
        confirm: bool = False,
    ) -> SegmentChange:
        body_id = document.get("id", segment_id)
        if body_id != segment_id:
            raise InvalidRequest(
                f"id {body_id!r} in the body differs from {segment_id!r} in the path", {"field": "id"}
            )
        snapshot = self._snapshot()
        self._existing(snapshot, segment_id)
        document = {**document, "id": segment_id}
        self._validate(snapshot, segment_id, document)
        self._unless_confirmed(document, confirm)
        expected = snapshot.version(segment_id) if expected_version is None else expected_version
        version = self._store.put(segment_id, document, expected_version=expected)
        return self._changed(segment_id, document, version, "replaced")

    def delete(self, segment_id: str) -> Job:
        snapshot = self._snapshot()
        self._existing(snapshot, segment_id)
        candidate = effective_document(
            snapshot.document, [SegmentOverride(segment_id=segment_id, document=None, version=0)]
        )
        try:
            definitions_of(candidate)
        except DefinitionError as error:
            problems = relative_problems(error, candidate["segments"])
            users = sorted({str(p["segmentId"]) for p in problems if p["segmentId"]})
            raise SegmentInUse(
                f"segment {segment_id!r} is used by {', '.join(users)}; change or delete those first",
                {"problems": problems},
            ) from None
        self._refuse_broken_triggers(snapshot, segment_id, candidate)
        self._store.put(segment_id, None, expected_version=snapshot.version(segment_id))
        self._source.invalidate()
        return self._launch_job(f"segment {segment_id} deleted")

    # -- helpers -----------------------------------------------------------------------------
    def _snapshot(self) -> _Snapshot:
        """The live definitions as stored now (the admin API never answers from a stale cache)."""
        overrides = {override.segment_id: override for override in self._store.overrides()}
        self._source.invalidate()
        return _Snapshot(self._source.document(), overrides)

    def _unless_confirmed(self, document: dict[str, Any], confirm: bool) -> None:
        if self._guard is not None and not confirm:
            self._guard(document)

    @staticmethod
    def _existing(snapshot: _Snapshot, segment_id: str) -> dict[str, Any]:
        segment = snapshot.find(segment_id)
        if segment is None:
            raise NotFound(f"no segment {segment_id!r}", {"segmentId": segment_id})
        return segment

    @staticmethod
    def _validate(snapshot: _Snapshot, segment_id: str, document: dict[str, Any]) -> None:
        candidate = effective_document(
            snapshot.document, [SegmentOverride(segment_id=segment_id, document=document, version=0)]
        )
        try:
            definitions_of(candidate)
        except DefinitionError as error:
            problems = relative_problems(error, candidate["segments"])
            summary = "; ".join(
                f"{p['path']}: {p['message']}"
                if p["segmentId"] in (None, segment_id)
                else f"{p['segmentId']}: {p['path']}: {p['message']}"
                for p in problems
            )
            raise InvalidDefinition(
                f"invalid segment definition: {summary}", {"problems": problems}
            ) from None
        SegmentAdmin._refuse_broken_triggers(snapshot, segment_id, candidate)

    @staticmethod
    def _refuse_broken_triggers(snapshot: _Snapshot, segment_id: str, candidate: dict[str, Any]) -> None:
        """409 naming every trigger that the change would leave invalid (one on a deleted segment)."""
        problems = new_trigger_problems(snapshot.document, candidate)
        if not problems:
            return
        users = sorted({str(p["triggerId"]) for p in problems if p["triggerId"]})
        raise SegmentInUse(
            f"segment {segment_id!r} is used by trigger(s) {', '.join(users) or '?'}; "
            "change or delete those first",
            {"problems": problems, "triggers": users},
        )

    def _changed(self, segment_id: str, document: dict[str, Any], version: int, verb: str) -> SegmentChange:
        self._source.invalidate()
        job = self._launch_job(f"segment {segment_id} {verb}")
        return SegmentChange.model_validate(
            {
                **document,
                "source": "api",
                "version": version,
                "job": JobRef(job_id=job.job_id, status=job.status),
            }
        )
