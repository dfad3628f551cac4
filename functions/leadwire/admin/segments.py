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

from collections.abc import Callable
from typing import Any, Protocol

from leadwire.admin.documents import DocumentPort, DocumentService, Override, Snapshot, item_of
from leadwire.admin.models import JobRef, SegmentChange, SegmentView
from leadwire.admin.triggers import new_trigger_problems
from leadwire.config_loader import definitions_of
from leadwire.core.definitions_doc import SegmentOverride, effective_document
from leadwire.core.errors import LeadwireError
from leadwire.core.jobs import Job
from leadwire.core.rules import DefinitionError
from leadwire.core.rules.errors import format_path

SEGMENT_ROOT = "(segment)"


class InvalidDefinition(LeadwireError):
    code = "invalid_definition"


class SegmentExists(LeadwireError):
    status = 409
    code = "already_exists"


class SegmentInUse(LeadwireError):
    status = 409
    code = "segment_in_use"


class OverrideStorePort(Protocol):
    """The admin API's stored segments (``DefinitionStore``)."""

    def overrides(self) -> list[SegmentOverride]: ...

    def put(self, segment_id: str, document: dict[str, Any] | None, expected_version: int) -> int: ...


JobLauncher = Callable[[str], Job]  # reason -> the job started
ChangeGuard = Callable[[dict[str, Any]], None]  # raises when the change needs confirmation


def relative_problems(error: DefinitionError, segments: list[Any]) -> list[dict[str, Any]]:
    """Problems with paths relative to their segment (``condition.all[1].performed.within``)."""
    problems: list[dict[str, Any]] = []
    for problem in error.problems:
        segment, loc = item_of(problem, "segments", segments)
        segment_id = segment.get("id") if isinstance(segment, dict) else None
        path = (format_path(loc) if loc else SEGMENT_ROOT) if segment is not None else problem["path"]
        problems.append({"path": path, "message": problem["message"], "segmentId": segment_id})
    return problems


class SegmentAdmin(DocumentService[SegmentView]):
    section, noun, id_field, view_model = "segments", "segment", "segmentId", SegmentView

    def __init__(
        self,
        source: DocumentPort,
        store: OverrideStorePort,
        launch_job: JobLauncher,
        guard: ChangeGuard | None = None,
    ) -> None:
        super().__init__(source)
        self._segments = store
        self._launch_job = launch_job
        self._guard = guard

    def _overrides(self) -> dict[str, Override]:
        return {override.segment_id: override for override in self._segments.overrides()}

    def _put(self, item_id: str, document: dict[str, Any] | None, expected_version: int) -> int:
        return self._segments.put(item_id, document, expected_version=expected_version)

    # -- changes -------------------------------------------------------------------------------
    def create(self, document: dict[str, Any], *, confirm: bool = False) -> SegmentChange:
        snapshot = self._snapshot()
        segment_id = self._new_id(snapshot, document, SegmentExists)
        self._validate(snapshot, segment_id, document)
        self._unless_confirmed(document, confirm)
        version = self._write(snapshot, segment_id, document)
        return self._changed(segment_id, document, version, "created")

    def replace(
        self,
        segment_id: str,
        document: dict[str, Any],
        expected_version: int | None,
        *,
        confirm: bool = False,
    ) -> SegmentChange:
        snapshot = self._snapshot()
        document = self._replacement(snapshot, segment_id, document)
        self._validate(snapshot, segment_id, document)
        self._unless_confirmed(document, confirm)
        version = self._write(snapshot, segment_id, document, expected_version)
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
        self._write(snapshot, segment_id, None)
        return self._launch_job(f"segment {segment_id} deleted")

    # -- the segments' own checks ----------------------------------------------------------------
    def _unless_confirmed(self, document: dict[str, Any], confirm: bool) -> None:
        if self._guard is not None and not confirm:
            self._guard(document)

    @staticmethod
    def _validate(snapshot: Snapshot, segment_id: str, document: dict[str, Any]) -> None:
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
    def _refuse_broken_triggers(snapshot: Snapshot, segment_id: str, candidate: dict[str, Any]) -> None:
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
        job = self._launch_job(f"segment {segment_id} {verb}")
        return SegmentChange.model_validate(
            {
                **document,
                "source": "api",
                "version": version,
                "job": JobRef(job_id=job.job_id, status=job.status),
            }
        )
