"""Triggers through the admin API: read the live set, and change it only into a valid one.

A change is validated by building the effective document with it and parsing every trigger of
it as the trigger and actions consumers will (``triggers_of``: shapes, known segments, known
email templates, ``emit_event`` loops), so what they would refuse is refused here, answered 422
with each problem's path relative to its trigger (``on.enter``, ``actions[0].template``). Only
problems the change brings count: a change is never blamed for one the live set already has.

A stored change invalidates the definitions cache; no re-evaluation job is needed, since
triggers do not change memberships. Other containers see it within their cache period.
"""

from __future__ import annotations

from typing import Any, Protocol

from leadwire.admin.documents import DocumentPort, DocumentService, Override, Snapshot, item_of
from leadwire.admin.models import TriggerView
from leadwire.config_loader import definitions_of, triggers_of
from leadwire.core.definitions_doc import TriggerOverride, effective_document
from leadwire.core.errors import LeadwireError
from leadwire.core.rules import DefinitionError
from leadwire.core.rules.errors import format_path
from leadwire.core.triggers import Trigger
from leadwire.core.triggers.grants import ungranted_references

TRIGGER_ROOT = "(trigger)"


class InvalidTrigger(LeadwireError):
    status = 422
    code = "invalid_definition"


class TriggerExists(LeadwireError):
    status = 409
    code = "already_exists"


class TriggerStorePort(Protocol):
    """The admin API's stored triggers (``DefinitionStore``)."""

    def trigger_overrides(self) -> list[TriggerOverride]: ...

    def put_trigger(self, trigger_id: str, document: dict[str, Any] | None, expected_version: int) -> int: ...


def trigger_problems(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every problem of the document's triggers, ``{"path", "message", "triggerId"}``, each path
    relative to its trigger; ``[]`` when they all parse."""
    try:
        triggers_of(document, definitions_of(document))
    except DefinitionError as error:
        return _relative(error, list(document.get("triggers") or []))
    return []


def new_trigger_problems(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The problems ``after`` has and ``before`` had not: what a change would break."""
    known = {_identity(problem) for problem in trigger_problems(before)}
    return [problem for problem in trigger_problems(after) if _identity(problem) not in known]


def _identity(problem: dict[str, Any]) -> tuple[Any, ...]:
    return problem["triggerId"], problem["path"], problem["message"]


def _relative(error: DefinitionError, triggers: list[Any]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    for problem in error.problems:
        trigger, loc = item_of(problem, "triggers", triggers)
        found = trigger.get("id") if isinstance(trigger, dict) else None
        trigger_id = found if isinstance(found, str) else None
        path = (format_path(loc) if loc else TRIGGER_ROOT) if trigger is not None else problem["path"]
        problems.append({"path": path, "message": problem["message"], "triggerId": trigger_id})
    return problems


class TriggerAdmin(DocumentService[TriggerView]):
    section, noun, id_field, view_model = "triggers", "trigger", "triggerId", TriggerView

    def __init__(
        self, source: DocumentPort, store: TriggerStorePort, granted_references: frozenset[str] | None = None
    ) -> None:
        """``granted_references``: the secret references the deployment may read (None: any, as in
        ``leadwire local``)."""
        super().__init__(source)
        self._triggers = store
        self._granted = granted_references

    def _overrides(self) -> dict[str, Override]:
        return {override.trigger_id: override for override in self._triggers.trigger_overrides()}

    def _put(self, item_id: str, document: dict[str, Any] | None, expected_version: int) -> int:
        return self._triggers.put_trigger(item_id, document, expected_version=expected_version)

    # -- changes -------------------------------------------------------------------------------
    def create(self, document: dict[str, Any]) -> TriggerView:
        snapshot = self._snapshot()
        trigger_id = self._new_id(snapshot, document, TriggerExists)
        self._validate(snapshot, trigger_id, document)
        return self._changed(document, self._write(snapshot, trigger_id, document))

    def replace(self, trigger_id: str, document: dict[str, Any], expected_version: int | None) -> TriggerView:
        snapshot = self._snapshot()
        document = self._replacement(snapshot, trigger_id, document)
        self._validate(snapshot, trigger_id, document)
        return self._changed(document, self._write(snapshot, trigger_id, document, expected_version))

    def delete(self, trigger_id: str) -> None:
        """Remove the trigger (a tombstone: a config trigger stays deleted). Waiting instances of it
        find no trigger when they wake, and their fires are logged ``skipped``."""
        snapshot = self._snapshot()
        self._existing(snapshot, trigger_id)
        self._write(snapshot, trigger_id, None)

    # -- the triggers' own checks ----------------------------------------------------------------
    def _validate(self, snapshot: Snapshot, trigger_id: str, document: dict[str, Any]) -> None:
        candidate = effective_document(
            snapshot.document, [], [TriggerOverride(trigger_id=trigger_id, document=document, version=0)]
        )
        problems = new_trigger_problems(snapshot.document, candidate)
        if not problems and self._granted is not None:
            problems = [
                {**problem, "triggerId": trigger_id}
                for problem in ungranted_references(Trigger.model_validate(document), self._granted)
            ]
        if not problems:
            return
        summary = "; ".join(
            f"{p['path']}: {p['message']}"
            if p["triggerId"] in (None, trigger_id, "")
            else f"{p['triggerId']}: {p['path']}: {p['message']}"
            for p in problems
        )
        raise InvalidTrigger(f"invalid trigger definition: {summary}", {"problems": problems})

    @staticmethod
    def _changed(document: dict[str, Any], version: int) -> TriggerView:
        return TriggerView.model_validate({**document, "source": "api", "version": version})
