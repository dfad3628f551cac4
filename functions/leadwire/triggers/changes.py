"""Membership changes read back from history items on the stream.

An INSERT opens an interval (and closes it too when the item already has ``out``: an interval
that opened and closed within one save); a MODIFY that adds ``out`` closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


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
