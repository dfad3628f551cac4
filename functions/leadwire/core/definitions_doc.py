"""The live definitions: the bundled config-as-code document with the admin API's changes on top.

Segments created or replaced through the admin API are stored one item each; deleting a segment
that the bundled config defines stores a tombstone. A config segment's id is never silently
shadowed: the override replaces it by id, visibly, in ``GET /segments`` (``source``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel


class SegmentOverride(BaseModel):
    segment_id: str
    document: dict[str, Any] | None  # None: deleted
    version: int


def effective_segments(
    bundled: list[dict[str, Any]], overrides: Iterable[SegmentOverride]
) -> list[dict[str, Any]]:
    """Bundled segments in their order, replaced or removed by id, then API-created ones by id."""
    by_id = {o.segment_id: o for o in overrides}
    merged: list[dict[str, Any]] = []
    for segment in bundled:
        override = by_id.pop(str(segment.get("id")), None)
        if override is None:
            merged.append(segment)
        elif override.document is not None:
            merged.append(override.document)
    merged.extend(o.document for _, o in sorted(by_id.items()) if o.document is not None)
    return merged


def effective_document(bundled: dict[str, Any], overrides: Iterable[SegmentOverride]) -> dict[str, Any]:
    document = dict(bundled)
    document["segments"] = effective_segments(list(bundled.get("segments") or []), overrides)
    return document
