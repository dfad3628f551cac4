"""Membership changes read back from history items on the stream.

A history page (one per save that changed memberships) lists its changes: its INSERT is every
one of them, in order; a page is never modified (a repeated identical put, which moto reports as a
MODIFY, is nothing new). Interval items written before pages: an INSERT opens an interval (and
closes it too when the item already has ``out``: an interval that opened and closed within one
save); a MODIFY that adds ``out`` closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadwire.dal.lead_items import change_id, interval_from_item, is_history_page, page_changes, page_version
from leadwire.stream_records import TableChange


@dataclass(frozen=True)
class MembershipChangeRecord:
    lead_id: str
    segment_id: str
    kind: str  # "enter" | "exit" (the trigger vocabulary)
    at: datetime
    change_id: str
    lead_version: int = 0  # the state version the change was saved with (0: not known)


def membership_changes(change: TableChange) -> list[MembershipChangeRecord]:
    """The enters and exits a history record of the stream carries."""
    new = change.new_image or {}
    if is_history_page(new):
        return _page_changes(new) if change.event_name == "INSERT" else []
    interval = interval_from_item(new)
    if interval is None:
        return []
    changes: list[MembershipChangeRecord] = []
    if change.event_name == "INSERT":
        changes.append(
            MembershipChangeRecord(
                interval.lead_id, interval.segment_id, "enter", interval.entered_at, interval.enter_change_id
            )
        )
    before = interval_from_item(change.old_image or {})
    if interval.exited_at is not None and (before is None or before.exited_at is None):
        assert interval.exit_change_id is not None
        changes.append(
            MembershipChangeRecord(
                interval.lead_id, interval.segment_id, "exit", interval.exited_at, interval.exit_change_id
            )
        )
    return changes


def _page_changes(page: dict[str, Any]) -> list[MembershipChangeRecord]:
    lead = page["lead"]["S"]
    version = page_version(page)
    return [
        MembershipChangeRecord(
            lead,
            transition.change.segment_id,
            "enter" if transition.change.kind == "entered" else "exit",
            transition.change.at,
            change_id(lead, transition),
            version,
        )
        for transition in page_changes(page)
    ]
