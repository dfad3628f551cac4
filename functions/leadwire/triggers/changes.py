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

from leadwire.dal.lead_items import change_id, is_history_page, page_changes


@dataclass(frozen=True)
class MembershipChangeRecord:
    lead_id: str
    segment_id: str
    kind: str  # "enter" | "exit" (the trigger vocabulary)
    at: datetime
    change_id: str


def membership_changes(
    event_name: str, old: dict[str, Any] | None, new: dict[str, Any]
) -> list[MembershipChangeRecord]:
    def text(item: dict[str, Any] | None, name: str) -> str | None:
        value = (item or {}).get(name)
        return value["S"] if value else None

    if is_history_page(new):
        return _page_changes(new) if event_name == "INSERT" else []
    lead, segment, entered = text(new, "lead"), text(new, "seg"), text(new, "in")
    if lead is None or segment is None or entered is None:
        return []
    changes: list[MembershipChangeRecord] = []
    if event_name == "INSERT":
        changes.append(
            MembershipChangeRecord(
                lead,
                segment,
                "enter",
                datetime.fromisoformat(entered),
                text(new, "cid") or f"{lead}|{segment}|{entered}",
            )
        )
    exited = text(new, "out")
    if exited is not None and text(old, "out") is None:
        changes.append(
            MembershipChangeRecord(
                lead,
                segment,
                "exit",
                datetime.fromisoformat(exited),
                text(new, "cidOut") or f"{lead}|{segment}|{exited}",
            )
        )
    return changes


def _page_changes(page: dict[str, Any]) -> list[MembershipChangeRecord]:
    lead = page["lead"]["S"]
    return [
        MembershipChangeRecord(
            lead,
            transition.change.segment_id,
            "enter" if transition.change.kind == "entered" else "exit",
            transition.change.at,
            change_id(lead, transition),
        )
        for transition in page_changes(page)
    ]
