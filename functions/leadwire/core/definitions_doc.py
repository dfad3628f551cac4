"""The live definitions: the bundled config-as-code document with the admin API's changes on top.

Segments and triggers created or replaced through the admin API are stored one item each;
deleting one that the bundled config defines stores a tombstone. A config definition's id is
never silently shadowed: the override replaces it by id, visibly, in ``GET /segments`` and
``GET /triggers`` (``source``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel


class SegmentOverride(BaseModel):
    segment_id: str
    document: dict[str, Any] | None  # None: deleted
    version: int


class TriggerOverride(BaseModel):
    trigger_id: str
    document: dict[str, Any] | None  # None: deleted
    version: int


def _merged(bundled: list[Any], overrides: dict[str, dict[str, Any] | None]) -> list[Any]:
    """Bundled items in their order, replaced or removed by id, then API-created ones by id."""
    remaining = dict(overrides)
    merged: list[Any] = []
    for item in bundled:
        item_id = str(item.get("id")) if isinstance(item, dict) else None
        if item_id is None or item_id not in remaining:
            merged.append(item)
            continue
        document = remaining.pop(item_id)
        if document is not None:
            merged.append(document)
    merged.extend(document for _, document in sorted(remaining.items()) if document is not None)
    return merged


def effective_segments(
    bundled: list[dict[str, Any]], overrides: Iterable[SegmentOverride]
) -> list[dict[str, Any]]:
    """Bundled segments in their order, replaced or removed by id, then API-created ones by id."""
    return _merged(bundled, {o.segment_id: o.document for o in overrides})


def effective_triggers(bundled: list[Any], overrides: Iterable[TriggerOverride]) -> list[Any]:
    """Bundled triggers in their order, replaced or removed by id, then API-created ones by id."""
    return _merged(bundled, {o.trigger_id: o.document for o in overrides})


def effective_document(
    bundled: dict[str, Any],
    overrides: Iterable[SegmentOverride],
    trigger_overrides: Iterable[TriggerOverride] = (),
) -> dict[str, Any]:
    document = dict(bundled)
    document["segments"] = effective_segments(list(bundled.get("segments") or []), overrides)
    triggers = list(trigger_overrides)
    if triggers:
        document["triggers"] = effective_triggers(list(bundled.get("triggers") or []), triggers)
    return document
