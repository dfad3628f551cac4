"""A stream batch grouped by lead: which records belong to which lead, and which failed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadwire.core.tracking import StoredEvent
from leadwire.stream_poison import usable_event
from leadwire.stream_records import TableChange


@dataclass
class LeadGroups:
    events: dict[str, list[StoredEvent]] = field(default_factory=lambda: defaultdict(list))
    sequence_numbers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    poison: list[tuple[dict[str, Any], str]] = field(default_factory=list)


def group_by_lead(records: list[dict[str, Any]]) -> LeadGroups:
    """Usable events by lead; the records no consumer can process set aside with the reason."""
    groups = LeadGroups()
    for record in records:
        change = TableChange.of(record)
        event, reason = usable_event(change.new_image or {})
        if event is None:
            groups.poison.append((record, reason))
            continue
        groups.events[event.lead_id].append(event)
        groups.sequence_numbers[event.lead_id].append(change.sequence_number)
    return groups


def process_groups(
    groups: LeadGroups,
    process: Callable[[str, list[StoredEvent]], object],
    on_error: Callable[[str, Exception], None],
) -> set[str]:
    """Runs ``process`` per lead; returns the sequence numbers of every record of a failed lead."""
    failed: set[str] = set()
    for lead_id, events in groups.events.items():
        try:
            process(lead_id, events)
        except Exception as exc:  # one lead's failure must not cost the others
            on_error(lead_id, exc)
            failed.update(groups.sequence_numbers[lead_id])
    return failed
